import Foundation
import Testing
import TestSupport
@testable import Storage

/// What only PostgreSQL has: addresses with passwords, connections that can be lost, many
/// gateways migrating one database at once.
@Suite struct PostgresStorageTests {
    @Test func placeholdersAreNumberedOutsideLiteralsAndComments() {
        let (text, count) = PostgresSQL.numberingPlaceholders("SELECT '?', \"a?\", x FROM t -- what?\nWHERE a = ? AND b = ?3 AND c = ? /* ? */ AND d = 'it''s ?'")
        #expect(text == "SELECT '?', \"a?\", x FROM t -- what?\nWHERE a = $1 AND b = $3 AND c = $4 /* ? */ AND d = 'it''s ?'")
        #expect(count == 4)
        #expect(PostgresSQL.numberingPlaceholders("UPDATE t SET a = ?1, b = ?1 WHERE id = ?2").text == "UPDATE t SET a = $1, b = $1 WHERE id = $2")
        #expect(PostgresSQL.numberingPlaceholders("SELECT id FROM deliveries d INDEXED BY deliveries_due WHERE x = 'INDEXED BY y'").text
                == "SELECT id FROM deliveries d  WHERE x = 'INDEXED BY y'")
    }

    @Test func anAddressNeverShowsItsPassword() throws {
        let address = try PostgresAddress("postgresql://bot:s3cr%40t@db.example.com:6543/gateway?sslmode=require&application_name=gw")
        #expect(address.host == "db.example.com")
        #expect(address.port == "6543")
        #expect(address.database == "gateway")
        #expect(address.user == "bot")
        #expect(address.hasPassword)
        #expect(address.description == "postgres://bot@db.example.com:6543/gateway?application_name=gw&sslmode=require")
        #expect(!address.description.contains("s3cr"))
        let socket = try PostgresAddress("postgres:///gateway?host=/run/pg&user=bot")
        #expect(socket.description == "postgres://bot@/gateway?host=/run/pg")
        #expect(throws: StorageError.self) { try PostgresAddress("postgres://bot:pw@host:notaport/db?%zz") }
        #expect(try DatabaseConfiguration.Location("data/botbridge.sqlite") == .sqlite(path: "data/botbridge.sqlite"))
    }

    @Test func anUnreachableServerIsNamedWithLibpqsReason() async throws {
        let server = try await TestPostgres.shared()
        // A port nobody listens on (the test server's, plus one, is free often enough; use a closed one).
        let address = try PostgresAddress("postgres://bot:hunter2-fake@127.0.0.1:1/nowhere")
        let error = await #expect(throws: StorageError.self) {
            try await DatabasePool.open(DatabaseConfiguration(location: .postgres(address)))
        }
        let text = String(describing: error)
        #expect(text.contains("127.0.0.1"))
        #expect(text.contains("1"))
        #expect(!text.contains("hunter2"))
        #expect(error?.isUnavailable == true)
        // A wrong password says so.
        let wrong = try PostgresAddress(server.tcpURI(password: "not-the-password"))
        let refused = await #expect(throws: StorageError.self) {
            try await DatabasePool.open(DatabaseConfiguration(location: .postgres(wrong)))
        }
        #expect(String(describing: refused).contains("password authentication failed"))
        #expect(!String(describing: refused).contains("not-the-password"))
    }

    @Test func tenGatewaysStartingAtOnceMigrateOnce() async throws {
        let uri = try await TestPostgres.shared().makeDatabase()
        let location = try DatabaseConfiguration.Location(uri)
        let counter = Migration(version: 1, name: "count", sql: "CREATE TABLE applied (n INTEGER); INSERT INTO applied VALUES (1);")
        let pools = try await withThrowingTaskGroup(of: DatabasePool.self) { group in
            for _ in 0..<10 {
                group.addTask {
                    var configuration = DatabaseConfiguration(location: location, migrations: [counter])
                    configuration.postgres.writers = 1
                    configuration.postgres.readers = 1
                    return try await DatabasePool.open(configuration)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let rows = try await pools[0].read { db in try db.scalar("SELECT COUNT(*) FROM applied").int }
        #expect(rows == 1)
        for pool in pools { await pool.close() }
    }

    /// The server ends every connection: the next calls find their connection gone before
    /// anything ran and run on a new one, so nobody notices.
    @Test func endedConnectionsAreReplacedWithoutAnError() async throws {
        let uri = try await TestPostgres.shared().makeDatabase()
        var configuration = DatabaseConfiguration(location: try .init(uri), migrations: [StorageBackendTests.notes])
        configuration.postgres.writers = 1
        configuration.postgres.readers = 1
        let pool = try await DatabasePool.open(configuration)
        try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES ('before')") }
        let database = try PostgresAddress(uri).database
        try TestPostgres.run(sql: "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()",
                             on: await TestPostgres.shared().socketURI())
        try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES ('after')") }
        let bodies = try await pool.read { db in try db.query("SELECT body FROM notes ORDER BY id").compactMap { $0.string("body") } }
        #expect(bodies == ["before", "after"])
        await pool.close()
    }

    /// While the server is down every call fails as unavailable, never as committed; once it
    /// is back the pool recovers by itself.
    @Test func aStoppedServerMeansUnavailableUntilItIsBack() async throws {
        let server = try await Task.detached { try TestPostgres.makePrivate() }.value
        defer { server.stopServer() }
        let uri = try await server.makeDatabase()
        var configuration = DatabaseConfiguration(location: try .init(uri), migrations: [StorageBackendTests.notes])
        configuration.postgres.writers = 2
        configuration.postgres.readers = 1
        configuration.postgres.reconnectDelay = .milliseconds(100)
        let pool = try await DatabasePool.open(configuration)
        try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES ('before')") }
        await Task.detached { server.stopServer() }.value
        for attempt in 0..<5 {
            let error = await #expect(throws: StorageError.self) {
                try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", "down-\(attempt)") }
            }
            #expect(error?.isUnavailable == true, "\(String(describing: error))")
        }
        try await Task.detached { try server.startServer() }.value
        var recovered = false
        let deadline = ContinuousClock.now + .seconds(10)
        while !recovered && ContinuousClock.now < deadline {
            do {
                try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES ('after')") }
                recovered = true
            } catch let error as StorageError {
                #expect(error.isUnavailable, "\(error)")
                try await Task.sleep(for: .milliseconds(50))
            }
        }
        #expect(recovered)
        let bodies = try await pool.read { db in try db.query("SELECT body FROM notes ORDER BY id").compactMap { $0.string("body") } }
        #expect(bodies == ["before", "after"])
        await pool.close()
    }

    @Test func textWithANulCharacterIsRefusedNotTruncated() async throws {
        try await StorageBackendTests.withPool(.postgres) { pool in
            let error = await #expect(throws: StorageError.self) {
                try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", "a\u{0}b") }
            }
            #expect(String(describing: error).contains("NUL"))
        }
    }
}
