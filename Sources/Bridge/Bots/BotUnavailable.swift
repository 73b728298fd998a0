import Foundation
import Logging
import Storage
import Templates

/// What a conversation does when its bot cannot be reached: `notify` sends the
/// `bot-unavailable` notice, `handoff` asks for a human (reason `bot_unavailable`), `ignore`
/// only records it. It applies once a bot delivery of the conversation is dead, or has been
/// failing for `after` since the user wrote; once per outage (until a bot delivery of that
/// conversation succeeds again).
///
/// Configuration: `"unavailable": {"policy": "notify", "after_seconds": 60}` (the defaults).
public struct BotUnavailablePolicy: Sendable, Equatable {
    public enum Action: String, Sendable, CaseIterable {
        case notify, handoff, ignore
    }

    public var action: Action
    public var after: Duration

    public init(action: Action = .notify, after: Duration = .seconds(60)) {
        self.action = action
        self.after = after
    }

    static func load(_ value: Any?, field: String) throws(ConfigurationError) -> BotUnavailablePolicy {
        var policy = BotUnavailablePolicy()
        guard let value else { return policy }
        guard let object = value as? [String: Any] else { throw ConfigurationError(field: field, "must be an object") }
        if let unknown = object.keys.sorted().first(where: { !["policy", "after_seconds"].contains($0) }) {
            throw ConfigurationError(field: "\(field).\(unknown)", "is not a known field (known: after_seconds, policy)")
        }
        if let text = object["policy"] {
            guard let name = text as? String, let action = Action(rawValue: name) else {
                throw ConfigurationError(field: "\(field).policy", "must be one of \(Action.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            policy.action = action
        }
        if let number = object["after_seconds"] {
            guard let seconds = number as? NSNumber, !isJSONBoolean(number), seconds.doubleValue >= 1, seconds.doubleValue <= 86_400 * 7 else {
                throw ConfigurationError(field: "\(field).after_seconds", "must be a number of seconds from 1 to 604800")
            }
            policy.after = .milliseconds(Int64(seconds.doubleValue * 1000))
        }
        return policy
    }
}

/// Applies bots' unavailable policies: when a bot delivery dies (through its target's
/// `onGaveUp`) and, from a background watcher, when one has been failing for longer than its
/// bot's `after`. Also clears a conversation's outage when one of its bot deliveries succeeds.
public final class BotOutages: Sendable {
    let configuration: GatewayConfiguration
    let hub: WebChatHub
    let clock: any DeliveryClock
    let logger: Logger
    /// Wakes the dispatcher after notices were queued by the watcher.
    private let wake: @Sendable () -> Void
    private let sweeper = PeriodicSweep()

    public init(configuration: GatewayConfiguration, hub: WebChatHub, clock: any DeliveryClock, logger: Logger = .silent,
                wake: @escaping @Sendable () -> Void = {}) {
        self.configuration = configuration
        self.hub = hub
        self.clock = clock
        self.logger = logger
        self.wake = wake
    }

    /// What applying the policy to one conversation did.
    public struct Applied: Sendable, Equatable {
        public var conversationID: Int64
        public var action: BotUnavailablePolicy.Action
        /// The web-chat identity to wake, when a notice was stored for it.
        public var identityToWake: Int64?
    }

    /// Applies `bot`'s policy to a conversation, unless the conversation is not with the bot
    /// any more or this outage was already handled. `reason`: `dead` or `failing`.
    func apply(_ bot: Bot, conversationID: Int64, delivery: Delivery, reason: String, in db: Database, now: Int64) throws -> Applied? {
        guard let row = try db.queryRow("""
            UPDATE conversations SET bot_unavailable_at = ?1, updated_at = ?1
            WHERE id = ?2 AND state = 'bot' AND bot_unavailable_at IS NULL
            RETURNING channel, identity_id
            """, now, conversationID), let channelID = row.string("channel") else { return nil }
        try Outbound.note(conversationID: conversationID, type: "bot_unavailable", text: reason,
                          payload: .object(["bot": .string(bot.id), "policy": .string(bot.unavailable.action.rawValue),
                                            "delivery_id": .int(delivery.id), "error": delivery.lastError.map(TemplateValue.string) ?? .null]),
                          in: db, now: now)
        let channel = configuration.channels[channelID]
        var applied = Applied(conversationID: conversationID, action: bot.unavailable.action)
        switch bot.unavailable.action {
        case .notify:
            let sent = try configuration.notices.send(.botUnavailable, conversationID: conversationID, extra: ["bot": .string(bot.id)],
                                                      sender: channel?.sender, publicURL: configuration.publicURL, in: db, now: now)
            if sent != nil, channel?.sender == nil { applied.identityToWake = row.int64("identity_id") }
        case .handoff:
            let signal = EscalationSignal(detector: "bot_unavailable", reason: "bot_unavailable")
            if try Handoff.start(conversationID: conversationID, signal: signal, configuration: configuration, in: db, now: now)?.notice != nil,
               channel?.sender == nil {
                applied.identityToWake = row.int64("identity_id")
            }
        case .ignore:
            break
        }
        return applied
    }

    /// For a bot's target: apply the policy to the conversations of deliveries that died.
    func gaveUp(_ deliveries: [Delivery], bot: Bot, in db: Database) throws -> [Applied] {
        let now = clock.now()
        var applied: [Applied] = []
        var seen = Set<Int64>()
        for delivery in deliveries {
            guard let conversation = delivery.conversationID, seen.insert(conversation).inserted else { continue }
            if let done = try apply(bot, conversationID: conversation, delivery: delivery, reason: "dead", in: db, now: now) {
                applied.append(done)
            }
        }
        return applied
    }

    /// A bot delivery succeeded: the conversation's bot is back.
    static func recovered(conversationID: Int64?, in db: Database) throws {
        guard let conversationID else { return }
        try db.run("UPDATE conversations SET bot_unavailable_at = NULL WHERE id = ? AND bot_unavailable_at IS NOT NULL", conversationID)
    }

    // MARK: - Watching failing deliveries

    /// One look: applies the policy for every failing bot delivery older than its bot's `after`
    /// whose conversation has not been handled yet. Returns what it did.
    @discardableResult
    public func sweep(pool: DatabasePool) async throws -> [Applied] {
        let bots = configuration.bots
        guard let shortest = bots.values.map(\.unavailable.after).min() else { return [] }
        let now = clock.now()
        let oldest = now - shortest.milliseconds
        // A read first: nearly always nothing is failing, and then nothing is written.
        let candidates = try await pool.read { db in try Self.failing(createdBefore: oldest, in: db) }
        guard !candidates.isEmpty else { return [] }
        let applied = try await pool.write { db -> [Applied] in
            var applied: [Applied] = []
            for delivery in try Self.failing(createdBefore: oldest, in: db) {
                guard let bot = bots[String(delivery.target.dropFirst("bot:".count))], delivery.target.hasPrefix("bot:"),
                      let conversation = delivery.conversationID, now - delivery.createdAt >= bot.unavailable.after.milliseconds
                else { continue }
                if let done = try self.apply(bot, conversationID: conversation, delivery: delivery, reason: "failing", in: db, now: now) {
                    applied.append(done)
                }
            }
            return applied
        }
        afterCommit(applied)
        return applied
    }

    /// Wakes what the applied policies wrote for.
    func afterCommit(_ applied: [Applied]) {
        guard !applied.isEmpty else { return }
        for identity in applied.compactMap(\.identityToWake) { hub.notify(identity: identity) }
        for done in applied {
            logger.warning("bot unavailable", [("conversation_id", String(done.conversationID)), ("policy", done.action.rawValue)])
        }
        wake()
    }

    /// Bot deliveries waiting for a retry after a failure, written before `createdBefore`, whose
    /// conversation is with the bot and not yet handled.
    static func failing(createdBefore: Int64, in db: Database) throws -> [Delivery] {
        try db.query("""
            SELECT \(Delivery.columns("d")) FROM deliveries d INDEXED BY deliveries_failing_bots
            JOIN conversations c ON c.id = d.conversation_id
            WHERE d.kind = 'bot' AND d.status = 'pending' AND d.last_error IS NOT NULL AND d.created_at <= ?
              AND d.attempts > 0 AND c.state = 'bot' AND c.bot_unavailable_at IS NULL
            ORDER BY d.created_at LIMIT 500
            """, createdBefore).map(Delivery.init(row:))
    }

    /// Looks every quarter of the shortest wait (250 ms to 5 s) until `stop()`; does nothing
    /// when nothing is configured to wait for.
    public func start(pool: DatabasePool, interval: Duration? = nil) {
        guard let shortest = configuration.bots.values.map(\.unavailable.after).min() else { return }
        sweeper.start(every: interval ?? PeriodicSweep.period(forShortestWait: shortest), logger: logger,
                      failure: "cannot check for unavailable bots") { [self] in try await sweep(pool: pool) }
    }

    public func stop() async {
        await sweeper.stop()
    }
}
