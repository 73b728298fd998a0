import CLibpq
import Glibc

/// One PostgreSQL connection, used through libpq's non-blocking calls (`PQconnectPoll`,
/// `PQsendQueryPrepared`, `PQconsumeInput`, `PQgetResult`) with `poll(2)` and a deadline, on the
/// one database thread that owns it: not `Sendable`. Statements are prepared once per SQL text
/// and connection. A lost connection (server restarted, network gone, no answer in time) makes
/// every later call fail with `StorageError.unavailable`; the pool then opens a new one.
/// Public for tools that need one connection outside a pool (`CREATE DATABASE`, test servers).
public final class PostgresConnection {
    /// Where the connection goes (its description has no password).
    public let address: PostgresAddress
    private var handle: OpaquePointer?
    private var statements: [String: Prepared] = [:]
    private let queryTimeout: Duration
    /// Rows changed by the last INSERT, UPDATE or DELETE.
    private(set) var changes = 0
    /// Called for each `NOTIFY` that arrives on this connection (channel, payload).
    var onNotification: ((String, String) -> Void)?

    private struct Prepared {
        let name: String
        let parameterCount: Int
    }

    /// Connects, waiting at most `connectTimeout`. The error names host and port and gives
    /// libpq's reason (a refused connection, an unknown host, a wrong password...).
    public init(address: PostgresAddress, connectTimeout: Duration, queryTimeout: Duration) throws(StorageError) {
        self.address = address
        self.queryTimeout = queryTimeout
        let pairs = address.connectionParameters(defaults: [
            ("fallback_application_name", "botbridge"),
            ("keepalives", "1"), ("keepalives_idle", "10"), ("keepalives_interval", "5"), ("keepalives_count", "3"),
        ])
        let connection = Self.withCStrings(pairs.map(\.0)) { keywords in
            Self.withCStrings(pairs.map(\.1)) { values in PQconnectStartParams(keywords, values, 0) }
        }
        guard let connection else { throw .unavailable(address: address.description, reason: "libpq could not allocate a connection") }
        handle = connection
        do {
            try finishConnecting(deadline: ContinuousClock.now + connectTimeout)
        } catch {
            close()
            throw error
        }
        PQsetnonblocking(connection, 1)
        // Notices (e.g. "relation already exists, skipping") would go to stderr by default.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        // The gateway's statements are short; JIT compiling one whose rows the planner
        // overestimates costs far more than it saves (a 15 ms knowledge-base search compiled for
        // 290 ms). Engines without the setting (CockroachDB) refuse it: that is fine.
        try? execute("SET jit = off")
    }

    deinit { close() }

    /// Closes the connection. Idempotent.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        statements.removeAll()
    }

    /// True once the connection is gone; every call then fails with `.unavailable`.
    var isBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// True inside a transaction, including a failed one waiting for its rollback.
    var isInTransaction: Bool {
        guard let handle else { return false }
        let status = PQtransactionStatus(handle)
        return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE
    }

    /// True when a statement of the open transaction failed: it can only be rolled back.
    var isTransactionFailed: Bool {
        guard let handle else { return false }
        return PQtransactionStatus(handle) == PQTRANS_INERROR
    }

    /// The socket, for waiting on notifications.
    var socket: Int32 { handle.map { PQsocket($0) } ?? -1 }

    // MARK: - Connecting

    private func finishConnecting(deadline: ContinuousClock.Instant) throws(StorageError) {
        guard let handle else { throw unavailable("not connected") }
        if PQstatus(handle) == CONNECTION_BAD { throw unavailable(errorMessage) }
        // As libpq documents: start as if PQconnectPoll had answered "writing".
        var state = PGRES_POLLING_WRITING
        while true {
            switch state {
            case PGRES_POLLING_OK: return
            case PGRES_POLLING_FAILED: throw unavailable(errorMessage)
            case PGRES_POLLING_READING: try wait(for: Int16(POLLIN), until: deadline, what: "connecting")
            default: try wait(for: Int16(POLLOUT), until: deadline, what: "connecting")
            }
            state = PQconnectPoll(handle)
        }
    }

    // MARK: - Running SQL

    /// Runs one or more statements without arguments through the simple-query protocol.
    public func execute(_ sql: String) throws(StorageError) {
        let handle = try connected()
        guard PQsendQuery(handle, sql) == 1 else { throw sendFailure(sql) }
        _ = try collect(sql)
    }

    /// Runs one statement with arguments (prepared on first use) and returns its rows.
    public func query(_ sql: String, arguments: [any SQLValueConvertible]) throws(StorageError) -> [Row] {
        let handle = try connected()
        let values = arguments.map(\.sqlValue)
        for value in values {
            if case .text(let text) = value, text.utf8.contains(0) {
                throw .postgres(PostgresFailure(sqlState: "22021", message: "PostgreSQL text cannot hold a NUL character", sql: sql))
            }
        }
        let statement = try prepared(sql, values: values)
        guard values.count == statement.parameterCount else {
            throw .postgres(PostgresFailure(sqlState: "08P01", message: "statement expects \(statement.parameterCount) arguments, got \(values.count)", sql: sql))
        }
        let parameters = Parameters(values)
        defer { parameters.free() }
        let sent = PQsendQueryPrepared(handle, statement.name, Int32(values.count), parameters.values,
                                       parameters.lengths, parameters.formats, 0)
        guard sent == 1 else { throw sendFailure(sql) }
        return try collect(sql)
    }

    private func prepared(_ sql: String, values: [SQLValue]) throws(StorageError) -> Prepared {
        if let statement = statements[sql] { return statement }
        let handle = try connected()
        let (text, count) = PostgresSQL.numberingPlaceholders(sql)
        let name = "bb\(statements.count + 1)"
        // Blobs are sent in binary and typed bytea; every other parameter's type is inferred by
        // the server from where it stands (values are sent as text, which every type reads).
        let types: [Oid] = (0..<count).map { index in
            if index < values.count, case .blob = values[index] { return 17 }
            return 0
        }
        // A failed prepare would abort the open transaction: guard the first try with a savepoint.
        let guarded = isInTransaction && !isTransactionFailed
        if guarded { try execute("SAVEPOINT bb_prepare") }
        guard PQsendPrepare(handle, name, text, Int32(count), types) == 1 else { throw sendFailure(sql) }
        do {
            _ = try collect(sql)
        } catch .postgres(let failure) where failure.sqlState == "42P08" {
            // "could not determine data type of parameter" (e.g. `? IS NULL OR state = ?`): type
            // every parameter from this call's values (a null as text) and prepare again.
            if guarded { try execute("ROLLBACK TO SAVEPOINT bb_prepare") }
            let typed: [Oid] = (0..<count).map { index in
                guard index < values.count else { return 25 }
                switch values[index] {
                case .integer: return 20
                case .double: return 701
                case .blob: return 17
                case .text, .null: return 25
                }
            }
            guard PQsendPrepare(handle, name, text, Int32(count), typed) == 1 else { throw sendFailure(sql) }
            _ = try collect(sql)
        }
        if guarded { try execute("RELEASE SAVEPOINT bb_prepare") }
        let statement = Prepared(name: name, parameterCount: count)
        statements[sql] = statement
        return statement
    }

    /// Waits for every result of the command just sent; returns the rows of the last one that
    /// has rows, or throws the first error.
    private func collect(_ sql: String) throws(StorageError) -> [Row] {
        let deadline = ContinuousClock.now + queryTimeout
        guard let handle else { throw unavailable("not connected") }
        while true {
            let flushed = PQflush(handle)
            if flushed == 0 { break }
            if flushed < 0 { throw lost() }
            try wait(for: Int16(POLLIN | POLLOUT), until: deadline, what: "sending")
            guard PQconsumeInput(handle) == 1 else { throw lost() }
        }
        var rows: [Row] = []
        var failure: StorageError?
        while true {
            while PQisBusy(handle) == 1 {
                try wait(for: Int16(POLLIN), until: deadline, what: "waiting for an answer")
                guard PQconsumeInput(handle) == 1 else { throw lost() }
            }
            guard let result = PQgetResult(handle) else { break }
            defer { PQclear(result) }
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK:
                rows = Self.rows(of: result)
                changes = Int(String(cString: PQcmdTuples(result))) ?? 0
            case PGRES_COMMAND_OK:
                changes = Int(String(cString: PQcmdTuples(result))) ?? 0
            case PGRES_EMPTY_QUERY, PGRES_COPY_OUT, PGRES_COPY_IN:
                break
            default:
                if failure == nil { failure = self.failure(of: result, sql: sql) }
            }
        }
        deliverNotifications()
        if isBroken { throw lost() }
        if let failure { throw failure }
        return rows
    }

    /// Reads notifications that already arrived and hands them to `onNotification`.
    func deliverNotifications() {
        guard let handle else { return }
        while let notice = PQnotifies(handle) {
            let channel = String(cString: notice.pointee.relname)
            let payload = String(cString: notice.pointee.extra)
            PQfreemem(notice)
            onNotification?(channel, payload)
        }
    }

    /// Waits up to `timeout` for input (a notification), reads it and delivers what arrived.
    /// Throws `.unavailable` when the connection is lost.
    func awaitNotifications(timeout: Duration) throws(StorageError) {
        guard let handle, !isBroken else { throw lost() }
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = Glibc.poll(&descriptor, 1, milliseconds)
        if ready > 0 { guard PQconsumeInput(handle) == 1 else { throw lost() } }
        deliverNotifications()
        if isBroken { throw lost() }
    }

    // MARK: - Waiting

    private func wait(for events: Int16, until deadline: ContinuousClock.Instant, what: String) throws(StorageError) {
        guard let handle else { throw unavailable("not connected") }
        while true {
            let remaining = deadline - ContinuousClock.now
            if remaining <= .zero {
                close()
                throw unavailable("no answer within \(queryTimeoutDescription) while \(what)")
            }
            let milliseconds = Int32(clamping: remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: PQsocket(handle), events: events, revents: 0)
            let ready = Glibc.poll(&descriptor, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw unavailable("poll failed: \(String(cString: strerror(errno)))") }
        }
    }

    private var queryTimeoutDescription: String { "\(queryTimeout.components.seconds) s" }

    // MARK: - Errors

    private func connected() throws(StorageError) -> OpaquePointer {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { throw lost() }
        return handle
    }

    private var errorMessage: String {
        guard let handle, let message = PQerrorMessage(handle) else { return "unknown error" }
        let text = String(cString: message).trimmingTrailingNewlines
        return text.isEmpty ? "unknown error" : text
    }

    private func unavailable(_ reason: String) -> StorageError {
        .unavailable(address: address.description, reason: reason)
    }

    /// The connection is gone: the reason libpq gives, and the connection closed for good.
    private func lost() -> StorageError {
        let reason = handle == nil ? "the connection was lost" : errorMessage
        close()
        return unavailable(reason)
    }

    private func sendFailure(_ sql: String) -> StorageError {
        if isBroken { return lost() }
        return .postgres(PostgresFailure(sqlState: "08000", message: errorMessage, sql: sql))
    }

    private func failure(of result: OpaquePointer, sql: String) -> StorageError {
        let state = PQresultErrorField(result, clibpq_diag_sqlstate()).map { String(cString: $0) } ?? ""
        let message = PQresultErrorField(result, clibpq_diag_message_primary()).map { String(cString: $0) }
            ?? String(cString: PQresultErrorMessage(result)).trimmingTrailingNewlines
        // Connection exceptions and the server shutting down: not the statement's fault.
        if state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) || isBroken {
            return unavailable(message)
        }
        return .postgres(PostgresFailure(sqlState: state, message: message, sql: sql))
    }

    // MARK: - Values

    /// A result's rows, each value typed by its column's type: integers, floating point and
    /// numeric as numbers, booleans as 0/1 (as SQLite gives them), bytea as bytes, the rest as text.
    private static func rows(of result: OpaquePointer) -> [Row] {
        let count = Int(PQntuples(result))
        let fields = Int(PQnfields(result))
        let columns = (0..<fields).map { String(cString: PQfname(result, Int32($0))) }
        let types = (0..<fields).map { PQftype(result, Int32($0)) }
        var rows: [Row] = []
        rows.reserveCapacity(count)
        for row in 0..<Int32(count) {
            var values: [SQLValue] = []
            values.reserveCapacity(fields)
            for column in 0..<Int32(fields) {
                if PQgetisnull(result, row, column) == 1 {
                    values.append(.null)
                    continue
                }
                let length = Int(PQgetlength(result, row, column))
                let bytes = UnsafeRawPointer(PQgetvalue(result, row, column)!).assumingMemoryBound(to: UInt8.self)
                let text = UnsafeBufferPointer(start: bytes, count: length)
                values.append(value(text, type: types[Int(column)]))
            }
            rows.append(Row(columns: columns, values: values))
        }
        return rows
    }

    private static func value(_ text: UnsafeBufferPointer<UInt8>, type: Oid) -> SQLValue {
        switch type {
        case 16: // bool
            return .integer(text.first == UInt8(ascii: "t") ? 1 : 0)
        case 20, 21, 23, 26, 28: // int8, int2, int4, oid, xid
            return Int64(String(decoding: text, as: UTF8.self)).map(SQLValue.integer) ?? .text(String(decoding: text, as: UTF8.self))
        case 700, 701: // float4, float8
            return Double(String(decoding: text, as: UTF8.self)).map(SQLValue.double) ?? .null
        case 1700: // numeric: SQLite's SUM of integers is an integer too
            let string = String(decoding: text, as: UTF8.self)
            if let integer = Int64(string) { return .integer(integer) }
            return Double(string).map(SQLValue.double) ?? .text(string)
        case 17: // bytea, hex output: \x0a1b...
            return .blob(decodeHex(text))
        default:
            return .text(String(decoding: text, as: UTF8.self))
        }
    }

    private static func decodeHex(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        guard text.count >= 2, text[0] == UInt8(ascii: "\\"), text[1] == UInt8(ascii: "x") else { return Array(text) }
        func nibble(_ byte: UInt8) -> UInt8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            default: byte - UInt8(ascii: "A") + 10
            }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity((text.count - 2) / 2)
        var index = 2
        while index + 1 < text.count {
            bytes.append(nibble(text[index]) << 4 | nibble(text[index + 1]))
            index += 2
        }
        return bytes
    }

    /// Parameter values as libpq takes them: C strings in text format, blobs as binary.
    private struct Parameters {
        let values: [UnsafePointer<CChar>?]
        let lengths: [Int32]
        let formats: [Int32]

        init(_ arguments: [SQLValue]) {
            var values: [UnsafePointer<CChar>?] = []
            var lengths: [Int32] = []
            var formats: [Int32] = []
            for argument in arguments {
                switch argument {
                case .null:
                    values.append(nil); lengths.append(0); formats.append(0)
                case .integer(let value):
                    values.append(UnsafePointer(strdup(String(value)))); lengths.append(0); formats.append(0)
                case .double(let value):
                    let text = value.isNaN ? "NaN" : value.isInfinite ? (value < 0 ? "-Infinity" : "Infinity") : "\(value)"
                    values.append(UnsafePointer(strdup(text))); lengths.append(0); formats.append(0)
                case .text(let value):
                    values.append(UnsafePointer(strdup(value))); lengths.append(0); formats.append(0)
                case .blob(let bytes):
                    let buffer = malloc(max(1, bytes.count))!.assumingMemoryBound(to: CChar.self)
                    bytes.withUnsafeBytes { raw in
                        if let base = raw.baseAddress { memcpy(buffer, base, bytes.count) }
                    }
                    values.append(UnsafePointer(buffer)); lengths.append(Int32(bytes.count)); formats.append(1)
                }
            }
            self.values = values
            self.lengths = lengths
            self.formats = formats
        }

        func free() {
            for value in values { Glibc.free(UnsafeMutablePointer(mutating: value)) }
        }
    }

    /// Runs `body` with a NULL-terminated array of C strings.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
        let pointers: [UnsafePointer<CChar>?] = strings.map { UnsafePointer(strdup($0)) } + [nil]
        defer { for pointer in pointers { Glibc.free(UnsafeMutablePointer(mutating: pointer)) } }
        return body(pointers)
    }
}
