import CLibpq

/// A PostgreSQL server and database, from a libpq connection URI (`postgres://` or
/// `postgresql://`: user, password, host, port, dbname, `sslmode`, a unix-socket directory as
/// `?host=/dir`, any other libpq parameter). libpq itself reads the URI, so every form it accepts
/// works. The password is handed to libpq and nowhere else: `description` leaves out every
/// parameter libpq marks as secret.
public struct PostgresAddress: Sendable, Equatable, CustomStringConvertible {
    // Only the parsed parameters are kept (password included, for libpq); never the URI text.
    /// The parameters libpq read from the URI (secret ones included), by keyword.
    let parameters: [String: String]
    private let secrets: Set<String>

    /// True for a string this type reads: one starting `postgres://` or `postgresql://`.
    public static func isPostgresURI(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    /// Reads a URI; the error is libpq's (which never repeats the password).
    public init(_ uri: String) throws(StorageError) {
        guard Self.isPostgresURI(uri) else {
            throw .invalidAddress("'\(Self.redactedPrefix(uri))' does not start with postgres:// or postgresql://")
        }
        var error: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(uri, &error) else {
            let message = error.map { String(cString: $0) } ?? "libpq could not read it"
            PQfreemem(error)
            throw .invalidAddress(message.trimmingTrailingNewlines)
        }
        defer { PQconninfoFree(options) }
        var parameters: [String: String] = [:]
        var secrets: Set<String> = []
        var option = options
        while let keyword = option.pointee.keyword {
            let name = String(cString: keyword)
            if let value = option.pointee.val { parameters[name] = String(cString: value) }
            if let display = option.pointee.dispchar, display.pointee == CChar(UInt8(ascii: "*")) { secrets.insert(name) }
            option += 1
        }
        self.parameters = parameters
        self.secrets = secrets
    }

    /// The host (or unix-socket directory) connections go to; libpq's default when none is given.
    public var host: String { parameters["host"] ?? parameters["hostaddr"] ?? "/var/run/postgresql" }
    /// The port; libpq's default 5432 when none is given.
    public var port: String { parameters["port"] ?? "5432" }
    /// The database name; libpq defaults it to the user name.
    public var database: String { parameters["dbname"] ?? parameters["user"] ?? "" }
    /// The user, when the URI names one.
    public var user: String? { parameters["user"] }
    /// True when the URI carries a password.
    public var hasPassword: Bool { parameters["password"].map { !$0.isEmpty } ?? false }

    /// The address without its password: `postgres://user@host:port/dbname?sslmode=...`.
    public var description: String {
        let socket = host.hasPrefix("/")
        var text = "postgres://"
        if let user { text += Self.escape(user) + "@" }
        if !socket { text += host.contains(":") ? "[\(host)]" : Self.escape(host) }
        if parameters["port"] != nil { text += ":" + port }
        text += "/" + Self.escape(database)
        var query: [String] = socket ? ["host=" + Self.escape(host)] : []
        for (name, value) in parameters.sorted(by: { $0.key < $1.key })
        where !["host", "port", "dbname", "user"].contains(name) && !secrets.contains(name) && name != "password" {
            query.append(name + "=" + Self.escape(value))
        }
        return query.isEmpty ? text : text + "?" + query.joined(separator: "&")
    }

    /// This address with another database name (tests create one database per case).
    public func with(database: String) -> PostgresAddress {
        var parameters = self.parameters
        parameters["dbname"] = database
        return PostgresAddress(parameters: parameters, secrets: secrets)
    }

    private init(parameters: [String: String], secrets: Set<String>) {
        self.parameters = parameters
        self.secrets = secrets
    }

    /// The keyword/value pairs to connect with: what the URI gave, after the gateway's defaults.
    func connectionParameters(defaults: [(String, String)]) -> [(String, String)] {
        var pairs = defaults.filter { parameters[$0.0] == nil }
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) { pairs.append((name, value)) }
        return pairs
    }

    private static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "~"), UInt8(ascii: "/"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 15)]], as: UTF8.self)
            }
        }
        return out
    }

    /// The scheme and whatever precedes an `@` are dropped from a string shown in an error.
    private static func redactedPrefix(_ text: String) -> String {
        if let at = text.lastIndex(of: "@") { return "…" + text[text.index(after: at)...].prefix(60) }
        return String(text.prefix(60))
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var text = self
        while let last = text.last, last.isNewline || last == " " || last == "\t" { text.removeLast() }
        return text
    }
}
