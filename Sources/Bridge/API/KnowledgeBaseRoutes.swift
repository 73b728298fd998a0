import HTTP
import Storage

/// `GET /v1/kb/search?q=&locale=&limit=` (scope `kb.read`): articles for bots and agents, best first.
public enum KnowledgeBaseRoutes {
    struct Answer: Encodable {
        var query: String
        var results: [ArticleSuggestion]
    }

    public static func register(on router: inout Router, pool: DatabasePool, auth: APIAuthenticator) {
        router.get("/v1/kb/search", auth.guarded(.kbRead) { request, _, _ in
            guard let query = request.query["q"], !query.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw HTTPError.badRequest("'q' (the words to search for) is required", code: "missing_query")
            }
            guard query.count <= 1000 else { throw HTTPError.badRequest("'q' is longer than 1000 characters", code: "query_too_long") }
            var limit = 5
            if let text = request.query["limit"] {
                guard let value = Int(text), (1...50).contains(value) else { throw HTTPError.badRequest("'limit' must be 1-50", code: "invalid_limit") }
                limit = value
            }
            let locale = request.query["locale"].flatMap { $0.isEmpty ? nil : $0 }
            if let locale, locale.count > 35 || !locale.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
                throw HTTPError.badRequest("'locale' must be a locale such as en or pt-BR", code: "invalid_locale")
            }
            let size = limit
            let matches = try await pool.read { db in try KnowledgeBase.search(query, locale: locale, limit: size, in: db) }
            return .json(Answer(query: query, results: matches.map(ArticleSuggestion.init)))
        })
    }
}
