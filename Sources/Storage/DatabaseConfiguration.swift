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

    /// Which database: a SQLite file or a PostgreSQL server.
    public enum Location: Sendable, Equatable, CustomStringConvertible {
        /// A SQLite file; created when missing.
        case sqlite(path: String)
        /// A PostgreSQL database, shared by any number of gateways.
        case postgres(PostgresAddress)

        /// A `postgres://` or `postgresql://` URI is PostgreSQL; anything else is a SQLite path.
        public init(_ text: String) throws(StorageError) {
            self = PostgresAddress.isPostgresURI(text) ? .postgres(try PostgresAddress(text)) : .sqlite(path: text)
        }

        /// The path, or the PostgreSQL address without its password.
        public var description: String {
            switch self {
            case .sqlite(let path): path
            case .postgres(let address): address.description
            }
        }
    }

    /// PostgreSQL's connection pool and timeouts (unused on SQLite).
    public struct PostgresSettings: Sendable {
        /// Connections (each on its own thread) that run write transactions. Default 4.
        public var writers = 4
        /// Connections (each on its own thread) that run read transactions. Default 4.
        public var readers = 4
        /// How long opening a connection may take. Default 5 s.
        public var connectTimeout: Duration = .seconds(5)
        /// How long a statement may go unanswered before its connection is given up. Default 30 s.
        public var queryTimeout: Duration = .seconds(30)
        /// After a failed reconnection, requests fail at once (503) for this long before the next try. Default 1 s.
        public var reconnectDelay: Duration = .seconds(1)
        /// A write that lost a serialization conflict is run again, up to this many times in all. Default 20.
        public var maxWriteAttempts = 20

        public init() {}
    }

    /// Where the data lives.
    public var location: Location
    /// The SQLite file, or the PostgreSQL address without its password (for messages).
    public var path: String { location.description }
    /// See `Synchronous`. Default `.normal`. SQLite only: PostgreSQL's `synchronous_commit` is the server's.
    public var synchronous: Synchronous = .normal
    /// How long a connection waits for another process's lock before failing with SQLITE_BUSY.
    public var busyTimeout: Duration = .seconds(5)
    /// Read-only connections, each on its own thread, for `read`. Default 2 (one per core here).
    public var readerCount = 2
    /// Group commit: concurrent `write` calls share one transaction per flush (up to this many).
    /// 1 means one transaction per write.
    public var maxBatchSize = 256
    /// See `PostgresSettings`.
    public var postgres = PostgresSettings()
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

    /// A SQLite file.
    public init(path: String, migrations: [Migration] = []) {
        self.init(location: .sqlite(path: path), migrations: migrations)
    }

    public init(location: Location, migrations: [Migration] = []) {
        self.location = location
        self.migrations = migrations
    }
}
