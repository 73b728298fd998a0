import Bridge
import Foundation
import Storage

/// `botbridge deliveries list`: the outbox, newest first.
struct DeliveriesListCommand: Command {
    static let name = "deliveries list"
    static let abstract = "List deliveries in the outbox (newest first)."
    static let discussion = """
    Shows id, status, kind, target, attempts, the last answer and the next attempt. Bodies are not
    shown. Works while the gateway runs (SQLite WAL lets readers in).
    """
    static let options: [OptionSpec] = [
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path from this configuration file (--db wins)."),
        .value("status", "status", help: "Only pending, sending, done or dead deliveries."),
        .value("conversation", "id", help: "Only deliveries of this conversation."),
        .value("limit", "n", help: "At most n rows (1-10000). Default: 100."),
        .flag("json", help: "Print JSON instead of a table."),
    ]

    var databasePath: String
    var filter = Outbox.Filter()
    var json: Bool

    init(options: ParsedOptions) throws(UsageError) {
        if let extra = options.positionals.first { throw UsageError("unexpected argument '\(extra)'") }
        databasePath = try Self.databasePath(options)
        if let text = options.value("status") {
            guard let status = DeliveryStatus(rawValue: text) else {
                throw UsageError("invalid --status '\(text)'; use one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = status
        }
        if let text = options.value("conversation") {
            guard let id = Int64(text), id > 0 else { throw UsageError("invalid --conversation '\(text)'; use a conversation id") }
            filter.conversationID = id
        }
        if let text = options.value("limit") {
            guard let limit = Int(text), (1...10_000).contains(limit) else { throw UsageError("invalid --limit '\(text)'; use 1-10000") }
            filter.limit = limit
        }
        json = options.flag("json")
    }

    func run() async -> Int32 {
        await DatabaseLocation.withExisting(path: databasePath) { pool in await list(pool) }
    }

    private func list(_ pool: DatabasePool) async -> Int32 {
        let filter = self.filter
        let deliveries: [Delivery]
        do { deliveries = try await pool.read { db in try Outbox.list(filter, in: db) } } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return ExitStatus.failure
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(deliveries.map(DeliveryView.init))) ?? Data("[]".utf8)
            print(String(decoding: data, as: UTF8.self))
            return ExitStatus.success
        }
        print(Self.table(deliveries.map(DeliveryView.init)), terminator: "")
        return ExitStatus.success
    }

    /// A plain-text table, one delivery per line.
    static func table(_ rows: [DeliveryView]) -> String {
        guard !rows.isEmpty else { return "no deliveries\n" }
        let header = ["ID", "STATUS", "KIND", "TARGET", "ATTEMPTS", "LAST", "NEXT/DONE", "CONVERSATION", "ERROR"]
        let cells = rows.map { row in
            [String(row.id), row.status, row.kind, row.target, String(row.attempts), row.lastStatus.map(String.init) ?? "-",
             row.nextAttemptAt ?? row.doneAt ?? "-", row.conversationID.map(String.init) ?? "-", row.lastError ?? ""]
        }
        let widths = header.indices.map { column in ([header] + cells).map { $0[column].count }.max() ?? 0 }
        return ([header] + cells).map { line in
            line.enumerated().map { column, text in
                column == line.count - 1 ? text : text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }.joined()
    }
}

/// `botbridge deliveries replay`: sends dead (or done) deliveries again.
struct DeliveriesReplayCommand: Command {
    static let name = "deliveries replay"
    static let abstract = "Send a dead or done delivery again (same webhook-id, fresh attempts)."
    static let discussion = """
    USAGE: botbridge deliveries replay <id> | --all-dead [--db path]
    The running gateway picks replayed deliveries up within a second.
    """
    static let options: [OptionSpec] = [
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path from this configuration file (--db wins)."),
        .flag("all-dead", help: "Replay every dead delivery."),
    ]

    var databasePath: String
    var id: Int64?

    init(options: ParsedOptions) throws(UsageError) {
        databasePath = try Self.databasePath(options)
        let allDead = options.flag("all-dead")
        switch (options.positionals.count, allDead) {
        case (0, true): id = nil
        case (1, false):
            guard let value = Int64(options.positionals[0]), value > 0 else {
                throw UsageError("invalid delivery id '\(options.positionals[0])'")
            }
            id = value
        case (0, false): throw UsageError("give a delivery id or --all-dead")
        default: throw UsageError("give either one delivery id or --all-dead")
        }
    }

    func run() async -> Int32 {
        await DatabaseLocation.withExisting(path: databasePath) { pool in await replay(pool) }
    }

    private func replay(_ pool: DatabasePool) async -> Int32 {
        let now = SystemDeliveryClock().now()
        do {
            if let id {
                let delivery = try await pool.write { db in try Outbox.replay(id, in: db, now: now) }
                print("replayed delivery \(delivery.id) (webhook-id \(delivery.webhookID))")
            } else {
                let count = try await pool.write { db in try Outbox.replayAllDead(in: db, now: now) }
                print("replayed \(count) dead \(count == 1 ? "delivery" : "deliveries")")
            }
            return ExitStatus.success
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return ExitStatus.failure
        }
    }
}

extension Command {
    /// `--db`, else `database.path` from `--config`, else the default; a bad file is a usage error.
    static func databasePath(_ options: ParsedOptions) throws(UsageError) -> String {
        do { return try DatabaseLocation.resolve(db: options.value("db"), config: options.value("config")) } catch {
            throw UsageError(error.description)
        }
    }
}
