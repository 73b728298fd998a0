import Storage

/// What one dispatch call (a campaign trigger, an inline message) sent, built up inside its
/// transaction: one `dispatch_id` for all its messages, the problems to report, and who to wake.
struct DispatchBatch {
    /// One recipient's outcome, in the answer (an extension to Braze's: where each message went).
    struct Sent: Encodable, Sendable, Equatable {
        var externalUserID: String
        var conversationID: String
        var messageIDs: [String]
        enum CodingKeys: String, CodingKey {
            case externalUserID = "external_user_id", conversationID = "conversation_id", messageIDs = "message_ids"
        }
    }

    let dispatchID = PublicID.make("dsp")
    var errors: [String] = []
    var sent: [Sent] = []
    /// Web-chat identities to wake after the commit.
    var identities: [Int64] = []

    /// Sends `message` to one target, noting a closed session window or a channel no longer configured as an error.
    mutating func send(_ message: OutboundMessage, to target: Dispatch.Target, label: String, configuration: GatewayConfiguration,
                       in db: Database, now: Int64) throws {
        guard let channel = configuration.channels[target.channel] else {
            errors.append("channel '\(target.channel)' is no longer configured")
            return
        }
        var message = message
        message.dispatchID = dispatchID
        let reply = try Conversations.reply(message, conversationID: target.conversationID, sender: channel.sender,
                                            publicURL: configuration.publicURL, in: db, now: now)
        if channel.sender == nil { identities.append(reply.result.identityID) }
        if reply.result.windowClosed && !reply.result.usedFallback {
            errors.append("\(label): the session window is closed and the channel has no fallback template (message stored as failed)")
        }
        sent.append(Sent(externalUserID: label, conversationID: target.conversationPublicID, messageIDs: reply.messagePublicIDs))
    }
}
