import Bridge
import Foundation
import HTTP
import Logging
import Storage

/// The `server` section of botbridge.json: listen address, logging and HTTP limits.
///
/// Every field is optional and defaults as documented in the README; command-line flags win.
struct ServerSettings {
    var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    var logLevel: LogLevel = .info
    var logFormat: LogFormat = .logfmt
    var http = HTTPServerConfiguration()
    /// The `database` section: the SQLite file and its durability.
    var databasePath = DatabaseLocation.defaultPath
    var synchronous: DatabaseConfiguration.Synchronous = .normal
    /// PostgreSQL's pool (`database.writers`, `database.readers`).
    var postgres = DatabaseConfiguration.PostgresSettings()
    /// `database.listen`: wake other gateways with LISTEN/NOTIFY (false: polling only, for
    /// engines without it such as CockroachDB and YugabyteDB). PostgreSQL only.
    var listenForNotifications = true
    /// `database.delivery_lease_seconds`: how long a gateway's claim on a delivery lasts.
    var deliveryLease: Duration?
    /// The `api` section: default per-key request rates.
    var apiLimits = APIAuthenticator.Limits()

    /// A configuration problem that names the file and field.
    struct ConfigError: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }

    /// Reads the `server` section of the JSON file at `path`.
    static func load(path: String) throws(ConfigError) -> ServerSettings {
        try load(readObject(path: path), path: path)
    }

    /// The configuration file as a JSON object, with `${VARS}` substituted from the environment.
    static func readObject(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(message: "\(path): cannot read the file")
        }
        let root: Any
        do { root = try JSONSerialization.jsonObject(with: data) } catch {
            throw ConfigError(message: "\(path): not valid JSON")
        }
        guard root is [String: Any] else { throw ConfigError(message: "\(path): the top level must be a JSON object") }
        do {
            return try EnvironmentSubstitution.resolve(root, environment: environment) as? [String: Any] ?? [:]
        } catch {
            throw ConfigError(message: "\(path): \(error)")
        }
    }

    /// Reads the `server` and `database` sections of a configuration object.
    static func load(_ object: [String: Any], path: String) throws(ConfigError) -> ServerSettings {
        var settings = ServerSettings()
        try settings.loadDatabase(object["database"], path: path)
        try settings.loadAPI(object["api"], path: path)
        guard let server = object["server"] else { return settings }
        guard let fields = server as? [String: Any] else { throw ConfigError(message: "\(path): 'server' must be an object") }
        func field<T>(_ name: String, as: T.Type, _ what: String) throws(ConfigError) -> T? {
            guard let value = fields[name] else { return nil }
            guard let typed = value as? T else { throw ConfigError(message: "\(path): 'server.\(name)' must be \(what)") }
            return typed
        }
        func positive(_ name: String) throws(ConfigError) -> Int? {
            guard let value = try field(name, as: NSNumber.self, "a positive integer") else { return nil }
            guard value.doubleValue == Double(value.intValue), value.intValue > 0, !isJSONBoolean(fields[name]) else {
                throw ConfigError(message: "\(path): 'server.\(name)' must be a positive integer")
            }
            return value.intValue
        }
        let known: Set<String> = ["listen", "log_level", "log_format", "event_loops", "max_body_bytes", "max_connections",
                                  "header_timeout_ms", "body_idle_timeout_ms", "keep_alive_timeout_ms", "handler_timeout_ms",
                                  "max_requests_per_connection", "shutdown_grace_ms"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(message: "\(path): unknown field 'server.\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        if let listen = try field("listen", as: String.self, "a \"host:port\" string") {
            switch ListenAddress.parse(listen) {
            case .success(let address): settings.listen = address
            case .failure(let error): throw ConfigError(message: "\(path): 'server.listen': \(error)")
            }
        }
        if let level = try field("log_level", as: String.self, "a string") {
            guard let parsed = LogLevel(name: level) else {
                throw ConfigError(message: "\(path): 'server.log_level' must be one of \(LogLevel.allCases.map(\.description).joined(separator: ", "))")
            }
            settings.logLevel = parsed
        }
        if let format = try field("log_format", as: String.self, "a string") {
            guard let parsed = LogFormat(rawValue: format) else { throw ConfigError(message: "\(path): 'server.log_format' must be logfmt or json") }
            settings.logFormat = parsed
        }
        if let v = try positive("event_loops") { settings.http.eventLoopCount = v }
        if let v = try positive("max_body_bytes") { settings.http.maxBodyBytes = v }
        if let v = try positive("max_connections") { settings.http.maxConnections = v }
        if let v = try positive("max_requests_per_connection") { settings.http.maxRequestsPerConnection = v }
        func milliseconds(_ name: String) throws(ConfigError) -> Duration? {
            guard let v = try positive(name) else { return nil }
            guard v <= 86_400_000 else { throw ConfigError(message: "\(path): 'server.\(name)' must be at most 86400000 (one day)") }
            return .milliseconds(v)
        }
        if let v = try milliseconds("header_timeout_ms") { settings.http.headerTimeout = v }
        if let v = try milliseconds("body_idle_timeout_ms") { settings.http.bodyIdleTimeout = v }
        if let v = try milliseconds("keep_alive_timeout_ms") { settings.http.keepAliveTimeout = v }
        if let v = try milliseconds("handler_timeout_ms") { settings.http.handlerTimeout = v }
        if let v = try milliseconds("shutdown_grace_ms") { settings.http.shutdownGracePeriod = v }
        return settings
    }

    /// Reads the optional `api` section: `rate_limit_per_second` and `burst_seconds` (both > 0).
    private mutating func loadAPI(_ section: Any?, path: String) throws(ConfigError) {
        guard let section else { return }
        guard let fields = section as? [String: Any] else { throw ConfigError(message: "\(path): 'api' must be an object") }
        let known = ["burst_seconds", "rate_limit_per_second"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(message: "\(path): unknown field 'api.\(unknown)' (known: \(known.joined(separator: ", ")))")
        }
        for name in known {
            guard let value = fields[name] else { continue }
            guard let number = value as? NSNumber, !isJSONBoolean(value), number.doubleValue > 0, number.doubleValue <= 1_000_000 else {
                throw ConfigError(message: "\(path): 'api.\(name)' must be a number above 0 (at most 1000000)")
            }
            if name == "burst_seconds" { apiLimits.burstSeconds = number.doubleValue } else { apiLimits.ratePerSecond = number.doubleValue }
        }
    }

    /// Reads the optional `database` section: `path` (SQLite) or `url` (PostgreSQL), `synchronous`
    /// ("normal" or "full", SQLite), `writers` and `readers` (PostgreSQL connections), `listen`
    /// (LISTEN/NOTIFY between gateways) and `delivery_lease_seconds`.
    private mutating func loadDatabase(_ section: Any?, path: String) throws(ConfigError) {
        guard let section else { return }
        guard let fields = section as? [String: Any] else { throw ConfigError(message: "\(path): 'database' must be an object") }
        let known = ["delivery_lease_seconds", "listen", "path", "readers", "synchronous", "url", "writers"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigError(message: "\(path): unknown field 'database.\(unknown)' (known: \(known.joined(separator: ", ")))")
        }
        if fields["path"] != nil && fields["url"] != nil {
            throw ConfigError(message: "\(path): give 'database.path' (SQLite) or 'database.url' (PostgreSQL), not both")
        }
        if let value = fields["path"] {
            guard let text = value as? String, !text.isEmpty else { throw ConfigError(message: "\(path): 'database.path' must be a non-empty string") }
            databasePath = text
        }
        if let value = fields["url"] {
            guard let text = value as? String, PostgresAddress.isPostgresURI(text) else {
                throw ConfigError(message: "\(path): 'database.url' must be a postgres:// or postgresql:// URL")
            }
            do { _ = try PostgresAddress(text) } catch {
                throw ConfigError(message: "\(path): 'database.url': \(error)")
            }
            databasePath = text
        }
        if let value = fields["synchronous"] {
            guard let text = value as? String, let mode = DatabaseConfiguration.Synchronous(rawValue: text.uppercased()) else {
                throw ConfigError(message: "\(path): 'database.synchronous' must be \"normal\" or \"full\"")
            }
            synchronous = mode
        }
        for name in ["writers", "readers"] {
            guard let value = fields[name] else { continue }
            guard let number = value as? NSNumber, !isJSONBoolean(value), let count = Int(exactly: number.doubleValue), (1...64).contains(count) else {
                throw ConfigError(message: "\(path): 'database.\(name)' must be a whole number from 1 to 64")
            }
            if name == "writers" { postgres.writers = count } else { postgres.readers = count }
        }
        if let value = fields["listen"] {
            guard isJSONBoolean(value), let flag = value as? Bool else { throw ConfigError(message: "\(path): 'database.listen' must be true or false") }
            listenForNotifications = flag
        }
        if let value = fields["delivery_lease_seconds"] {
            guard let number = value as? NSNumber, !isJSONBoolean(value), number.doubleValue >= 5, number.doubleValue <= 86_400 else {
                throw ConfigError(message: "\(path): 'database.delivery_lease_seconds' must be a number from 5 to 86400")
            }
            deliveryLease = .milliseconds(Int64(number.doubleValue * 1000))
        }
    }
}
