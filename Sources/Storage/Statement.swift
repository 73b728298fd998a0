import CSQLite

/// A prepared SQLite statement. Belongs to one `SQLiteConnection` and its thread: not `Sendable`.
/// Finalized when the last reference goes (normally when its connection's cache is dropped).
final class Statement {
    let handle: OpaquePointer
    /// The SQL text, for error messages.
    let sql: String
    /// Result column names.
    let columns: [String]
    private unowned let database: SQLiteConnection

    init(connection database: SQLiteConnection, sql: String) throws(StorageError) {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            throw database.failure(code, sql: sql)
        }
        self.handle = statement
        self.sql = sql
        self.database = database
        let count = Int(sqlite3_column_count(statement))
        columns = (0..<count).map { String(cString: sqlite3_column_name(statement, Int32($0))) }
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds the arguments by position (1-based in SQLite; given here in order).
    func bind(_ arguments: [any SQLValueConvertible]) throws(StorageError) {
        let expected = Int(sqlite3_bind_parameter_count(handle))
        guard arguments.count == expected else {
            throw .sqlite(SQLiteFailure(extendedCode: SQLITE_RANGE,
                                        message: "statement expects \(expected) arguments, got \(arguments.count)", sql: sql))
        }
        for (offset, argument) in arguments.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch argument.sqlValue {
            case .null: code = sqlite3_bind_null(handle, index)
            case .integer(let value): code = sqlite3_bind_int64(handle, index, value)
            case .double(let value): code = sqlite3_bind_double(handle, index, value)
            case .text(var value):
                code = value.withUTF8 { bytes in
                    // An empty string still binds as text (a non-null pointer with length 0), not NULL.
                    bytes.withMemoryRebound(to: CChar.self) { chars in
                        guard let base = chars.baseAddress else { return sqlite3_bind_text(handle, index, "", 0, csqlite_transient()) }
                        return sqlite3_bind_text(handle, index, base, Int32(chars.count), csqlite_transient())
                    }
                }
            case .blob(let value):
                code = value.withUnsafeBytes { bytes in
                    // A zero-length blob must still bind as a blob, not NULL.
                    bytes.baseAddress == nil ? sqlite3_bind_zeroblob(handle, index, 0)
                        : sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), csqlite_transient())
                }
            }
            guard code == SQLITE_OK else { throw database.failure(code, sql: sql) }
        }
    }

    /// Steps once: true when a row is available, false when the statement is done.
    func step() throws(StorageError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw database.failure(code, sql: sql)
        }
    }

    /// The current row's values.
    func currentRow() -> Row {
        var values: [SQLValue] = []
        values.reserveCapacity(columns.count)
        for column in 0..<Int32(columns.count) {
            switch sqlite3_column_type(handle, column) {
            case SQLITE_INTEGER: values.append(.integer(sqlite3_column_int64(handle, column)))
            case SQLITE_FLOAT: values.append(.double(sqlite3_column_double(handle, column)))
            case SQLITE_TEXT:
                let count = Int(sqlite3_column_bytes(handle, column))
                if let text = sqlite3_column_text(handle, column) {
                    values.append(.text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)))
                } else {
                    values.append(.text(""))
                }
            case SQLITE_BLOB:
                let count = Int(sqlite3_column_bytes(handle, column))
                if count > 0, let blob = sqlite3_column_blob(handle, column) {
                    values.append(.blob(Array(UnsafeRawBufferPointer(start: blob, count: count))))
                } else {
                    values.append(.blob([]))
                }
            default: values.append(.null)
            }
        }
        return Row(columns: columns, values: values)
    }

    /// Resets the statement and clears its bindings so it can be reused.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }
}
