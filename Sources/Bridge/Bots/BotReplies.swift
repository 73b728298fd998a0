import Foundation
import HTTPClient
import Storage
import Synchronization
import Templates

/// Turns a bot's synchronous answer into what it asks for, in the transaction that marks its
/// webhook delivered: profile attributes (source `bot:<id>`), a handoff request noted in the
/// transcript, and the reply messages sent through the conversation's channel in order.
/// A conversation a human holds (`queued`, `agent`) or that is closed gets no bot messages.
public final class BotReplies: Sendable {
    let configuration: GatewayConfiguration
    let hub: WebChatHub
    let clock: any DeliveryClock
    let outages: BotOutages
    /// Web-chat identities to wake once a delivery's transaction has committed.
    private let pendingWakeUps = Mutex<[Int64: [Int64]]>([:])

    public init(configuration: GatewayConfiguration, hub: WebChatHub, clock: any DeliveryClock, outages: BotOutages) {
        self.configuration = configuration
        self.hub = hub
        self.clock = clock
        self.outages = outages
    }

    /// The bot's delivery target: a success ends the conversation's bot outage (and its answer
    /// is read when the mode says so); a dead delivery starts the bot's unavailable policy.
    /// A built-in bot (`faq`) answers in process, reading the knowledge base from `pool`.
    public func target(for bot: Bot, pool: DatabasePool? = nil) -> DeliveryTarget {
        var target = bot.target
        if let faq = bot.faq, let pool {
            target.handler = FAQBot(settings: faq, pool: pool, defaultLocale: configuration.notices.defaultLocale).respond
        }
        let mapping = bot.mode.readsAnswer ? bot.adapter.reply : nil
        target.onDelivered = { [self] delivery, response in
            // Parsed here, off the database thread; a reply that does not parse still ends the outage.
            let reply = Result { try mapping.map { try BotReply.parse(response.body, mapping: $0, botID: bot.id) } }
            return { db in
                try BotOutages.recovered(conversationID: delivery.conversationID, in: db)
                if let reply = try reply.get() { try self.apply(reply, bot: bot, delivery: delivery, in: db) }
            }
        }
        target.onGaveUp = { [self] db, deliveries in
            let applied = try outages.gaveUp(deliveries, bot: bot, in: db)
            let identities = applied.compactMap(\.identityToWake)
            if !identities.isEmpty, let first = deliveries.first { pendingWakeUps.withLock { $0[first.id, default: []] += identities } }
        }
        target.afterCommit = { [self] delivery in
            for identity in pendingWakeUps.withLock({ $0.removeValue(forKey: delivery.id) }) ?? [] { hub.notify(identity: identity) }
        }
        return target
    }

    func apply(_ reply: BotReply, bot: Bot, delivery: Delivery, in db: Database) throws {
        guard let conversationID = delivery.conversationID else { return }
        guard let row = try db.queryRow("SELECT channel, state, user_id, identity_id FROM conversations WHERE id = ?", conversationID),
              let channelID = row.string("channel"), let userID = row.int64("user_id") else { return }
        let now = clock.now()
        for (name, value) in reply.attributes.sorted(by: { $0.key < $1.key }) {
            try Profiles.set(userID, name, value, source: "bot:\(bot.id)", in: db, now: now)
        }
        guard row.string("state").flatMap(ConversationState.init(rawValue:)) == .bot, let channel = configuration.channels[channelID] else { return }
        for message in reply.messages {
            _ = try Outbound.send(message, conversationID: conversationID, sender: channel.sender, publicURL: configuration.publicURL,
                                  in: db, now: now)
        }
        if reply.fallback {
            try configuration.notices.send(.fallback, conversationID: conversationID, sender: channel.sender,
                                           publicURL: configuration.publicURL, in: db, now: now)
        }
        var handedOff = false
        if let handoff = reply.handoff {
            let signal = EscalationSignal(detector: "bot_handoff", reason: handoff.reason, skills: handoff.skills)
            handedOff = try Handoff.start(conversationID: conversationID, signal: signal, configuration: configuration, in: db, now: now) != nil
        } else if let threshold = configuration.escalation.minConfidence, let confidence = reply.confidence, confidence < threshold {
            let signal = EscalationSignal(detector: "low_confidence", reason: "the bot's confidence \(confidence) is below \(threshold)")
            handedOff = try Handoff.start(conversationID: conversationID, signal: signal, configuration: configuration, in: db, now: now) != nil
        } else if configuration.escalation.fallbacks > 1,
                  reply.fallback || (!reply.messages.isEmpty && reply.messages.allSatisfy({ configuration.escalation.isFallback($0.text ?? "") })) {
            handedOff = try fallbacksInARow(conversationID: conversationID, in: db) >= configuration.escalation.fallbacks
                && Handoff.start(conversationID: conversationID,
                                 signal: EscalationSignal(detector: "fallbacks", reason: "the bot did not understand \(configuration.escalation.fallbacks) times in a row"),
                                 configuration: configuration, in: db, now: now) != nil
        }
        if channel.sender == nil, !reply.messages.isEmpty || reply.fallback || handedOff, let identity = row.int64("identity_id") {
            pendingWakeUps.withLock { $0[delivery.id, default: []].append(identity) }
        }
    }

    /// How many of the bot's latest replies in a row were fallbacks: a `fallback` notice sent for
    /// it, or a reply with a configured fallback phrase. A change of state (a handoff and back)
    /// ends the run.
    func fallbacksInARow(conversationID: Int64, in db: Database) throws -> Int {
        var count = 0
        for row in try db.query("""
            SELECT text, author_id, type FROM messages
            WHERE conversation_id = ? AND (author_kind = 'bot' OR author_id = ? OR type = 'state_changed') ORDER BY sequence DESC LIMIT ?
            """, conversationID, Self.fallbackNotice, configuration.escalation.fallbacks) {
            guard row.string("type") != "state_changed",
                  row.string("author_id") == Self.fallbackNotice || configuration.escalation.isFallback(row.string("text") ?? "") else { break }
            count += 1
        }
        return count
    }

    static let fallbackNotice = "notice:\(Notices.Name.fallback.rawValue)"
}
