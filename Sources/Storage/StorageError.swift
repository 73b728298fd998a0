import CSQLite

/// What SQLite reported for one failed call: its result codes, its message and the SQL, never
/// the bound values (they may be tokens or phone numbers).
public struct SQLiteFailure: Sendable, Equatable, CustomStringConvertible {
    /// The extended result code, e.g. SQLITE_CONSTRAINT_UNIQUE.
    public var extendedCode: Int32
    /// SQLite's message for the failure.
    public var message: String
    /// The statement that failed, when there was one.
    public var sql: String?

    /// The primary result code, e.g. SQLITE_CONSTRAINT.
    public var code: Int32 { extendedCode & 0xff }

    public init(extendedCode: Int32, message: String, sql: String?) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let sql { text += " (in: \(sql))" }
        return text
    }
}

/// What PostgreSQL reported for one failed statement: its SQLSTATE, its message and the SQL,
/// never the bound values.
public struct PostgresFailure: Sendable, Equatable, CustomStringConvertible {
    /// The five-character SQLSTATE, e.g. `23505` (unique_violation).
    public var sqlState: String
    /// The server's primary message.
    public var message: String
    /// The statement that failed, when there was one.
    public var sql: String?

    public init(sqlState: String, message: String, sql: String?) {
        self.sqlState = sqlState
        self.message = message
        self.sql = sql
    }

    public var description: String {
        var text = "PostgreSQL error \(sqlState): \(message)"
        if let sql { text += " (in: \(sql))" }
        return text
    }
}

/// Errors from the storage layer.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A SQLite call failed.
    case sqlite(SQLiteFailure)
    /// The database was written by a newer botbridge, whose migrations this binary does not know.
    case schemaTooNew(path: String, databaseVersion: Int, supportedVersion: Int)
    /// A migration recorded in the database does not match this binary's migration of that version.
    case migrationMismatch(version: Int, recorded: String, expected: String)
    /// `PRAGMA journal_mode=WAL` did not take effect (answered with the given mode).
    case walUnavailable(path: String, mode: String)
    /// A PRAGMA this gateway depends on did not take effect.
    case pragmaRejected(String)
    /// The database has been closed; nothing more can run on it.
    case closed
    /// SQLite rolled back the whole write transaction (after disk full, an I/O error or
    /// RAISE(ROLLBACK)); nothing of this write was committed.
    case transactionLost
    /// The database schema is older than this binary's and this command does not migrate.
    case schemaTooOld(path: String, databaseVersion: Int, supportedVersion: Int)
    /// A PostgreSQL statement failed.
    case postgres(PostgresFailure)
    /// The database cannot be reached now (refused, restarting, connection lost): nothing of the
    /// work was committed, and the caller may try again later. The reason never holds a password.
    case unavailable(address: String, reason: String)
    /// A `postgres://` address that libpq cannot read.
    case invalidAddress(String)

    /// True when the failure is a constraint violation (unique, foreign key, check...).
    public var isConstraintViolation: Bool {
        switch self {
        case .sqlite(let failure): failure.code == SQLITE_CONSTRAINT
        case .postgres(let failure): failure.sqlState.hasPrefix("23")
        default: false
        }
    }

    /// True when another connection held the lock longer than the busy timeout.
    public var isBusy: Bool {
        switch self {
        case .sqlite(let failure): failure.code == SQLITE_BUSY || failure.code == SQLITE_LOCKED
        case .postgres(let failure): ["40001", "40P01", "55P03"].contains(failure.sqlState)
        default: false
        }
    }

    /// True when PostgreSQL aborted the transaction only because a concurrent one conflicted
    /// with it (serialization failure, deadlock): running it again is the documented remedy.
    public var isSerializationConflict: Bool {
        if case .postgres(let failure) = self { return failure.sqlState == "40001" || failure.sqlState == "40P01" }
        return false
    }

    /// True when PostgreSQL refused an insert for an existing unique key: under concurrency, a
    /// find-or-create that lost the race; running it again finds the row.
    public var isUniqueViolation: Bool {
        if case .postgres(let failure) = self { return failure.sqlState == "23505" }
        if case .sqlite(let failure) = self { return failure.extendedCode == 2067 || failure.extendedCode == 1555 } // SQLITE_CONSTRAINT_UNIQUE, _PRIMARYKEY
        return false
    }

    /// True when the database could not be reached: the request may be retried later (HTTP 503).
    public var isUnavailable: Bool {
        if case .unavailable = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .sqlite(let failure): failure.description
        case .schemaTooNew(let path, let found, let supported):
            "database \(path) has schema version \(found), written by a newer botbridge; this binary supports up to \(supported). Upgrade botbridge or use another --db."
        case .migrationMismatch(let version, let recorded, let expected):
            "database migration \(version) is recorded as '\(recorded)' but this binary's migration \(version) is '\(expected)'; the database belongs to a different build"
        case .walUnavailable(let path, let mode):
            "cannot enable WAL journaling on \(path) (journal_mode stayed '\(mode)'); put the database on a local filesystem"
        case .pragmaRejected(let pragma): "SQLite did not accept PRAGMA \(pragma)"
        case .closed: "the database is closed"
        case .transactionLost: "SQLite rolled back the write transaction; nothing of this write was committed"
        case .schemaTooOld(let path, let found, let supported):
            "database \(path) has schema version \(found); this botbridge uses \(supported). Start 'botbridge serve' with this binary once to migrate it."
        case .postgres(let failure): failure.description
        case .unavailable(let address, let reason): "PostgreSQL at \(address) is unavailable: \(reason)"
        case .invalidAddress(let reason): "invalid PostgreSQL address: \(reason)"
        }
    }
}
