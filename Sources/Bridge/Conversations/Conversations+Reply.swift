import Storage

/// A message sent into a known conversation (a bot's or agent's reply, an API dispatch), with
/// the public ids of what it stored.
extension Conversations {
    /// What a reply stored and how it went out.
    public struct Reply: Sendable, Equatable {
        /// What `Outbound.send` did.
        public var result: OutboundResult
        /// The stored messages' public ids, one per part.
        public var messagePublicIDs: [String]
    }

    /// Sends `message` into the conversation through its channel (`sender`; nil for the web chat).
    public static func reply(_ message: OutboundMessage, conversationID: Int64, sender: ChannelSender?, publicURL: String,
                             in db: Database, now: Int64) throws -> Reply {
        let result = try Outbound.send(message, conversationID: conversationID, sender: sender, publicURL: publicURL, in: db, now: now)
        return Reply(result: result, messagePublicIDs: try messagePublicIDs(result.messageIDs, in: db))
    }
}
