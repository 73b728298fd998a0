import HTTP
import Storage

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
            let outcome: ContactCenterEvents.Outcome
            do {
                outcome = try await pool.write { db in
                    try ContactCenterEvents.apply(event, center: center, eventID: eventID, configuration: configuration, in: db, now: now)
                }
            } catch let failure as ContactCenterEvents.Failure {
                if failure.isUnmatched && center.adapter.events?.ignoresUnmatched == true {
                    return .json(Answer(status: "ignored", state: nil, type: event.type))
                }
                throw httpError(failure)
            }
            dispatcher.notify()
            if let identity = outcome.identity { webChatHub.notify(identity: identity) }
            return .json(Answer(status: outcome.duplicate ? "duplicate" : "applied", state: outcome.state.rawValue, type: event.type))
        }
    }

    /// The answer to an event that cannot be applied: 404 when it names no case, 409 when the
    /// conversation's state refuses it.
    static func httpError(_ failure: ContactCenterEvents.Failure) -> HTTPError {
        switch failure {
        case .ignored, .noCase: HTTPError.notFound(failure.description)
        case .illegal: HTTPError(.conflict, code: "illegal_transition", message: failure.description)
        case .notWithPeople: HTTPError(.conflict, code: "not_with_people", message: failure.description)
        }
    }
}
