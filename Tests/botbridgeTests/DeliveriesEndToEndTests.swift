import Bridge
import Foundation
import HTTPClient
import Storage
import Testing
import TestSupport

/// The operator surface over the outbox, on a real gateway process and its database file.
@Suite struct DeliveriesEndToEndTests {
    @Test(arguments: TestBackend.allCases) func failingDeliveryIsVisibleThroughAPIAndCLI(_ backend: TestBackend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-ops-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.databaseArgument(directory: directory.path, name: "ops.sqlite")
        // Nothing listens on the target port: every attempt is refused.
        let server = try BinaryRunner(["serve", "--listen", "127.0.0.1:0", "--db", database,
                                       "--dev-outbox-url", "http://127.0.0.1:\(LoopbackPort.free())/hook"], directory: directory)
        let port = try await server.waitForListeningPort()
        let client = HTTPClient()
        defer { Task { await client.shutdown() } }
        let base = "http://127.0.0.1:\(port)"
        let operatorKey = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "deliveries.read,deliveries.write")
        let readOnlyKey = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "deliveries.read")
        func get(_ path: String, key: String? = operatorKey) async throws -> HTTPClientResponse {
            try await client.send(HTTPClientRequest(url: base + path, headers: key.map { [("Authorization", "Bearer \($0)")] } ?? []))
        }
        func replay(_ id: Int, key: String = operatorKey) async throws -> HTTPClientResponse {
            try await client.send(HTTPClientRequest(method: "POST", url: base + "/v1/deliveries/\(id)/replay", headers: [("Authorization", "Bearer \(key)")]))
        }

        let queued = try await client.send(HTTPClientRequest(method: "POST", url: base + "/dev/outbox?key=conv-9", body: Array("hello".utf8)))
        #expect(queued.status == 202)

        // The first attempt fails at once and is scheduled 5 s later.
        var listed = ""
        for _ in 0..<200 {
            listed = try await get("/v1/deliveries?status=pending").bodyText
            if listed.contains("connection refused") { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(listed.contains(#""last_error":"connection refused""#))
        #expect(listed.contains(#""ordering_key":"conv-9""#))
        #expect(listed.contains(#""attempts":1"#))
        #expect(!listed.contains("hello"))

        // Keys: none, unknown, and a key without the scope get nothing.
        let anonymous = try await get("/v1/deliveries", key: nil)
        #expect(anonymous.status == 401)
        #expect(anonymous.headers.contains { $0.name == "WWW-Authenticate" && $0.value.hasPrefix("Bearer") })
        #expect(try await get("/v1/deliveries", key: "bbk_nothere_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").status == 401)
        let forbidden = try await replay(1, key: readOnlyKey)
        #expect(forbidden.status == 403)
        #expect(forbidden.bodyText.contains("deliveries.write"))
        let allowed = try await get("/v1/deliveries", key: readOnlyKey)
        #expect(allowed.status == 200)
        #expect(allowed.headers.contains { $0.name == "X-RateLimit-Remaining" })

        let bad = try await get("/v1/deliveries?status=lost")
        #expect(bad.status == 400)
        #expect(bad.bodyText.contains("'status' must be one of pending, sending, done, dead"))
        let unknown = try await get("/v1/deliveries?colour=red")
        #expect(unknown.status == 400)
        let pendingReplay = try await replay(1)
        #expect(pendingReplay.status == 409)
        let missingReplay = try await replay(99)
        #expect(missingReplay.status == 404)

        let metrics = try await client.send(HTTPClientRequest(url: base + "/metrics")).bodyText
        #expect(metrics.contains(#"botbridge_delivery_attempts_total{kind="webhook",result="failed"} 1"#))
        #expect(metrics.contains(#"botbridge_outbox_deliveries{status="pending"} 1"#))

        // The CLI reads the same file while the gateway runs.
        let (status, out, _) = try await BinaryRunner.run(["deliveries", "list", "--db", database, "--status", "pending"], directory: directory)
        #expect(status == 0)
        #expect(out.contains("pending"))
        #expect(out.contains("connection refused"))
        let (replayStatus, _, replayError) = try await BinaryRunner.run(["deliveries", "replay", "1", "--db", database], directory: directory)
        #expect(replayStatus == 1)
        #expect(replayError.contains("only dead or done deliveries can be replayed"))

        server.signal(SIGTERM)
        #expect(try await server.waitForExit() == 0)
    }

    @Test(arguments: [
        (["deliveries", "list", "--status", "lost"], "invalid --status 'lost'"),
        (["deliveries", "replay"], "give a delivery id or --all-dead"),
        (["deliveries", "replay", "3", "--all-dead"], "give either one delivery id or --all-dead"),
        (["deliveries", "replay", "x"], "invalid delivery id 'x'"),
        (["deliveries", "frobnicate"], "unknown subcommand 'deliveries frobnicate'"),
    ])
    func usageErrorsExit64(arguments: [String], message: String) async throws {
        let (status, _, err) = try await BinaryRunner.run(arguments)
        #expect(status == 64)
        #expect(err.contains(message))
    }

    /// SQLite only: the lock file that keeps a second gateway off one SQLite file (any number of
    /// gateways share a PostgreSQL database: ScaleOutEndToEndTests).
    @Test func aSecondGatewayOnTheSameDatabaseIsRefused() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-lock-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try BinaryRunner(["serve", "--listen", "127.0.0.1:0", "--db", "shared.sqlite"], directory: directory)
        _ = try await first.waitForListeningPort()
        let (status, _, err) = try await BinaryRunner.run(["serve", "--listen", "127.0.0.1:0", "--db", "shared.sqlite"], directory: directory)
        #expect(status == 69)
        #expect(err.contains("another botbridge serve is using shared.sqlite"))
        first.signal(SIGTERM)
        #expect(try await first.waitForExit() == 0)
    }

    /// SQLite only: a file that is not there (a PostgreSQL URL names a server, not a file to create).
    @Test func listingWithoutADatabaseSaysSo() async throws {
        let (status, _, err) = try await BinaryRunner.run(["deliveries", "list", "--db", "absent.sqlite"])
        #expect(status == 1)
        #expect(err.contains("no database at absent.sqlite"))
    }
}

/// A database from a newer botbridge is refused before anything listens.
@Suite struct DatabaseVersionEndToEndTests {
    @Test(arguments: TestBackend.allCases) func serveRefusesADatabaseWrittenByANewerBinary(_ backend: TestBackend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-newer-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.databaseArgument(directory: directory.path, name: "future.sqlite")
        let future = BridgeSchema.migrations + [Migration(version: 999, name: "from the future", sql: "CREATE TABLE future (id INTEGER)")]
        let location = try DatabaseConfiguration.Location(database)
        await (try await DatabasePool.open(DatabaseConfiguration(location: location, migrations: future))).close()

        let (status, out, err) = try await BinaryRunner.run(["serve", "--listen", "127.0.0.1:0", "--db", database], directory: directory)
        #expect(status == 1)
        #expect(!out.contains("listening"))
        #expect(err.contains("schema version 999, written by a newer botbridge"))
        #expect(err.contains("supports up to \(BridgeSchema.migrations.last!.version)"))
    }
}
