import Foundation
import HTTPClient
import Testing
import TestSupport

/// The profile routes of a running gateway: `/users/track` answers as Braze does (and refuses
/// what Braze refuses, storing nothing), `GET /v1/users/{external_id}` and `identify` with
/// their errors.
@Suite struct UsersAPIEndToEndTests {
    @Test(arguments: TestBackend.allCases) func trackReadAndIdentifyOverHTTP(_ backend: TestBackend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-users-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.databaseArgument(directory: directory.path, name: "u.sqlite")
        try await BinaryRunner.prepareForTools(db: database, directory: directory)
        let key = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "users.track,users.read")
        let readOnly = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "users.read")
        let gateway = try BinaryRunner(["serve", "--listen", "127.0.0.1:0", "--db", database, "--home", BinaryRunner.repositoryRoot.path],
                                       directory: directory)
        let port = try await gateway.waitForListeningPort()
        let base = "http://127.0.0.1:\(port)"
        let client = HTTPClient()
        func post(_ path: String, _ body: String, key: String? = key, type: String = "application/json",
                  extra: [(String, String)] = []) async throws -> (Int, [String: Any]) {
            var headers = [("Content-Type", type)] + extra
            if let key { headers.append(("Authorization", "Bearer \(key)")) }
            let response = try await client.send(HTTPClientRequest(method: "POST", url: base + path, headers: headers, body: Array(body.utf8)))
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:])
        }
        func get(_ path: String) async throws -> (Int, [String: Any]) {
            let response = try await client.send(HTTPClientRequest(url: base + path, headers: [("Authorization", "Bearer \(key)")]))
            return (response.status, (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]) ?? [:])
        }

        // Braze's answer, with the non-fatal errors per object.
        let (created, answer) = try await post("/users/track", """
            {"attributes": [{"external_id": "cust-7", "_update_existing_only": false, "first_name": "Jon", "visits": {"inc": 2}},
                            {"external_id": "cust-7", "country": "Narnia"}],
             "events": [{"external_id": "cust-7", "name": "watched_trailer", "time": "2013-07-16T19:20:30+01:00"}],
             "purchases": [{"external_id": "cust-7", "product_id": "backpack", "currency": "USD", "price": 40.0, "time": "2017-05-12T18:47:12Z"}]}
            """, extra: [("Idempotency-Key", "track-1")])
        #expect(created == 201)
        #expect(answer["message"] as? String == "success")
        #expect(answer["attributes_processed"] as? Int == 1)
        #expect(answer["events_processed"] as? Int == 1)
        #expect(answer["purchases_processed"] as? Int == 1)
        let errors = try #require(answer["errors"] as? [[String: Any]])
        #expect(errors.count == 1)
        #expect(errors.first?["input_array"] as? String == "attributes")
        #expect(errors.first?["index"] as? Int == 1)
        #expect(errors.first?["type"] as? String == "'country' must be an ISO-3166-1 alpha-2 code such as FR")
        // The same Idempotency-Key replays the answer and increments nothing twice; with another body it is refused.
        let retry = #"{"attributes": [{"external_id": "cust-7", "visits": {"inc": 2}}]}"#
        #expect(try await post("/users/track", retry, extra: [("Idempotency-Key", "track-2")]).0 == 201)
        let (replayed, replay) = try await post("/users/track", retry, extra: [("Idempotency-Key", "track-2")])
        #expect(replayed == 201)
        #expect(replay["attributes_processed"] as? Int == 1)
        #expect(try await post("/users/track", retry + " ", extra: [("Idempotency-Key", "track-1")]).0 == 422)

        let (found, profile) = try await get("/v1/users/cust-7")
        #expect(found == 200)
        let attributes = try #require(profile["attributes"] as? [String: Any])
        #expect(attributes["visits"] as? Int == 4)
        #expect(attributes["first_name"] as? String == "Jon")
        #expect((profile["attribute_sources"] as? [String: [String: Any]])?["visits"]?["source"] as? String == "api")
        #expect((profile["events"] as? [[String: Any]])?.compactMap { $0["name"] as? String }.sorted() == ["purchase", "watched_trailer"])
        #expect(profile["identified"] as? Bool == true)

        // Fatal errors in Braze's form, nothing stored.
        let tooMany = (0..<76).map { #"{"external_id": "x\#($0)", "_update_existing_only": false, "n": 1}"# }.joined(separator: ",")
        let (limited, limitAnswer) = try await post("/users/track", #"{"attributes": [\#(tooMany)]}"#)
        #expect(limited == 400)
        #expect(limitAnswer["message"] as? String == "Max Input Length Exceeded")
        #expect(try await get("/v1/users/x0").0 == 404)
        let (allBad, allBadAnswer) = try await post("/users/track", #"{"attributes": [{"external_id": "nobody", "n": 1}]}"#)
        #expect(allBad == 400)
        #expect((allBadAnswer["errors"] as? [[String: Any]])?.first?["index"] as? Int == 0)
        #expect(try await post("/users/track", "{not json").0 == 400)
        #expect(try await post("/users/track", "{}", type: "text/plain").0 == 415)
        let (unauthorised, unauthorisedAnswer) = try await post("/users/track", #"{"attributes": []}"#, key: nil)
        #expect(unauthorised == 401)
        #expect(unauthorisedAnswer["message"] != nil)
        #expect(try await post("/users/track", #"{"attributes": [{"external_id": "cust-7", "n": 1}]}"#, key: readOnly).0 == 403)

        // identify: a chat user (the derived id a web-chat session shows) joins the business's profile.
        let (session, chat) = try await post("/channels/web/sessions", #"{"name": "Jonny"}"#, key: nil)
        #expect(session == 201)
        let derived = try #require(chat["user_id"] as? String)
        #expect(try await get("/v1/users/\(derived)").1["identified"] as? Bool == false)
        let (merged, mergedProfile) = try await post("/v1/users/cust-7/identify", #"{"user_id": "\#(derived)"}"#)
        #expect(merged == 200)
        #expect((mergedProfile["identities"] as? [[String: Any]])?.first?["channel"] as? String == "web")
        // The identified profile keeps its own values; it gains what it did not have.
        #expect((mergedProfile["attributes"] as? [String: Any])?["first_name"] as? String == "Jon")
        #expect(try await get("/v1/users/\(derived)").0 == 404)
        #expect(try await post("/v1/users/cust-8/identify", #"{"user_id": "\#(derived)"}"#).0 == 404)
        let (_, second) = try await post("/channels/web/sessions", #"{}"#, key: nil)
        let other = try #require(second["user_id"] as? String)
        #expect(try await post("/v1/users/cust-7/identify", #"{"user_id": "\#(other)"}"#).0 == 200)
        let (conflict, conflictAnswer) = try await post("/v1/users/cust-9/identify", #"{"user_id": "cust-7"}"#)
        #expect(conflict == 409)
        #expect((conflictAnswer["error"] as? [String: Any])?["code"] as? String == "already_identified")
        #expect(try await post("/v1/users/usr_mine/identify", #"{"user_id": "\#(other)"}"#).0 == 422)
        #expect(try await post("/v1/users/cust-9/identify", #"{"channel": "web"}"#).0 == 422)

        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        await client.shutdown()
    }
}
