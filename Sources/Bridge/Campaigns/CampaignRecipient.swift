import Storage
import Templates

/// A recipient of a campaign trigger after validation: who, with what properties and attributes.
struct CampaignRecipient {
    var externalID: String?
    var alias: (name: String, label: String)?
    var triggerProperties: [String: TemplateValue]
    var attributes: [String: TemplateValue]
    var sendToExistingOnly: Bool
    /// How errors and answers name it: the external id, else `label:name` of the alias.
    var label: String { externalID ?? alias.map { "\($0.label):\($0.name)" } ?? "?" }

    /// The user it names. An unknown external id is a new profile when `sendToExistingOnly` is off.
    func resolve(in db: Database, now: Int64) throws -> Int64 {
        if let externalID {
            if let user = try Dispatch.user(externalID: externalID, in: db) { return user }
            guard !sendToExistingOnly else { throw Dispatch.Problem.unknownUser(externalID) }
            // A new profile: it has no channel identity yet, so nothing can be sent to it (reported).
            return try ProfileDirectory.create(.externalID(externalID), in: db, now: now)
        }
        if let alias, let user = try ProfileDirectory.user(.alias(name: alias.name, label: alias.label), in: db) { return user }
        throw Dispatch.Problem.unknownUser(label)
    }

    /// A broadcast's recipients: every user with an external id who has a conversation (on
    /// `channel`, when given).
    static func broadcast(channel: String?, in db: Database) throws -> [CampaignRecipient] {
        let rows = try db.query("""
            SELECT DISTINCT u.external_id FROM users u JOIN conversations c ON c.user_id = u.id
            WHERE u.external_id IS NOT NULL AND (?1 IS NULL OR c.channel = ?1)
            """, channel)
        return rows.compactMap { $0.string("external_id") }.map {
            CampaignRecipient(externalID: $0, alias: nil, triggerProperties: [:], attributes: [:], sendToExistingOnly: true)
        }
    }
}
