import Foundation
import Signing
import Storage
import Templates

/// A web-chat session: the one user (identity) a token speaks and reads for.
public struct WebChatSession: Sendable, Equatable {
    public var channel: String
    public var identityID: Int64
    public var userID: Int64
    public var address: String
    public var locale: String?
    public var expiresAt: Int64
}

/// A message as the web-chat page reads it.
public struct WebChatMessage: Encodable, Sendable, Equatable {
    /// Position in this user's feed; pass it back as `after` (or `Last-Event-ID`) to resume.
    public var cursor: Int64
    public var id: String
    public var conversationID: String
    public var sequence: Int
    public var direction: String
    public var author: String
    public var type: String
    public var text: String?
    public var mediaURL: String?
    public var suggestions: [Suggestion]
    public var status: String?
    public var createdAt: String

    public struct Suggestion: Encodable, Sendable, Equatable {
        public var text: String
        public var postback: String
    }

    enum CodingKeys: String, CodingKey {
        case cursor, id, sequence, direction, author, type, text, suggestions, status
        case conversationID = "conversation_id", mediaURL = "media_url", createdAt = "created_at"
    }

    /// An outbound message sent to the page but not yet handed to it: handing it over delivers it.
    var awaitsDelivery: Bool { direction == "outbound" && status == MessageDeliveryStatus.sent.rawValue }
}

/// Sessions and the per-user message feed of the built-in web chat, over the shared schema.
public enum WebChatStore {
    /// How long a session token is valid.
    public static let sessionLifetime: Int64 = 30 * 24 * 3600 * 1000
    /// The most messages one read returns.
    public static let pageLimit = 200

    /// Opens a session for a new web-chat user: a user, an identity with a random address, and a
    /// token (shown once; only its hash is stored). With the user's derived external id, which
    /// the business links to its own with `POST /v1/users/{external_id}/identify`.
    public static func openSession(channel: String, displayName: String?, locale: String?, in db: Database,
                                   now: Int64) throws -> (token: String, session: WebChatSession, externalID: String) {
        let address = PublicID.make("web")
        let identity = try Ingest.upsertIdentity(channel: channel, address: address, displayName: displayName, in: db, now: now)
        if let displayName {
            try Profiles.set(identity.user, "first_name", .string(displayName), source: "channel:\(channel)", in: db, now: now)
        }
        let token = "wct_" + PublicID.secret()
        let expiresAt = now + sessionLifetime
        try db.run("""
            INSERT INTO webchat_sessions (token_hash, channel, identity_id, locale, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
            """, tokenHash(token), channel, identity.id, locale, now, expiresAt)
        let session = WebChatSession(channel: channel, identityID: identity.id, userID: identity.user, address: address,
                                     locale: locale, expiresAt: expiresAt)
        return (token, session, try ProfileDirectory.externalID(of: identity.user, in: db) ?? "")
    }

    /// The live session a token opens on `channel`, or nil (unknown, expired, or another channel's).
    public static func session(token: String, channel: String, in db: Database, now: Int64) throws -> WebChatSession? {
        guard token.hasPrefix("wct_"), token.utf8.count < 100 else { return nil }
        guard let row = try db.queryRow("""
            SELECT s.channel, s.identity_id, s.locale, s.expires_at, i.user_id, i.address
            FROM webchat_sessions s JOIN identities i ON i.id = s.identity_id WHERE s.token_hash = ?
            """, tokenHash(token)),
              row.string("channel") == channel, let expiresAt = row.int64("expires_at"), expiresAt > now,
              let identity = row.int64("identity_id"), let user = row.int64("user_id"), let address = row.string("address")
        else { return nil }
        return WebChatSession(channel: channel, identityID: identity, userID: user, address: address,
                              locale: row.string("locale"), expiresAt: expiresAt)
    }

    /// This identity's messages (both directions, all its conversations on the channel) after
    /// `cursor`, oldest first. Internal notes (`direction = 'internal'`) are never shown.
    public static func messages(identity: Int64, after cursor: Int64, limit: Int = pageLimit, in db: Database) throws -> [WebChatMessage] {
        try db.query("""
            SELECT m.id, m.public_id, c.public_id AS conversation, m.sequence, m.direction, m.author_kind, m.type, m.text,
                   m.payload, m.status, m.created_at
            FROM messages m JOIN conversations c ON c.id = m.conversation_id
            WHERE c.identity_id = ? AND m.id > ? AND m.direction <> 'internal'
            ORDER BY m.id LIMIT ?
            """, identity, cursor, min(max(limit, 1), pageLimit)).map { row in
            let payload = row.string("payload").flatMap { try? TemplateValue(jsonData: Data($0.utf8)) } ?? .null
            var suggestions: [WebChatMessage.Suggestion] = []
            if case .array(let list)? = payload["suggestions"] {
                for case .object(let members) in list {
                    guard case .string(let text)? = members["text"] else { continue }
                    if case .string(let postback)? = members["postback"] { suggestions.append(.init(text: text, postback: postback)) }
                    else { suggestions.append(.init(text: text, postback: text)) }
                }
            }
            var media: String?
            if case .string(let url)? = payload["media_url"] { media = url }
            return WebChatMessage(cursor: row.int64("id") ?? 0, id: row.string("public_id") ?? "",
                                  conversationID: row.string("conversation") ?? "", sequence: row.int("sequence") ?? 0,
                                  direction: row.string("direction") ?? "", author: row.string("author_kind") ?? "",
                                  type: row.string("type") ?? "text", text: row.string("text"), mediaURL: media,
                                  suggestions: suggestions, status: row.string("status"),
                                  createdAt: DeliveryView.time(row.int64("created_at") ?? 0))
        }
    }

    /// Marks outbound messages the page has been handed as delivered.
    public static func markDelivered(_ messages: [WebChatMessage], in db: Database, now: Int64) throws {
        for message in messages where message.awaitsDelivery {
            try db.run("UPDATE messages SET status = 'delivered', status_at = ? WHERE id = ? AND status = 'sent'", now, message.cursor)
        }
    }

    /// Reads a session's messages after `cursor`, then marks the outbound ones delivered (the
    /// page has them now), each in its own transaction.
    static func read(_ session: WebChatSession, after cursor: Int64, pool: DatabasePool, clock: any DeliveryClock) async throws -> [WebChatMessage] {
        let messages = try await pool.read { db in try Self.messages(identity: session.identityID, after: cursor, in: db) }
        if messages.contains(where: \.awaitsDelivery) {
            let now = clock.now()
            try await pool.write { db in try Self.markDelivered(messages, in: db, now: now) }
        }
        return messages
    }

    static func tokenHash(_ token: String) -> String {
        Hex.encode(SHA256.hash(token.utf8))
    }
}
