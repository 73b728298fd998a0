/// The SQL a connection speaks. Domain code writes one statement for both where it can
/// (`?` placeholders, `ON CONFLICT`, `RETURNING`, `CAST`) and branches on this where it cannot.
public enum SQLDialect: String, Sendable {
    case sqlite
    case postgres
}

/// One connection, SQLite or PostgreSQL. Confined to the thread of the `DatabasePool` worker
/// that owns it, so it is deliberately not `Sendable`: code reaches it only inside
/// `pool.write { db in ... }` or `pool.read { db in ... }`. Prepared statements are cached per SQL
/// text by the connection and dropped with it.
public final class Database {
    enum Connection {
        case sqlite(SQLiteConnection)
        case postgres(PostgresConnection)
    }

    let connection: Connection
    /// The SQL this connection speaks.
    public let dialect: SQLDialect
    /// What the connection opened, for messages: the file, or the PostgreSQL address without its password.
    public let path: String
    private var transactionDepth = 0
    /// Set by the pool while a write job runs: statements then refuse to run outside the job's
    /// transaction, so an error that made SQLite roll back the whole transaction (disk full,
    /// I/O error, RAISE(ROLLBACK)) cannot let later statements commit one by one.
    var expectsTransaction = false

    /// Opens a SQLite connection. `readOnly` connections never write and never create the file.
    init(path: String, readOnly: Bool, busyTimeout: Duration) throws(StorageError) {
        connection = .sqlite(try SQLiteConnection(path: path, readOnly: readOnly, busyTimeout: busyTimeout))
        dialect = .sqlite
        self.path = path
    }

    /// Wraps an open PostgreSQL connection.
    init(postgres: PostgresConnection) {
        connection = .postgres(postgres)
        dialect = .postgres
        path = postgres.address.description
    }

    /// Finalizes the cached statements and closes the connection. Idempotent.
    func close() {
        switch connection {
        case .sqlite(let sqlite): sqlite.close()
        case .postgres(let postgres): postgres.close()
        }
    }

    /// True when the connection was lost (PostgreSQL restarted, network gone): the pool opens a new one.
    var isBroken: Bool {
        if case .postgres(let postgres) = connection { return postgres.isBroken }
        return false
    }

    // MARK: - Running SQL

    /// Runs one or more statements without arguments (schema, PRAGMAs). Not cached.
    public func execute(_ sql: String) throws(StorageError) {
        switch connection {
        case .sqlite(let sqlite): try sqlite.execute(sql)
        case .postgres(let postgres): try postgres.execute(sql)
        }
    }

    /// Runs one statement to completion with the arguments bound in order.
    public func run(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) {
        _ = try rows(sql, arguments, limit: 0)
    }

    /// Runs one statement to completion with the arguments bound in order.
    public func run(_ sql: String, arguments: [any SQLValueConvertible]) throws(StorageError) {
        _ = try rows(sql, arguments, limit: 0)
    }

    /// All rows of a query.
    public func query(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> [Row] {
        try rows(sql, arguments, limit: .max)
    }

    /// All rows of a query.
    public func query(_ sql: String, arguments: [any SQLValueConvertible]) throws(StorageError) -> [Row] {
        try rows(sql, arguments, limit: .max)
    }

    /// The first row of a query, or nil.
    public func queryRow(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> Row? {
        try rows(sql, arguments, limit: 1).first
    }

    /// The first column of the first row, or `.null`.
    public func scalar(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> SQLValue {
        try rows(sql, arguments, limit: 1).first?[0] ?? .null
    }

    private func rows(_ sql: String, _ arguments: [any SQLValueConvertible], limit: Int) throws(StorageError) -> [Row] {
        switch connection {
        case .sqlite(let sqlite):
            if expectsTransaction && !sqlite.isInTransaction { throw .transactionLost }
            return try sqlite.query(sql, arguments: arguments, limit: limit)
        case .postgres(let postgres):
            return try postgres.query(sql, arguments: arguments)
        }
    }

    /// The id of the last row inserted on this connection (SQLite's rowid; PostgreSQL's `lastval()`).
    /// Prefer `INSERT ... RETURNING id`, which needs no second statement.
    public var lastInsertRowID: Int64 {
        switch connection {
        case .sqlite(let sqlite): sqlite.lastInsertRowID
        case .postgres(let postgres): (try? postgres.query("SELECT lastval()", arguments: []).first?[0].int64) ?? 0
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int {
        switch connection {
        case .sqlite(let sqlite): sqlite.changes
        case .postgres(let postgres): postgres.changes
        }
    }

    /// True while a transaction is open on this connection (on PostgreSQL, also one that failed
    /// and waits for its rollback).
    public var isInTransaction: Bool {
        switch connection {
        case .sqlite(let sqlite): sqlite.isInTransaction
        case .postgres(let postgres): postgres.isInTransaction
        }
    }

    // MARK: - Transactions

    /// How a transaction begins: writers take SQLite's write lock at once (`BEGIN IMMEDIATE`) and
    /// run serializable on PostgreSQL, so domain code written for one writer stays correct with
    /// many (a conflict is retried by the pool); readers see one consistent snapshot.
    enum TransactionKind {
        case write(WriteIsolation)
        case read
    }

    func begin(_ kind: TransactionKind) throws(StorageError) {
        switch (dialect, kind) {
        case (.sqlite, .write): try run("BEGIN IMMEDIATE")
        case (.sqlite, .read): try run("BEGIN")
        case (.postgres, .write(.serializable)): try execute("BEGIN ISOLATION LEVEL SERIALIZABLE")
        case (.postgres, .write(.readCommitted)): try execute("BEGIN ISOLATION LEVEL READ COMMITTED")
        case (.postgres, .read): try execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
    }

    func commit() throws(StorageError) {
        switch connection {
        case .sqlite: try run("COMMIT")
        case .postgres(let postgres):
            // PostgreSQL answers COMMIT of a failed transaction with a silent rollback: never
            // report that as committed.
            if postgres.isTransactionFailed { throw .transactionLost }
            try postgres.execute("COMMIT")
        }
    }

    /// Runs `body` in a write transaction (or a savepoint when one is already open): commits
    /// when it returns, rolls back when it throws and rethrows the first error.
    public func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        try begin(.write(.serializable))
        let result: T
        do {
            result = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do { try commit() } catch {
            rollbackQuietly()
            throw error
        }
        return result
    }

    /// Runs `body` inside a savepoint: its changes are undone if it throws, the outer transaction stays.
    public func savepoint<T>(_ body: (Database) throws -> T) throws -> T {
        transactionDepth += 1
        defer { transactionDepth -= 1 }
        let name = "sp\(transactionDepth)"
        try control("SAVEPOINT \(name)")
        do {
            let result = try body(self)
            try control("RELEASE \(name)")
            return result
        } catch {
            // Keep the first error: a failing rollback must not hide why we rolled back.
            try? control("ROLLBACK TO \(name)")
            try? control("RELEASE \(name)")
            throw error
        }
    }

    /// A transaction-control statement: SQLite's cached statement, PostgreSQL's simple query
    /// (which, unlike preparing a statement, works in a transaction that has failed).
    private func control(_ sql: String) throws(StorageError) {
        switch connection {
        case .sqlite: try run(sql)
        case .postgres(let postgres): try postgres.execute(sql)
        }
    }

    /// Rolls back the open transaction, ignoring "no transaction is active".
    func rollbackQuietly() {
        guard isInTransaction else { return }
        switch connection {
        case .sqlite: try? run("ROLLBACK")
        case .postgres(let postgres): try? postgres.execute("ROLLBACK")
        }
    }

    // MARK: - Notifications

    /// Tells every gateway listening on `channel` (PostgreSQL `NOTIFY`, delivered when the
    /// transaction commits). Nothing on SQLite, where one process holds the database and wakes
    /// its own waiters.
    public func notify(_ channel: String, payload: String = "") throws(StorageError) {
        guard dialect == .postgres else { return }
        try run("SELECT pg_notify(?, ?)", channel, payload)
    }
}

/// How much a PostgreSQL write transaction isolates itself (SQLite's single writer is always serial).
public enum WriteIsolation: Sendable {
    /// The default: the transaction behaves as if it ran alone; conflicts are retried by the pool.
    case serializable
    /// For queue-style claims (`FOR UPDATE SKIP LOCKED`) whose rows are guarded by their own locks.
    case readCommitted
}
