import Foundation
import Storage

/// The knowledge base on PostgreSQL: the articles' words indexed as FTS5 reads them and ranked
/// with FTS5's BM25, so that a search gives the articles SQLite gives, in the same order, with
/// the same scores (the FAQ bot's `min_score` means the same on both backends).
///
/// Why not PostgreSQL's own full-text search: a `tsvector` keeps at most 256 positions per
/// lexeme and folds positions past 16 383 into one, so term counts (and BM25) cannot be exact;
/// its parser and per-language Snowball configurations cut and stem words otherwise than
/// unicode61 does, so another article would come first; `ts_rank` is not BM25, so scores would
/// not compare with `min_score`; and accent folding there needs the `unaccent` extension. What
/// is used instead is plain tables: a B-tree over (term, article) in code-point order, where a
/// word and a prefix are each one range, read by index-only scans. Accents and case are folded
/// at import and at search by `FTS5Tokenizer`; the per-locale part is the locale filter, the
/// same token SQLite's `lang` column holds (`fr-CA` → `langfrca`, then the language `fr`).
extension KnowledgeBase {
    /// The longest term kept, in UTF-8 bytes (a B-tree key cannot hold FTS5's 32 768): a longer
    /// token is cut to its first characters, at import and at search alike.
    static let longestTerm = 1024

    // MARK: - Indexing

    /// What the index keeps of one article: each term's count in the title, the body and the
    /// tags, the locale token, and the article's length in tokens as FTS5 counts it (title, body,
    /// tags and the one-token locale column).
    struct IndexedArticle: Equatable {
        struct Counts: Equatable {
            var title = 0
            var body = 0
            var tags = 0
        }

        var lang: String
        var tokens: Int
        var terms: [String: Counts]

        init(title: String, body: String, tags: String, locale: String) {
            var terms: [String: Counts] = [:]
            var tokens = 0
            FTS5Tokenizer.forEachToken(title) { terms[KnowledgeBase.capped($0), default: Counts()].title += 1; tokens += 1 }
            FTS5Tokenizer.forEachToken(body) { terms[KnowledgeBase.capped($0), default: Counts()].body += 1; tokens += 1 }
            FTS5Tokenizer.forEachToken(tags) { terms[KnowledgeBase.capped($0), default: Counts()].tags += 1; tokens += 1 }
            // The locale column, as SQLite's generated `lang` computes it: held, weighing nothing.
            let lang = FTS5Tokenizer.tokens(KnowledgeBase.indexedLocale(locale)).map(KnowledgeBase.capped)
            for token in lang where terms[token] == nil { terms[token] = Counts() }
            tokens += lang.count
            self.lang = lang.joined(separator: " ")
            self.tokens = tokens
            self.terms = terms
        }
    }

    /// What migration 10 computes into SQLite's `lang` column: `'lang' || lower(locale)` without
    /// `-` and `_` (SQLite's lower() folds ASCII only).
    static func indexedLocale(_ locale: String) -> String {
        "lang" + String(String.UnicodeScalarView(locale.unicodeScalars.filter { $0 != "-" && $0 != "_" }.map { scalar in
            scalar.value >= 0x41 && scalar.value <= 0x5A ? Unicode.Scalar(scalar.value + 0x20)! : scalar
        }))
    }

    /// A term cut to `longestTerm` bytes, at a character boundary.
    static func capped(_ term: String) -> String {
        guard term.utf8.count > longestTerm else { return term }
        var bytes = 0
        return String(String.UnicodeScalarView(term.unicodeScalars.prefix { scalar in
            bytes += String(scalar).utf8.count
            return bytes <= longestTerm
        }))
    }

    /// Writes the postings of article `id` (replacing any it had) and keeps `kb_term_counts` in
    /// step: one less for each term it held, one more for each it holds.
    static func indexArticle(id: Int64, _ article: Article, in db: Database) throws {
        let indexed = IndexedArticle(title: article.title, body: article.body, tags: article.tags.joined(separator: ", "), locale: article.locale)
        try db.run("""
            WITH old AS (DELETE FROM kb_postings WHERE article_id = ? RETURNING term)
            UPDATE kb_term_counts c SET articles = c.articles - 1 FROM old WHERE c.term = old.term
            """, id)
        let terms = indexed.terms.keys.sorted()
        try db.run("""
            WITH new AS (
                INSERT INTO kb_postings (term, article_id, lang, tokens, title, body, tags)
                SELECT t.term, ?::bigint, ?::text, ?::integer, t.title, t.body, t.tags
                FROM unnest(?::text[], ?::integer[], ?::integer[], ?::integer[]) AS t(term, title, body, tags)
                RETURNING term
            )
            INSERT INTO kb_term_counts (term, articles) SELECT term, 1 FROM new
            ON CONFLICT (term) DO UPDATE SET articles = kb_term_counts.articles + 1
            """, id, indexed.lang, indexed.tokens, arrayLiteral(terms),
                   arrayLiteral(terms.map { indexed.terms[$0]!.title }), arrayLiteral(terms.map { indexed.terms[$0]!.body }),
                   arrayLiteral(terms.map { indexed.terms[$0]!.tags }))
        try db.run("UPDATE kb_articles SET tokens = ? WHERE id = ?", indexed.tokens, id)
    }

    /// Indexes the articles that are not yet (written by SQL rather than by `upsert`, such as
    /// those there before migration 12), then the totals. Does nothing on SQLite, whose FTS5
    /// index follows the table by triggers.
    public static func indexPending(in db: Database) throws {
        guard db.dialect == .postgres else { return }
        let pending = try db.query("SELECT id, slug, locale, title, body, url, tags FROM kb_articles WHERE tokens IS NULL ORDER BY id")
        guard !pending.isEmpty else { return }
        for row in pending { try indexArticle(id: row.int64("id") ?? 0, Article(row: row), in: db) }
        try refreshIndexTotals(in: db)
    }

    /// Drops the terms no article holds any more and counts the articles and their tokens again.
    static func refreshIndexTotals(in db: Database) throws {
        try db.run("DELETE FROM kb_term_counts WHERE articles <= 0")
        try db.run("""
            UPDATE kb_index_totals SET articles = (SELECT count(*) FROM kb_articles),
                                       tokens = (SELECT coalesce(sum(tokens), 0) FROM kb_articles)
            """)
    }

    /// A PostgreSQL array literal of strings, each quoted.
    static func arrayLiteral(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }
            .joined(separator: ",") + "}"
    }

    /// A PostgreSQL array literal of integers.
    static func arrayLiteral(_ values: [Int]) -> String {
        "{" + values.map(String.init).joined(separator: ",") + "}"
    }

    // MARK: - Searching

    /// The same search as SQLite's, on `kb_postings`: the same phrases left out (from
    /// `kb_term_counts`, by `worthSearching`), the same articles matched, ranked by the score
    /// FTS5's bm25() gives them (computed here by `BM25` from each phrase's postings), ties to
    /// the older article. Three statements: the phrases' weights, the postings of the words kept
    /// in the locales searched, the best articles; a fourth when a word's count of articles
    /// (BM25's n, over all locales) is not already known from `kb_term_counts`.
    static func postgresSearch(_ phrases: [Phrase], locales: [String], limit: Int, in db: Database) throws -> [ArticleMatch] {
        guard !phrases.isEmpty else { return [] }
        // How many articles hold each phrase's terms (as SQLite's matchQuery counts them) and
        // in how many terms. (The planner cannot estimate the term ranges the next statements
        // join on and would compile them with JIT, a hundred times the query's cost: the
        // gateway's connections run with JIT off.)
        let weights = try db.query("""
            SELECT p.i,
                   (SELECT articles FROM kb_index_totals) AS articles, (SELECT tokens FROM kb_index_totals) AS tokens,
                   (SELECT coalesce(sum(c.articles), 0) FROM kb_term_counts c WHERE c.term >= p.low AND c.term < p.high) AS holders,
                   (SELECT count(*) FROM kb_term_counts c WHERE c.term >= p.low AND c.term < p.high) AS terms
            FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS p(low, high, i)
            ORDER BY p.i
            """, arrayLiteral(phrases.map(\.term)), arrayLiteral(phrases.map { termRangeEnd($0.term, prefix: $0.prefix) }))
        let articles = weights.first?.int("articles") ?? 0
        let holders = weights.map { $0.int("holders") ?? 0 }
        let kept = worthSearching(phrases, holders: holders, articles: Double(articles))
        var known: [String: Int] = [:]  // phrase fts → its articles, when its range is one term
        for (phrase, row) in zip(phrases, weights) where row.int("terms") == 1 { known[phrase.fts] = row.int("holders") }
        // Each phrase's tokens as FTS5 reads the quoted text; the last one is a prefix if the
        // phrase is. A phrase FTS5 reads as no token matches nothing.
        var searched: [SearchedPhrase] = []
        var low: [String] = []
        var high: [String] = []
        for phrase in kept {
            let tokens = FTS5Tokenizer.tokens(String(phrase.text)).map(capped)
            guard !tokens.isEmpty else { continue }
            searched.append(SearchedPhrase(tokens: low.count..<(low.count + tokens.count),
                                           articles: tokens == [phrase.term] ? known[phrase.fts] : nil))
            for (index, token) in tokens.enumerated() {
                low.append(token)
                high.append(termRangeEnd(token, prefix: phrase.prefix && index == tokens.count - 1))
            }
        }
        guard !searched.isEmpty, articles > 0 else { return [] }
        let several = searched.flatMap { phrase in phrase.tokens.map { _ in phrase.tokens.count > 1 ? "t" : "f" } }
        var arguments: [any SQLValueConvertible] = [arrayLiteral(low), arrayLiteral(high), "{" + several.joined(separator: ",") + "}"]
        var localeFilter = ""
        if !locales.isEmpty {
            localeFilter = "AND k.lang = ANY(?4::text[])"
            arguments.append(arrayLiteral(locales.map { FTS5Tokenizer.tokens(localeToken($0)).map(capped).joined(separator: " ") }))
        }
        var postings = [TokenPostings](repeating: TokenPostings(), count: low.count)
        for row in try db.query("""
            SELECT t.position, array_agg(k.article_id) AS ids, array_agg(k.tokens) AS lengths,
                   array_agg(5 * k.title + k.body + 3 * k.tags) AS frequencies,
                   array_agg(k.title) FILTER (WHERE t.several) AS titles, array_agg(k.body) FILTER (WHERE t.several) AS bodies,
                   array_agg(k.tags) FILTER (WHERE t.several) AS tags
            FROM unnest(?1::text[], ?2::text[], ?3::boolean[]) WITH ORDINALITY AS t(low, high, several, position)
            JOIN kb_postings k ON k.term >= t.low AND k.term < t.high \(localeFilter)
            GROUP BY t.position
            """, arguments: arguments) {
            guard let position = row.int("position"), position >= 1, position <= postings.count else { continue }
            postings[position - 1] = TokenPostings(row)
        }
        // BM25's n, over all locales, where kb_term_counts did not tell it: from the postings
        // read when no locale was filtered, else counted.
        let unknown = searched.filter { $0.articles == nil }.flatMap(\.tokens)
        if !unknown.isEmpty {
            if locales.isEmpty {
                for index in unknown { postings[index].everywhere = Set(postings[index].searched.keys) }
            } else {
                for row in try db.query("""
                    SELECT t.position, count(DISTINCT k.article_id) AS articles,
                           CASE WHEN bool_or(t.several) THEN array_agg(DISTINCT k.article_id) END AS every
                    FROM unnest(?::integer[], ?::text[], ?::text[], ?::boolean[]) AS t(position, low, high, several)
                    JOIN kb_postings k ON k.term >= t.low AND k.term < t.high
                    GROUP BY t.position
                    """, arrayLiteral(unknown.map { $0 + 1 }), arrayLiteral(unknown.map { low[$0] }), arrayLiteral(unknown.map { high[$0] }),
                    "{" + unknown.map { several[$0] }.joined(separator: ",") + "}") {
                    guard let position = row.int("position"), position >= 1, position <= postings.count else { continue }
                    postings[position - 1].everywhere = Set(integers(row.string("every")).map(Int64.init))
                    postings[position - 1].articles = row.int("articles") ?? 0
                }
            }
        }
        let ranked = rank(searched, postings: postings, articles: articles, tokens: weights.first?.int("tokens") ?? 0, limit: limit)
        guard !ranked.isEmpty else { return [] }
        var found: [Int64: Article] = [:]
        for row in try db.query("SELECT id, slug, locale, title, body, url, tags FROM kb_articles WHERE id = ANY(?::bigint[])",
                                arrayLiteral(ranked.map { Int($0.id) })) {
            found[row.int64("id") ?? 0] = Article(row: row)
        }
        return ranked.compactMap { hit in
            found[hit.id].map { ArticleMatch(article: $0, excerpt: plain(excerpt(of: $0.body, around: phrases)), score: hit.score) }
        }
    }

    /// A phrase searched: which of the tokens searched are its own, and how many articles hold
    /// it (all locales) when `kb_term_counts` already told.
    struct SearchedPhrase {
        var tokens: Range<Int>
        var articles: Int?
    }

    /// What one token's term range holds in the locales searched: per article, its length and
    /// the token's weighted frequency (title 5, body 1, tags 3; per column too when the token's
    /// phrase has several); and, when they were needed, how many articles hold it in any locale
    /// and (for a phrase of several tokens) which.
    struct TokenPostings {
        struct Posting {
            var length = 0
            var frequency = 0
            var title = 0
            var body = 0
            var tags = 0
        }

        var searched: [Int64: Posting] = [:]
        var everywhere: Set<Int64> = []
        var articles: Int?

        init() {}

        init(_ row: Row) {
            let ids = KnowledgeBase.integers(row.string("ids"))
            let lengths = KnowledgeBase.integers(row.string("lengths"))
            let frequencies = KnowledgeBase.integers(row.string("frequencies"))
            let titles = KnowledgeBase.integers(row.string("titles"))
            let bodies = KnowledgeBase.integers(row.string("bodies"))
            let tags = KnowledgeBase.integers(row.string("tags"))
            guard lengths.count == ids.count, frequencies.count == ids.count else { return }
            let columns = titles.count == ids.count && bodies.count == ids.count && tags.count == ids.count
            searched.reserveCapacity(ids.count)
            // A prefix covers several terms: an article's counts add up over them.
            for index in ids.indices {
                var posting = searched[Int64(ids[index]), default: Posting()]
                posting.length = lengths[index]
                posting.frequency += frequencies[index]
                if columns {
                    posting.title += titles[index]
                    posting.body += bodies[index]
                    posting.tags += tags[index]
                }
                searched[Int64(ids[index])] = posting
            }
        }
    }

    /// The best `limit` articles by BM25, ties to the older (smaller id). A phrase of several
    /// tokens (FTS5 reads some scripts' words so) matches where all its tokens are, as often as
    /// the rarest in each column: positions are not kept, so adjacency is not checked.
    static func rank(_ phrases: [SearchedPhrase], postings: [TokenPostings], articles: Int, tokens: Int, limit: Int) -> [(id: Int64, score: Double)] {
        // Each phrase's weight and matches (article, weighted frequency).
        var idfs: [Double] = []
        var matches: [[(id: Int64, frequency: Double, length: Int)]] = []
        for phrase in phrases {
            let parts = postings[phrase.tokens]
            var hits: [(id: Int64, frequency: Double, length: Int)] = []
            let matching: Int
            if parts.count == 1, let part = parts.first {
                matching = phrase.articles ?? part.articles ?? part.everywhere.count
                hits = part.searched.map { ($0.key, Double($0.value.frequency), $0.value.length) }
            } else {
                matching = parts.dropFirst().reduce(parts.first!.everywhere) { $0.intersection($1.everywhere) }.count
                for (id, first) in parts.first!.searched {
                    var least = first
                    var everywhere = true
                    for part in parts.dropFirst() {
                        guard let posting = part.searched[id] else { everywhere = false; break }
                        least.title = min(least.title, posting.title)
                        least.body = min(least.body, posting.body)
                        least.tags = min(least.tags, posting.tags)
                    }
                    if everywhere { hits.append((id, Double(5 * least.title + least.body + 3 * least.tags), first.length)) }
                }
            }
            idfs.append(BM25.idf(articles: max(articles, matching), matching: matching))
            matches.append(hits)
        }
        // One row per article matched, one column per phrase (0 where it lacks the phrase).
        var rows: [Int64: Int] = [:]
        var candidates: [(id: Int64, length: Int)] = []
        for hits in matches {
            for hit in hits where rows[hit.id] == nil {
                rows[hit.id] = candidates.count
                candidates.append((hit.id, hit.length))
            }
        }
        var frequencies = [Double](repeating: 0, count: candidates.count * phrases.count)
        for (column, hits) in matches.enumerated() {
            for hit in hits { frequencies[rows[hit.id]! * phrases.count + column] = hit.frequency }
        }
        let average = BM25.averageLength(tokens: tokens, articles: articles)
        var scored: [(id: Int64, score: Double)] = []
        scored.reserveCapacity(candidates.count)
        frequencies.withUnsafeBufferPointer { table in
            for (row, candidate) in candidates.enumerated() {
                let frequencies = table[(row * phrases.count)..<((row + 1) * phrases.count)]
                scored.append((candidate.id, BM25.score(idfs: idfs, frequencies: frequencies, length: candidate.length, averageLength: average)))
            }
        }
        // The best `limit`, best first; ties to the smaller id.
        func better(_ a: (id: Int64, score: Double), _ b: (id: Int64, score: Double)) -> Bool {
            a.score != b.score ? a.score > b.score : a.id < b.id
        }
        guard scored.count > limit * 4 else { return Array(scored.sorted(by: better).prefix(limit)) }
        var best: [(id: Int64, score: Double)] = []
        for entry in scored where best.count < limit || better(entry, best[best.count - 1]) {
            let index = best.firstIndex { better(entry, $0) } ?? best.count
            best.insert(entry, at: index)
            if best.count > limit { best.removeLast() }
        }
        return best
    }

    /// The integers of a PostgreSQL array's text (`{1,2,3}`); empty for null.
    static func integers(_ text: String?) -> [Int] {
        guard let text else { return [] }
        var values: [Int] = []
        var current = 0
        var negative = false
        var inNumber = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                current = current * 10 + Int(byte - UInt8(ascii: "0"))
                inNumber = true
            case UInt8(ascii: "-"):
                negative = true
            default:
                if inNumber { values.append(negative ? -current : current) }
                current = 0
                negative = false
                inNumber = false
            }
        }
        return values
    }

    /// The end of the range of terms a phrase token covers, from the token itself: every term
    /// that starts with it for a prefix, else the token alone (no term holds U+0001, a separator).
    static func termRangeEnd(_ token: String, prefix: Bool) -> String {
        token + (prefix ? "\u{10FFFF}" : "\u{1}")
    }
}
