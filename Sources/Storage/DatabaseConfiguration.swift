/// How the database is opened. Every default is visible here.
public struct DatabaseConfiguration: Sendable {
    /// What `PRAGMA synchronous` promises, in WAL mode.
    public enum Synchronous: String, Sendable, CaseIterable {
        /// Committed data survives a crash of the process (kill -9); a power loss or OS crash may
        /// lose the last transactions committed before it, never corrupting the file. The default.
        case normal = "NORMAL"
        /// Every commit is fsynced before it returns: committed data also survives power loss,
        /// at the cost of one fsync per commit (group commit shares it across concurrent writers).
        case full = "FULL"
    }

    /// The database file; created when missing.
    public var path: String
    /// See `Synchronous`. Default `.normal`.
    public var synchronous: Synchronous = .normal
    /// How long a connection waits for another process's lock before failing with SQLITE_BUSY.
    public var busyTimeout: Duration = .seconds(5)
    /// Read-only connections, each on its own thread, for `read`. Default 2 (one per core here).
    public var readerCount = 2
    /// Group commit: concurrent `write` calls share one transaction per flush (up to this many).
    /// 1 means one transaction per write.
    public var maxBatchSize = 256
    /// The migrations that bring a new or older database to this binary's schema, in order.
    public var migrations: [Migration] = []
    /// Whether opening may migrate the file. Tools that run beside a live gateway use
    /// `.requireCurrent`, so a newer tool never migrates the database under an older gateway.
    public var migrationPolicy: MigrationPolicy = .apply

    /// See `migrationPolicy`.
    public enum MigrationPolicy: Sendable {
        /// Apply pending migrations (creating the file when missing).
        case apply
        /// Refuse a database whose schema is not exactly this binary's.
        case requireCurrent
    }

    public init(path: String, migrations: [Migration] = []) {
        self.path = path
        self.migrations = migrations
    }
}
