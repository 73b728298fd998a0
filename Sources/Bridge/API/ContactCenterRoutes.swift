import HTTP
import Storage
import Templates

/// `POST /contact-centers/{id}/events`: what agents do, signed as the contact center's adapter
/// says (Standard Webhooks with its secret for `webhook`). Agent joined → `agent` and the
/// `agent-joined` notice; agent message → sent to the user through the channel (session window
/// rules apply); transferred → `queued`; resolved → back to `bot` with the `handoff-resolved`
/// notice; closed → `closed`. An event the conversation's state does not allow is 409; an event
/// sent again with the same `webhook-id` does nothing twice.
public enum ContactCenterRoutes {
    struct Answer: Encodable {
        var status: String
        var state: String?
        var type: String
    }

    public static func register(on router: inout Router, configuration: GatewayConfiguration, pool: DatabasePool,
                                dispatcher: DeliveryDispatcher, clock: any DeliveryClock, webChatHub: WebChatHub) {
        router.post("/contact-centers/{id}/events") { request, context in
            let id = context.parameters["id"] ?? ""
            guard let center = configuration.contactCenters[id] else { throw HTTPError.notFound("no contact center '\(id)'") }
            guard center.adapter.events != nil else {
                throw HTTPError(.notFound, code: "no_events", message: "contact center '\(id)' (adapter \(center.adapter.name)) takes no events")
            }
            let now = clock.now()
            try center.adapter.verify.verify(WebhookVerification.Request(request, publicBaseURL: configuration.publicURL),
                                             secrets: center.secretText.map { [$0] } ?? [], now: now / 1000)
            let event: ContactCenterEvent
            switch center.read(event: request.body) {
            case .success(let read): event = read
            case .failure(let error): throw HTTPError(.unprocessableContent, code: "invalid_event", message: error.message)
            }
            guard event.kind != nil else { return .json(Answer(status: "ignored", state: nil, type: event.type)) }
            let eventID = ["webhook-id", "X-Chatwoot-Delivery", "I-Twilio-Idempotency-Token"].lazy
                .compactMap { request.headers[$0] }.first.map { "cc:\(id):\($0)" }
            let outcome: Outcome
            do {
                outcome = try await pool.write { db in
                    try apply(event, center: center, eventID: eventID, configuration: configuration, in: db, now: now)
                }
            } catch let error as HTTPError where error.status == .notFound && center.adapter.events?.ignoresUnmatched == true {
                return .json(Answer(status: "ignored", state: nil, type: event.type))
            }
            dispatcher.notify()
            if let identity = outcome.identity { webChatHub.notify(identity: identity) }
            return .json(Answer(status: outcome.duplicate ? "duplicate" : "applied", state: outcome.state.rawValue, type: event.type))
        }
    }

    struct Outcome: Sendable {
        var state: ConversationState
        var identity: Int64?
        var duplicate = false
    }

    static func apply(_ event: ContactCenterEvent, center: ContactCenter, eventID: String?, configuration: GatewayConfiguration,
                      in db: Database, now: Int64) throws -> Outcome {
        guard let kind = event.kind else { throw HTTPError.notFound("an ignored event applies to nothing") }
        let select = """
            SELECT c.id, c.public_id, c.conversation_id, c.agent, v.state, v.channel, v.identity_id
            FROM cases c JOIN conversations v ON v.id = c.conversation_id
            """
        let found: Row?
        switch event.caseKey {
        case .caseID(let id): found = try db.queryRow(select + " WHERE c.public_id = ? AND c.contact_center = ?", id, center.id)
        case .ref(let ref):
            found = try db.queryRow(select + " WHERE c.external_ref = ? AND c.contact_center = ? ORDER BY c.id DESC LIMIT 1", ref, center.id)
        case .conversation(let id):
            found = try db.queryRow(select + " WHERE v.public_id = ? AND c.id = v.case_id AND c.contact_center = ?", id, center.id)
        }
        guard let row = found, let caseID = row.int64("id"), let casePublicID = row.string("public_id"),
              let conversationID = row.int64("conversation_id"),
              let state = row.string("state").flatMap(ConversationState.init(rawValue:)), let channelID = row.string("channel") else {
            throw HTTPError.notFound("no case for \(event.caseKey.description) at contact center '\(center.id)'")
        }
        if let eventID, try db.queryRow("SELECT 1 FROM messages WHERE dispatch_id = ?", eventID) != nil {
            return Outcome(state: state, duplicate: true)
        }
        let channel = configuration.channels[channelID]
        let identity = channel?.sender == nil ? row.int64("identity_id") : nil
        func move(_ next: ConversationState, _ reason: String) throws {
            do {
                try ConversationStates.move(conversationID, to: next, reason: reason, details: ["case_id": .string(casePublicID)], in: db, now: now)
            } catch ConversationStates.Failure.illegal(let transition) {
                throw HTTPError(.conflict, code: "illegal_transition", message: "\(transition.description) (case \(casePublicID))")
            }
        }
        func notice(_ name: Notices.Name, _ extra: [String: TemplateValue]) throws {
            try configuration.notices.send(name, conversationID: conversationID, extra: extra, sender: channel?.sender,
                                           publicURL: configuration.publicURL, in: db, now: now)
        }
        let agent = event.agentName ?? row.string("agent")
        switch kind {
        case .agentJoined:
            guard state != .agent else { return Outcome(state: state) }
            try move(.agent, "agent joined" + (agent.map { ": \($0)" } ?? ""))
            try db.run("UPDATE cases SET state = 'assigned', agent = ?, assigned_at = ? WHERE id = ?", agent, now, caseID)
            try notice(.agentJoined, ["agent_name": agent.map(TemplateValue.string) ?? .null, "case_number": .string(casePublicID)])
            try Enrichment.caseEvent("agent_joined", conversationID: conversationID, casePublicID: casePublicID, agent: agent,
                                     settings: configuration.profiles, in: db, now: now)
        case .agentMessage:
            guard state == .queued || state == .agent else {
                throw HTTPError(.conflict, code: "not_with_people", message: "the conversation of case \(casePublicID) is \(state.rawValue), not with an agent")
            }
            var message = OutboundMessage(text: event.text, author: .agent, authorID: agent)
            message.dispatchID = eventID
            _ = try Outbound.send(message, conversationID: conversationID, sender: channel?.sender, publicURL: configuration.publicURL,
                                  in: db, now: now)
        case .transferred:
            guard state != .queued else { return Outcome(state: state) }
            try move(.queued, "transferred")
        case .resolved:
            guard state != .bot else { return Outcome(state: state) }
            try move(.bot, "resolved by the contact center")
            try db.run("UPDATE cases SET state = 'resolved', resolved_at = ? WHERE id = ?", now, caseID)
            try notice(.handoffResolved, ["agent_name": agent.map(TemplateValue.string) ?? .null, "case_number": .string(casePublicID)])
            try Enrichment.caseEvent("resolved", conversationID: conversationID, casePublicID: casePublicID, agent: agent,
                                     settings: configuration.profiles, in: db, now: now)
        case .closed:
            guard state != .closed else { return Outcome(state: state) }
            try move(.closed, "closed by the contact center")
            try db.run("UPDATE cases SET state = 'resolved', resolved_at = coalesce(resolved_at, ?) WHERE id = ?", now, caseID)
        }
        if let eventID, kind != .agentMessage {
            try Outbound.note(conversationID: conversationID, type: "contact_center_event", text: kind.rawValue,
                              payload: .object(["case_id": .string(casePublicID)]), in: db, now: now)
            try db.run("UPDATE messages SET dispatch_id = ? WHERE id = ?", eventID, db.lastInsertRowID)
        }
        return Outcome(state: try ConversationStates.state(of: conversationID, in: db) ?? state, identity: identity)
    }
}
