import Foundation
import Storage

/// Why a conversation should go to a human, as recorded on the case and in the transcript.
public struct EscalationSignal: Sendable, Equatable {
    /// `phrase`, `postback`, `command`, `repeated_message`, `fallbacks`, `bot_handoff`,
    /// `low_confidence`, `api`, `bot_unavailable`.
    public var detector: String
    /// The reason given to the contact center and shown on the case.
    public var reason: String
    /// Skills asked for (from the bot's signal), for routing.
    public var skills: [String]

    public init(detector: String, reason: String, skills: [String] = []) {
        self.detector = detector
        self.reason = reason
        self.skills = skills
    }
}

/// Phrase lists per locale from `prompts/<locale>/escalation-phrases.txt`: one phrase a line,
/// `#` comments, `!` for phrases that are never a request ("travel agent"). Matching folds case
/// and accents and needs whole words; negatives are removed from the text before positives are
/// looked for, so "my travel agent booked it" is not a request but "travel agent? no, an agent
/// please" is.
public struct EscalationPhrases: Sendable, Equatable {
    public var phrases: [String: [String]]
    public var negatives: [String: [String]]

    public init(phrases: [String: [String]] = [:], negatives: [String: [String]] = [:]) {
        self.phrases = phrases
        self.negatives = negatives
    }

    public static func load(directory: String?) -> EscalationPhrases {
        var result = EscalationPhrases()
        guard let directory, let locales = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return result }
        for locale in locales.sorted() {
            guard let data = FileManager.default.contents(atPath: "\(directory)/\(locale)/escalation-phrases.txt") else { continue }
            let parsed = parse(String(decoding: data, as: UTF8.self))
            result.phrases[locale] = parsed.phrases
            result.negatives[locale] = parsed.negatives
        }
        return result
    }

    static func parse(_ text: String) -> (phrases: [String], negatives: [String]) {
        var phrases: [String] = [], negatives: [String] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("!") {
                let phrase = normalize(String(line.dropFirst()))
                if !phrase.isEmpty { negatives.append(phrase) }
            } else {
                let phrase = normalize(line)
                if !phrase.isEmpty { phrases.append(phrase) }
            }
        }
        return (phrases, negatives)
    }

    /// Folded, with apostrophes and dashes as spaces and runs of spaces collapsed.
    static func normalize(_ text: String) -> String {
        let folded = BotTrigger.fold(text)
        var out = ""
        var lastWasSpace = true
        for character in folded {
            if character.isLetter || character.isNumber {
                out.append(character)
                lastWasSpace = false
            } else if !lastWasSpace {
                out.append(" ")
                lastWasSpace = true
            }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }

    /// The phrase found in `text`, if any, looking at every locale's lists (people switch
    /// languages; the lists are small).
    public func match(_ text: String) -> String? {
        var normalized = " " + Self.normalize(text) + " "
        for negative in negatives.values.joined() {
            normalized = normalized.replacingOccurrences(of: " \(negative) ", with: " | ")
        }
        for locale in phrases.keys.sorted() {
            for phrase in phrases[locale] ?? [] where normalized.contains(" \(phrase) ") {
                return phrase
            }
        }
        return nil
    }
}

/// The escalation detectors, each on or off and tunable in the `escalation` section:
///
/// ```json
/// "escalation": {"phrases": true, "postbacks": ["LIVE_AGENT"], "commands": ["/agent", "/helpme"],
///                "repeats": 3, "fallbacks": 3, "fallback_phrases": ["sorry, I didn't get that"],
///                "min_confidence": 0.3}
/// ```
/// (those are the defaults; `false`, `[]` or `0` turns one off).
public struct EscalationDetector: Sendable {
    public var phrases: EscalationPhrases?
    public var postbacks: Set<String>
    public var commands: Set<String>
    /// The same user message this many times in a row escalates (0: off).
    public var repeats: Int
    /// This many bot fallback replies in a row escalate (0: off).
    public var fallbacks: Int
    /// Bot replies containing one of these (folded) count as fallbacks.
    public var fallbackPhrases: [String]
    /// A bot reply whose confidence is below this escalates (nil: off).
    public var minConfidence: Double?

    public init(phrases: EscalationPhrases? = nil, postbacks: Set<String> = ["LIVE_AGENT"], commands: Set<String> = ["/agent", "/helpme"],
                repeats: Int = 3, fallbacks: Int = 3, fallbackPhrases: [String] = [], minConfidence: Double? = 0.3) {
        self.phrases = phrases
        self.postbacks = postbacks
        self.commands = commands
        self.repeats = repeats
        self.fallbacks = fallbacks
        self.fallbackPhrases = fallbackPhrases.map(EscalationPhrases.normalize)
        self.minConfidence = minConfidence
    }

    /// No detector at all (the default when the configuration has no `escalation` section and
    /// no contact center).
    public static let off = EscalationDetector(phrases: nil, postbacks: [], commands: [], repeats: 0, fallbacks: 0, minConfidence: nil)

    /// Looks at a user message (in a conversation with the bot). `previous` are the texts of the
    /// user's earlier messages in the conversation, newest first.
    public func inspect(text: String?, postback: String?, previous: [String]) -> EscalationSignal? {
        if let postback, postbacks.contains(where: { $0.caseInsensitiveCompare(postback) == .orderedSame }) {
            return EscalationSignal(detector: "postback", reason: "the user chose \(postback)")
        }
        guard let text else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("/"), let command = trimmed.split(separator: " ").first.map({ String($0).lowercased() }),
           commands.contains(where: { $0.lowercased() == command }) {
            return EscalationSignal(detector: "command", reason: "the user sent \(command)")
        }
        if let phrases, let phrase = phrases.match(trimmed) {
            return EscalationSignal(detector: "phrase", reason: "the user asked for a person (\"\(phrase)\")")
        }
        if repeats > 1, previous.count >= repeats - 1 {
            let normalized = EscalationPhrases.normalize(trimmed)
            if !normalized.isEmpty, previous.prefix(repeats - 1).allSatisfy({ EscalationPhrases.normalize($0) == normalized }) {
                return EscalationSignal(detector: "repeated_message", reason: "the user sent the same message \(repeats) times")
            }
        }
        return nil
    }

    /// Whether a bot reply text is a fallback ("sorry, I did not understand").
    public func isFallback(_ text: String) -> Bool {
        guard !fallbackPhrases.isEmpty else { return false }
        let normalized = " " + EscalationPhrases.normalize(text) + " "
        return fallbackPhrases.contains { normalized.contains(" \($0) ") }
    }
}
