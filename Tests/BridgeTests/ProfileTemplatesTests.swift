import Foundation
import Storage
import Templates
import Testing
import TestSupport
@testable import Bridge

/// Profile attributes in the templates, as Braze writes them (`{{${first_name}}}`,
/// `{{custom_attribute.${order_id}}}`): notices and campaigns, from one context.
@Suite struct ProfileTemplatesTests {
    static let line = "{{${first_name}}}, order {{custom_attribute.${order_id}}} ({{attributes.order_id}})"

    @Test(arguments: TestBackend.allCases) func noticesAndCampaignsSeeTheProfile(_ backend: TestBackend) async throws {
        let prompts = NSTemporaryDirectory() + "botbridge-prompts-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: prompts + "/en", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: prompts) }
        try Data("Case {{ case_number }} for \(Self.line)".utf8).write(to: URL(fileURLWithPath: prompts + "/en/handoff-created.liquid"))
        let notices = try Notices.load(directory: prompts)
        try await IngestTests().withPool(backend) { pool in
            let stored = try #require(try await IngestTests.ingest(pool, IngestTests.message("SM1")).stored.first)
            let (notice, campaign) = try await pool.write { db in
                try Profiles.set(stored.userID, "order_id", "12345678", source: "rule:order", in: db, now: 2_000)
                let notice = try notices.render(.handoffCreated, conversationID: stored.conversationID, extra: ["case_number": "case_1"], in: db)
                let context = try Dispatch.context(user: stored.userID, externalID: "cust-1", extra: [:], in: db)
                return (notice, try Template(parsing: Self.line + " {{${user_id}}}").render(context))
            }
            #expect(notice == "Case case_1 for Ana, order 12345678 (12345678)")
            #expect(campaign == "Ana, order 12345678 (12345678) cust-1")
        }
    }

    /// Braze's `abort_message`: a campaign message that aborts for a recipient sends nothing to
    /// them, and the batch records why; one that does not renders as before.
    @Test func anAbortedCampaignMessageSendsNothingAndSaysWhy() throws {
        let campaign = try Campaign.load([
            "campaign_id": "restock",
            "message": ["text": #"{% if custom_attribute.${stock} == 0 %}{% abort_message("out of stock") %}{% endif %}Back in stock, {{${first_name}}}!"#],
        ], field: "campaigns[0]", channels: [:])
        let inStock = TemplateValue.object(["first_name": "Ana", "custom_attribute": .object(["stock": 3])])
        #expect(try campaign.message.renderUnlessAborted(inStock).text == "Back in stock, Ana!")
        let outOfStock = TemplateValue.object(["first_name": "Ana", "custom_attribute": .object(["stock": 0])])
        #expect(throws: Campaign.Aborted(reason: "out of stock")) { try campaign.message.renderUnlessAborted(outOfStock) }
        #expect(Dispatch.Problem.aborted("cust-1", reason: "out of stock").description == "the message was aborted for 'cust-1': out of stock")
    }
}
