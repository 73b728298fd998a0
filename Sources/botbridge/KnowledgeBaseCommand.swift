import Bridge
import Foundation
import Storage

/// `botbridge kb import PATH`: articles from Markdown files with front matter, or JSON.
struct KnowledgeBaseImportCommand: Command {
    static let name = "kb import"
    static let abstract = "Import knowledge-base articles (a folder of Markdown files, or a JSON file); idempotent on id + locale."
    static let discussion = """
    A Markdown article starts with a front-matter block:
      ---
      id: returns-policy
      locale: en
      title: How do I return an item?
      url: https://shop.example/help/returns
      tags: returns, refund
      ---
      The body, in Markdown.
    (id defaults to the file name.) A JSON file is a list of {"id","locale","title","body","url","tags"}.
    Importing an article again replaces it; nothing is deleted. Creates the database when missing.
    """
    static let options: [OptionSpec] = [
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path from this configuration file (--db wins)."),
    ]

    var path: String
    var databasePath: String

    init(options: ParsedOptions) throws(UsageError) {
        guard options.positionals.count == 1 else { throw UsageError("give one file or folder to import, e.g. botbridge kb import examples/kb") }
        path = options.positionals[0]
        databasePath = try Self.databasePath(options)
    }

    func run() async -> Int32 {
        let articles: [Article]
        do { articles = try KnowledgeBase.read(path: path) } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return ExitStatus.dataError
        }
        let (opened, status) = await DatabaseLocation.open(path: databasePath, mustExist: DatabaseLocation.exists(databasePath))
        guard let pool = opened else { return status }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        do {
            let counts = try await pool.write { db in try KnowledgeBase.upsert(articles, in: db, now: now) }
            await pool.close()
            print("imported \(articles.count) articles: \(counts.added) new, \(counts.updated) updated, \(counts.unchanged) unchanged")
            return ExitStatus.success
        } catch {
            await pool.close()
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return ExitStatus.failure
        }
    }
}

/// `botbridge kb search QUERY`: what the bots and agents would be suggested.
struct KnowledgeBaseSearchCommand: Command {
    static let name = "kb search"
    static let abstract = "Search the knowledge base (BM25, accent- and case-insensitive)."
    static let options: [OptionSpec] = [
        .value("locale", "locale", help: "Only articles in this locale (fr-CA also finds fr)."),
        .value("limit", "n", help: "At most this many results (1-50). Default 5."),
        .flag("json", help: "Print JSON."),
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path from this configuration file (--db wins)."),
    ]

    var query: String
    var locale: String?
    var limit = 5
    var json: Bool
    var databasePath: String

    init(options: ParsedOptions) throws(UsageError) {
        guard !options.positionals.isEmpty else { throw UsageError("give the words to search for, e.g. botbridge kb search \"return an item\"") }
        query = options.positionals.joined(separator: " ")
        locale = options.value("locale")
        if let text = options.value("limit") {
            guard let value = Int(text), (1...50).contains(value) else { throw UsageError("invalid --limit '\(text)'; use 1-50") }
            limit = value
        }
        json = options.flag("json")
        databasePath = try Self.databasePath(options)
    }

    func run() async -> Int32 {
        let (query, locale, limit, json) = (self.query, self.locale, self.limit, self.json)
        return await DatabaseLocation.withExisting(path: databasePath) { pool in
            let matches: [ArticleMatch]
            do { matches = try await pool.read { db in try KnowledgeBase.search(query, locale: locale, limit: limit, in: db) } } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                return ExitStatus.failure
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: (try? encoder.encode(matches.map(ArticleSuggestion.init))) ?? Data("[]".utf8), as: UTF8.self))
                return ExitStatus.success
            }
            guard !matches.isEmpty else { print("no match"); return ExitStatus.success }
            for match in matches {
                print(String(format: "%6.2f  %@ (%@)  %@", match.score, match.article.id, match.article.locale, match.article.title))
                print("        \(match.excerpt)")
                if let url = match.article.url { print("        \(url)") }
            }
            return ExitStatus.success
        }
    }
}
