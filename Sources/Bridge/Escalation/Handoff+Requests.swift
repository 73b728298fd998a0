import Storage
import Templates

/// Handoffs and handbacks asked for through the conversations API, inside the caller's
/// transaction: a bot asks for a person, people give the conversation back.
extension Handoff {
    /// Why an asked-for handoff does not start (the API answers 409). Thrown inside the
    /// transaction, so the `handoff_request` note written when no contact center is configured
    /// is not kept.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        /// No contact center is configured to take it.
        case noContactCenter
        /// The conversation is not with the bot (its state then, nil when unknown).
        case notWithBot(ConversationState?)

        public var description: String {
            switch self {
            case .noContactCenter: "no contact center is configured to take the handoff"
            case .notWithBot(let state): "the conversation is \(state?.rawValue ?? "unknown"), not with the bot: no handoff"
            }
        }
    }

    /// Starts the handoff a bot asked for, or throws a `Refusal`.
    public static func request(conversationID: Int64, signal: EscalationSignal, configuration: GatewayConfiguration,
                               in db: Database, now: Int64) throws -> Started {
        let state = try ConversationStates.state(of: conversationID, in: db)
        guard let started = try start(conversationID: conversationID, signal: signal, configuration: configuration, in: db, now: now) else {
            guard configuration.defaultContactCenter != nil else { throw Refusal.noContactCenter }
            throw Refusal.notWithBot(state)
        }
        return started
    }

    /// Gives a conversation held by people back to the bot: the state change, its case resolved,
    /// and the `handoff-resolved` notice. Returns the identity the notice went to. Throws
    /// `ConversationStates.Failure.illegal` from `bot` or `closed`.
    public static func handBack(conversationID: Int64, reason: String, sender: ChannelSender?, configuration: GatewayConfiguration,
                                in db: Database, now: Int64) throws -> Int64? {
        try ConversationStates.move(conversationID, to: .bot, reason: reason, in: db, now: now)
        let caseID = try Cases.publicID(ofConversation: conversationID, in: db)
        try Cases.resolveCurrent(conversationID: conversationID, in: db, now: now)
        return try configuration.notices.send(.handoffResolved, conversationID: conversationID,
                                              extra: ["case_number": caseID.map(TemplateValue.string) ?? .null],
                                              sender: sender, publicURL: configuration.publicURL, in: db, now: now)?.identityID
    }
}
