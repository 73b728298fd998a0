import CSQLite

/// One SQLite connection. Confined to the thread of the `DatabasePool` worker that owns it, so it
/// is deliberately not `Sendable`: code reaches it only inside `pool.write { db in ... }` or
/// `pool.read { db in ... }`. Prepared statements are cached per SQL text and finalized on close.
public final class Database {
    let handle: OpaquePointer
    /// The file this connection opened.
    public let path: String
    private var statements: [String: Statement] = [:]
    private var transactionDepth = 0
    private var isClosed = false
    /// Set by the pool while a write job runs: statements then refuse to run outside the job's
    /// transaction, so an error that made SQLite roll back the whole transaction (disk full,
    /// I/O error, RAISE(ROLLBACK)) cannot let later statements commit one by one.
    var expectsTransaction = false

    /// Opens a connection. `readOnly` connections never write and never create the file.
    init(path: String, readOnly: Bool, busyTimeout: Duration) throws(StorageError) {
        var db: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) | SQLITE_OPEN_NOMUTEX
        let code = sqlite3_open_v2(path, &db, flags, nil)
        guard code == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_close_v2(db)
            throw .sqlite(SQLiteFailure(extendedCode: code, message: "cannot open \(path): \(message)", sql: nil))
        }
        handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        let milliseconds = busyTimeout.components.seconds * 1000 + busyTimeout.components.attoseconds / 1_000_000_000_000_000
        sqlite3_busy_timeout(db, Int32(clamping: milliseconds))
    }

    deinit { close() }

    /// Finalizes the cached statements and closes the connection. Idempotent.
    func close() {
        guard !isClosed else { return }
        isClosed = true
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    // MARK: - Running SQL

    /// Runs one or more statements without arguments (schema, PRAGMAs). Not cached.
    public func execute(_ sql: String) throws(StorageError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw .sqlite(SQLiteFailure(extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql))
        }
    }

    /// Runs one statement to completion with the arguments bound in order.
    public func run(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) {
        try run(sql, arguments: arguments)
    }

    /// Runs one statement to completion with the arguments bound in order.
    public func run(_ sql: String, arguments: [any SQLValueConvertible]) throws(StorageError) {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        while try statement.step() {}
    }

    /// All rows of a query.
    public func query(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> [Row] {
        try query(sql, arguments: arguments)
    }

    /// All rows of a query.
    public func query(_ sql: String, arguments: [any SQLValueConvertible]) throws(StorageError) -> [Row] {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        var rows: [Row] = []
        while try statement.step() { rows.append(statement.currentRow()) }
        return rows
    }

    /// The first row of a query, or nil.
    public func queryRow(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> Row? {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        return try statement.step() ? statement.currentRow() : nil
    }

    /// The first column of the first row, or `.null`.
    public func scalar(_ sql: String, _ arguments: any SQLValueConvertible...) throws(StorageError) -> SQLValue {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        return try statement.step() ? statement.currentRow()[0] : .null
    }

    /// The rowid of the last successful INSERT on this connection.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }
    /// True while a transaction is open on this connection.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The cached prepared statement for this SQL, preparing it on first use.
    func prepared(_ sql: String) throws(StorageError) -> Statement {
        if expectsTransaction && !isInTransaction { throw .transactionLost }
        if let statement = statements[sql] { return statement }
        let statement = try Statement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    // MARK: - Transactions

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction (or a savepoint when one is already open):
    /// commits when it returns, rolls back when it throws and rethrows the first error.
    public func transaction<T>(_ body: (Database) throws -> T) throws -> T {
        if isInTransaction { return try savepoint(body) }
        try run("BEGIN IMMEDIATE")
        let result: T
        do {
            result = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        do { try run("COMMIT") } catch {
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
        try run("SAVEPOINT \(name)")
        do {
            let result = try body(self)
            try run("RELEASE \(name)")
            return result
        } catch {
            // Keep the first error: a failing rollback must not hide why we rolled back.
            try? run("ROLLBACK TO \(name)")
            try? run("RELEASE \(name)")
            throw error
        }
    }

    /// Rolls back the open transaction, ignoring "no transaction is active".
    func rollbackQuietly() {
        if isInTransaction { try? run("ROLLBACK") }
    }

    // MARK: - Errors

    func failure(_ code: Int32, sql: String?) -> StorageError {
        let extended = sqlite3_extended_errcode(handle)
        return .sqlite(SQLiteFailure(extendedCode: extended != 0 ? extended : code,
                                     message: String(cString: sqlite3_errmsg(handle)), sql: sql))
    }
}
