import Foundation

/// One schema step. Versions are applied in increasing order, each in its own transaction, and
/// recorded in `botbridge_migrations`; a database with a version this binary lacks is refused.
public struct Migration: Sendable {
    /// Strictly increasing, starting at 1.
    public let version: Int
    /// A short stable name; a recorded name that differs means a foreign database.
    public let name: String
    /// Applies the step inside the migration's transaction.
    public let apply: @Sendable (Database) throws -> Void

    public init(version: Int, name: String, apply: @escaping @Sendable (Database) throws -> Void) {
        self.version = version
        self.name = name
        self.apply = apply
    }

    /// A step that is plain SQL, the same for both dialects.
    public init(version: Int, name: String, sql: String) {
        self.init(version: version, name: name) { db in try db.execute(sql) }
    }

    /// A step whose SQL differs between SQLite and PostgreSQL (an empty text: nothing to do there).
    public init(version: Int, name: String, sqlite: String, postgres: String) {
        self.init(version: version, name: name) { db in
            let sql = db.dialect == .postgres ? postgres : sqlite
            if !sql.isEmpty { try db.execute(sql) }
        }
    }
}

/// Brings a database to the latest known migration.
enum Migrator {
    static let table = "botbridge_migrations"
    /// The session-level advisory lock key that serializes migrations across gateways ("bbmigrat").
    static let advisoryLock: Int64 = 0x6262_6d69_6772_6174

    /// Applies the pending migrations; returns the versions applied.
    @discardableResult
    static func migrate(_ db: Database, migrations: [Migration],
                        policy: DatabaseConfiguration.MigrationPolicy = .apply) throws -> [Int] {
        precondition(zip(migrations, migrations.dropFirst()).allSatisfy { $0.version < $1.version },
                     "migrations must be listed in increasing version order")
        if db.dialect == .postgres {
            // N gateways starting at once: the first migrates, the others wait and find it done.
            try db.run("SELECT pg_advisory_lock(?)", advisoryLock)
        }
        defer { if db.dialect == .postgres { try? db.run("SELECT pg_advisory_unlock(?)", advisoryLock) } }
        try db.execute("""
        CREATE TABLE IF NOT EXISTS \(table) (
            version INTEGER PRIMARY KEY,
            name TEXT NOT NULL,
            applied_at TEXT NOT NULL
        )
        """)
        var recorded: [Int: String] = [:]
        for row in try db.query("SELECT version, name FROM \(table)") {
            if let version = row.int("version") { recorded[version] = row.string("name") ?? "" }
        }
        let supported = migrations.last?.version ?? 0
        if let newest = recorded.keys.max(), newest > supported {
            throw StorageError.schemaTooNew(path: db.path, databaseVersion: newest, supportedVersion: supported)
        }
        if policy == .requireCurrent, migrations.contains(where: { recorded[$0.version] == nil }) {
            throw StorageError.schemaTooOld(path: db.path, databaseVersion: recorded.keys.max() ?? 0,
                                            supportedVersion: supported)
        }
        var applied: [Int] = []
        for migration in migrations {
            if let name = recorded[migration.version] {
                guard name == migration.name else {
                    throw StorageError.migrationMismatch(version: migration.version, recorded: name, expected: migration.name)
                }
                continue
            }
            try db.transaction { db in
                try migration.apply(db)
                try db.run("INSERT INTO \(table) (version, name, applied_at) VALUES (?, ?, ?)",
                           migration.version, migration.name, ISO8601DateFormatter().string(from: Date()))
            }
            applied.append(migration.version)
        }
        return applied
    }
}
