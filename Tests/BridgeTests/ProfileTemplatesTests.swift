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
}
