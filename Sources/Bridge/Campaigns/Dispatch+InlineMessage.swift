import Storage

/// `POST /messages/send` in the domain: one inline message (no campaign) to a conversation
/// and to users named by external id.
extension Dispatch {
    /// Sends `message` to the open conversation `conversationPublicID` and to each user's
    /// conversation (on `channel`, when given), inside the caller's transaction. A recipient
    /// that cannot be reached is an error in the batch; the others are still sent.
    static func inline(_ message: OutboundMessage, conversationPublicID: String?, externalIDs: [String], channel: String?,
                       batch: inout DispatchBatch, configuration: GatewayConfiguration, in db: Database, now: Int64) throws {
        var targets: [(label: String, target: Target?)] = []
        if let conversationPublicID {
            if let target = try openTarget(conversationPublicID: conversationPublicID, in: db) {
                targets.append((conversationPublicID, target))
            } else {
                batch.errors.append("no open conversation '\(conversationPublicID)'")
            }
        }
        for externalID in externalIDs {
            guard let user = try user(externalID: externalID, in: db) else {
                batch.errors.append(Problem.unknownUser(externalID).description)
                continue
            }
            targets.append((externalID, try target(user: user, channel: channel, channels: configuration.channels, in: db, now: now)))
        }
        for (label, target) in targets {
            guard let target else { batch.errors.append(Problem.noConversation(label).description); continue }
            try batch.send(message, to: target, label: label, configuration: configuration, in: db, now: now)
        }
    }

    /// The conversation with this public id, when it is not closed.
    static func openTarget(conversationPublicID: String, in db: Database) throws -> Target? {
        let row = try db.queryRow("SELECT id, channel, identity_id, state FROM conversations WHERE public_id = ?", conversationPublicID)
        guard let row, let id = row.int64("id"), let channel = row.string("channel"),
              row.string("state").flatMap(ConversationState.init(rawValue:)) != .closed else { return nil }
        return Target(conversationID: id, conversationPublicID: conversationPublicID, channel: channel, identityID: row.int64("identity_id") ?? 0)
    }
}
