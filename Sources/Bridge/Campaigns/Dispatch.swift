import Foundation
import Storage
import Templates

/// Sending to a user named by external id: their conversation (the most recent, on the
/// requested channel if any; reopened when closed), the message rendered with their profile,
/// and the outbound send — inside the caller's transaction.
enum Dispatch {
    struct Target {
        var conversationID: Int64
        var conversationPublicID: String
        var channel: String
        var identityID: Int64
    }

    enum Problem: Error, Equatable, CustomStringConvertible {
        case unknownUser(String)
        case noConversation(String)
        case nothingToSend(String)
        /// The campaign's template said `abort_message` for this recipient: nothing sent.
        case aborted(String, reason: String)
        var description: String {
            switch self {
            case .unknownUser(let id): "no user with external_user_id '\(id)'"
            case .noConversation(let id): "user '\(id)' has never written on a channel that can be reached"
            case .nothingToSend(let id): "the message rendered empty for '\(id)'"
            case .aborted(let id, let reason): "the message was aborted for '\(id)': \(reason.isEmpty ? "abort_message" : reason)"
            }
        }
    }

    /// The user with this external id, if any.
    static func user(externalID: String, in db: Database) throws -> Int64? {
        try db.scalar("SELECT id FROM users WHERE external_id = ?", externalID).int64
    }

    /// The user's conversation to send on: the most recent one on a configured channel (on
    /// `channel`, when given), reopened when it is closed; nil when there is none.
    static func target(user: Int64, channel: String?, channels: [String: Channel], in db: Database, now: Int64) throws -> Target? {
        let rows = try db.query("""
            SELECT id, public_id, channel, state, identity_id FROM conversations WHERE user_id = ?
            ORDER BY updated_at DESC, id DESC LIMIT 20
            """, user)
        guard let row = rows.first(where: { row in
            guard let name = row.string("channel"), channels[name] != nil else { return false }
            return channel == nil || name == channel
        }), let id = row.int64("id"), let name = row.string("channel"), let identity = row.int64("identity_id") else { return nil }
        if row.string("state").flatMap(ConversationState.init(rawValue:)) != .closed {
            return Target(conversationID: id, conversationPublicID: row.string("public_id") ?? "", channel: name, identityID: identity)
        }
        let reopened = try Ingest.openConversation(channel: name, userID: user, identityID: identity, in: db, now: now)
        return Target(conversationID: reopened.id, conversationPublicID: reopened.publicID, channel: name, identityID: identity)
    }

    /// The render context for one recipient: the profile at the top level (Braze's
    /// `{{${first_name}}}`), `attributes`/`custom_attribute`, `user_id`, and the caller's extras.
    static func context(user: Int64, externalID: String, extra: [String: TemplateValue], in db: Database) throws -> TemplateValue {
        var context = try Profiles.templateContext(of: user, in: db)
        context["user_id"] = .string(externalID)
        context["external_id"] = .string(externalID)
        for (name, value) in extra { context[name] = value }
        return .object(context)
    }
}
