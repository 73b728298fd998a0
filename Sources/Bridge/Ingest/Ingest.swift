import Foundation
import Storage
import Templates

/// What became of one webhook's items, for the log and the tests.
public struct IngestResult: Sendable, Equatable {
    /// Messages stored (provider retries of stored messages are not counted).
    public var stored: [StoredMessage] = []
    /// Items whose provider message id was already stored: nothing new was written.
    public var duplicates = 0
    /// Status items applied to a known message.
    public var statusesApplied = 0
    /// Status items for message ids we never sent (accepted and ignored).
    public var statusesIgnored = 0
    /// Deliveries written (to bots, contact centers, channels).
    public var deliveries = 0
    /// Handoffs started by the escalation detectors.
    public var handoffs = 0

    public init() {}
}

/// A message as ingest stored it.
public struct StoredMessage: Sendable, Equatable {
    public var messageID: Int64
    public var publicID: String
    public var conversationID: Int64
    public var conversationPublicID: String
    public var userID: Int64
    public var sequence: Int
    /// The conversation's state when the message arrived (bot, queued, agent).
    public var state: ConversationState
    /// The channel identity was seen for the first time.
    public var newIdentity = false
    /// The channel gave another display name than last time.
    public var nameChanged = false
    /// The message opened a conversation.
    public var newConversation = false
}

/// The one transaction behind `POST /channels/{id}/webhook`: dedupe on the provider's message
/// id, user and identity upsert, conversation found or opened, message appended with the next
/// sequence number, and the follow-up deliveries — all or nothing.
public enum Ingest {
    /// Applies the items of one webhook. Runs inside the caller's write transaction.
    /// `statusWords` maps the provider's status words onto ours (the adapter's `statuses`).
    /// With a `configuration`, a message to the bot is first shown to the escalation detectors
    /// (a handoff starts instead of the bot webhook), and a message in a conversation held by
    /// people is forwarded to its contact center instead of the bot.
    public static func apply(_ items: [InboundItem], channel: String, statusWords: [String: MessageDeliveryStatus] = [:],
                             router: BotRouter, configuration: GatewayConfiguration? = nil, in db: Database, now: Int64) throws -> IngestResult {
        var result = IngestResult()
        for item in items {
            switch item.kind {
            case .message:
                guard let stored = try storeMessage(item, channel: channel, in: db, now: now) else {
                    result.duplicates += 1
                    continue
                }
                result.stored.append(stored)
                try Enrichment.userMessage(item, stored: stored, channel: channel, settings: configuration?.profiles ?? ProfileSettings(),
                                           in: db, now: now)
                if let configuration {
                    switch stored.state {
                    case .queued, .agent:
                        try Handoff.forward(text: item["text"] ?? item["postback"], conversationID: stored.conversationID,
                                            configuration: configuration, in: db, now: now)
                        result.deliveries += 1
                        // The bot that would have had it listens, when it asks to (`standby`).
                        if let bot = router.route(channel: channel, state: .bot, text: item["text"], postback: item["postback"]), bot.standby {
                            try Outbox.enqueue(BotRequest.delivery(for: item, stored: stored, channel: channel, bot: bot, standby: true, in: db),
                                               in: db, now: now)
                            result.deliveries += 1
                        }
                        continue
                    case .bot:
                        if let signal = try escalationSignal(item, stored: stored, detector: configuration.escalation, in: db),
                           try Handoff.start(conversationID: stored.conversationID, signal: signal, configuration: configuration,
                                             in: db, now: now) != nil {
                            result.deliveries += 1
                            result.handoffs += 1
                            continue
                        }
                    case .closed:
                        break
                    }
                }
                if let bot = router.route(channel: channel, state: stored.state, text: item["text"], postback: item["postback"]) {
                    try Outbox.enqueue(BotRequest.delivery(for: item, stored: stored, channel: channel, bot: bot, in: db), in: db, now: now)
                    result.deliveries += 1
                }
            case .status:
                if try applyStatus(item, channel: channel, statusWords: statusWords, in: db, now: now) { result.statusesApplied += 1 } else { result.statusesIgnored += 1 }
            }
        }
        return result
    }

    /// What the escalation detectors make of a user message, given the user's earlier messages.
    static func escalationSignal(_ item: InboundItem, stored: StoredMessage, detector: EscalationDetector,
                                 in db: Database) throws -> EscalationSignal? {
        var previous: [String] = []
        if detector.repeats > 1 {
            previous = try db.query("""
                SELECT text FROM messages WHERE conversation_id = ? AND author_kind = 'user' AND sequence < ? ORDER BY sequence DESC LIMIT ?
                """, stored.conversationID, stored.sequence, detector.repeats - 1).map { $0.string("text") ?? "" }
        }
        return detector.inspect(text: item["text"], postback: item["postback"], previous: previous)
    }

    /// Stores one user message; nil when the provider already sent this message id.
    static func storeMessage(_ item: InboundItem, channel: String, in db: Database, now: Int64) throws -> StoredMessage? {
        guard let address = item["address"] else { return nil }
        let providerID = item["provider_message_id"]
        if let providerID,
           try db.queryRow("SELECT 1 FROM messages WHERE channel = ? AND provider_message_id = ?", channel, providerID) != nil {
            return nil
        }
        let identity = try upsertIdentity(channel: channel, address: address, displayName: item["display_name"], in: db, now: now)
        let userID = identity.user, identityID = identity.id
        let conversation = try openConversation(channel: channel, userID: userID, identityID: identityID, in: db, now: now)
        let locale = item["locale"]
        try db.run("""
            UPDATE conversations SET next_sequence = next_sequence + 1, last_inbound_at = ?1, updated_at = ?1,
                   locale = coalesce(?2, locale)
            WHERE id = ?3
            """, now, locale, conversation.id)
        let type = !item.media.isEmpty ? "media" : (item["postback"] != nil && item["text"] == nil ? "postback" : "text")
        let publicID = PublicID.make("msg")
        let insertedMessage = try db.scalar("""
            INSERT INTO messages (public_id, conversation_id, sequence, direction, author_kind, author_id, type, text, payload,
                                  channel, provider_message_id, status, status_at, created_at)
            VALUES (?, ?, ?, 'inbound', 'user', ?, ?, ?, ?, ?, ?, 'received', ?, ?) RETURNING id
            """, publicID, conversation.id, conversation.sequence, String(userID), type, item["text"] ?? item["postback_title"],
            payload(item).json, channel, providerID, now, now)
        return StoredMessage(messageID: (insertedMessage.int64 ?? 0), publicID: publicID, conversationID: conversation.id,
                             conversationPublicID: conversation.publicID, userID: userID, sequence: conversation.sequence,
                             state: conversation.state, newIdentity: identity.isNew, nameChanged: identity.nameChanged,
                             newConversation: conversation.isNew)
    }

    /// Everything about the item besides its text, as stored in `messages.payload`.
    static func payload(_ item: InboundItem) -> TemplateValue {
        var members: [String: TemplateValue] = [:]
        for (name, value) in item.fields where !["text", "address", "provider_message_id"].contains(name) {
            members[name] = .string(value)
        }
        if !item.media.isEmpty {
            members["media"] = .array(item.media.map { .object(["url": .string($0.url), "type": $0.type.map(TemplateValue.string) ?? .null]) })
        }
        return .object(members)
    }

    struct Identity {
        var id: Int64
        var user: Int64
        var isNew: Bool
        var nameChanged: Bool
    }

    static func upsertIdentity(channel: String, address: String, displayName: String?, in db: Database, now: Int64) throws -> Identity {
        if let row = try db.queryRow("SELECT id, user_id, display_name FROM identities WHERE channel = ? AND address = ?", channel, address),
           let id = row.int64("id"), let user = row.int64("user_id") {
            let changed = displayName != nil && displayName != row.string("display_name")
            if changed { try db.run("UPDATE identities SET display_name = ? WHERE id = ?", displayName, id) }
            return Identity(id: id, user: user, isNew: false, nameChanged: changed)
        }
        let user = try ProfileDirectory.createDerived(in: db, now: now)
        let insertedIdentity = try db.scalar("INSERT INTO identities (user_id, channel, address, display_name, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                   user, channel, address, displayName, now)
        return Identity(id: (insertedIdentity.int64 ?? 0), user: user, isNew: true, nameChanged: false)
    }

    struct OpenConversation {
        var id: Int64
        var publicID: String
        var sequence: Int
        var state: ConversationState
        var isNew = false
    }

    static func openConversation(channel: String, userID: Int64, identityID: Int64, in db: Database, now: Int64) throws -> OpenConversation {
        if let row = try db.queryRow("SELECT id, public_id, next_sequence, state FROM conversations WHERE identity_id = ? AND state <> 'closed'", identityID),
           let id = row.int64("id") {
            return OpenConversation(id: id, publicID: row.string("public_id") ?? "", sequence: row.int("next_sequence") ?? 1,
                                    state: row.string("state").flatMap(ConversationState.init(rawValue:)) ?? .bot)
        }
        let publicID = PublicID.make("conv")
        let insertedConversation = try db.scalar("""
            INSERT INTO conversations (public_id, channel, user_id, identity_id, state, created_at, updated_at)
            VALUES (?, ?, ?, ?, 'bot', ?, ?) RETURNING id
            """, publicID, channel, userID, identityID, now, now)
        return OpenConversation(id: (insertedConversation.int64 ?? 0), publicID: publicID, sequence: 1, state: .bot, isNew: true)
    }

    /// Applies a provider status to the message it names; false when we do not know the id.
    /// A status never moves a message backwards (a late "sent" after "read" is ignored).
    static func applyStatus(_ item: InboundItem, channel: String, statusWords: [String: MessageDeliveryStatus],
                            in db: Database, now: Int64) throws -> Bool {
        guard let providerID = item["provider_message_id"], let word = item["status"],
              let status = statusWords[word] ?? MessageDeliveryStatus(rawValue: word) else { return false }
        guard let row = try db.queryRow("SELECT id, status FROM messages WHERE channel = ? AND provider_message_id = ? AND direction = 'outbound'",
                                        channel, providerID), let id = row.int64("id") else { return false }
        if let current = row.string("status").flatMap(MessageDeliveryStatus.init(rawValue:)), current >= status, current != status {
            return true
        }
        try db.run("UPDATE messages SET status = ?, status_at = ?, error = coalesce(?, error) WHERE id = ?", status.rawValue, now, item["error"], id)
        return true
    }
}
