import Storage
import Templates

/// What a contact center's events do to a case and its conversation, inside the caller's
/// transaction. Agent joined → `agent` and the `agent-joined` notice; agent message → sent to the
/// user through the channel (session window rules apply); transferred → `queued`; resolved → back
/// to `bot` with the `handoff-resolved` notice; closed → `closed`. An event already applied (the
/// same event id) does nothing twice.
public enum ContactCenterEvents {
    /// What applying an event did.
    public struct Outcome: Sendable, Equatable {
        /// The conversation's state afterwards.
        public var state: ConversationState
        /// The web-chat identity whose readers to wake (nil on channels with a sender).
        public var identity: Int64?
        /// The event id was applied before: nothing was done again.
        public var duplicate = false
    }

    /// Why an event cannot be applied (the route answers 404 or 409).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// An event the adapter ignores: it has nothing to apply.
        case ignored
        /// No case at this contact center is the one the event names.
        case noCase(ContactCenterEvent.CaseKey, contactCenter: String)
        /// The event asks for a transition the conversation's state does not allow.
        case illegal(IllegalTransition, casePublicID: String)
        /// An agent message for a conversation that is not with people.
        case notWithPeople(casePublicID: String, state: ConversationState)

        /// No case matched: what an adapter with `"unmatched": "ignore"` acknowledges and drops.
        public var isUnmatched: Bool {
            switch self {
            case .ignored, .noCase: true
            case .illegal, .notWithPeople: false
            }
        }

        public var description: String {
            switch self {
            case .ignored: "an ignored event applies to nothing"
            case .noCase(let key, let contactCenter): "no case for \(key.description) at contact center '\(contactCenter)'"
            case .illegal(let transition, let casePublicID): "\(transition.description) (case \(casePublicID))"
            case .notWithPeople(let casePublicID, let state):
                "the conversation of case \(casePublicID) is \(state.rawValue), not with an agent"
            }
        }
    }

    /// Applies one event of `center` to the case it names. `eventID` (the contact center's
    /// delivery id) makes a repeated event a duplicate.
    public static func apply(_ event: ContactCenterEvent, center: ContactCenter, eventID: String?, configuration: GatewayConfiguration,
                             in db: Database, now: Int64) throws -> Outcome {
        guard let kind = event.kind else { throw Failure.ignored }
        guard let found = try Cases.find(event.caseKey, contactCenter: center.id, in: db) else {
            throw Failure.noCase(event.caseKey, contactCenter: center.id)
        }
        if let eventID, try alreadyApplied(eventID, in: db) { return Outcome(state: found.state, duplicate: true) }
        let channel = configuration.channels[found.channel]
        let step = Step(found: found, channel: channel, configuration: configuration, db: db, now: now)
        let agent = event.agentName ?? found.agent
        switch kind {
        case .agentJoined:
            guard found.state != .agent else { return Outcome(state: found.state) }
            try step.move(.agent, "agent joined" + (agent.map { ": \($0)" } ?? ""))
            try Cases.assign(found.id, agent: agent, in: db, now: now)
            try step.announce(.agentJoined, event: "agent_joined", agent: agent)
        case .agentMessage:
            guard found.state == .queued || found.state == .agent else {
                throw Failure.notWithPeople(casePublicID: found.publicID, state: found.state)
            }
            try step.sendAgentMessage(event.text, agent: agent, eventID: eventID)
        case .transferred:
            guard found.state != .queued else { return Outcome(state: found.state) }
            try step.move(.queued, "transferred")
        case .resolved:
            guard found.state != .bot else { return Outcome(state: found.state) }
            try step.move(.bot, "resolved by the contact center")
            try Cases.resolve(found.id, in: db, now: now)
            try step.announce(.handoffResolved, event: "resolved", agent: agent)
        case .closed:
            guard found.state != .closed else { return Outcome(state: found.state) }
            try step.move(.closed, "closed by the contact center")
            try Cases.close(found.id, in: db, now: now)
        }
        if let eventID, kind != .agentMessage { try record(kind, eventID: eventID, of: found, in: db, now: now) }
        let identity = channel?.sender == nil ? found.identityID : nil
        return Outcome(state: try ConversationStates.state(of: found.conversationID, in: db) ?? found.state, identity: identity)
    }

    // MARK: - Event ids

    /// An event with this id was applied before (an agent message carries it as its dispatch id,
    /// every other event as the `contact_center_event` note's).
    static func alreadyApplied(_ eventID: String, in db: Database) throws -> Bool {
        try db.queryRow("SELECT 1 FROM messages WHERE dispatch_id = ?", eventID) != nil
    }

    /// Notes the event in the transcript, carrying its id.
    static func record(_ kind: ContactCenterEvent.Kind, eventID: String, of found: Cases.Found, in db: Database, now: Int64) throws {
        let noted = try Outbound.note(conversationID: found.conversationID, type: "contact_center_event", text: kind.rawValue,
                                      payload: .object(["case_id": .string(found.publicID)]), in: db, now: now)
        try db.run("UPDATE messages SET dispatch_id = ? WHERE id = ?", eventID, noted)
    }

    // MARK: - Steps

    /// The pieces an event is made of, for one case in one transaction.
    struct Step {
        let found: Cases.Found
        let channel: Channel?
        let configuration: GatewayConfiguration
        let db: Database
        let now: Int64

        /// Moves the conversation, naming the case in the transcript.
        func move(_ next: ConversationState, _ reason: String) throws {
            do {
                try ConversationStates.move(found.conversationID, to: next, reason: reason, details: ["case_id": .string(found.publicID)],
                                            in: db, now: now)
            } catch ConversationStates.Failure.illegal(let transition) {
                throw Failure.illegal(transition, casePublicID: found.publicID)
            }
        }

        /// Sends the user the notice, then records the case event on the profile.
        func announce(_ notice: Notices.Name, event: String, agent: String?) throws {
            let extra: [String: TemplateValue] = ["agent_name": agent.map(TemplateValue.string) ?? .null, "case_number": .string(found.publicID)]
            try configuration.notices.send(notice, conversationID: found.conversationID, extra: extra, sender: channel?.sender,
                                           publicURL: configuration.publicURL, in: db, now: now)
            try Enrichment.caseEvent(event, conversationID: found.conversationID, casePublicID: found.publicID, agent: agent,
                                     settings: configuration.profiles, in: db, now: now)
        }

        /// Sends the agent's text to the user, carrying the event id as its dispatch id.
        func sendAgentMessage(_ text: String?, agent: String?, eventID: String?) throws {
            var message = OutboundMessage(text: text, author: .agent, authorID: agent)
            message.dispatchID = eventID
            _ = try Outbound.send(message, conversationID: found.conversationID, sender: channel?.sender,
                                  publicURL: configuration.publicURL, in: db, now: now)
        }
    }
}
