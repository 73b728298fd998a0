import Foundation
import HTTPClient
import Storage
import Testing
import TestSupport

/// `botbridge keys` and the key rules on a running gateway: shown once, stored hashed, scoped,
/// rate limited, and revoked from the very next request.
@Suite struct APIKeysEndToEndTests {
    @Test(arguments: TestBackend.allCases) func keysAreScopedRateLimitedAndRevocable(_ backend: TestBackend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-keys-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.databaseArgument(directory: directory.path, name: "keys.sqlite")
        try await BinaryRunner.prepareForTools(db: database, directory: directory)
        // Created before the gateway ever ran: the database is made on the spot (SQLite) or migrated just before.
        let slow = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "deliveries.read", rate: "0.2")
        #expect(slow.hasPrefix("bbk_"))
        let gateway = try BinaryRunner(["serve", "--listen", "127.0.0.1:0", "--db", database], directory: directory)
        let port = try await gateway.waitForListeningPort()
        let client = HTTPClient()
        func get(_ key: String) async throws -> HTTPClientResponse {
            try await client.send(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v1/deliveries", headers: [("Authorization", "Bearer \(key)")]))
        }
        func header(_ response: HTTPClientResponse, _ name: String) -> String? {
            response.headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        // Rate 0.2/s (a bucket of one, refilled in 5 s: slow enough that a loaded machine cannot
        // refill it between two requests): the first passes, the second is 429 with the headers a
        // client needs.
        let first = try await get(slow)
        #expect(first.status == 200)
        #expect(header(first, "X-RateLimit-Limit") == "1")
        #expect(header(first, "X-RateLimit-Remaining") == "0")
        let limited = try await get(slow)
        #expect(limited.status == 429)
        #expect((1...5).contains(Int(header(limited, "Retry-After") ?? "") ?? 0))
        #expect(header(limited, "X-RateLimit-Remaining") == "0")
        #expect(Int(header(limited, "X-RateLimit-Reset") ?? "") ?? 0 > Int(Date().timeIntervalSince1970) - 1)
        #expect(limited.bodyText.contains("rate_limited"))

        // Another key has its own bucket; revoking it takes effect on the next request.
        let other = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "all")
        #expect(try await get(other).status == 200)
        let prefix = String(other.dropFirst(4).prefix { $0 != "_" })
        let (revoked, out, _) = try await BinaryRunner.run(["keys", "revoke", prefix, "--db", database], directory: directory)
        #expect(revoked == 0)
        #expect(out.contains(prefix))
        let refused = try await get(other)
        #expect(refused.status == 401)
        #expect(header(refused, "WWW-Authenticate")?.contains("invalid_token") == true)

        // The list shows prefixes and scopes, never a secret; the file holds only hashes.
        let (listed, table, _) = try await BinaryRunner.run(["keys", "list", "--db", database], directory: directory)
        #expect(listed == 0)
        #expect(table.contains(prefix) && table.contains("deliveries.read"))
        #expect(!table.contains(slow) && !table.contains(other))
        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        await client.shutdown()
        switch backend {
        case .sqlite:
            let bytes = try Data(contentsOf: URL(fileURLWithPath: database))
            #expect(bytes.range(of: Data(slow.utf8)) == nil)
        case .postgres:
            // No file to read: every row of every table, as text.
            let pool = try await GatewayUnderTest.openDatabase(database, in: directory)
            let everything = try await pool.read { db in
                let tables = try db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")
                    .compactMap { $0.string("table_name") }
                #expect(tables.contains("api_keys"))
                return try tables.map { table in
                    try db.query("SELECT t::text AS row FROM \(table) t").compactMap { $0.string("row") }.joined(separator: "\n")
                }.joined(separator: "\n")
            }
            await pool.close()
            #expect(!everything.isEmpty)
            #expect(!everything.contains(slow) && !everything.contains(other))
        }

        // Usage errors.
        let (unknownScope, _, message) = try await BinaryRunner.run(["keys", "create", "--name", "x", "--scopes", "messages.snd", "--db", database],
                                                                    directory: directory)
        #expect(unknownScope == 64)
        #expect(message.contains("unknown scope 'messages.snd'"))
        #expect(try await BinaryRunner.run(["keys", "revoke", "nosuch", "--db", database], directory: directory).0 == 1)
    }
}
