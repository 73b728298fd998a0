import Foundation
import Storage

/// One knowledge-base article. `id` (a slug) and `locale` name it: importing the same pair again
/// replaces it.
public struct Article: Sendable, Equatable, Codable {
    public var id: String
    public var locale: String
    public var title: String
    public var body: String
    public var url: String?
    public var tags: [String]

    public init(id: String, locale: String, title: String, body: String, url: String? = nil, tags: [String] = []) {
        self.id = id
        self.locale = locale
        self.title = title
        self.body = body
        self.url = url
        self.tags = tags
    }
}

/// A search hit: the article, a short excerpt around the match, and its BM25 score (higher is
/// better; SQLite's bm25() is negated so that larger means more relevant).
public struct ArticleMatch: Sendable, Equatable {
    public var article: Article
    public var excerpt: String
    public var score: Double
}

/// Why articles could not be read.
public struct KnowledgeBaseError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): \(message)" }
}

/// The knowledge base: articles in `kb_articles` with an FTS5 index (`unicode61
/// remove_diacritics 2`, so "retour" finds "Retours" and "reembolso" finds "reembolsó"),
/// ranked by BM25 with the title weighing most, then tags, then the body. On PostgreSQL the
/// same words are indexed in `kb_postings` and ranked by FTS5's BM25 computed in Swift (`BM25`,
/// `KnowledgeBase+PostgreSQL.swift`): the same articles, in the same order, with the same scores.
public enum KnowledgeBase {
    /// Inserts or replaces articles by (id, locale). On SQLite, when any changed, it then merges
    /// the full-text index into one segment (which searches read fastest) and counts again how
    /// many articles hold each term; both rewrite a whole table, which an import can afford. On
    /// PostgreSQL each new or changed article is indexed as it is written (`indexArticle`), and
    /// so is any article not indexed yet. Returns how many were new and how many changed.
    @discardableResult
    public static func upsert(_ articles: [Article], in db: Database, now: Int64) throws -> (added: Int, updated: Int, unchanged: Int) {
        var counts = (added: 0, updated: 0, unchanged: 0)
        for article in articles {
            let tags = article.tags.joined(separator: ", ")
            if let row = try db.queryRow("SELECT id, title, body, url, tags FROM kb_articles WHERE slug = ? AND locale = ?", article.id, article.locale) {
                if row.string("title") == article.title, row.string("body") == article.body, row.string("url") == article.url,
                   row.string("tags") == tags {
                    counts.unchanged += 1
                    continue
                }
                try db.run("UPDATE kb_articles SET title = ?, body = ?, url = ?, tags = ?, updated_at = ? WHERE id = ?",
                           article.title, article.body, article.url, tags, now, row.int64("id"))
                if db.dialect == .postgres { try indexArticle(id: row.int64("id") ?? 0, article, in: db) }
                counts.updated += 1
            } else if db.dialect == .postgres {
                let id = try db.scalar("INSERT INTO kb_articles (slug, locale, title, body, url, tags, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                                       article.id, article.locale, article.title, article.body, article.url, tags, now).int64 ?? 0
                try indexArticle(id: id, article, in: db)
                counts.added += 1
            } else {
                try db.run("INSERT INTO kb_articles (slug, locale, title, body, url, tags, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           article.id, article.locale, article.title, article.body, article.url, tags, now)
                counts.added += 1
            }
        }
        if db.dialect == .postgres {
            try indexPending(in: db)
            if counts.added + counts.updated > 0 { try refreshIndexTotals(in: db) }
            return counts
        }
        if counts.added + counts.updated > 0 {
            try db.run("INSERT INTO kb_articles_fts (kb_articles_fts) VALUES ('optimize')")
            try db.run("DELETE FROM kb_term_counts")
            try db.run("INSERT INTO kb_term_counts (term, articles) SELECT term, doc FROM kb_terms")
        }
        return counts
    }

    /// One word of a query: the FTS5 phrase (quoted, so no FTS syntax gets through) and the
    /// index terms it covers (`prefix` for a prefix match), folded as the index folds them.
    struct Phrase: Equatable {
        var fts: String
        var term: String
        var prefix: Bool

        /// The phrase's text as FTS5 reads it between the quotes (not yet folded).
        var text: Substring { fts.dropFirst().dropLast(prefix ? 2 : 1) }
    }

    /// The phrases of free text, at most 32. Words of three letters or more match as prefixes,
    /// and long words are cut to a stem first (a crude stemmer that works across the shipped
    /// languages: "returns" finds "return", "retourner" finds "retour", "pay" finds "payment").
    /// Stop words and one-letter words are left out.
    static func phrases(_ text: String) -> [Phrase] {
        var phrases: [Phrase] = []
        var seen = Set<String>()
        var current = ""
        func flush() {
            defer { current = "" }
            let word = current.lowercased()
            let folded = word.folding(options: .diacriticInsensitive, locale: nil)
            guard phrases.count < 32, word.count >= 2, !stopWords.contains(folded), seen.insert(folded).inserted else { return }
            phrases.append(word.count < 3 ? Phrase(fts: "\"\(word)\"", term: folded, prefix: false)
                                          : Phrase(fts: "\"\(stem(word))\"*", term: stem(folded), prefix: true))
        }
        for character in text {
            if character.isLetter || character.isNumber { current.append(character) } else { flush() }
        }
        flush()
        return phrases
    }

    /// The FTS5 query for `phrases` against articles in `locales` (all when empty), joined by OR, so that BM25 ranks articles by how many of the rarer words they share.
    ///
    /// Words that weigh almost nothing in the ranking are left out, because BM25 scores every
    /// article that matches any word and that is where a search spends its time: a word held by
    /// half of the articles matches half of the knowledge base. A phrase is kept when its
    /// inverse document frequency (BM25's, from how many articles hold its terms) is at least a
    /// twentieth of the query's strongest word's; words no article holds are dropped too. On
    /// the benchmark's 10 000 articles this gives the same first article as the whole query for
    /// 99.5 % of queries. Nil when nothing is left to search for.
    static func matchQuery(_ phrases: [Phrase], locales: [String], in db: Database) throws -> String? {
        guard !phrases.isEmpty else { return nil }
        let articles = Double(try db.scalar("SELECT count(*) FROM kb_articles").int ?? 0)
        var holders: [Int] = []
        for phrase in phrases {
            holders.append(phrase.prefix
                ? try db.scalar("SELECT coalesce(sum(articles), 0) FROM kb_term_counts WHERE term >= ? AND term < ?",
                                phrase.term, phrase.term + "\u{10FFFF}").int ?? 0
                : try db.scalar("SELECT articles FROM kb_term_counts WHERE term = ?", phrase.term).int ?? 0)
        }
        let kept = worthSearching(phrases, holders: holders, articles: articles)
        guard !kept.isEmpty else { return nil }
        let words = kept.map(\.fts).joined(separator: " OR ")
        guard !locales.isEmpty else { return words }
        return "lang : (\(locales.map { "\"\(localeToken($0))\"" }.joined(separator: " OR "))) AND (\(words))"
    }

    /// The phrases of `phrases` that weigh enough to search for (see `matchQuery`), in order,
    /// given how many articles hold each one's terms (`holders`, from `kb_term_counts`) and how
    /// many articles there are. Empty when none does.
    static func worthSearching(_ phrases: [Phrase], holders: [Int], articles: Double) -> [Phrase] {
        var weighted: [(phrase: Phrase, idf: Double)] = []
        for (phrase, holders) in zip(phrases, holders) where holders > 0 {
            // SQLite's bm25(): log((N - n + 0.5) / (n + 0.5)), at least 1e-6. A prefix's count
            // adds up its terms' counts, so it can exceed N: it is capped there.
            let n = min(Double(holders), articles)
            weighted.append((phrase, max(1e-6, log((articles - n + 0.5) / (n + 0.5)))))
        }
        guard let strongest = weighted.map(\.idf).max() else { return [] }
        return weighted.filter { $0.idf >= strongest / 20 }.map(\.phrase)
    }

    /// The token a locale is indexed as (`fr-CA` → `langfrca`), as the `lang` column of
    /// `kb_articles` computes it.
    static func localeToken(_ locale: String) -> String {
        "lang" + String(locale.lowercased().unicodeScalars.filter { $0 != "-" && $0 != "_" && $0 != "\"" }.map(Character.init))
    }

    /// The first letters of a long word (at least five, and three fewer than the word).
    static func stem(_ word: String) -> String {
        word.count < 6 ? word : String(word.prefix(max(5, word.count - 3)))
    }

    /// Words too common to say anything about an article, in the shipped languages.
    static let stopWords: Set<String> = [
        "the", "and", "for", "you", "your", "my", "me", "is", "are", "to", "of", "in", "on", "it", "do", "can", "how", "what", "an",
        "le", "la", "les", "de", "des", "du", "un", "une", "et", "je", "mon", "ma", "mes", "est", "pour", "que", "qui", "en", "au",
        "el", "los", "las", "del", "por", "con", "mi", "es", "como", "una", "der", "die", "das", "und", "ich", "ist", "mein", "wie",
        "ein", "eine", "os", "as", "da", "meu", "minha", "um", "uma", "com", "para",
        "with", "want", "would", "like", "please", "have", "has", "was", "will", "this", "that", "not", "there", "from", "about",
        "need", "does", "did", "hello", "thanks", "thank", "yes", "no", "our", "its", "be", "at", "or", "if", "so", "we", "they",
        "pas", "ne", "veux", "voudrais", "avec", "sur", "dans", "vous", "votre", "vos", "il", "elle", "on", "nous", "ce", "cette",
        "bonjour", "merci", "oui", "non", "suis", "ai", "se", "sa", "son", "ses", "par", "plus", "tout", "comment", "quel", "quels",
        "quelle", "quelles", "est-ce", "fait", "faire", "peux", "puis", "et", "ou", "où", "quand", "pourquoi", "aussi",
        "quiero", "hola", "gracias", "ya", "su", "sus", "al", "lo", "se", "te", "ich", "möchte", "bitte", "nicht", "mit", "zu",
        "quero", "olá", "obrigado", "não", "do", "dos", "das", "no", "na",
    ]

    /// Articles matching `text`, best first. With a locale, only that locale's articles (an
    /// exact match such as `fr-CA`, else its language `fr`); without, all.
    public static func search(_ text: String, locale: String? = nil, limit: Int = 5, in db: Database) throws -> [ArticleMatch] {
        guard limit > 0 else { return [] }
        var locales: [String] = []
        if let locale, !locale.isEmpty {
            locales = [locale]
            let language = Notices.language(of: locale)
            if language != locale { locales.append(language) }
        }
        let phrases = phrases(text)
        if db.dialect == .postgres { return try postgresSearch(phrases, locales: locales, limit: min(limit, 50), in: db) }
        guard let query = try matchQuery(phrases, locales: locales, in: db) else { return [] }
        // Ranked ids first, then the articles of only those. The locale column weighs nothing.
        let ranked = try db.query("""
            SELECT rowid AS id, -bm25(kb_articles_fts, 5.0, 1.0, 3.0, 0.0) AS score
            FROM kb_articles_fts WHERE kb_articles_fts MATCH ?
            ORDER BY bm25(kb_articles_fts, 5.0, 1.0, 3.0, 0.0) LIMIT ?
            """, query, min(limit, 50))
        var matches: [ArticleMatch] = []
        for hit in ranked {
            guard let id = hit.int64("id"),
                  let row = try db.queryRow("SELECT slug, locale, title, body, url, tags FROM kb_articles WHERE id = ?", id) else { continue }
            let article = Article(row: row)
            matches.append(ArticleMatch(article: article, excerpt: plain(excerpt(of: article.body, around: phrases)), score: hit.double("score") ?? 0))
        }
        return matches
    }

    /// About `length` words of `body` from just before its first word that one of `phrases`
    /// matches (the start when none does), with "…" where it was cut. Made here rather than by
    /// FTS5's snippet(), which evaluates the whole query again for each article.
    static func excerpt(of body: String, around phrases: [Phrase], length: Int = 20) -> String {
        let words = body.split(whereSeparator: \.isWhitespace)
        func matches(_ word: Substring) -> Bool {
            var folded = word.lowercased().filter { $0.isLetter || $0.isNumber }
            if !folded.allSatisfy(\.isASCII) { folded = folded.folding(options: .diacriticInsensitive, locale: nil) }
            return phrases.contains { $0.prefix ? folded.hasPrefix($0.term) : folded == $0.term }
        }
        let first = words.firstIndex(where: matches) ?? 0
        let start = max(0, min(first - 3, words.count - length))
        let end = min(words.count, start + length)
        return (start > 0 ? "…" : "") + words[start..<end].joined(separator: " ") + (end < words.count ? "…" : "")
    }

    /// An excerpt as plain text on one line: Markdown emphasis and headings dropped, whitespace collapsed.
    static func plain(_ text: String) -> String {
        text.replacingOccurrences(of: "**", with: "").replacingOccurrences(of: "__", with: "").replacingOccurrences(of: "#", with: "")
            .split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    /// How many articles there are per locale.
    public static func counts(in db: Database) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try db.query("SELECT locale, count(*) AS n FROM kb_articles GROUP BY locale") {
            counts[row.string("locale") ?? ""] = row.int("n") ?? 0
        }
        return counts
    }

    // MARK: - Reading articles from files

    /// Reads articles from a JSON file (an array of articles, or `{"articles": [...]}`), a
    /// Markdown file with front matter, or a folder of such files (recursively, in name order;
    /// `README.md` files are skipped).
    public static func read(path: String) throws(KnowledgeBaseError) -> [Article] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw KnowledgeBaseError(file: path, message: "no such file or folder")
        }
        if !isDirectory.boolValue { return try readFile(path) }
        guard let enumerator = FileManager.default.enumerator(atPath: path) else {
            throw KnowledgeBaseError(file: path, message: "cannot list the folder")
        }
        var files: [String] = []
        for case let name as String in enumerator where name.hasSuffix(".md") || name.hasSuffix(".json") {
            // A folder's README describes it; it is not an article.
            if (name.split(separator: "/").last ?? "").lowercased() == "readme.md" { continue }
            files.append(name)
        }
        var articles: [Article] = []
        for name in files.sorted() { articles += try readFile(path + "/" + name) }
        var seen = Set<String>()
        for article in articles where !seen.insert(article.id + "\u{0}" + article.locale).inserted {
            throw KnowledgeBaseError(file: path, message: "article '\(article.id)' (\(article.locale)) appears twice")
        }
        return articles
    }

    static func readFile(_ path: String) throws(KnowledgeBaseError) -> [Article] {
        guard let data = FileManager.default.contents(atPath: path) else { throw KnowledgeBaseError(file: path, message: "cannot read the file") }
        if path.hasSuffix(".json") {
            let decoded: Any
            do { decoded = try JSONSerialization.jsonObject(with: data) } catch {
                throw KnowledgeBaseError(file: path, message: "is not valid JSON")
            }
            let list = (decoded as? [Any]) ?? ((decoded as? [String: Any])?["articles"] as? [Any])
            guard let list else { throw KnowledgeBaseError(file: path, message: "must be a list of articles or {\"articles\": [...]}") }
            var articles: [Article] = []
            for (index, element) in list.enumerated() {
                guard let object = element as? [String: Any] else {
                    throw KnowledgeBaseError(file: path, message: "articles[\(index)] must be an object")
                }
                var fields: [String: String] = [:]
                for (key, value) in object {
                    if let text = value as? String { fields[key] = text }
                    if key == "tags", let tags = value as? [String] { fields[key] = tags.joined(separator: ",") }
                }
                articles.append(try article(fields, body: fields["body"] ?? "", file: "\(path) articles[\(index)]"))
            }
            return articles
        }
        let text = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        guard text.hasPrefix("---\n"), let end = text.range(of: "\n---\n", range: text.index(text.startIndex, offsetBy: 3)..<text.endIndex) ??
                text.range(of: "\n---", range: text.index(text.startIndex, offsetBy: 3)..<text.endIndex) else {
            throw KnowledgeBaseError(file: path, message: "must start with a front-matter block between '---' lines (id, locale, title, url, tags)")
        }
        var fields: [String: String] = [:]
        for line in text[text.index(text.startIndex, offsetBy: 4)..<end.lowerBound].split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else {
                throw KnowledgeBaseError(file: path, message: "front-matter line '\(line)' is not 'name: value'")
            }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[line[..<colon].trimmingCharacters(in: .whitespaces)] = value.count >= 2 && value.hasPrefix("\"") && value.hasSuffix("\"")
                ? String(value.dropFirst().dropLast()) : value
        }
        if fields["id"] == nil {
            fields["id"] = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
        let body = String(text[end.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)
        return [try article(fields, body: body, file: path)]
    }

    static func article(_ fields: [String: String], body: String, file: String) throws(KnowledgeBaseError) -> Article {
        let known: Set<String> = ["id", "locale", "title", "body", "url", "tags"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw KnowledgeBaseError(file: file, message: "unknown field '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let id = fields["id"], !id.isEmpty, id.count <= 200,
              id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw KnowledgeBaseError(file: file, message: "'id' must be 1-200 letters, digits, '-', '_' or '.'")
        }
        guard let locale = fields["locale"], !locale.isEmpty, locale.count <= 35,
              locale.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw KnowledgeBaseError(file: file, message: "'locale' is required: letters, digits, '-' or '_' (en, fr, pt-BR...)")
        }
        guard let title = fields["title"]?.trimmingCharacters(in: .whitespaces), !title.isEmpty else {
            throw KnowledgeBaseError(file: file, message: "'title' is required")
        }
        guard !body.isEmpty else { throw KnowledgeBaseError(file: file, message: "the article has no body") }
        if let url = fields["url"], !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
            throw KnowledgeBaseError(file: file, message: "'url' must be an http(s) URL")
        }
        let tags = (fields["tags"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return Article(id: id, locale: locale, title: title, body: body, url: fields["url"].flatMap { $0.isEmpty ? nil : $0 }, tags: tags)
    }
}

extension Article {
    init(row: Row) {
        self.init(id: row.string("slug") ?? "", locale: row.string("locale") ?? "", title: row.string("title") ?? "",
                  body: row.string("body") ?? "", url: row.string("url"),
                  tags: (row.string("tags") ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }
}

/// An article as suggested to users, agents and bots: `{"id","locale","title","url","excerpt","score"}`.
public struct ArticleSuggestion: Sendable, Equatable, Codable {
    public var id: String
    public var locale: String
    public var title: String
    public var url: String?
    public var excerpt: String
    public var score: Double

    public init(_ match: ArticleMatch) {
        id = match.article.id
        locale = match.article.locale
        title = match.article.title
        url = match.article.url
        excerpt = match.excerpt
        score = (match.score * 1000).rounded() / 1000
    }
}
