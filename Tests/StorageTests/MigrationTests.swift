import Foundation
import Testing
@testable import Storage

@Suite struct MigrationTests {
    static let one = Migration(version: 1, name: "create a", sql: "CREATE TABLE a (id INTEGER PRIMARY KEY)")
    static let two = Migration(version: 2, name: "create b", sql: "CREATE TABLE b (id INTEGER PRIMARY KEY)")
    static let three = Migration(version: 3, name: "add a.name", sql: "ALTER TABLE a ADD COLUMN name TEXT")

    static func open(_ dir: TemporaryDirectory, _ migrations: [Migration]) async throws -> DatabasePool {
        try await DatabasePool.open(DatabaseConfiguration(path: dir.file("m.sqlite"), migrations: migrations))
    }

    static func versions(_ pool: DatabasePool) async throws -> [Int] {
        try await pool.read { db in try db.query("SELECT version FROM botbridge_migrations ORDER BY version").compactMap { $0.int("version") } }
    }

    @Test func appliesOnlyPendingMigrationsInOrder() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        var pool = try await Self.open(dir, [Self.one, Self.two])
        #expect(try await Self.versions(pool) == [1, 2])
        await pool.close()
        pool = try await Self.open(dir, [Self.one, Self.two, Self.three])
        #expect(try await Self.versions(pool) == [1, 2, 3])
        try await pool.write { db in try db.run("INSERT INTO a (name) VALUES ('x')") }
        await pool.close()
        // Reopening with the same list changes nothing.
        pool = try await Self.open(dir, [Self.one, Self.two, Self.three])
        #expect(try await Self.versions(pool) == [1, 2, 3])
        await pool.close()
    }

    @Test func refusesADatabaseFromANewerBinary() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        await (try await Self.open(dir, [Self.one, Self.two, Self.three])).close()
        let error = await #expect(throws: StorageError.self) { try await Self.open(dir, [Self.one, Self.two]) }
        guard case .schemaTooNew(_, 3, 2) = error else {
            Issue.record("expected schemaTooNew(3, 2), got \(String(describing: error))")
            return
        }
        #expect(String(describing: error!).contains("newer botbridge"))
    }

    @Test func refusesADatabaseWithAForeignMigration() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        await (try await Self.open(dir, [Self.one])).close()
        let renamed = Migration(version: 1, name: "something else", sql: "SELECT 1")
        await #expect(throws: StorageError.migrationMismatch(version: 1, recorded: "create a", expected: "something else")) {
            try await Self.open(dir, [renamed])
        }
    }

    @Test func aFailingMigrationLeavesNoTrace() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let broken = Migration(version: 2, name: "broken", sql: "CREATE TABLE c (id INTEGER); THIS IS NOT SQL")
        await #expect(throws: StorageError.self) { try await Self.open(dir, [Self.one, broken]) }
        let pool = try await Self.open(dir, [Self.one])
        #expect(try await Self.versions(pool) == [1])
        let tables = try await pool.read { db in try db.query("SELECT name FROM sqlite_master WHERE name = 'c'") }
        #expect(tables.isEmpty)
        await pool.close()
    }

    @Test func toolsThatMustNotMigrateRefuseAnOlderDatabase() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        await (try await Self.open(dir, [Self.one])).close()
        var configuration = DatabaseConfiguration(path: dir.file("m.sqlite"), migrations: [Self.one, Self.two])
        configuration.migrationPolicy = .requireCurrent
        await #expect(throws: StorageError.schemaTooOld(path: dir.file("m.sqlite"), databaseVersion: 1, supportedVersion: 2)) {
            try await DatabasePool.open(configuration)
        }
        // Nothing was applied; with the matching list the same policy opens it.
        configuration.migrations = [Self.one]
        let pool = try await DatabasePool.open(configuration)
        #expect(try await Self.versions(pool) == [1])
        await pool.close()
    }
}
