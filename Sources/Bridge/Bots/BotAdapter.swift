import Foundation
import Templates

/// How a bot answers: in the HTTP answer to each webhook, later through the API, or either.
public enum BotReplyMode: String, Sendable, Codable, CaseIterable {
    case sync, async, both

    /// Whether the answer to a webhook is read for replies.
    public var readsAnswer: Bool { self != .async }
}

/// A bot adapter from `adapters/bots/<name>.json`: how a user message is posted to the bot and
/// where the replies are in its answer.
public struct BotAdapter: Sendable {
    public let name: String
    public let contentType: String
    /// The request body, rendered with the message context (see `BotRequestContext`).
    public let body: Template
    /// The reply mode when the bot's configuration does not choose one.
    public let mode: BotReplyMode
    /// How many recent turns of the conversation the template gets as `transcript` (0: none).
    public let transcriptTurns: Int
    /// A prompt file (`prompts/<locale>/<name>.md`) given to the template as `system_prompt`.
    public let systemPrompt: String?
    /// Where replies are in the bot's answer; nil for adapters that never answer synchronously.
    public let reply: BotReplyMapping?
    /// A bot that runs inside the gateway instead of at a URL (`faq`: answers from the
    /// knowledge base). Its webhooks are still deliveries, answered in process.
    public let builtin: Builtin?

    public enum Builtin: String, Sendable, Decodable {
        case faq
    }

    struct File: Decodable {
        var name: String
        var description: String?
        var mode: BotReplyMode?
        var builtin: Builtin?
        var request: Request
        var reply: BotReplyMapping.File?
        struct Request: Decodable {
            var contentType: String?
            var body: String
            var transcriptTurns: Int?
            var systemPrompt: String?
            enum CodingKeys: String, CodingKey {
                case body
                case contentType = "content_type", transcriptTurns = "transcript_turns", systemPrompt = "system_prompt"
            }
        }
    }

    /// Reads every `*.json` in `directory`; a bad file is an error naming it and its field.
    public static func loadAll(directory: String) throws(AdapterError) -> [String: BotAdapter] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw AdapterError(file: directory, field: "", "cannot be read (is --home or BOTBRIDGE_HOME right?)")
        }
        var adapters: [String: BotAdapter] = [:]
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = directory + "/" + name
            let adapter = try load(path: path, expectedName: String(name.dropLast(5)))
            adapters[adapter.name] = adapter
        }
        return adapters
    }

    static func load(path: String, expectedName: String) throws(AdapterError) -> BotAdapter {
        let data = FileManager.default.contents(atPath: path) ?? Data()
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch let error as DecodingError {
            throw AdapterError(file: path, decoding: error)
        } catch {
            throw AdapterError(file: path, field: "", "cannot be read")
        }
        guard file.name == expectedName else { throw AdapterError(file: path, field: "name", "must be the file's name") }
        let body: Template
        do { body = try Template(parsing: file.request.body) } catch {
            throw AdapterError(file: path, field: "request.body", "is not a valid template: \(error)")
        }
        let turns = file.request.transcriptTurns ?? 0
        guard (0...200).contains(turns) else { throw AdapterError(file: path, field: "request.transcript_turns", "must be 0-200") }
        if let prompt = file.request.systemPrompt, prompt.isEmpty || prompt.contains("/") || prompt.hasPrefix(".") {
            throw AdapterError(file: path, field: "request.system_prompt", "must be a file name in prompts/<locale>/ (no slashes)")
        }
        let reply = try file.reply.map { mapping throws(AdapterError) in try BotReplyMapping(mapping, file: path) }
        let mode = file.mode ?? (reply == nil ? .async : .sync)
        if mode.readsAnswer && reply == nil {
            throw AdapterError(file: path, field: "reply", "is required when mode is \(mode.rawValue)")
        }
        if file.builtin != nil, mode != .sync {
            throw AdapterError(file: path, field: "mode", "must be sync for a built-in bot")
        }
        return BotAdapter(name: file.name, contentType: file.request.contentType ?? "application/json", body: body, mode: mode,
                          transcriptTurns: turns, systemPrompt: file.request.systemPrompt, reply: reply, builtin: file.builtin)
    }
}

/// Where a bot's answer holds its replies (paths as in channel adapters: `messages[*]`, `[*]`,
/// `choices[0].message`, `a|b` for the first key present).
public struct BotReplyMapping: Sendable {
    /// Selects the reply messages in the answer.
    let messages: ValuePath
    /// Per message: its text, media URL, and quick replies (each with text and postback).
    let text: ValuePath?
    let mediaURL: ValuePath?
    let suggestions: ValuePath?
    let suggestionText: ValuePath?
    let suggestionPostback: ValuePath?
    /// From the whole answer: attributes to set on the profile (an object), a handoff signal,
    /// its reason and skills, and the intent confidence (0–1).
    let attributes: ValuePath?
    let handoff: ValuePath?
    let handoffReason: ValuePath?
    let handoffSkills: ValuePath?
    let confidence: ValuePath?
    /// `true` there means the bot did not understand (see `BotReply.fallback`).
    let fallback: ValuePath?

    struct File: Decodable {
        var messages: String
        var text: String?
        var mediaURL: String?
        var suggestions: String?
        var suggestionText: String?
        var suggestionPostback: String?
        var attributes: String?
        var handoff: String?
        var handoffReason: String?
        var handoffSkills: String?
        var confidence: String?
        var fallback: String?
        enum CodingKeys: String, CodingKey {
            case messages, text, suggestions, attributes, handoff, confidence, fallback
            case mediaURL = "media_url", suggestionText = "suggestion_text", suggestionPostback = "suggestion_postback"
            case handoffReason = "handoff_reason", handoffSkills = "handoff_skills"
        }
    }

    init(_ file: File, file path: String) throws(AdapterError) {
        func compile(_ text: String?, _ field: String) throws(AdapterError) -> ValuePath? {
            guard let text else { return nil }
            guard let path = ValuePath(text) else { throw AdapterError(file: path, field: "reply.\(field)", "is not a valid path: '\(text)'") }
            return path
        }
        messages = try compile(file.messages, "messages")!
        text = try compile(file.text, "text")
        mediaURL = try compile(file.mediaURL, "media_url")
        suggestions = try compile(file.suggestions, "suggestions")
        suggestionText = try compile(file.suggestionText, "suggestion_text")
        suggestionPostback = try compile(file.suggestionPostback, "suggestion_postback")
        attributes = try compile(file.attributes, "attributes")
        handoff = try compile(file.handoff, "handoff")
        handoffReason = try compile(file.handoffReason, "handoff_reason")
        handoffSkills = try compile(file.handoffSkills, "handoff_skills")
        confidence = try compile(file.confidence, "confidence")
        fallback = try compile(file.fallback, "fallback")
    }
}
