import Foundation
import Storage
import Templates

/// A message to send to a user through their conversation's channel.
public struct OutboundMessage: Sendable, Equatable {
    public enum Author: String, Sendable { case bot, agent, system }

    public var text: String?
    public var mediaURL: String?
    public var suggestions: [Suggestion]
    public var author: Author
    public var authorID: String?
    /// A provider template (WhatsApp) to send instead of free-form text; allowed outside the
    /// session window.
    public var template: ProviderTemplate?
    /// The API call that created it (`dispatch_id`), if any.
    public var dispatchID: String?

    public struct ProviderTemplate: Sendable, Equatable {
        public var name: String
        public var language: String
        public var parameters: [String]
        public init(name: String, language: String, parameters: [String]) {
            self.name = name
            self.language = language
            self.parameters = parameters
        }
    }

    public struct Suggestion: Sendable, Equatable {
        public var text: String
        public var postback: String
        public init(text: String, postback: String) {
            self.text = text
            self.postback = postback
        }
    }

    public init(text: String?, mediaURL: String? = nil, suggestions: [Suggestion] = [], author: Author = .bot, authorID: String? = nil) {
        self.text = text
        self.mediaURL = mediaURL
        self.suggestions = suggestions
        self.author = author
        self.authorID = authorID
    }
}

/// What sending did.
public struct OutboundResult: Sendable, Equatable {
    /// The stored messages, one per part, in order.
    public var messageIDs: [Int64] = []
    /// The session window was closed: the fallback template went instead, or nothing (failed).
    public var windowClosed = false
    public var usedFallback = false
    /// The identity the conversation speaks to (web-chat readers wait on it).
    public var identityID: Int64 = 0
}

/// Sending: store the message in the conversation (split into parts when too long) and write
/// one channel delivery per part, in conversation order, all inside the caller's transaction.
/// A channel without a sender (the built-in web chat) is read from the store: its messages are
/// stored as sent and the page picks them up.
public enum Outbound {
    /// The error recorded on a free-form message refused because the session window is closed.
    public static let windowClosed = "window_closed"

    public static func send(_ message: OutboundMessage, conversationID: Int64, sender: ChannelSender?, publicURL: String,
                            in db: Database, now: Int64) throws -> OutboundResult {
        guard let conversation = try db.queryRow("""
            SELECT c.public_id, c.channel, c.user_id, c.identity_id, c.last_inbound_at, c.locale, i.address
            FROM conversations c JOIN identities i ON i.id = c.identity_id WHERE c.id = ?
            """, conversationID), let address = conversation.string("address"), let channel = conversation.string("channel") else {
            throw OutboundError.unknownConversation(conversationID)
        }
        var result = OutboundResult()
        result.identityID = conversation.int64("identity_id") ?? 0
        guard let sender else {
            result.messageIDs.append(try store(message, text: message.text, type: message.mediaURL != nil ? "media" : "text",
                                               status: "sent", error: nil, conversationID: conversationID, channel: channel,
                                               in: db, now: now, mediaURL: message.mediaURL).id)
            return result
        }
        var context: [String: TemplateValue] = [
            "settings": sender.settings,
            "to": .string(address),
            "conversation_id": .string(conversation.string("public_id") ?? ""),
            "author": .string(message.author.rawValue),
            "status_url": .string(publicURL + "/channels/\(sender.channelID)/status"),
            "suggestions": .array(message.suggestions.map { .object(["text": .string($0.text), "postback": .string($0.postback)]) }),
            "attributes": try Profiles.attributes(of: conversation.int64("user_id") ?? 0, in: db),
        ]
        if let locale = conversation.string("locale") { context["locale"] = .string(locale) }

        if let template = message.template {
            result.messageIDs.append(try sendTemplate(template, message: message, context: &context, conversationID: conversationID,
                                                      sender: sender, in: db, now: now))
            return result
        }
        if let window = sender.sessionWindow {
            let last = conversation.int64("last_inbound_at")
            if last == nil || now - last! > window.milliseconds {
                result.windowClosed = true
                guard let fallback = sender.fallback else {
                    result.messageIDs.append(try store(message, text: message.text, type: "text", status: "failed", error: windowClosed,
                                                       conversationID: conversationID, channel: sender.channelID, in: db, now: now).id)
                    return result
                }
                context["text"] = .string(message.text ?? "")
                let parameters = fallback.parameters.map { $0.render(.object(context)) }
                let template = OutboundMessage.ProviderTemplate(name: fallback.name, language: fallback.language, parameters: parameters)
                result.messageIDs.append(try sendTemplate(template, message: message, context: &context, conversationID: conversationID,
                                                          sender: sender, in: db, now: now))
                result.usedFallback = true
                return result
            }
        }
        var parts = [message.text ?? ""]
        if let text = message.text, let limit = sender.textLimit { parts = TextSplitter.split(text, limit: limit) }
        for (index, part) in parts.enumerated() {
            let media = index == 0 ? message.mediaURL : nil
            let stored = try store(message, text: part.isEmpty ? nil : part, type: media != nil ? "media" : "text", status: "queued",
                                   error: nil, conversationID: conversationID, channel: sender.channelID, in: db, now: now, mediaURL: media)
            context["text"] = part.isEmpty ? .null : .string(part)
            context["media_url"] = media.map(TemplateValue.string) ?? .null
            context["message_id"] = .string(stored.publicID)
            try enqueue(sender.request(context: .object(context), template: false), stored: stored.id,
                        conversationID: conversationID, sender: sender, in: db, now: now)
            result.messageIDs.append(stored.id)
        }
        return result
    }

    /// Stores and queues a provider template (`template` in the adapter's outbound context:
    /// name, language, parameters, and `variables` numbered from "1").
    static func sendTemplate(_ template: OutboundMessage.ProviderTemplate, message: OutboundMessage, context: inout [String: TemplateValue],
                             conversationID: Int64, sender: ChannelSender, in db: Database, now: Int64) throws -> Int64 {
        var variables: [String: TemplateValue] = [:]
        for (index, value) in template.parameters.enumerated() { variables[String(index + 1)] = .string(value) }
        context["template"] = .object(["name": .string(template.name), "language": .string(template.language),
                                       "parameters": .array(template.parameters.map(TemplateValue.string)), "variables": .object(variables)])
        let stored = try store(message, text: message.text, type: "template", status: "queued", error: nil,
                               conversationID: conversationID, channel: sender.channelID, in: db, now: now)
        context["message_id"] = .string(stored.publicID)
        context["text"] = .null
        try enqueue(sender.request(context: .object(context), template: true), stored: stored.id,
                    conversationID: conversationID, sender: sender, in: db, now: now)
        return stored.id
    }

    static func enqueue(_ request: (url: String, contentType: String, body: [UInt8], abortReason: String?), stored: Int64,
                        conversationID: Int64, sender: ChannelSender, in db: Database, now: Int64) throws {
        try Outbox.enqueue(NewDelivery(kind: .channel, target: sender.target.id, orderingKey: OrderingKey.toUser(conversation: conversationID),
                                       conversationID: conversationID, messageID: stored, url: request.url,
                                       headers: [DeliveryHeader("Content-Type", request.contentType)], body: request.body,
                                       abortReason: request.abortReason),
                           in: db, now: now)
        if let reason = request.abortReason {
            try db.run("UPDATE messages SET status = 'failed', error = ?, status_at = ? WHERE id = ?", Outbox.abortedError(reason), now, stored)
        }
    }

    static func store(_ message: OutboundMessage, text: String?, type: String, status: String, error: String?, conversationID: Int64,
                      channel: String, in db: Database, now: Int64, mediaURL: String? = nil) throws -> (id: Int64, publicID: String) {
        guard let sequence = try db.scalar("""
            UPDATE conversations SET next_sequence = next_sequence + 1, updated_at = ?1 WHERE id = ?2 RETURNING next_sequence - 1
            """, now, conversationID).int else { throw OutboundError.unknownConversation(conversationID) }
        var payload: [String: TemplateValue] = [:]
        if let mediaURL { payload["media_url"] = .string(mediaURL) }
        if !message.suggestions.isEmpty {
            payload["suggestions"] = .array(message.suggestions.map { .object(["text": .string($0.text), "postback": .string($0.postback)]) })
        }
        let publicID = PublicID.make("msg")
        let insertedMessage = try db.scalar("""
            INSERT INTO messages (public_id, conversation_id, sequence, direction, author_kind, author_id, type, text, payload,
                                  channel, status, status_at, error, created_at, dispatch_id)
            VALUES (?, ?, ?, 'outbound', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """, publicID, conversationID, sequence, message.author.rawValue, message.authorID, type, text,
            TemplateValue.object(payload).json, channel, status, now, error, now, message.dispatchID)
        return ((insertedMessage.int64 ?? 0), publicID)
    }

    /// Records an internal event in the transcript (never sent, never shown to the user): a
    /// handoff request, a state change, a note for agents.
    @discardableResult
    public static func note(conversationID: Int64, type: String, text: String?, payload: TemplateValue = .object([:]),
                            in db: Database, now: Int64) throws -> Int64 {
        guard let sequence = try db.scalar("""
            UPDATE conversations SET next_sequence = next_sequence + 1, updated_at = ?1 WHERE id = ?2 RETURNING next_sequence - 1
            """, now, conversationID).int,
              let channel = try db.scalar("SELECT channel FROM conversations WHERE id = ?", conversationID).string
        else { throw OutboundError.unknownConversation(conversationID) }
        return try db.scalar("""
            INSERT INTO messages (public_id, conversation_id, sequence, direction, author_kind, type, text, payload, channel, created_at)
            VALUES (?, ?, ?, 'internal', 'system', ?, ?, ?, ?, ?) RETURNING id
            """, PublicID.make("msg"), conversationID, sequence, type, text, payload.json, channel, now).int64 ?? 0
    }
}

/// Why a message could not be sent.
public enum OutboundError: Error, Equatable, CustomStringConvertible {
    case unknownConversation(Int64)

    public var description: String {
        switch self {
        case .unknownConversation(let id): "no conversation with id \(id)"
        }
    }
}
