import Bridge
import Foundation
import HTTP
import HTTPClient
import Synchronization
import Testing
import TestSupport

/// `examples/braze-profiles.json` (plus a contact center, so "a human" can answer) through the
/// real binary: a WhatsApp user gives an order number and asks for an agent; the profile shows
/// the extracted attribute, the counters and the events; a local fake Braze receives
/// `/users/track` batches with the same data, each change once — across a 429 with Retry-After
/// and a restart of the gateway in the middle of it.
@Suite struct ProfilesEndToEndTests {
    static let brazeKey = "fake-braze-rest-key-0000"

    final class FakeBraze: Sendable {
        struct Call: Sendable {
            var webhookID: String
            var authorization: String
            var body: [UInt8]
            var status: Int
        }
        let calls = Mutex<[Call]>([])
        let packets = Mutex<[[UInt8]]>([])

        func start() throws -> (HTTPServer, Int) {
            var router = Router()
            router.post("/users/track") { [self] request, _ in
                // The first batch is refused once with Retry-After: the gateway must wait and send it again.
                let status = calls.withLock { calls -> Int in
                    let status = calls.isEmpty ? 429 : 201
                    calls.append(Call(webhookID: request.headers["webhook-id"] ?? "", authorization: request.headers["Authorization"] ?? "",
                                      body: request.body, status: status))
                    return status
                }
                if status == 429 {
                    return HTTPResponse(status: .tooManyRequests, headers: ["Retry-After": "3", "Content-Type": "application/json"],
                                        body: Array(#"{"message":"rate limited"}"#.utf8))
                }
                return HTTPResponse(status: .created, headers: ["Content-Type": "application/json"],
                                    body: Array(#"{"message":"success","attributes_processed":1}"#.utf8))
            }
            router.post("/bot") { _, _ in HTTPResponse(status: .ok) }
            router.post("/cc") { [self] request, _ in
                packets.withLock { $0.append(request.body) }
                return HTTPResponse(status: .ok)
            }
            router.post("/2010-04-01/Accounts/{account}/Messages.json") { _, _ in
                HTTPResponse(status: .created, headers: ["Content-Type": "application/json"], body: Array(#"{"sid":"SM_OUT_\#(UUID().uuidString)"}"#.utf8))
            }
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.eventLoopCount = 1
            let server = HTTPServer(configuration: configuration, responder: router)
            return (server, try server.start())
        }

        var accepted: [Call] { calls.withLock { $0.filter { $0.status == 201 } } }
    }

    /// The example as it is, with a contact center added.
    static func configFile() throws -> URL {
        let example = BinaryRunner.repositoryRoot.appendingPathComponent("examples/braze-profiles.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: example)) as? [String: Any])
        object["contact_centers"] = [["id": "desk", "adapter": "webhook", "url": "${FAKE}/cc", "secret": HandoffEndToEndTests.ccSecret]]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-profiles-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: object).write(to: file)
        return file
    }

    @Test(arguments: TestBackend.allCases)
    func chatEnrichesTheProfileAndBrazeGetsEachChangeOnce(_ backend: TestBackend) async throws {
        let braze = FakeBraze()
        let (server, fakePort) = try braze.start()
        let fake = "http://127.0.0.1:\(fakePort)"
        let config = try Self.configFile()
        defer { try? FileManager.default.removeItem(at: config) }
        var gateway = try await GatewayUnderTest.start(configFile: config.path, fakePort: fakePort, environment: [
            "BOTBRIDGE_PUBLIC_URL": GatewayUnderTest.publicURL, "BOT_URL": fake + "/bot", "BOT_SIGNING_SECRET": ChannelsEndToEndTests.botSecret,
            "TWILIO_ACCOUNT_SID": "AC_FAKE", "TWILIO_AUTH_TOKEN": ChannelsEndToEndTests.authToken, "TWILIO_FROM": "whatsapp:+14155238886",
            "TWILIO_API_BASE": fake, "BRAZE_REST_ENDPOINT": fake, "BRAZE_API_KEY": Self.brazeKey,
        ], backend: backend)
        defer { gateway.removeDirectory() }

        // 1. The order number is read out of the message; the first batch gets a 429, and the
        //    gateway is stopped while it waits to send it again.
        try await gateway.inbound("SM_P1", from: "whatsapp:+34600111222", "Hi, my order number is 12345678", profileName: "Ana")
        try await HandoffEndToEndTests.eventually("the first batch reached Braze") { !braze.calls.withLock { $0.isEmpty } }
        try await gateway.stop()
        gateway = try await gateway.restarted()

        // 2. After the restart: the user asks for a human; the agent joins and resolves.
        try await gateway.inbound("SM_P2", from: "whatsapp:+34600111222", "I want to talk to a human please", profileName: "Ana")
        try await HandoffEndToEndTests.eventually("the handoff packet reached the contact center") { !braze.packets.withLock { $0.isEmpty } }
        let packet = try #require(braze.packets.withLock { $0.first })
        let caseID = try #require((try JSONSerialization.jsonObject(with: Data(packet)) as? [String: Any])?["case_id"] as? String)
        #expect(try await HandoffEndToEndTests.signedEvent(#"{"type":"agent.joined","case_id":"\#(caseID)","agent":{"name":"Léa"}}"#, to: gateway).status == 200)
        #expect(try await HandoffEndToEndTests.signedEvent(#"{"type":"case.resolved","case_id":"\#(caseID)"}"#, to: gateway).status == 200)

        // 3. The business links the WhatsApp user to its own id; later changes go by external_id.
        let key = try await gateway.createKey(scopes: "users.read,users.track")
        let identified = try await gateway.client.send(HTTPClientRequest(
            method: "POST", url: gateway.base + "/v1/users/cust-42/identify",
            headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")],
            body: Array(#"{"channel": "wa", "address": "whatsapp:+34600111222"}"#.utf8)))
        #expect(identified.status == 200)
        try await gateway.inbound("SM_P3", from: "whatsapp:+34600111222", "en fait ma commande n° 87654321", profileName: "Ana")

        // The profile: extracted attribute with its source, counters, events.
        let answer = try await gateway.client.send(HTTPClientRequest(url: gateway.base + "/v1/users/cust-42", headers: [("Authorization", "Bearer \(key)")]))
        #expect(answer.status == 200)
        let profile = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        let attributes = try #require(profile["attributes"] as? [String: Any])
        #expect(profile["identified"] as? Bool == true)
        #expect(attributes["order_id"] as? String == "87654321")
        #expect(attributes["first_name"] as? String == "Ana")
        #expect(attributes["phone"] as? String == "+34600111222")
        #expect(attributes["chat_message_count"] as? Int == 3)
        #expect(attributes["escalation_count"] as? Int == 1)
        #expect(attributes["last_case_id"] as? String == caseID)
        #expect(attributes["last_channel"] as? String == "wa")
        let sources = try #require(profile["attribute_sources"] as? [String: [String: Any]])
        #expect(sources["order_id"]?["source"] as? String == "rule:order")
        #expect(sources["phone"]?["source"] as? String == "channel:wa")
        let events = try #require(profile["events"] as? [[String: Any]])
        #expect(events.compactMap { $0["name"] as? String }.sorted() == ["agent_joined", "chat_started", "escalated", "resolved"])
        #expect((events.first { $0["name"] as? String == "escalated" }?["properties"] as? [String: Any])?["case_id"] as? String == caseID)
        let identities = try #require(profile["identities"] as? [[String: Any]])
        #expect(identities.map { $0["address"] as? String } == ["whatsapp:+34600111222"])
        let recentWrites = try #require(profile["writes"] as? [[String: Any]])
        #expect(recentWrites.contains { $0["name"] as? String == "order_id" && $0["value"] as? String == "12345678" && $0["source"] as? String == "rule:order" })

        // Braze: every change arrives, once, and the batches add up to the profile.
        try await HandoffEndToEndTests.eventually("the last change reached Braze") {
            braze.accepted.contains { String(decoding: $0.body, as: UTF8.self).contains("87654321") }
        }
        try await gateway.stop()
        await server.shutdown()
        let calls = braze.calls.withLock { $0 }
        #expect(calls.allSatisfy { $0.authorization == "Bearer \(Self.brazeKey)" })
        // The refused batch came again, the same (same webhook-id and body), after the restart.
        let refused = try #require(calls.first)
        #expect(refused.status == 429)
        #expect(calls.filter { $0.webhookID == refused.webhookID }.map(\.status) == [429, 201])
        #expect(calls.first { $0.status == 201 }?.body == refused.body)
        let accepted = braze.accepted
        #expect(Set(accepted.map(\.webhookID)).count == accepted.count)

        var folded: [String: String] = [:]
        var changes: [String] = []
        var sentEvents: [String] = []
        var identifiers: [String] = []
        for call in accepted {
            let body = try #require(try JSONSerialization.jsonObject(with: Data(call.body)) as? [String: Any])
            for object in body["attributes"] as? [[String: Any]] ?? [] {
                let who = (object["external_id"] as? String) ?? ((object["user_alias"] as? [String: Any])?["alias_label"] as? String ?? "?")
                identifiers.append(who)
                for (name, value) in object where !["external_id", "user_alias", "_update_existing_only"].contains(name) {
                    let text = "\(value)"
                    changes.append("\(name)=\(text)")
                    folded[name] = text
                }
            }
            for event in body["events"] as? [[String: Any]] ?? [] { sentEvents.append(event["name"] as? String ?? "?") }
        }
        #expect(Set(changes).count == changes.count, "a change was sent twice: \(changes)")
        #expect(sentEvents.sorted() == ["agent_joined", "chat_started", "escalated", "resolved"])
        #expect(identifiers.first == "botbridge")
        #expect(identifiers.last == "cust-42")
        #expect(folded == attributes.mapValues { "\($0)" })
    }
}
