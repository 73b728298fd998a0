import Foundation
import Storage

/// The knowledge base on PostgreSQL: the articles' words indexed as FTS5 reads them and ranked
/// with FTS5's BM25, so that a search gives the articles SQLite gives, in the same order, with
/// the same scores (the FAQ bot's `min_score` means the same on both backends).
///
/// Why not PostgreSQL's own full-text search: a `tsvector` keeps at most 256 positions per
/// lexeme and none past 16 383, so term counts (and BM25) cannot be exact; its parser and
/// Snowball dictionaries cut and stem words otherwise than unicode61 does, so another article
/// would come first; `ts_rank` is not BM25, so scores would not compare with `min_score`. And
/// the engines botbridge runs on besides PostgreSQL lack parts of it (`unaccent`, GIN prefix
/// matches). What is used instead is plain: a B-tree over (term, article) in code-point order,
/// where a word and a prefix are each one range. Accents and case are folded at import and at
/// search by `FTS5Tokenizer`, and the locale filter is the same locale token SQLite's `lang`
/// column holds (`fr-CA` → `langfrca`, then the language `fr`).
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
            for token in lang { terms[token, default: Counts()] = terms[token] ?? Counts() }
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
    /// FTS5's bm25() gives them.
    static func postgresSearch(_ phrases: [Phrase], locales: [String], limit: Int, in db: Database) throws -> [ArticleMatch] {
        guard !phrases.isEmpty else { return [] }
        // How many articles hold each phrase's terms, as SQLite's matchQuery counts them.
        let weights = try db.query("""
            SELECT p.i, (SELECT articles FROM kb_index_totals) AS articles,
                   (SELECT coalesce(sum(c.articles), 0) FROM kb_term_counts c WHERE c.term >= p.low AND c.term < p.high) AS holders
            FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS p(low, high, i) ORDER BY p.i
            """, arrayLiteral(phrases.map(\.term)), arrayLiteral(phrases.map { termRangeEnd($0.term, prefix: $0.prefix) }))
        let articles = Double(weights.first?.int("articles") ?? 0)
        let kept = worthSearching(phrases, holders: weights.map { $0.int("holders") ?? 0 }, articles: articles)
        // Each phrase's tokens as FTS5 reads the quoted text; the last one is a prefix if the
        // phrase is. A phrase FTS5 reads as no token matches nothing.
        var tokenPhrase: [Int] = []
        var low: [String] = []
        var high: [String] = []
        var sizes: [Int] = []
        for phrase in kept {
            let tokens = FTS5Tokenizer.tokens(String(phrase.text)).map(capped)
            guard !tokens.isEmpty else { continue }
            sizes.append(tokens.count)
            for (index, token) in tokens.enumerated() {
                tokenPhrase.append(sizes.count)
                low.append(token)
                high.append(termRangeEnd(token, prefix: phrase.prefix && index == tokens.count - 1))
            }
        }
        guard !sizes.isEmpty else { return [] }
        var arguments: [any SQLValueConvertible] = [arrayLiteral(tokenPhrase), arrayLiteral(low), arrayLiteral(high), arrayLiteral(sizes)]
        var localeFilter = ""
        if !locales.isEmpty {
            localeFilter = "WHERE h.lang = ANY(?::text[])"
            arguments.append(arrayLiteral(locales.map { FTS5Tokenizer.tokens(localeToken($0)).map(capped).joined(separator: " ") }))
        }
        arguments.append(limit)
        let rows = try db.query(bm25SQL(localeFilter: localeFilter), arguments: arguments)
        return rows.map { row in
            let article = Article(row: row)
            return ArticleMatch(article: article, excerpt: plain(excerpt(of: article.body, around: phrases)), score: row.double("score") ?? 0)
        }
    }

    /// The end of the range of terms a phrase token covers, from the token itself: every term
    /// that starts with it for a prefix, else the token alone (no term holds U+0001, a separator).
    static func termRangeEnd(_ token: String, prefix: Bool) -> String {
        token + (prefix ? "\u{10FFFF}" : "\u{1}")
    }

    /// The ranking query. Arguments: each token's phrase (numbered from 1, in the order of the
    /// phrases), the token's range of terms (low, high), each phrase's number of tokens, then
    /// the locale tokens when `localeFilter` is set, then the limit.
    ///
    /// This is FTS5's bm25() (SQLite's fts5_aux.c) with the weights 5 (title), 1 (body), 3
    /// (tags) and 0 (locale): for each phrase i, with N articles, n_i of them matching the phrase
    /// (in any locale), f_i the phrase's occurrences in the article weighted by column, D the
    /// article's length in tokens and avgdl the average length,
    ///
    ///     score = Σ_i idf_i · f_i·(k1 + 1) / (f_i + k1·(1 − b + b·D/avgdl)),  k1 = 1.2, b = 0.75,
    ///     idf_i = log((N − n_i + 0.5) / (n_i + 0.5)), or 1e-6 where that is not above 0.
    ///
    /// The arithmetic is written as FTS5's C is, in double precision in the same order (the sum
    /// too, phrase by phrase), so the scores are the same numbers. A phrase of several tokens
    /// (FTS5 reads some scripts' words so) counts where all its tokens are, as often as the
    /// rarest (positions are not kept: adjacency is not checked). Ties go to the older article.
    static func bm25SQL(localeFilter: String) -> String {
        """
        WITH token AS (
            SELECT * FROM unnest(?::integer[], ?::text[], ?::text[]) WITH ORDINALITY AS t(phrase, low, high, position)
        ),
        token_hit AS (
            SELECT t.phrase, t.position, k.article_id, k.lang, k.tokens,
                   sum(k.title) AS title, sum(k.body) AS body, sum(k.tags) AS tags
            FROM token t JOIN kb_postings k ON k.term >= t.low AND k.term < t.high
            GROUP BY t.phrase, t.position, k.article_id, k.lang, k.tokens
        ),
        phrase_hit AS (
            SELECT phrase, article_id, lang, tokens, 5 * min(title) + min(body) + 3 * min(tags) AS frequency
            FROM token_hit
            GROUP BY phrase, article_id, lang, tokens
            HAVING count(*) = (?::integer[])[phrase]
        ),
        totals AS (
            SELECT articles, tokens::float8 / nullif(articles, 0)::float8 AS average FROM kb_index_totals
        ),
        idf AS (
            SELECT phrase, CASE WHEN value <= 0::float8 THEN 1e-6::float8 ELSE value END AS value
            FROM (
                SELECT h.phrase,
                       ln(((greatest(totals.articles, count(*)) - count(*))::float8 + 0.5::float8) / (count(*)::float8 + 0.5::float8)) AS value
                FROM phrase_hit h, totals
                GROUP BY h.phrase, totals.articles
            ) AS matching
        ),
        score AS (
            SELECT h.article_id,
                   sum(i.value
                       * ((h.frequency::float8 * (1.2::float8 + 1.0::float8))
                          / (h.frequency::float8 + 1.2::float8 * (1.0::float8 - 0.75::float8 + 0.75::float8 * h.tokens::float8 / totals.average)))
                       ORDER BY h.phrase) AS score
            FROM phrase_hit h JOIN idf i ON i.phrase = h.phrase, totals
            \(localeFilter)
            GROUP BY h.article_id
        )
        SELECT a.slug, a.locale, a.title, a.body, a.url, a.tags, s.score
        FROM score s JOIN kb_articles a ON a.id = s.article_id
        ORDER BY s.score DESC, s.article_id
        LIMIT ?
        """
    }
}
