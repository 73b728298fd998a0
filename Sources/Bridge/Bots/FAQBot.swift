import Foundation
import HTTPClient
import Storage
import Templates

/// The built-in FAQ bot (adapter `faq`): answers a user message with the best knowledge-base
/// article when the match is confident — its title, a short excerpt and the link, rendered from
/// `prompts/<locale>/faq-answer.liquid`, with a "talk to an agent" quick reply
/// (`prompts/<locale>/faq-agent-button.txt`, postback `LIVE_AGENT`) — and otherwise says it did
/// not understand (`"fallback": true`: the gateway sends the `fallback` notice and counts it).
///
/// It is a bot like any other: each user message is a delivery to `bot:<id>`, ordered and
/// retried by the outbox, and its answer is the generic adapter's JSON. Only the transport
/// differs: the dispatcher hands the request to `respond` instead of the network.
///
/// Bot settings: `min_score` (the BM25 score the best article needs, default 1.5; see the
/// scores with `botbridge kb search --json`), `agent_postback` (default `LIVE_AGENT`, empty for
/// no button).
public struct FAQBot: Sendable {
    public struct Settings: Sendable {
        public var minScore: Double
        public var agentPostback: String?
        /// The answer template and the agent button's label, by locale folder.
        var answers: [String: Template]
        var buttons: [String: String]

        /// Reads the bot's settings and its prompts; errors name the field or file.
        static func load(settings: [String: String], promptsDirectory: String?, field: String) throws(ConfigurationError) -> Settings {
            var minScore = 1.5
            if let text = settings["min_score"] {
                guard let value = Double(text), value >= 0, value.isFinite else {
                    throw ConfigurationError(field: "\(field).settings.min_score", "must be a number of 0 or more (a BM25 score)")
                }
                minScore = value
            }
            let postback = settings["agent_postback"] ?? "LIVE_AGENT"
            var answers: [String: Template] = [:]
            var buttons: [String: String] = [:]
            let locales = promptsDirectory.flatMap { try? FileManager.default.contentsOfDirectory(atPath: $0) } ?? []
            for locale in locales.sorted() {
                let base = "\(promptsDirectory!)/\(locale)/"
                if let data = FileManager.default.contents(atPath: base + "faq-answer.liquid") {
                    do {
                        answers[locale] = try Template(parsing: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
                    } catch {
                        throw ConfigurationError(field: "prompts/\(locale)/faq-answer.liquid", "does not parse: \(error)")
                    }
                }
                if let data = FileManager.default.contents(atPath: base + "faq-agent-button.txt") {
                    buttons[locale] = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                }
            }
            guard !answers.isEmpty else {
                throw ConfigurationError(field: "\(field).adapter", "needs prompts/<locale>/faq-answer.liquid, which is missing")
            }
            return Settings(minScore: minScore, agentPostback: postback.isEmpty ? nil : postback, answers: answers, buttons: buttons)
        }
    }

    let settings: Settings
    let pool: DatabasePool
    let defaultLocale: String

    public init(settings: Settings, pool: DatabasePool, defaultLocale: String) {
        self.settings = settings
        self.pool = pool
        self.defaultLocale = defaultLocale
    }

    /// What the bot got: the faq adapter's request body.
    struct Question: Decodable {
        var text: String?
        var postback: String?
        var locale: String?
    }

    /// Answers one webhook: 200 with the generic reply JSON, or 400 when the body is not the faq
    /// adapter's (a misconfigured template; the delivery is retried and then dead, visibly).
    public func respond(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        guard let question = try? JSONDecoder().decode(Question.self, from: Data(request.body)) else {
            return Self.json(400, ["error": "the faq bot expects {\"text\",\"postback\",\"locale\"}"])
        }
        // A postback for the agent button is the escalation detector's to act on, not a question.
        if let postback = question.postback, postback == settings.agentPostback { return Self.json(200, ["messages": []]) }
        let text = (question.text ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        let locale = question.locale.flatMap { $0.isEmpty ? nil : $0 } ?? defaultLocale
        let best: ArticleMatch? = text.isEmpty ? nil : try await pool.read { db in
            try KnowledgeBase.search(text, locale: locale, limit: 1, in: db).first
                ?? KnowledgeBase.search(text, limit: 1, in: db).first
        }
        guard let best, best.score >= settings.minScore else { return Self.json(200, ["messages": [], "fallback": true]) }
        return Self.json(200, ["messages": [answer(best, locale: locale)], "article": best.article.id])
    }

    /// The answer message for an article, in the user's locale (else its language, else the default, else English).
    func answer(_ match: ArticleMatch, locale: String) -> [String: Any] {
        let candidates = [locale, Notices.language(of: locale), defaultLocale, Notices.language(of: defaultLocale), "en"]
        let template = candidates.lazy.compactMap { settings.answers[$0] }.first ?? settings.answers.values.first!
        let context: TemplateValue = .object(["article": .object([
            "id": .string(match.article.id), "title": .string(match.article.title), "excerpt": .string(match.excerpt),
            "url": match.article.url.map(TemplateValue.string) ?? .null, "locale": .string(match.article.locale),
        ])])
        var message: [String: Any] = ["text": template.render(context).trimmingCharacters(in: .whitespacesAndNewlines)]
        if let postback = settings.agentPostback, let label = candidates.lazy.compactMap({ settings.buttons[$0] }).first {
            message["suggestions"] = [["text": label, "postback": postback]]
        }
        return message
    }

    static func json(_ status: Int, _ object: [String: Any]) -> HTTPClientResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return HTTPClientResponse(status: status, headers: [("Content-Type", "application/json")], body: Array(body))
    }
}
