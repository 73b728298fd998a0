import CSQLite

/// One SQLite connection: the handle, its cache of prepared statements and SQLite's errors.
/// Confined to the database thread that owns the `Database` wrapping it: not `Sendable`.
final class SQLiteConnection {
    let handle: OpaquePointer
    /// The file this connection opened.
    let path: String
    private var statements: [String: Statement] = [:]
    private var isClosed = false

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

    /// Runs one or more statements without arguments (schema, PRAGMAs). Not cached.
    func execute(_ sql: String) throws(StorageError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(message)
            throw .sqlite(SQLiteFailure(extendedCode: sqlite3_extended_errcode(handle), message: text, sql: sql))
        }
    }

    /// Runs one statement and returns its rows, up to `limit` (0: run it to completion and keep
    /// none). SQLite makes every change of an INSERT/UPDATE ... RETURNING at the first step.
    func query(_ sql: String, arguments: [any SQLValueConvertible], limit: Int = .max) throws(StorageError) -> [Row] {
        let statement = try prepared(sql)
        defer { statement.reset() }
        try statement.bind(arguments)
        var rows: [Row] = []
        if limit == 0 {
            while try statement.step() {}
            return rows
        }
        while rows.count < limit, try statement.step() { rows.append(statement.currentRow()) }
        return rows
    }

    /// The rowid of the last successful INSERT on this connection.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite3_changes(handle)) }
    /// True while a transaction is open on this connection.
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// The cached prepared statement for this SQL, preparing it on first use.
    private func prepared(_ sql: String) throws(StorageError) -> Statement {
        if let statement = statements[sql] { return statement }
        let statement = try Statement(connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    func failure(_ code: Int32, sql: String?) -> StorageError {
        let extended = sqlite3_extended_errcode(handle)
        return .sqlite(SQLiteFailure(extendedCode: extended != 0 ? extended : code,
                                     message: String(cString: sqlite3_errmsg(handle)), sql: sql))
    }
}
