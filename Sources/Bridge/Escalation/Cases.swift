import Storage

/// The case store: handoff records found by what a contact center calls them, and their state
/// as agents take, resolve and close them. Inside the caller's transaction.
enum Cases {
    /// A case with what an event needs of its conversation.
    struct Found: Sendable, Equatable {
        var id: Int64
        var publicID: String
        var conversationID: Int64
        var agent: String?
        /// The conversation's state.
        var state: ConversationState
        /// The conversation's channel.
        var channel: String
        /// The identity the conversation speaks to.
        var identityID: Int64?
    }

    /// The case `key` names at one contact center: by our case id, by the contact center's own
    /// reference (the latest case with it), or by the conversation whose current case it is.
    static func find(_ key: ContactCenterEvent.CaseKey, contactCenter: String, in db: Database) throws -> Found? {
        let select = """
            SELECT c.id, c.public_id, c.conversation_id, c.agent, v.state, v.channel, v.identity_id
            FROM cases c JOIN conversations v ON v.id = c.conversation_id
            """
        let found: Row?
        switch key {
        case .caseID(let id): found = try db.queryRow(select + " WHERE c.public_id = ? AND c.contact_center = ?", id, contactCenter)
        case .ref(let ref):
            found = try db.queryRow(select + " WHERE c.external_ref = ? AND c.contact_center = ? ORDER BY c.id DESC LIMIT 1", ref, contactCenter)
        case .conversation(let id):
            found = try db.queryRow(select + " WHERE v.public_id = ? AND c.id = v.case_id AND c.contact_center = ?", id, contactCenter)
        }
        guard let row = found, let id = row.int64("id"), let publicID = row.string("public_id"),
              let conversationID = row.int64("conversation_id"),
              let state = row.string("state").flatMap(ConversationState.init(rawValue:)), let channel = row.string("channel") else {
            return nil
        }
        return Found(id: id, publicID: publicID, conversationID: conversationID, agent: row.string("agent"), state: state,
                     channel: channel, identityID: row.int64("identity_id"))
    }

    /// The public id of the conversation's current case, if it has one.
    static func publicID(ofConversation conversationID: Int64, in db: Database) throws -> String? {
        try db.scalar("SELECT c.public_id FROM conversations v JOIN cases c ON c.id = v.case_id WHERE v.id = ?", conversationID).string
    }

    /// An agent took the case.
    static func assign(_ caseID: Int64, agent: String?, in db: Database, now: Int64) throws {
        try db.run("UPDATE cases SET state = 'assigned', agent = ?, assigned_at = ? WHERE id = ?", agent, now, caseID)
    }

    /// The contact center resolved the case.
    static func resolve(_ caseID: Int64, in db: Database, now: Int64) throws {
        try db.run("UPDATE cases SET state = 'resolved', resolved_at = ? WHERE id = ?", now, caseID)
    }

    /// The conversation closed: the case is resolved, keeping an earlier resolution time.
    static func close(_ caseID: Int64, in db: Database, now: Int64) throws {
        try db.run("UPDATE cases SET state = 'resolved', resolved_at = coalesce(resolved_at, ?) WHERE id = ?", now, caseID)
    }

    /// The conversation was handed back: its current case is resolved, keeping an earlier resolution time.
    static func resolveCurrent(conversationID: Int64, in db: Database, now: Int64) throws {
        try db.run("UPDATE cases SET state = 'resolved', resolved_at = coalesce(resolved_at, ?) WHERE id = (SELECT case_id FROM conversations WHERE id = ?)",
                   now, conversationID)
    }
}
