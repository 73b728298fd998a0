import Foundation
import Storage

/// A conversation as `GET /v1/conversations/{id}` shows it: state, channel, user, and the whole
/// transcript with each message's delivery status.
struct ConversationView: Encodable {
    var id: String
    var channel: String
    var state: String
    var locale: String?
    var userID: String?
    var address: String?
    var createdAt: String
    var updatedAt: String
    var lastInboundAt: String?
    var messages: [Message]?

    struct Message: Encodable {
        var id: String
        var sequence: Int
        var direction: String
        var author: String
        var authorID: String?
        var type: String
        var text: String?
        var status: String?
        var statusAt: String?
        var error: String?
        var dispatchID: String?
        var createdAt: String
        enum CodingKeys: String, CodingKey {
            case id, sequence, direction, author, type, text, status, error
            case authorID = "author_id", statusAt = "status_at", dispatchID = "dispatch_id", createdAt = "created_at"
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, channel, state, locale, address, messages
        case userID = "user_id", createdAt = "created_at", updatedAt = "updated_at", lastInboundAt = "last_inbound_at"
    }

    static let select = """
        SELECT c.id AS rowid, c.public_id, c.channel, c.state, c.locale, c.created_at, c.updated_at, c.last_inbound_at,
               u.external_id, i.address
        FROM conversations c JOIN users u ON u.id = c.user_id JOIN identities i ON i.id = c.identity_id
        """

    static func view(_ row: Row) -> ConversationView {
        ConversationView(id: row.string("public_id") ?? "", channel: row.string("channel") ?? "", state: row.string("state") ?? "",
                         locale: row.string("locale"), userID: row.string("external_id"), address: row.string("address"),
                         createdAt: DeliveryView.time(row.int64("created_at") ?? 0), updatedAt: DeliveryView.time(row.int64("updated_at") ?? 0),
                         lastInboundAt: row.int64("last_inbound_at").map(DeliveryView.time))
    }

    /// The most recently updated conversations, in one state or all.
    static func list(state: ConversationState?, limit: Int, in db: Database) throws -> [ConversationView] {
        try db.query(select + " WHERE (?1 IS NULL OR c.state = ?1) ORDER BY c.updated_at DESC, c.id DESC LIMIT ?2", state?.rawValue, limit).map(view)
    }

    /// One conversation with its whole transcript.
    static func find(publicID: String, in db: Database) throws -> ConversationView? {
        guard let row = try db.queryRow(select + " WHERE c.public_id = ?", publicID), let rowid = row.int64("rowid") else { return nil }
        var conversation = view(row)
        conversation.messages = try db.query("""
            SELECT public_id, sequence, direction, author_kind, author_id, type, text, status, status_at, error, dispatch_id, created_at
            FROM messages WHERE conversation_id = ? ORDER BY sequence
            """, rowid).map { row in
            Message(id: row.string("public_id") ?? "", sequence: row.int("sequence") ?? 0, direction: row.string("direction") ?? "",
                    author: row.string("author_kind") ?? "", authorID: row.string("author_id"), type: row.string("type") ?? "text",
                    text: row.string("text"), status: row.string("status"), statusAt: row.int64("status_at").map(DeliveryView.time),
                    error: row.string("error"), dispatchID: row.string("dispatch_id"),
                    createdAt: DeliveryView.time(row.int64("created_at") ?? 0))
        }
        return conversation
    }
}
