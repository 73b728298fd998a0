import Storage

/// The conversation store's lookups for the API: a conversation by its public id, and the
/// public ids of the messages a send stored. Inside the caller's transaction.
public enum Conversations {
    /// A conversation named by its public id.
    public struct Reference: Sendable, Equatable {
        /// The row id.
        public var id: Int64
        /// The channel it is on.
        public var channel: String?
    }

    /// The conversation with this public id, if any.
    public static func find(publicID: String, in db: Database) throws -> Reference? {
        guard let row = try db.queryRow("SELECT id, channel FROM conversations WHERE public_id = ?", publicID),
              let id = row.int64("id") else { return nil }
        return Reference(id: id, channel: row.string("channel"))
    }

    /// The public ids of stored messages, in the order given.
    static func messagePublicIDs(_ ids: [Int64], in db: Database) throws -> [String] {
        try ids.compactMap { try db.scalar("SELECT public_id FROM messages WHERE id = ?", $0).string }
    }
}
