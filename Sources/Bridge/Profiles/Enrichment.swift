import Foundation
import Storage
import Templates

/// The `profiles` section of botbridge.json: what the gateway learns about users from chat.
///
/// ```json
/// "profiles": {
///   "standard_attributes": true,
///   "events": true,
///   "rules": [{"id": "order", "from": "message", "pattern": "(?:order|commande)\\D{0,40}?\\b(?<order_id>\\d{6,10})\\b"}]
/// }
/// ```
public struct ProfileSettings: Sendable {
    /// `first_name`, `phone`, `language`, `country`, `last_chat_at`, `last_channel`,
    /// `chat_message_count`, `escalation_count`, `last_case_id`, `last_csat`.
    public var standardAttributes = true
    /// `chat_started`, `escalated`, `agent_joined`, `resolved`.
    public var events = true
    public var rules: [ExtractionRule] = []

    public init() {}

    public static func load(_ value: Any?) throws(ConfigurationError) -> ProfileSettings {
        var settings = ProfileSettings()
        guard let value else { return settings }
        guard let object = value as? [String: Any] else {
            throw ConfigurationError(field: "profiles", "must be an object: {\"standard_attributes\", \"events\", \"rules\"}")
        }
        let known: Set<String> = ["standard_attributes", "events", "rules"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(field: "profiles.\(unknown)", "is not a known field (known: events, rules, standard_attributes)")
        }
        for (key, path) in [("standard_attributes", \ProfileSettings.standardAttributes), ("events", \ProfileSettings.events)] {
            guard let flag = object[key] else { continue }
            guard isJSONBoolean(flag), let on = flag as? Bool else { throw ConfigurationError(field: "profiles.\(key)", "must be true or false") }
            settings[keyPath: path] = on
        }
        for (index, rule) in try GatewayConfiguration.list(object["rules"], "profiles.rules").enumerated() {
            let field = "profiles.rules[\(index)]"
            let known: Set<String> = ["id", "from", "pattern", "type", "case_sensitive"]
            if let unknown = rule.keys.sorted().first(where: { !known.contains($0) }) {
                throw ConfigurationError(field: "\(field).\(unknown)", "is not a known field (known: case_sensitive, from, id, pattern, type)")
            }
            let id = try GatewayConfiguration.identifier(rule, field)
            guard !settings.rules.contains(where: { $0.id == id }) else { throw ConfigurationError(field: "\(field).id", "repeats '\(id)'") }
            let fromText = try GatewayConfiguration.string(rule, "from", field, required: false) ?? "message"
            guard let input = ExtractionRule.Input(rawValue: fromText) else {
                throw ConfigurationError(field: "\(field).from", "must be message or postback")
            }
            let typeText = try GatewayConfiguration.string(rule, "type", field, required: false) ?? "string"
            guard let type = ExtractionRule.ValueType(rawValue: typeText) else {
                throw ConfigurationError(field: "\(field).type", "must be string, number or boolean")
            }
            var caseSensitive = false
            if let flag = rule["case_sensitive"] {
                guard isJSONBoolean(flag), let on = flag as? Bool else { throw ConfigurationError(field: "\(field).case_sensitive", "must be true or false") }
                caseSensitive = on
            }
            let pattern = try GatewayConfiguration.string(rule, "pattern", field)!
            do {
                settings.rules.append(try ExtractionRule(id: id, input: input, pattern: pattern, type: type, caseSensitive: caseSensitive))
            } catch {
                throw ConfigurationError(field: "\(field).\(error.field)", error.message)
            }
        }
        return settings
    }
}

/// What the gateway writes on profiles by itself, in the transactions of the chat: standard
/// attributes from the channel and the conversation, events, and the extraction rules.
/// Sources: `channel:<id>` for what the channel said, `system` for what the gateway counts,
/// `rule:<id>` for extraction rules.
enum Enrichment {
    /// After a user message is stored.
    static func userMessage(_ item: InboundItem, stored: StoredMessage, channel: String, settings: ProfileSettings,
                            in db: Database, now: Int64) throws {
        let user = stored.userID
        let fromChannel = "channel:\(channel)"
        if settings.standardAttributes {
            if stored.newIdentity || stored.nameChanged, let name = item["display_name"], !name.isEmpty {
                try Profiles.set(user, "first_name", .string(String(name.prefix(UsersTrack.maxStringLength))), source: fromChannel, in: db, now: now)
            }
            if stored.newIdentity, let phone = phone(item) {
                try Profiles.set(user, "phone", .string(phone), source: fromChannel, in: db, now: now)
            }
            if let language = item["locale"].flatMap(language(ofLocale:)) {
                try Profiles.set(user, "language", .string(language), source: fromChannel, in: db, now: now)
            }
            if let country = item["country"], country.count == 2, country.allSatisfy({ $0.isASCII && $0.isLetter }) {
                try Profiles.set(user, "country", .string(country.uppercased()), source: fromChannel, in: db, now: now)
            }
            try Profiles.set(user, "last_chat_at", .string(DeliveryView.time(now)), source: "system", in: db, now: now)
            try Profiles.set(user, "last_channel", .string(channel), source: "system", in: db, now: now)
            try Profiles.increment(user, "chat_message_count", source: "system", in: db, now: now)
            if let score = item["postback"].flatMap(csat) {
                try Profiles.set(user, "last_csat", .int(score), source: "system", in: db, now: now)
            }
        }
        if settings.events && stored.newConversation {
            try Profiles.record(event: "chat_started", properties: ["channel": .string(channel), "conversation_id": .string(stored.conversationPublicID)],
                                user: user, source: "system", at: now, in: db)
        }
        for rule in settings.rules {
            let input: String?
            switch rule.input {
            case .message: input = item["text"]
            case .postback: input = item["postback"]
            }
            guard let input, !input.isEmpty else { continue }
            for (name, value) in rule.extract(from: input) {
                try Profiles.set(user, name, value, source: "rule:\(rule.id)", in: db, now: now)
            }
        }
    }

    /// A handoff started: `escalation_count`, `last_case_id`, and the `escalated` event.
    static func escalated(conversationID: Int64, casePublicID: String, signal: EscalationSignal, queue: String?,
                          settings: ProfileSettings, in db: Database, now: Int64) throws {
        guard settings.standardAttributes || settings.events, let user = try userID(conversationID, in: db) else { return }
        if settings.standardAttributes {
            try Profiles.increment(user, "escalation_count", source: "system", in: db, now: now)
            try Profiles.set(user, "last_case_id", .string(casePublicID), source: "system", in: db, now: now)
        }
        if settings.events {
            try Profiles.record(event: "escalated", properties: ["reason": .string(signal.reason), "detector": .string(signal.detector),
                                                                 "case_id": .string(casePublicID), "queue": queue.map(TemplateValue.string) ?? .null],
                                user: user, source: "system", at: now, in: db)
        }
    }

    /// A contact-center event about a case: `agent_joined` or `resolved`.
    static func caseEvent(_ name: String, conversationID: Int64, casePublicID: String, agent: String?, settings: ProfileSettings,
                          in db: Database, now: Int64) throws {
        guard settings.events, let user = try userID(conversationID, in: db) else { return }
        var properties: [String: TemplateValue] = ["case_id": .string(casePublicID)]
        if let agent { properties["agent"] = .string(agent) }
        try Profiles.record(event: name, properties: properties, user: user, source: "system", at: now, in: db)
    }

    private static func userID(_ conversationID: Int64, in db: Database) throws -> Int64? {
        try db.scalar("SELECT user_id FROM conversations WHERE id = ?", conversationID).int64
    }

    /// The channel's phone number for the user (`WaId`...), else the address when it is one
    /// (`+15551234567`, `whatsapp:+15551234567`), as E.164.
    static func phone(_ item: InboundItem) -> String? {
        if let given = item["phone"] { return UsersTrack.normalizedPhone(given) }
        guard let address = item["address"], address.hasPrefix("+") || address.hasPrefix("whatsapp:+") else { return nil }
        return UsersTrack.normalizedPhone(address)
    }

    /// ISO-639-1 from a locale (`fr-CA` → `fr`); nil when its language is not a two-letter code.
    static func language(ofLocale locale: String) -> String? {
        let primary = locale.prefix { $0 != "-" && $0 != "_" }
        guard primary.count == 2, primary.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        return primary.lowercased()
    }

    /// A satisfaction survey answer: the postback `CSAT_4` or `CSAT:4` (1 to 5).
    static func csat(_ postback: String) -> Int64? {
        let upper = postback.uppercased()
        guard upper.hasPrefix("CSAT_") || upper.hasPrefix("CSAT:"), let score = Int64(upper.dropFirst(5)), (1...5).contains(score) else { return nil }
        return score
    }
}
