import Foundation
import HTTPClient
import Testing
import TestSupport

/// `botbridge kb import` and `kb search` (the real CLI) on the shipped sample, and
/// `GET /v1/kb/search` on the real server with its key, scope and input errors.
@Suite struct KnowledgeBaseEndToEndTests {
    @Test(arguments: TestBackend.allCases) func importSearchAndTheSearchRoute(_ backend: TestBackend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-kb-e2e-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sample = BinaryRunner.repositoryRoot.appendingPathComponent("examples/kb").path
        let database = try await backend.databaseArgument(directory: directory.path, name: "kb.sqlite")
        try await BinaryRunner.prepareForTools(db: database, directory: directory)

        let (status, out, _) = try await BinaryRunner.run(["kb", "import", sample, "--db", database], directory: directory)
        #expect(status == 0)
        #expect(out.contains("imported 12 articles: 12 new"))
        let again = try await BinaryRunner.run(["kb", "import", sample, "--db", database], directory: directory)
        #expect(again.1.contains("0 new, 0 updated, 12 unchanged"))
        let bad = try await BinaryRunner.run(["kb", "import", "/nonexistent/kb", "--db", database], directory: directory)
        #expect(bad.0 == 65)
        #expect(bad.2.contains("no such file or folder"))

        let search = try await BinaryRunner.run(["kb", "search", "retourner", "un", "article", "--locale", "fr", "--json", "--db", database],
                                                directory: directory)
        let found = try #require(try JSONSerialization.jsonObject(with: Data(search.1.utf8)) as? [[String: Any]])
        #expect(found.first?["id"] as? String == "return-item")
        #expect(found.first?["url"] as? String == "https://help.lanterne-shop.example/fr/return-item")

        let gateway = try BinaryRunner(["serve", "--db", database, "--home", BinaryRunner.repositoryRoot.path, "--listen", "127.0.0.1:0"],
                                       directory: directory)
        let port = try await gateway.waitForListeningPort()
        let reader = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "kb.read")
        let other = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "messages.send")
        let client = HTTPClient()
        func get(_ query: String, key: String? = reader) async throws -> HTTPClientResponse {
            try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/kb/search?\(query)",
                                                    headers: key.map { [("Authorization", "Bearer \($0)")] } ?? []))
        }
        let answer = try await get("q=where%20is%20my%20parcel&locale=en&limit=2")
        #expect(answer.status == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        let results = try #require(body["results"] as? [[String: Any]])
        #expect(results.count <= 2)
        #expect(results.first?["id"] as? String == "track-order")
        #expect(results.first?["title"] as? String == "Where is my order? Tracking a parcel")
        #expect((results.first?["excerpt"] as? String)?.isEmpty == false)

        #expect(try await get("q=parcel", key: nil).status == 401)
        #expect(try await get("q=parcel", key: other).status == 403)
        let missing = try await get("locale=en")
        #expect(missing.status == 400)
        #expect(missing.bodyText.contains("missing_query"))
        #expect(try await get("q=parcel&limit=0").status == 400)
        #expect(try await get("q=parcel&locale=%22%3B").status == 400)
        #expect(try await get("q=%22NEAR(%2A").status == 200, "FTS syntax in the query is just text")

        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        await client.shutdown()
    }
}
