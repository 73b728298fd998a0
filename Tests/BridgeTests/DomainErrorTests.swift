import HTTP
import Testing
@testable import Bridge

/// What the routes answer for each domain error: status, code and message, the same as when the
/// routes held the domain code and threw them themselves.
@Suite struct DomainErrorTests {
    @Test(arguments: [
        (ContactCenterEvents.Failure.ignored, 404, "not_found", "an ignored event applies to nothing"),
        (.noCase(.caseID("case_x"), contactCenter: "cw"), 404, "not_found", "no case for case_x at contact center 'cw'"),
        (.noCase(.ref("42"), contactCenter: "cw"), 404, "not_found", "no case for ref 42 at contact center 'cw'"),
        (.illegal(IllegalTransition(from: .closed, to: .agent), casePublicID: "case_x"), 409, "illegal_transition",
         "a conversation cannot go from closed to agent (case case_x)"),
        (.notWithPeople(casePublicID: "case_x", state: .bot), 409, "not_with_people",
         "the conversation of case case_x is bot, not with an agent"),
    ])
    func contactCenterEvents(failure: ContactCenterEvents.Failure, status: Int, code: String, message: String) {
        let error = ContactCenterRoutes.httpError(failure)
        #expect(error.status.code == status)
        #expect(error.code == code)
        #expect(error.message == message)
        #expect(failure.isUnmatched == (status == 404), "only a missing case may be ignored by an adapter that ignores unmatched events")
    }

    @Test(arguments: [
        (Handoff.Refusal.noContactCenter, "no_contact_center", "no contact center is configured to take the handoff"),
        (.notWithBot(.queued), "illegal_transition", "the conversation is queued, not with the bot: no handoff"),
        (.notWithBot(nil), "illegal_transition", "the conversation is unknown, not with the bot: no handoff"),
    ])
    func handoffRefusals(refusal: Handoff.Refusal, code: String, message: String) {
        let error = ConversationRoutes.httpError(refusal)
        #expect(error.status == .conflict)
        #expect(error.code == code)
        #expect(error.message == message)
    }

    @Test func aReusedIdempotencyKeySaysSo() {
        #expect(IdempotencyKey.Failure.reused.description == "this Idempotency-Key was already used with a different request")
    }
}
