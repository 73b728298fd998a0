import Bridge
import Foundation
import Storage
import Testing
import TestSupport

@Suite struct BridgeSchemaTests {
    static func withDatabase(_ backend: TestBackend, _ body: (DatabasePool) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "botbridge-schema-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: try await backend.location(directory: directory), migrations: BridgeSchema.migrations))
        try await body(pool)
        await pool.close()
    }

    /// A user on a channel with one open conversation; returns the conversation id.
    static func seed(_ db: Database) throws -> Int64 {
        try db.run("INSERT INTO users (external_id, created_at, updated_at) VALUES ('u-1', 0, 0)")
        let user = db.lastInsertRowID
        try db.run("INSERT INTO identities (user_id, channel, address, created_at) VALUES (?, 'wa-main', 'whatsapp:+15550001111', 0)", user)
        let identity = db.lastInsertRowID
        try db.run("INSERT INTO conversations (public_id, channel, user_id, identity_id, created_at, updated_at) VALUES ('c-1', 'wa-main', ?, ?, 0, 0)",
                   user, identity)
        return db.lastInsertRowID
    }

    @Test(arguments: TestBackend.allCases) func providerMessageIdsAreUniquePerChannel(_ backend: TestBackend) async throws {
        try await Self.withDatabase(backend) { pool in
            let error = await #expect(throws: StorageError.self) {
                try await pool.write { db in
                    let conversation = try Self.seed(db)
                    let insert = """
                        INSERT INTO messages (public_id, conversation_id, sequence, direction, author_kind, channel, provider_message_id, created_at)
                        VALUES (?, ?, ?, 'inbound', 'user', ?, ?, 0)
                        """
                    try db.run(insert, "m1", conversation, 1, "wa-main", "SM123")
                    try db.run(insert, "m2", conversation, 2, "sms-main", "SM123")  // same id, other channel: fine
                    try db.run(insert, "m3", conversation, 3, "wa-main", SQLValue.null)
                    try db.run(insert, "m4", conversation, 4, "wa-main", SQLValue.null)      // several without ids: fine
                    try db.run(insert, "m5", conversation, 5, "wa-main", "SM123")   // a provider retry: refused
                }
            }
            #expect(error?.isConstraintViolation == true)
        }
    }

    @Test(arguments: TestBackend.allCases) func oneOpenConversationPerIdentity(_ backend: TestBackend) async throws {
        try await Self.withDatabase(backend) { pool in
            let error = await #expect(throws: StorageError.self) {
                try await pool.write { db in
                    let first = try Self.seed(db)
                    try db.run("UPDATE conversations SET state = 'closed' WHERE id = ?", first)
                    try db.run("INSERT INTO conversations (public_id, channel, user_id, identity_id, created_at, updated_at) SELECT 'c-2', channel, user_id, identity_id, 0, 0 FROM conversations WHERE id = ?", first)
                    try db.run("INSERT INTO conversations (public_id, channel, user_id, identity_id, created_at, updated_at) SELECT 'c-3', channel, user_id, identity_id, 0, 0 FROM conversations WHERE id = ?", first)
                }
            }
            #expect(error?.isConstraintViolation == true)
        }
    }

    @Test(arguments: TestBackend.allCases) func statesAreChecked(_ backend: TestBackend) async throws {
        try await Self.withDatabase(backend) { pool in
            await #expect(throws: StorageError.self) {
                try await pool.write { db in
                    let conversation = try Self.seed(db)
                    try db.run("UPDATE conversations SET state = 'limbo' WHERE id = ?", conversation)
                }
            }
        }
    }

    /// SQLite's FTS5 table itself (KnowledgeBaseTests cover search on both backends).
    @Test(arguments: [TestBackend.sqlite]) func knowledgeBaseSearchIgnoresCaseAndAccents(_ backend: TestBackend) async throws {
        try await Self.withDatabase(backend) { pool in
            try await pool.write { db in
                let insert = "INSERT INTO kb_articles (slug, locale, title, body, updated_at) VALUES (?, ?, ?, ?, 0)"
                try db.run(insert, "refund", "fr", "Remboursement d'une commande", "Délai de remboursement : cinq jours ouvrés.")
                try db.run(insert, "cafe", "en", "Café opening hours", "We open at eight.")
                try db.run("UPDATE kb_articles SET body = 'We open at nine.' WHERE slug = 'cafe'")
            }
            let hits = try await pool.read { db in
                (try db.query("SELECT a.slug FROM kb_articles_fts JOIN kb_articles a ON a.id = kb_articles_fts.rowid WHERE kb_articles_fts MATCH ? ORDER BY rank", "delai"),
                 try db.query("SELECT a.slug FROM kb_articles_fts JOIN kb_articles a ON a.id = kb_articles_fts.rowid WHERE kb_articles_fts MATCH ?", "CAFE nine"),
                 try db.query("SELECT a.slug FROM kb_articles_fts JOIN kb_articles a ON a.id = kb_articles_fts.rowid WHERE kb_articles_fts MATCH ?", "eight"))
            }
            #expect(hits.0.map { $0.string("slug") } == ["refund"])
            #expect(hits.1.map { $0.string("slug") } == ["cafe"])
            #expect(hits.2.isEmpty)
        }
    }
}
