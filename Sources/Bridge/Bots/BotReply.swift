import Foundation
import Templates

/// What a bot said in its answer, read through its adapter's reply mapping.
public struct BotReply: Sendable, Equatable {
    public var messages: [OutboundMessage] = []
    /// Profile attributes the bot wants set.
    public var attributes: [String: TemplateValue] = [:]
    /// The bot asked for a human.
    public var handoff: Handoff?
    /// How sure the bot's NLU was (0–1), when the answer says.
    public var confidence: Double?
    /// The bot did not understand: the gateway sends the `fallback` notice and counts it
    /// towards the fallbacks-in-a-row escalation.
    public var fallback = false

    public struct Handoff: Sendable, Equatable {
        public var reason: String
        public var skills: [String]
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notJSON
        public var description: String { "the answer is not JSON" }
    }

    /// Reads an answer. An empty body (or 204) is no reply; a body that is not JSON is an error.
    public static func parse(_ body: [UInt8], mapping: BotReplyMapping, botID: String) throws(Failure) -> BotReply {
        guard body.contains(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }) else { return BotReply() }
        guard let root = try? TemplateValue(jsonData: Data(body)) else { throw .notJSON }
        var reply = BotReply()
        for match in mapping.messages.select(in: root) {
            let text = mapping.text?.text(in: match)
            let media = mapping.mediaURL?.text(in: match).flatMap { $0.hasPrefix("http://") || $0.hasPrefix("https://") ? $0 : nil }
            var suggestions: [OutboundMessage.Suggestion] = []
            if let path = mapping.suggestions {
                for option in path.select(in: match.value) {
                    guard let title = mapping.suggestionText?.text(in: option) ?? option.value.textValue else { continue }
                    suggestions.append(.init(text: title, postback: mapping.suggestionPostback?.text(in: option) ?? title))
                }
            }
            guard text != nil || media != nil else { continue }
            reply.messages.append(OutboundMessage(text: text, mediaURL: media, suggestions: suggestions, author: .bot, authorID: botID))
        }
        let whole = ValuePath.Match(value: root, enclosing: [])
        if case .object(let members)? = mapping.attributes?.value(in: whole) {
            reply.attributes = members
        }
        if let signal = mapping.handoff?.value(in: whole), signal.isTruthy, signal != .string(""), signal != .bool(false) {
            var skills: [String] = []
            if case .array(let list)? = mapping.handoffSkills?.value(in: whole) { skills = list.compactMap(\.textValue) }
            else if let one = mapping.handoffSkills?.text(in: whole) { skills = [one] }
            reply.handoff = Handoff(reason: mapping.handoffReason?.text(in: whole) ?? "bot_requested", skills: skills)
        }
        if let flag = mapping.fallback?.value(in: whole), flag == .bool(true) { reply.fallback = true }
        switch mapping.confidence?.value(in: whole) {
        case .double(let value)?: reply.confidence = value
        case .int(let value)?: reply.confidence = Double(value)
        case .string(let text)?: reply.confidence = Double(text)
        default: break
        }
        return reply
    }
}

extension TemplateValue {
    /// Strings as they are, numbers written out; nil for anything else or empty.
    var textValue: String? {
        switch self {
        case .string(let text): text.isEmpty ? nil : text
        case .int, .double, .bool: description
        default: nil
        }
    }
}
