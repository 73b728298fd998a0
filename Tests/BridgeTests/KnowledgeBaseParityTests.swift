import Foundation
import Storage
import Testing
import TestSupport
@testable import Bridge

/// The knowledge base gives the same answers on PostgreSQL as on SQLite: the same words (the
/// tokenizer against the linked SQLite's FTS5), the same term counts, and for the sample
/// knowledge base's questions and a synthetic corpus, the same articles in the same order with
/// the same BM25 scores (the FAQ bot's `min_score` means the same on both).
@Suite struct KnowledgeBaseParityTests {
    /// `FTS5Tokenizer` against FTS5 itself, for every code point of the Basic Multilingual
    /// Plane and of the Supplementary Multilingual Plane: alone, inside a word, and doubled.
    @Test func theTokenizerReadsEveryCharacterAsFTS5Does() async throws {
        let words = Migration(version: 1, name: "words", sql: """
            CREATE VIRTUAL TABLE words USING fts5(x, tokenize = 'unicode61 remove_diacritics 2');
            CREATE VIRTUAL TABLE word_instances USING fts5vocab(words, 'instance');
            """)
        var texts: [Int64: String] = [:]
        for value in UInt32(1)..<0x20000 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            var text = String.UnicodeScalarView()
            text.append(contentsOf: [scalar, " ", "a", scalar, "b", " ", scalar, scalar])
            texts[Int64(value)] = String(text)
        }
        // Texts FTS5 reads in several tokens, with decomposed accents and long words.
        let sentences = ["L'étiquette de retour prépayée", "e\u{301}te\u{301} A\u{30A}NGSTRO\u{308}M ǖ Ǡ İstanbul ΣΊΣΥΦΟΣ", "x\u{305}y µ ſ ß ẞ ﬁ",
                         "naïve-café_crème 3,90€ 2pm", String(repeating: "long", count: 400), "हिन्दी ไทย العربية", "Ⓐ ⅻ ² ½ ٣"]
        for (index, sentence) in sentences.enumerated() { texts[Int64(0x200000 + index)] = sentence }
        try await KnowledgeBaseTests.withDatabase(.sqlite, migrations: [words]) { pool in
            let all = texts
            try await pool.write { db in
                for (id, text) in all { try db.run("INSERT INTO words (rowid, x) VALUES (?, ?)", id, text) }
            }
            let instances = try await pool.read { db in try db.query("SELECT doc, term, \"offset\" FROM word_instances") }
            var read: [Int64: [(offset: Int, term: String)]] = [:]
            for row in instances { read[row.int64("doc") ?? 0, default: []].append((row.int("offset") ?? 0, row.string("term") ?? "")) }
            var differences: [String] = []
            for (id, text) in texts.sorted(by: { $0.key < $1.key }) {
                let expected = (read[id] ?? []).sorted { $0.offset < $1.offset }.map(\.term)
                let tokens = FTS5Tokenizer.tokens(text)
                if tokens != expected { differences.append(String(format: "U+%04X: FTS5 %@, ours %@", id, expected.description, tokens.description)) }
            }
            #expect(differences.isEmpty, "\(differences.count) differences, first: \(differences.prefix(10))")
        }
    }

    /// Questions people ask the sample shop, in English and French (the README's walkthrough,
    /// the titles reworded, typed without accents or in capitals), with the locale they come in.
    static let sampleQuestions: [(text: String, locale: String?)] = [
        ("Where is my order?", "en"), ("where is my parcel", "en"), ("tracking number", "en"), ("my parcel has not moved for days", "en"),
        ("how do I return an item", "en"), ("return an item", "en"), ("I want to send back my shoes", "en"), ("return label", "en"),
        ("when will I get my refund", "en"), ("REFUND STATUS", "en"), ("I have not been refunded yet", "en-GB"),
        ("which payment methods do you accept", "en"), ("can I pay with PayPal", "en"), ("my card was declined", "en"),
        ("can I cancel my order", "en"), ("change the delivery address of my order", "en"), ("how long does delivery take", "en"),
        ("shipping costs", "en"), ("do you deliver to Belgium", "en"), ("express delivery", nil), ("agent", "en"),
        ("Où est ma commande ?", "fr"), ("ou est ma commande", "fr"), ("suivre mon colis", "fr"), ("mon colis n'a pas bougé", "fr"),
        ("je veux retourner un article", "fr"), ("comment retourner un article", "fr"), ("RETOURNER", "fr"), ("étiquette de retour", "fr"),
        ("quand serai-je remboursé", "fr"), ("quand serai-je rembourse", "fr"), ("remboursement", "fr-CA"),
        ("délais de livraison", "fr-CA"), ("frais de livraison", "fr"), ("livrez-vous en Belgique", "fr"),
        ("quels moyens de paiement acceptez-vous", "fr"), ("puis-je payer par carte", "fr"), ("paiement refusé", "fr"),
        ("annuler ma commande", "fr"), ("modifier l'adresse de livraison", "fr"), ("colis", nil), ("retour", nil), ("lang", "fr"),
    ]

    @Test func theSampleQuestionsGetTheSameArticlesAndScoresOnBothBackends() async throws {
        let articles = try KnowledgeBase.read(path: KnowledgeBaseTests.sample)
        var answers: [TestBackend: [[ArticleMatch]]] = [:]
        for backend in TestBackend.allCases {
            try await KnowledgeBaseTests.withDatabase(backend) { pool in
                _ = try await pool.write { db in try KnowledgeBase.upsert(articles, in: db, now: 1) }
                answers[backend] = try await pool.read { db in
                    try Self.sampleQuestions.map { try KnowledgeBase.search($0.text, locale: $0.locale, limit: 5, in: db) }
                }
            }
        }
        let sqlite = try #require(answers[.sqlite])
        let postgres = try #require(answers[.postgres])
        #expect(sqlite.filter(\.isEmpty).count <= 2, "the sample answers nearly every question")
        for (question, (expected, found)) in zip(Self.sampleQuestions, zip(sqlite, postgres)) {
            #expect(found.first?.article.id == expected.first?.article.id && found.first?.article.locale == expected.first?.article.locale,
                    "first article for \"\(question.text)\"")
            #expect(found.map { "\($0.article.locale)/\($0.article.id)" } == expected.map { "\($0.article.locale)/\($0.article.id)" },
                    "articles for \"\(question.text)\"")
            for (a, b) in zip(expected, found) {
                #expect(abs(a.score - b.score) <= 1e-6, "score of \(a.article.id) for \"\(question.text)\": \(a.score) vs \(b.score)")
                #expect(a.excerpt == b.excerpt)
            }
        }
    }

    /// A corpus with what the sample lacks — words in several columns and repeated, accents
    /// composed and decomposed, Greek and Cyrillic, scripts FTS5 cuts inside words, the same
    /// article twice (a tie), locales written `fr_CA` and `FR-ca`, long articles — imported, then
    /// partly changed: the term counts are FTS5's, and every query gets the same answer.
    @Test func aSyntheticCorpusGetsTheSameAnswersOnBothBackends() async throws {
        var rng = SeededGenerator(seed: 7)
        let vocabulary = ["return", "returns", "returned", "refund", "refunds", "order", "orders", "parcel", "delivery", "payment",
                          "retour", "retourner", "remboursé", "rembourse\u{301}", "commande", "commandé", "livraison", "délai", "étiquette",
                          "ΣΥΝΑΛΛΑΓΗ", "заказ", "Заказы", "straße", "ÅNGSTRÖM", "naïve", "hindi-हिन्दी", "l'article", "e-mail", "3,90€",
                          "the", "and", "le", "la", "de", "customer", "client", "gift", "card", "langue", "lang"]
        func words(_ count: Int) -> String { (0..<count).map { _ in vocabulary[rng.next(vocabulary.count)] }.joined(separator: rng.next(5) == 0 ? ", " : " ") }
        let locales = ["en", "fr", "fr-CA", "fr_CA", "FR-ca", "de", "pt-BR"]
        var articles: [Article] = (0..<120).map { index in
            Article(id: "a\(index)", locale: locales[index % locales.count], title: words(2 + rng.next(6)),
                    body: (0..<(1 + rng.next(4))).map { _ in words(5 + rng.next(60)) }.joined(separator: "\n\n"),
                    tags: (0..<rng.next(4)).map { _ in vocabulary[rng.next(vocabulary.count)] })
        }
        articles.append(Article(id: "twin-1", locale: "en", title: "Twin refund article", body: "Exactly the same body about a refund."))
        articles.append(Article(id: "twin-2", locale: "en", title: "Twin refund article", body: "Exactly the same body about a refund."))
        articles.append(Article(id: "long", locale: "en", title: "A long one", body: String(repeating: "parcel delivery order ", count: 3000)))
        var changed = Array(articles.prefix(30))
        for index in changed.indices { changed[index].body = words(20) }
        changed.append(Article(id: "late", locale: "fr", title: "Arrivé après", body: "Un article ajouté ensuite, sur la livraison."))
        let queries: [(String, String?)] = (0..<150).map { index in
            (words(1 + rng.next(6)), [nil, "en", "fr", "fr-CA", "de", "pt-BR", "en-US"][index % 7])
        } + [("lang", nil), ("langfr", nil), ("twin refund", "en"), ("rembourse", "fr-ca"), ("ΣΥΝΑΛΛΑΓΗ", nil), ("заказ", nil),
             ("हिन्दी", nil), ("straße", nil), ("angstrom", nil), ("e", nil), ("zzzz", nil)]
        var answers: [TestBackend: (terms: [String], results: [[ArticleMatch]])] = [:]
        for backend in TestBackend.allCases {
            try await KnowledgeBaseTests.withDatabase(backend) { pool in
                let (first, second) = (articles, changed)
                _ = try await pool.write { db in try KnowledgeBase.upsert(first, in: db, now: 1) }
                _ = try await pool.write { db in try KnowledgeBase.upsert(second, in: db, now: 2) }
                answers[backend] = try await pool.read { db in
                    (try db.query("SELECT term, articles FROM kb_term_counts").map { "\($0.string("term") ?? "") \($0.int("articles") ?? 0)" }.sorted(),
                     try queries.map { try KnowledgeBase.search($0.0, locale: $0.1, limit: 10, in: db) })
                }
            }
        }
        let sqlite = try #require(answers[.sqlite])
        let postgres = try #require(answers[.postgres])
        #expect(postgres.terms == sqlite.terms, "kb_term_counts: \(Set(postgres.terms).symmetricDifference(sqlite.terms).sorted().prefix(10))")
        for (query, (expected, found)) in zip(queries, zip(sqlite.results, postgres.results)) {
            #expect(found.map(\.article.id) == expected.map(\.article.id), "\"\(query.0)\" (\(query.1 ?? "any"))")
            for (a, b) in zip(expected, found) { #expect(abs(a.score - b.score) <= 1e-9 * max(1, abs(a.score)), "\"\(query.0)\": \(a.score) vs \(b.score)") }
        }
    }
}

/// SplitMix64, so a corpus is the same at every run.
struct SeededGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    /// A number in 0..<bound.
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}
