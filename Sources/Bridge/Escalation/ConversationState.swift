import Storage
import Templates

/// Where a conversation is: with the bot, waiting for an agent, with an agent, or over.
///
/// ```
/// bot ──▶ queued ──▶ agent ──▶ bot
///  │        │  ▲       │  │
///  │        │  └───────┘  └──▶ closed      (agent → queued: transferred)
///  └────────┴──▶ agent, bot, closed        (a handoff may go straight to an agent)
/// ```
public enum ConversationState: String, Sendable, CaseIterable, Codable {
    case bot, queued, agent, closed

    /// The states each state may move to. Everything else is refused.
    public static let transitions: [ConversationState: Set<ConversationState>] = [
        .bot: [.queued, .agent, .closed],
        .queued: [.agent, .bot, .closed],
        .agent: [.bot, .queued, .closed],
        .closed: [],
    ]

    public func canMove(to next: ConversationState) -> Bool {
        Self.transitions[self]?.contains(next) ?? false
    }
}

/// A transition the state machine does not allow (the API answers 409).
public struct IllegalTransition: Error, Equatable, CustomStringConvertible {
    public var from: ConversationState
    public var to: ConversationState
    public var description: String { "a conversation cannot go from \(from.rawValue) to \(to.rawValue)" }
}

/// The one place conversation states change: checks the transition, writes the new state, and
/// records a `state_changed` system event (from, to, reason) in the transcript.
public enum ConversationStates {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case illegal(IllegalTransition)
        case unknownConversation(Int64)
        public var description: String {
            switch self {
            case .illegal(let transition): transition.description
            case .unknownConversation(let id): "no conversation with id \(id)"
            }
        }
    }

    /// The conversation's current state.
    public static func state(of conversationID: Int64, in db: Database) throws -> ConversationState? {
        try db.scalar("SELECT state FROM conversations WHERE id = ?", conversationID).string.flatMap(ConversationState.init(rawValue:))
    }

    /// Moves a conversation to `next`, inside the caller's transaction. Returns the state it left.
    @discardableResult
    public static func move(_ conversationID: Int64, to next: ConversationState, reason: String, details: [String: TemplateValue] = [:],
                            in db: Database, now: Int64) throws -> ConversationState {
        guard let current = try state(of: conversationID, in: db) else { throw Failure.unknownConversation(conversationID) }
        guard current.canMove(to: next) else { throw Failure.illegal(IllegalTransition(from: current, to: next)) }
        try db.run("UPDATE conversations SET state = ?, updated_at = ? WHERE id = ? AND state = ?",
                   next.rawValue, now, conversationID, current.rawValue)
        var payload = details
        payload["from"] = .string(current.rawValue)
        payload["to"] = .string(next.rawValue)
        try Outbound.note(conversationID: conversationID, type: "state_changed", text: reason, payload: .object(payload), in: db, now: now)
        return current
    }
}
