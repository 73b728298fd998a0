import Foundation
import Storage
import Templates
import Testing
import TestSupport
@testable import Bridge

/// Batches for the shipped `webhook` profile sink on a real database: at most 75 users and 75
/// events per batch, one batch under way at a time, each change in exactly one batch, filters.
@Suite struct ProfileSinkFeedTests {
    static let adapters = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("adapters/profile-sinks").path

    static func sink() throws -> ProfileSink {
        let adapters = try ProfileSinkAdapter.loadAll(directory: Self.adapters)
        #expect(adapters.keys.sorted() == ["braze-users-track", "webhook"])
        return try GatewayConfiguration.loadProfileSink(
            ["id": "crm", "adapter": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
             "skip_attributes": ["last_chat_at"]], field: "profile_sinks[0]", adapters: adapters)
    }

    static func body(_ pool: DatabasePool) async throws -> [String: Any] {
        let row = try await pool.read { db in try db.queryRow("SELECT id, body FROM deliveries WHERE status = 'pending' ORDER BY id DESC LIMIT 1") }
        let body = try #require(row?.bytes("body"))
        return try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
    }

    @Test(arguments: TestBackend.allCases) func batchesHoldSeventyFiveUsersAndEachChangeOnce(_ backend: TestBackend) async throws {
        let sink = try Self.sink()
        try await IngestTests().withPool(backend) { pool in
            try await pool.write { db in
                try ProfileSinkFeed.startCursor(sink, in: db)
                for n in 0..<80 {
                    let user = try ProfileDirectory.create(.externalID("u\(n)"), in: db, now: 1_000)
                    try Profiles.set(user, "order_id", .string("\(100_000 + n)"), source: "rule:order", in: db, now: 1_000)
                    try Profiles.set(user, "last_chat_at", "2026-11-21T00:00:00.000Z", source: "system", in: db, now: 1_000)
                    try Profiles.set(user, "plan", "gold", source: "api", in: db, now: 1_000)
                    if n < 2 { try Profiles.record(event: "escalated", properties: ["reason": "asked"], user: user, source: "system", at: 1_000, in: db) }
                }
                // A later change of the first user's order: past the first batch's 75 users, so it
                // goes in the second (changes leave in the order they were made).
                let first = try ProfileDirectory.user(.externalID("u0"), in: db)!
                try Profiles.set(first, "order_id", "999999", source: "rule:order", in: db, now: 1_001)
            }
            #expect(try await pool.write { db in try ProfileSinkFeed.batch(sink, in: db, now: 2_000) })
            let first = try await Self.body(pool)
            let users = try #require(first["users"] as? [[String: Any]])
            #expect(users.count == 75)
            #expect((users.first?["user"] as? [String: Any])?["external_id"] as? String == "u0")
            #expect(users.first?["attributes"] as? [String: String] == ["order_id": "100000"])
            #expect(users.first?["sources"] as? [String: String] == ["order_id": "rule:order"])
            #expect((first["events"] as? [[String: Any]])?.map { $0["name"] as? String } == ["escalated", "escalated"])
            // One batch under way at a time.
            #expect(try await pool.write { db in try ProfileSinkFeed.batch(sink, in: db, now: 2_001) } == false)
            try await pool.write { db in try db.run("UPDATE deliveries SET status = 'done'") }
            #expect(try await pool.write { db in try ProfileSinkFeed.batch(sink, in: db, now: 2_002) })
            let second = try await Self.body(pool)
            #expect((second["users"] as? [[String: Any]])?.compactMap { ($0["user"] as? [String: Any])?["external_id"] as? String }
                    == ["u75", "u76", "u77", "u78", "u79", "u0"])
            #expect((second["users"] as? [[String: Any]])?.last?["attributes"] as? [String: String] == ["order_id": "999999"])
            #expect((second["events"] as? [Any])?.isEmpty == true)
            try await pool.write { db in try db.run("UPDATE deliveries SET status = 'done'") }
            #expect(try await pool.write { db in try ProfileSinkFeed.batch(sink, in: db, now: 2_003) } == false)
            let delivery = try #require(try await pool.read { db in try Outbox.list(Outbox.Filter(), in: db) }.first)
            #expect(delivery.target == "profile-sink:crm")
            #expect(delivery.orderingKey == "profile-sink:crm")
            #expect(delivery.url == "http://127.0.0.1:9/hook")
        }
    }

    @Test func badSinksAreConfigurationErrors() throws {
        let adapters = try ProfileSinkAdapter.loadAll(directory: Self.adapters)
        func error(_ object: [String: Any]) -> String? {
            do { _ = try GatewayConfiguration.loadProfileSink(object, field: "profile_sinks[0]", adapters: adapters); return nil } catch {
                return error.description
            }
        }
        #expect(error(["id": "b", "adapter": "braze-users-track", "url": "https://rest.iad-01.braze.com"])
                == "'profile_sinks[0].settings.api_key' is required by adapter braze-users-track")
        #expect(error(["id": "b", "adapter": "segment", "url": "https://x.test"])?.hasPrefix("'profile_sinks[0].adapter' names 'segment'") == true)
        #expect(error(["id": "b", "url": "ftp://x.test"]) == "'profile_sinks[0].url' must be an http(s) URL")
        #expect(error(["id": "b", "url": "https://x.test", "events": "yes"]) == "'profile_sinks[0].events' must be true or false")
        // The Braze key goes into the target's headers (sent at send time), never into stored rows.
        let braze = try GatewayConfiguration.loadProfileSink(["id": "b", "adapter": "braze-users-track", "url": "https://rest.iad-01.braze.com/",
                                                              "settings": ["api_key": "fake-key"]], field: "profile_sinks[0]", adapters: adapters)
        #expect(braze.url == "https://rest.iad-01.braze.com/users/track")
        #expect(braze.target.headers.map { "\($0.name): \($0.value)" } == ["Authorization: Bearer fake-key"])
    }
}
