import Bridge
import Foundation
import Storage

/// `botbridge keys create`: a new API key, printed once.
struct KeysCreateCommand: Command {
    static let name = "keys create"
    static let abstract = "Create an API key (printed once; stored as a hash)."
    static let discussion = """
    Scopes: \(APIScope.allCases.map(\.rawValue).joined(separator: ", ")), or all.
    The key is printed on stdout once and cannot be shown again; keep it in your secret store.
    Creates (and migrates) the database when it does not exist yet.
    """
    static let options: [OptionSpec] = [
        .value("name", "name", help: "What the key is for (shown by keys list)."),
        .value("scopes", "a,b", help: "Comma-separated scopes, or all."),
        .value("rate", "per-second", help: "Requests per second for this key. Default: the api.rate_limit_per_second setting (100)."),
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path from this configuration file (--db wins)."),
    ]

    var name: String
    var scopes: [APIScope]
    var rate: Double?
    var databasePath: String

    init(options: ParsedOptions) throws(UsageError) {
        if let extra = options.positionals.first { throw UsageError("unexpected argument '\(extra)'") }
        guard let name = options.value("name"), !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw UsageError("--name is required") }
        guard let text = options.value("scopes") else { throw UsageError("--scopes is required (e.g. --scopes messages.send,campaigns.trigger.send)") }
        switch APIScope.parseList(text) {
        case .success(let scopes) where !scopes.isEmpty: self.scopes = scopes
        case .success: throw UsageError("--scopes names no scope")
        case .failure(let unknown):
            throw UsageError("unknown scope '\(unknown.name)'; use \(APIScope.allCases.map(\.rawValue).joined(separator: ", ")) or all")
        }
        if let text = options.value("rate") {
            guard let value = Double(text), value > 0, value <= 1_000_000 else { throw UsageError("invalid --rate '\(text)'; use a number above 0") }
            rate = value
        }
        self.name = name
        databasePath = try Self.databasePath(options)
    }

    func run() async -> Int32 {
        let (opened, status) = await DatabaseLocation.open(path: databasePath, mustExist: DatabaseLocation.exists(databasePath))
        guard let pool = opened else { return status }
        let (name, scopes, rate) = (self.name, self.scopes, self.rate)
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        do {
            let created = try await pool.write { db in try APIKeys.create(name: name, scopes: scopes, ratePerSecond: rate, in: db, now: now) }
            await pool.close()
            print(created.secret)
            FileHandle.standardError.write(Data("created key \(created.key.prefix) '\(name)' with scopes \(scopes.map(\.rawValue).joined(separator: ",")); it is shown only now\n".utf8))
            return ExitStatus.success
        } catch {
            await pool.close()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return ExitStatus.failure
        }
    }
}

/// `botbridge keys list`: every key, without secrets.
struct KeysListCommand: Command {
    static let name = "keys list"
    static let abstract = "List API keys (prefix, name, scopes, rate, created, last used, revoked); never the secrets."
    static let options: [OptionSpec] = [
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path from this configuration file (--db wins)."),
        .flag("json", help: "Print JSON instead of a table."),
    ]

    var databasePath: String
    var json: Bool

    init(options: ParsedOptions) throws(UsageError) {
        if let extra = options.positionals.first { throw UsageError("unexpected argument '\(extra)'") }
        databasePath = try Self.databasePath(options)
        json = options.flag("json")
    }

    func run() async -> Int32 {
        await DatabaseLocation.withExisting(path: databasePath) { pool in
            let keys: [APIKey]
            do { keys = try await pool.read { db in try APIKeys.list(in: db) } } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                return ExitStatus.failure
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: (try? encoder.encode(keys)) ?? Data("[]".utf8), as: UTF8.self))
                return ExitStatus.success
            }
            guard !keys.isEmpty else { print("no keys"); return ExitStatus.success }
            let header = ["PREFIX", "NAME", "SCOPES", "RATE/S", "CREATED", "LAST USED", "REVOKED"]
            let rows = keys.map { key in
                [key.prefix, key.name, key.scopes.map(\.rawValue).joined(separator: ","), key.ratePerSecond.map { String($0) } ?? "default",
                 DeliveryView.time(key.createdAt), key.lastUsedAt.map(DeliveryView.time) ?? "-", key.revokedAt.map(DeliveryView.time) ?? "-"]
            }
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for line in [header] + rows {
                print(line.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  ")
                    .trimmingCharacters(in: .whitespaces))
            }
            return ExitStatus.success
        }
    }
}

/// `botbridge keys revoke PREFIX`: the key stops working at once (the gateway checks every request).
struct KeysRevokeCommand: Command {
    static let name = "keys revoke"
    static let abstract = "Revoke an API key by its prefix; the running gateway refuses it from the next request."
    static let options: [OptionSpec] = [
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path from this configuration file (--db wins)."),
    ]

    var prefix: String
    var databasePath: String

    init(options: ParsedOptions) throws(UsageError) {
        guard options.positionals.count == 1 else { throw UsageError("give the key's prefix (from keys list), e.g. botbridge keys revoke 3k9x2m7q") }
        var prefix = options.positionals[0]
        // A whole key works too: its prefix is the part between "bbk_" and the next "_".
        if prefix.hasPrefix("bbk_") { prefix = String(prefix.dropFirst(4).prefix { $0 != "_" }) }
        self.prefix = prefix
        databasePath = try Self.databasePath(options)
    }

    func run() async -> Int32 {
        let prefix = self.prefix
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        return await DatabaseLocation.withExisting(path: databasePath) { pool in
            do {
                let key = try await pool.write { db in try APIKeys.revoke(prefix: prefix, in: db, now: now) }
                print("revoked \(key.prefix) '\(key.name)'")
                return ExitStatus.success
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                return ExitStatus.failure
            }
        }
    }
}
