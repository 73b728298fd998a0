import Foundation
import Templates

/// A configured bot: where user messages go, when, and how it answers.
public struct Bot: Sendable {
    public let id: String
    public let adapter: BotAdapter
    public let url: String
    /// When the URL has template variables (`.../sessions/{{ conversation_id }}:detectIntent`).
    public let urlTemplate: Template?
    /// The delivery target `bot:<id>` (signing secret, headers, timeout).
    public let target: DeliveryTarget
    public let mode: BotReplyMode
    /// The channels it serves; nil for all.
    public let channels: Set<String>?
    /// The conversation states in which it gets user messages (default: only `bot`).
    public let states: Set<ConversationState>
    /// Keywords or regular expressions that send a message to this bot first.
    public let triggers: [BotTrigger]
    /// Takes the messages no trigger claimed.
    public let isDefault: Bool
    /// Free-form settings for its request template (`{{ settings.model }}`).
    public let settings: [String: String]
    /// The adapter's system prompt per locale (from `prompts/<locale>/`), when it has one.
    public let systemPrompts: [String: String]
    /// What a conversation does when this bot cannot be reached.
    public let unavailable: BotUnavailablePolicy
    /// The built-in FAQ bot's settings and prompts, when its adapter is `faq`.
    public let faq: FAQBot.Settings?
    /// While people hold the conversation, the user's messages also reach this bot, marked
    /// `standby` (its replies are not sent: only attributes it returns are kept).
    public var standby = false

    public init(id: String, adapter: BotAdapter, url: String, target: DeliveryTarget, mode: BotReplyMode? = nil,
                channels: Set<String>? = nil, states: Set<ConversationState> = [.bot], triggers: [BotTrigger] = [], isDefault: Bool = false,
                settings: [String: String] = [:], systemPrompts: [String: String] = [:],
                unavailable: BotUnavailablePolicy = BotUnavailablePolicy(), faq: FAQBot.Settings? = nil) {
        self.id = id
        self.adapter = adapter
        self.url = url
        urlTemplate = url.contains("{{") ? try? Template(parsing: url) : nil
        self.target = target
        self.mode = mode ?? adapter.mode
        self.channels = channels
        self.states = states
        self.triggers = triggers
        self.isDefault = isDefault
        self.settings = settings
        self.systemPrompts = systemPrompts
        self.unavailable = unavailable
        self.faq = faq
    }

    func serves(channel: String, state: ConversationState) -> Bool {
        (channels?.contains(channel) ?? true) && states.contains(state)
    }

    /// The system prompt for a locale: exact (`fr-CA`), then its language (`fr`), then `en`.
    func systemPrompt(locale: String?) -> String? {
        guard !systemPrompts.isEmpty else { return nil }
        if let locale {
            if let exact = systemPrompts[locale] { return exact }
            if let found = systemPrompts[Notices.language(of: locale)] { return found }
        }
        return systemPrompts["en"] ?? systemPrompts.values.first
    }
}

/// A keyword (`"order"`, matched as a whole word, ignoring case and accents, or as the exact
/// postback) or a regular expression (`"/^(help|aide)\\b/i"`) that routes a message to a bot.
public struct BotTrigger: Sendable, CustomStringConvertible {
    enum Kind: @unchecked Sendable { // NSRegularExpression is immutable once made, and thread-safe
        case keyword(String)
        case pattern(NSRegularExpression)
    }

    let kind: Kind
    public let description: String

    /// Parses a trigger; nil (with the reason) for an empty keyword or a bad expression.
    public static func parse(_ text: String) -> Result<BotTrigger, TriggerError> {
        if text.count >= 2, text.hasPrefix("/"), let close = text.lastIndex(of: "/"), close != text.startIndex {
            let pattern = String(text[text.index(after: text.startIndex)..<close])
            let flags = text[text.index(after: close)...]
            guard flags.allSatisfy({ "ims".contains($0) }) else { return .failure(TriggerError(message: "unknown flag in '\(text)' (use i, m, s)")) }
            var options: NSRegularExpression.Options = []
            if flags.contains("i") { options.insert(.caseInsensitive) }
            if flags.contains("m") { options.insert(.anchorsMatchLines) }
            if flags.contains("s") { options.insert(.dotMatchesLineSeparators) }
            guard !pattern.isEmpty, let expression = try? NSRegularExpression(pattern: pattern, options: options) else {
                return .failure(TriggerError(message: "'\(text)' is not a valid regular expression"))
            }
            return .success(BotTrigger(kind: .pattern(expression), description: text))
        }
        let keyword = Self.fold(text).trimmingCharacters(in: .whitespaces)
        guard !keyword.isEmpty else { return .failure(TriggerError(message: "a keyword cannot be empty")) }
        return .success(BotTrigger(kind: .keyword(keyword), description: text))
    }

    public struct TriggerError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    func matches(text: String?, postback: String?) -> Bool {
        switch kind {
        case .keyword(let keyword):
            if let postback, Self.fold(postback) == keyword { return true }
            guard let text else { return false }
            return Self.containsWord(keyword, in: Self.fold(text))
        case .pattern(let expression):
            for candidate in [text, postback].compactMap({ $0 }) {
                let range = NSRange(candidate.startIndex..., in: candidate)
                if expression.firstMatch(in: candidate, range: range) != nil { return true }
            }
            return false
        }
    }

    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
    }

    /// Whether `word` (one or more words) appears in `text` with no letter or digit touching it.
    static func containsWord(_ word: String, in text: String) -> Bool {
        var searchStart = text.startIndex
        while let found = text.range(of: word, range: searchStart..<text.endIndex) {
            let before = found.lowerBound == text.startIndex ? nil : text[text.index(before: found.lowerBound)]
            let after = found.upperBound == text.endIndex ? nil : text[found.upperBound]
            if !(before?.isLetter ?? false || before?.isNumber ?? false) && !(after?.isLetter ?? false || after?.isNumber ?? false) {
                return true
            }
            searchStart = text.index(after: found.lowerBound)
        }
        return false
    }
}

/// Picks the bot for a user message on one channel: the first bot (in configuration order)
/// whose trigger matches; else the channel's own `bot`; else the first `default` bot; else the
/// first bot without triggers. Only bots serving the channel and the conversation's state count.
public struct BotRouter: Sendable {
    let bots: [Bot]
    let channelBot: String?

    public init(bots: [Bot], channelBot: String? = nil) {
        self.bots = bots
        self.channelBot = channelBot
    }

    public static let none = BotRouter(bots: [])

    public var isEmpty: Bool { bots.isEmpty }

    /// The bot for a user message in a conversation in `state`, or nil when none serves it.
    public func route(channel: String, state: ConversationState, text: String?, postback: String?) -> Bot? {
        let candidates = bots.filter { $0.serves(channel: channel, state: state) }
        if let triggered = candidates.first(where: { bot in bot.triggers.contains { $0.matches(text: text, postback: postback) } }) {
            return triggered
        }
        if let channelBot, let bot = candidates.first(where: { $0.id == channelBot }) { return bot }
        return candidates.first(where: \.isDefault) ?? candidates.first(where: { $0.triggers.isEmpty })
    }
}
