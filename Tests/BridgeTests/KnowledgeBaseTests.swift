import Foundation
import Storage
import Testing
import TestSupport
@testable import Bridge

/// The knowledge base on a real SQLite file and a real PostgreSQL database with the shipped
/// sample (`examples/kb`): BM25 ranking, accent and case folding, locale filters, hostile
/// queries, idempotent imports and clear errors for bad article files.
@Suite struct KnowledgeBaseTests {
    static let sample: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("examples/kb").path
    }()

    /// A fresh database on `backend` with `migrations`, closed after `body`.
    static func withDatabase(_ backend: TestBackend, migrations: [Migration] = BridgeSchema.migrations,
                             _ body: (DatabasePool) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "botbridge-kb-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: try await backend.location(directory: directory, name: "kb.sqlite"),
                                                                     migrations: migrations))
        do { try await body(pool) } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }

    func withSample(_ backend: TestBackend, _ body: (DatabasePool) async throws -> Void) async throws {
        try await Self.withDatabase(backend) { pool in
            let articles = try KnowledgeBase.read(path: Self.sample)
            _ = try await pool.write { db in try KnowledgeBase.upsert(articles, in: db, now: 1) }
            try await body(pool)
        }
    }

    func top(_ pool: DatabasePool, _ query: String, locale: String? = nil) async throws -> [String] {
        try await pool.read { db in try KnowledgeBase.search(query, locale: locale, limit: 3, in: db) }.map { "\($0.article.locale)/\($0.article.id)" }
    }

    @Test(arguments: TestBackend.allCases)
    func theSampleHasBothLocalesAndImportsIdempotently(_ backend: TestBackend) async throws {
        try await withSample(backend) { pool in
            #expect(try await pool.read { db in try KnowledgeBase.counts(in: db) } == ["en": 6, "fr": 6])
            let again = try KnowledgeBase.read(path: Self.sample)
            let counts = try await pool.write { db in try KnowledgeBase.upsert(again, in: db, now: 2) }
            #expect(counts.added == 0 && counts.updated == 0 && counts.unchanged == 12)
            var edited = again[0]
            edited.title += " (updated)"
            let changed = edited
            let second = try await pool.write { db in try KnowledgeBase.upsert([changed], in: db, now: 3) }
            #expect(second.updated == 1)
            #expect(try await pool.read { db in try db.scalar("SELECT count(*) FROM kb_articles").int } == 12)
            // The FTS index follows the update.
            #expect(try await top(pool, "updated").first == "\(changed.locale)/\(changed.id)")
        }
    }

    @Test(arguments: TestBackend.allCases, [
        ("how do I return an item", "en", "en/return-item"),
        ("where is my parcel", "en", "en/track-order"),
        ("which payment methods", "en", "en/payment-methods"),
        ("je veux retourner un article", "fr", "fr/return-item"),
        ("RETOURNER", "fr", "fr/return-item"),
        ("quand serai-je rembourse", "fr", "fr/refund-status"),      // no accent in the query
        ("délais de livraison", "fr-CA", "fr/delivery-times"),       // fr-CA falls back to fr
        ("annuler ma commande", "fr", "fr/cancel-order"),
    ])
    func bestMatches(_ backend: TestBackend, _ question: (query: String, locale: String, expected: String)) async throws {
        let (query, locale, expected) = question
        try await withSample(backend) { pool in
            let best = try await top(pool, query, locale: locale).first
            #expect(best == expected, "\(query)")
        }
    }

    @Test(arguments: TestBackend.allCases)
    func aLocaleFilterKeepsOtherLanguagesOut(_ backend: TestBackend) async throws {
        try await withSample(backend) { pool in
            let french = try await top(pool, "parcel tracking colis suivi", locale: "fr")
            #expect(!french.isEmpty && french.allSatisfy { $0.hasPrefix("fr/") })
            let any = try await top(pool, "parcel tracking colis suivi")
            #expect(Set(any.map { String($0.prefix(2)) }) == ["en", "fr"])
            #expect(try await top(pool, "return", locale: "de").isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases, ["\"", "\"return", "return*", "NEAR(return item)", "return OR", "-return", "title:return", "^return",
                                            "return AND NOT item", "(((", "🙂🙂", "", "a", "'; DROP TABLE kb_articles; --", "{\"a\",\\}"])
    func hostileQueriesNeverFail(_ backend: TestBackend, query: String) async throws {
        try await withSample(backend) { pool in
            _ = try await top(pool, query)
            #expect(try await pool.read { db in try db.scalar("SELECT count(*) FROM kb_articles").int } == 12)
        }
    }

    /// Words held by nearly every article weigh nothing in BM25 but make every article a match
    /// to score: the query leaves them out when a rarer word is there, keeps them when they are
    /// all there is, and drops words no article holds. (On PostgreSQL, `matchQuery` is not what
    /// the search runs, but it reads the same `kb_term_counts`, which the import keeps there.)
    @Test(arguments: TestBackend.allCases)
    func wordsThatRankNothingAreLeftOutOfTheMatch(_ backend: TestBackend) async throws {
        try await Self.withDatabase(backend) { pool in
            var articles = (0..<40).map { Article(id: "a\($0)", locale: "en", title: "Customer help \($0)", body: "Our customer service answers.") }
            articles.append(Article(id: "refunds", locale: "en", title: "Refunds", body: "A customer gets a refund in five days."))
            articles.append(Article(id: "remboursement", locale: "fr-CA", title: "Remboursement", body: "Le client est remboursé."))
            let all = articles
            _ = try await pool.write { db in try KnowledgeBase.upsert(all, in: db, now: 1) }
            let query = { (text: String, locales: [String]) in try await pool.read { db in try KnowledgeBase.matchQuery(KnowledgeBase.phrases(text), locales: locales, in: db) } }
            #expect(try await query("customer refund", []) == "\"refun\"*")
            #expect(try await query("customer", []) == "\"custo\"*")
            #expect(try await query("customer zzzzzz", []) == "\"custo\"*")
            #expect(try await query("zzzzzz", []) == nil)
            #expect(try await query("refund", ["fr-CA", "fr"]) == "lang : (\"langfrca\" OR \"langfr\") AND (\"refun\"*)")
            // The match is what BM25 ranks: the refund article first, and the French one by locale.
            let best = try await pool.read { db in try KnowledgeBase.search("customer refund", locale: "en", limit: 1, in: db) }
            #expect(best.map(\.article.id) == ["refunds"])
            let french = try await pool.read { db in try KnowledgeBase.search("rembourse", locale: "fr-CA", limit: 3, in: db) }
            #expect(french.map(\.article.id) == ["remboursement"])
            #expect(try await pool.read { db in try KnowledgeBase.search("rembourse", locale: "en", limit: 3, in: db) }.isEmpty)
        }
    }

    /// A database from before the migration that indexes articles by locale (10 on SQLite; 12 on
    /// PostgreSQL, whose index it creates) keeps its articles, and they are found in their locale.
    @Test(arguments: TestBackend.allCases)
    func articlesSurviveTheIndexMigration(_ backend: TestBackend) async throws {
        let directory = NSTemporaryDirectory() + "botbridge-kb-migrate-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let location = try await backend.location(directory: directory, name: "kb.sqlite")
        let before = backend == .sqlite ? 9 : 11
        let old = try await DatabasePool.open(DatabaseConfiguration(location: location, migrations: Array(BridgeSchema.migrations.prefix(before))))
        _ = try await old.write { db in
            try db.run("INSERT INTO kb_articles (slug, locale, title, body, updated_at) VALUES ('return-item', 'fr-CA', 'Retourner un article', 'Imprimez l''étiquette.', 1)")
        }
        await old.close()
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: location, migrations: BridgeSchema.migrations))
        let found = try await pool.read { db in try KnowledgeBase.search("etiquette", locale: "fr-CA", in: db) }
        #expect(found.map(\.article.id) == ["return-item"])
        #expect(try await pool.read { db in try KnowledgeBase.search("etiquette", locale: "en", in: db) }.isEmpty)
        await pool.close()
    }

    @Test func anExcerptStartsJustBeforeTheFirstMatchingWord() {
        let body = (1...40).map { "w\($0)" }.joined(separator: " ") + " Vous serez remboursés sous cinq jours. " + (41...80).map { "w\($0)" }.joined(separator: "\n")
        let excerpt = KnowledgeBase.excerpt(of: body, around: KnowledgeBase.phrases("quand serai-je rembourse"), length: 8)
        #expect(excerpt == "…w40 Vous serez remboursés sous cinq jours. w41…")
        #expect(KnowledgeBase.excerpt(of: "One two three", around: KnowledgeBase.phrases("nothing"), length: 8) == "One two three")
        #expect(KnowledgeBase.excerpt(of: body, around: [], length: 3) == "w1 w2 w3…")
    }

    @Test(arguments: TestBackend.allCases)
    func excerptsAreOneLineOfPlainText(_ backend: TestBackend) async throws {
        try await withSample(backend) { pool in
            let match = try #require(try await pool.read { db in try KnowledgeBase.search("My orders return label", locale: "en", in: db) }.first)
            #expect(!match.excerpt.contains("\n") && !match.excerpt.contains("**"))
            #expect(match.score > 0)
        }
    }

    @Test func badArticleFilesAreClearErrors() throws {
        let directory = NSTemporaryDirectory() + "botbridge-kb-bad-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cases: [(String, String, String)] = [
            ("a.md", "no front matter", "front-matter block"),
            ("b.md", "---\nlocale: en\ntitle: T\n---\n", "no body"),
            ("c.md", "---\nlocale: en\n---\nbody", "'title' is required"),
            ("d.md", "---\ntitle: T\n---\nbody", "'locale' is required"),
            ("e.md", "---\nlocale: en\ntitle: T\ncolour: red\n---\nbody", "unknown field 'colour'"),
            ("f.md", "---\nlocale: en\ntitle: T\nurl: ftp://x\n---\nbody", "http(s)"),
            ("g.json", "{\"not\": 1}", "list of articles"),
            ("h.json", "[{\"id\": \"bad id\", \"locale\": \"en\", \"title\": \"T\", \"body\": \"b\"}]", "'id' must be"),
            ("i.json", "nope", "not valid JSON"),
            ("j.md", "---\nlocale: fr CA\ntitle: T\n---\nbody", "'locale' is required: letters, digits, '-' or '_'"),
        ]
        for (name, text, complaint) in cases {
            let path = directory + "/" + name
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            do { _ = try KnowledgeBase.read(path: path); Issue.record("\(name) was accepted") } catch {
                #expect(error.description.contains(complaint), "\(name): \(error)")
            }
        }
        // A folder where two files give the same id and locale.
        let folder = directory + "/twice"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in ["one.md", "two.md"] {
            try Data("---\nid: same\nlocale: en\ntitle: T\n---\nbody".utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        do { _ = try KnowledgeBase.read(path: folder); Issue.record("expected an error") } catch {
            #expect(error.description.contains("appears twice"))
        }
    }
}
