import Foundation
import Storage
import Templates
import Testing
import TestSupport
@testable import Bridge

/// The ingest transaction on a real database, fed by the shipped Twilio adapter's reader.
@Suite struct IngestTests {
    static let twilio = InboundReaderTests.catalog.adapters["twilio"]!
    static let adapter = BotAdapter(name: "test", contentType: "application/json",
                                    body: try! Template(parsing: #"{"conversation_id":"{{ conversation_id }}","text":"{{ text | json_escape }}","user":"{{ user_id }}"}"#),
                                    mode: .async, transcriptTurns: 0, systemPrompt: nil, reply: nil, builtin: nil)
    static let route = BotRouter(bots: [Bot(id: "bot", adapter: adapter, url: "http://127.0.0.1:9/bot",
                                            target: DeliveryTarget(id: "bot", kind: .bot))])

    static func items(_ form: String) throws -> [InboundItem] {
        let reader = try InboundReader(adapter: twilio, file: "twilio")
        return reader.items(in: try reader.parse(Array(form.utf8)))
    }

    static func message(_ sid: String, from: String = "whatsapp%3A%2B34600111222", body: String = "Hola") -> String {
        "MessageSid=\(sid)&From=\(from)&To=whatsapp%3A%2B14155238886&Body=\(body)&ProfileName=Ana&WaId=34600111222&NumMedia=0"
    }

    static func ingest(_ pool: DatabasePool, _ form: String, now: Int64 = 1_000) async throws -> IngestResult {
        let items = try Self.items(form)
        return try await pool.write { db in
            try Ingest.apply(items, channel: "wa", statusWords: twilio.statuses, router: route, in: db, now: now)
        }
    }

    static func count(_ pool: DatabasePool, _ table: String) async throws -> Int {
        try await pool.read { db in try db.scalar("SELECT count(*) FROM \(table)").int ?? -1 }
    }

    @Test(arguments: TestBackend.allCases) func aMessageIsStoredWithItsUserConversationAndBotDelivery(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            let result = try await Self.ingest(pool, Self.message("SM1", body: "Hola+%22amigo%22"))
            #expect(result.stored.count == 1)
            #expect(result.deliveries == 1)
            let stored = try #require(result.stored.first)
            #expect(stored.sequence == 1)
            #expect(stored.conversationPublicID.hasPrefix("conv_"))
            let row = try #require(try await pool.read { db in try db.queryRow("SELECT * FROM messages WHERE id = ?", stored.messageID) })
            #expect(row.string("text") == #"Hola "amigo""#)
            #expect(row.string("direction") == "inbound")
            #expect(row.string("author_kind") == "user")
            #expect(row.string("provider_message_id") == "SM1")
            #expect(row.string("status") == "received")
            let attributes = try await pool.read { db in
                try db.query("SELECT name, value, source FROM user_attributes ORDER BY name").map { [$0.string("name"), $0.string("value"), $0.string("source")] }
            }
            #expect(attributes == [["chat_message_count", "1", "system"], ["first_name", #""Ana""#, "channel:wa"],
                                   ["last_channel", #""wa""#, "system"], ["last_chat_at", #""1970-01-01T00:00:01.000Z""#, "system"],
                                   ["phone", #""+34600111222""#, "channel:wa"]])
            let delivery = try #require(try await pool.read { db in try Outbox.list(Outbox.Filter(), in: db) }.first)
            #expect(delivery.kind == "bot")
            #expect(delivery.orderingKey == "conversation:\(stored.conversationID):bot")
            #expect(delivery.messageID == stored.messageID)
            let body = try JSONSerialization.jsonObject(with: Data(delivery.body)) as? [String: String]
            let externalID = try await pool.read { db in try db.scalar("SELECT external_id FROM users WHERE id = ?", stored.userID).string }
            #expect(externalID?.hasPrefix("usr_") == true)
            #expect(body == ["conversation_id": stored.conversationPublicID, "text": #"Hola "amigo""#, "user": externalID ?? ""])
        }
    }

    @Test(arguments: TestBackend.allCases) func aProviderRetryStoresNothingNew(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            let results = try await withThrowingTaskGroup(of: IngestResult.self) { group in
                for _ in 0..<3 { group.addTask { try await Self.ingest(pool, Self.message("SM-dup")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.map(\.stored.count).reduce(0, +) == 1)
            #expect(results.map(\.duplicates).reduce(0, +) == 2)
            #expect(try await Self.count(pool, "messages") == 1)
            #expect(try await Self.count(pool, "deliveries") == 1)
            #expect(try await Self.count(pool, "users") == 1)
        }
    }

    @Test(arguments: TestBackend.allCases) func laterMessagesJoinTheOpenConversationInSequence(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            let first = try await Self.ingest(pool, Self.message("SM1"), now: 1_000)
            let second = try await Self.ingest(pool, Self.message("SM2"), now: 2_000)
            let other = try await Self.ingest(pool, Self.message("SM3", from: "whatsapp%3A%2B4915100000"), now: 3_000)
            #expect(first.stored[0].conversationID == second.stored[0].conversationID)
            let sequences = [first.stored[0].sequence, second.stored[0].sequence]
            #expect(sequences == [1, 2])
            #expect(other.stored[0].conversationID != first.stored[0].conversationID)
            #expect(other.stored[0].userID != first.stored[0].userID)
            let lastInbound = try await pool.read { db in
                try db.scalar("SELECT last_inbound_at FROM conversations WHERE id = ?", first.stored[0].conversationID).int64
            }
            #expect(lastInbound == 2_000)
            // Attributes are written again only when they change: the name and phone once per user,
            // the chat's time and count on every message (5 + 2 + 5).
            #expect(try await Self.count(pool, "user_attribute_writes") == 12)
            let nameWrites = try await pool.read { db in try db.scalar("SELECT count(*) FROM user_attribute_writes WHERE name = 'first_name'").int }
            #expect(nameWrites == 2)
        }
    }

    @Test(arguments: TestBackend.allCases) func conversationsOutOfTheBotStateGetNoBotDelivery(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            let first = try await Self.ingest(pool, Self.message("SM1"))
            try await pool.write { db in try db.run("UPDATE conversations SET state = 'agent' WHERE id = ?", first.stored[0].conversationID) }
            let second = try await Self.ingest(pool, Self.message("SM2"))
            #expect(second.stored.count == 1)
            #expect(second.deliveries == 0)
        }
    }

    @Test(arguments: TestBackend.allCases) func statusesMoveOurMessagesForwardOnly(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            let first = try await Self.ingest(pool, Self.message("SM1"))
            try await pool.write { db in
                try db.run("""
                    INSERT INTO messages (public_id, conversation_id, sequence, direction, author_kind, channel, provider_message_id, status, created_at)
                    VALUES ('msg_out', ?, 2, 'outbound', 'bot', 'wa', 'SM-OUT', 'queued', 0)
                    """, first.stored[0].conversationID)
            }
            var result = try await Self.ingest(pool, "MessageSid=SM-OUT&MessageStatus=read")
            #expect(result.statusesApplied == 1)
            result = try await Self.ingest(pool, "MessageSid=SM-OUT&MessageStatus=sent")
            #expect(result.statusesApplied == 1)
            result = try await Self.ingest(pool, "MessageSid=SM-UNKNOWN&MessageStatus=delivered")
            #expect(result.statusesIgnored == 1)
            // A provider status naming an inbound message does not touch it.
            result = try await Self.ingest(pool, "MessageSid=SM1&MessageStatus=failed")
            #expect(result.statusesIgnored == 1)
            let statuses = try await pool.read { db in
                try db.query("SELECT provider_message_id, status FROM messages ORDER BY id").map { "\($0.string("provider_message_id")!)=\($0.string("status")!)" }
            }
            #expect(statuses == ["SM1=received", "SM-OUT=read"])
        }
    }

    func withPool(_ backend: TestBackend, _ body: (DatabasePool) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "botbridge-ingest-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: try await backend.location(directory: directory), migrations: BridgeSchema.migrations))
        do { try await body(pool) } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}
