import Foundation
import HTTP
import Storage
import Templates
import Testing
import TestSupport
@testable import Bridge

/// Sending through the shipped Twilio adapter to a fake Twilio API (our server on a loopback port).
@Suite struct OutboundTests {
    static let publicURL = "https://bots.example.test"

    static func sender(_ f: OutboxFixture, fallback: ChannelSender.SessionFallback? = nil) throws -> ChannelSender {
        try #require(try ChannelSender(channelID: "wa", adapter: IngestTests.twilio,
                                       settings: ["account_sid": "AC_FAKE", "auth_token": "fake_token", "from": "whatsapp:+14155238886",
                                                  "api_base": f.receiver.url("/twilio")],
                                       fallback: fallback))
    }

    static func dispatcher(_ f: OutboxFixture, _ sender: ChannelSender) -> DeliveryDispatcher {
        DeliveryDispatcher(pool: f.pool, client: f.client, targets: DeliveryTargets([sender.target]), clock: f.clock, random: { 0 })
    }

    /// A user message at the fixture clock's now; returns its conversation id.
    static func userWrites(_ f: OutboxFixture) async throws -> Int64 {
        let items = try IngestTests.items(IngestTests.message("SM_IN_\(UUID().uuidString.prefix(6))"))
        let now = f.clock.now()
        let result = try await f.pool.write { db in try Ingest.apply(items, channel: "wa", router: .none, in: db, now: now) }
        return result.stored[0].conversationID
    }

    static func send(_ f: OutboxFixture, _ sender: ChannelSender, _ conversation: Int64, _ text: String) async throws -> OutboundResult {
        let now = f.clock.now()
        return try await f.pool.write { db in
            try Outbound.send(OutboundMessage(text: text), conversationID: conversation, sender: sender, publicURL: publicURL, in: db, now: now)
        }
    }

    static func form(_ body: [UInt8]) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in QueryParameters(String(decoding: body, as: UTF8.self)) { result[name] = value }
        return result
    }

    @Test(arguments: TestBackend.allCases) func aReplyReachesTheProviderWithAuthAndItsIdComesBack(_ backend: TestBackend) async throws {
        try await OutboxFixture.with(backend) { f in
            let sender = try Self.sender(f)
            let path = "/twilio/2010-04-01/Accounts/AC_FAKE/Messages.json"
            f.receiver.script(path, Receiver.Answer(status: .created, headers: ["Content-Type": "application/json"],
                                                    body: #"{"sid":"SM_OUT_1","status":"queued"}"#))
            let conversation = try await Self.userWrites(f)
            let result = try await Self.send(f, sender, conversation, "Hola Ana, ¿en qué te ayudo? 😊")
            #expect(result.messageIDs.count == 1)
            try await Self.dispatcher(f, sender).runUntilIdle()

            let request = try #require(f.receiver.received(at: path).first)
            #expect(request.headers["authorization"] == "Basic " + Data("AC_FAKE:fake_token".utf8).base64EncodedString())
            #expect(request.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(Self.form(request.body) == ["To": "whatsapp:+34600111222", "From": "whatsapp:+14155238886",
                                                "Body": "Hola Ana, ¿en qué te ayudo? 😊",
                                                "StatusCallback": Self.publicURL + "/channels/wa/status"])
            let stored = try await f.pool.read { db in try db.queryRow("SELECT provider_message_id, status, direction FROM messages WHERE id = ?", result.messageIDs[0]) }
            #expect(stored?.string("provider_message_id") == "SM_OUT_1")
            #expect(stored?.string("status") == "sent")
            // The provider's status callback now finds the message.
            let items = try IngestTests.items("MessageSid=SM_OUT_1&MessageStatus=delivered")
            let now = f.clock.now()
            let applied = try await f.pool.write { db in
                try Ingest.apply(items, channel: "wa", statusWords: IngestTests.twilio.statuses, router: .none, in: db, now: now)
            }
            #expect(applied.statusesApplied == 1)
            let status = try await f.pool.read { db in try db.scalar("SELECT status FROM messages WHERE id = ?", result.messageIDs[0]).string }
            #expect(status == "delivered")
        }
    }

    @Test(arguments: TestBackend.allCases) func longTextsLeaveInOrderedParts(_ backend: TestBackend) async throws {
        try await OutboxFixture.with(backend) { f in
            let sender = try Self.sender(f)
            let conversation = try await Self.userWrites(f)
            let words = (1...500).map { "word\($0)" }.joined(separator: " ")  // about 4 400 characters
            let result = try await Self.send(f, sender, conversation, words)
            #expect(result.messageIDs.count == 3)
            try await Self.dispatcher(f, sender).runUntilIdle()
            let bodies = f.receiver.received(at: "/twilio/2010-04-01/Accounts/AC_FAKE/Messages.json").map { Self.form($0.body)["Body"] ?? "" }
            #expect(bodies.count == 3)
            #expect(bodies.allSatisfy { $0.count <= 1600 })
            #expect(bodies.joined(separator: " ") == words)
        }
    }

    @Test(arguments: TestBackend.allCases, [(23, false), (25, true)])
    func theSessionWindowWithoutAFallbackFailsTheMessage(_ backend: TestBackend, _ window: (hours: Int, closed: Bool)) async throws {
        let (hours, closed) = window
        try await OutboxFixture.with(backend) { f in
            let sender = try Self.sender(f)
            let conversation = try await Self.userWrites(f)
            f.clock.advance(by: .seconds(hours * 3600))
            let result = try await Self.send(f, sender, conversation, "Late answer")
            #expect(result.windowClosed == closed)
            let row = try await f.pool.read { db in try db.queryRow("SELECT status, error FROM messages WHERE id = ?", result.messageIDs[0]) }
            #expect(row?.string("status") == (closed ? "failed" : "queued"))
            #expect(row?.string("error") == (closed ? "window_closed" : nil))
            let deliveries = try await f.pool.read { db in try db.scalar("SELECT count(*) FROM deliveries").int }
            #expect(deliveries == (closed ? 0 : 1))
        }
    }

    @Test(arguments: TestBackend.allCases) func aClosedWindowSendsTheFallbackTemplate(_ backend: TestBackend) async throws {
        try await OutboxFixture.with(backend) { f in
            let fallback = ChannelSender.SessionFallback(name: "HX_FAKE_TEMPLATE", language: "es",
                                                         parameters: [try Template(parsing: "{{ attributes.first_name | default: 'there' }}")])
            let sender = try Self.sender(f, fallback: fallback)
            let conversation = try await Self.userWrites(f)
            f.clock.advance(by: .seconds(30 * 3600))
            let result = try await Self.send(f, sender, conversation, "Your order shipped")
            #expect(result.windowClosed)
            #expect(result.usedFallback)
            try await Self.dispatcher(f, sender).runUntilIdle()
            let request = try #require(f.receiver.received(at: "/twilio/2010-04-01/Accounts/AC_FAKE/Messages.json").first)
            let form = Self.form(request.body)
            #expect(form["ContentSid"] == "HX_FAKE_TEMPLATE")
            #expect(form["ContentVariables"] == #"{"1":"Ana"}"#)
            #expect(form["Body"] == nil)
        }
    }

    @Test(arguments: [("short", 10, ["short"]), ("one two three four", 9, ["one two", "three", "four"]),
                      ("abcdefghij", 4, ["abcd", "efgh", "ij"]), ("👋🏽👋🏽👋🏽", 2, ["👋🏽👋🏽", "👋🏽"])])
    func textSplitting(text: String, limit: Int, parts: [String]) {
        #expect(TextSplitter.split(text, limit: limit) == parts)
    }
}
