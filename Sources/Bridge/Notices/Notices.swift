import Foundation
import Storage
import Templates

/// The messages the gateway itself writes to users, from `prompts/<locale>/<name>.liquid`:
/// Liquid templates rendered with the profile (`{{ first_name }}`, `{{ attributes.order_id }}`)
/// and what the notice is about (`{{ case_number }}`, `{{ suggestions }}`...).
///
/// The locale of a conversation is the channel's (stored on the conversation), then the
/// profile's `language`, then the configured default; a notice missing in that locale falls back
/// to its language (`fr-CA` → `fr`), then the default locale, then `en`.
public struct Notices: Sendable {
    /// The notices the gateway sends.
    public enum Name: String, Sendable, CaseIterable {
        case botUnavailable = "bot-unavailable"
        case handoffCreated = "handoff-created"
        case agentJoined = "agent-joined"
        case handoffResolved = "handoff-resolved"
        case noAgentAvailable = "no-agent-available"
        case fallback = "fallback"
        case windowClosed = "window-closed"
    }

    /// Templates by notice, then by locale folder name.
    let templates: [Name: [String: Template]]
    public let defaultLocale: String

    public init(templates: [Name: [String: Template]] = [:], defaultLocale: String = "en") {
        self.templates = templates
        self.defaultLocale = defaultLocale
    }

    /// Reads every `<directory>/<locale>/<notice>.liquid`. A file that does not parse is an error
    /// naming it; a missing directory gives no notices (nothing is sent, the transcript says so).
    public static func load(directory: String?, defaultLocale: String = "en") throws(ConfigurationError) -> Notices {
        guard let directory, let locales = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            return Notices(defaultLocale: defaultLocale)
        }
        var templates: [Name: [String: Template]] = [:]
        for locale in locales.sorted() {
            for name in Name.allCases {
                let path = "\(directory)/\(locale)/\(name.rawValue).liquid"
                guard let data = FileManager.default.contents(atPath: path) else { continue }
                let source = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                do {
                    templates[name, default: [:]][locale] = try Template(parsing: source)
                } catch {
                    throw ConfigurationError(field: "prompts/\(locale)/\(name.rawValue).liquid", "does not parse: \(error)")
                }
            }
        }
        return Notices(templates: templates, defaultLocale: defaultLocale)
    }

    /// The template for a notice in a locale, with the fallbacks above; nil when no locale has it.
    public func template(_ name: Name, locale: String?) -> (locale: String, template: Template)? {
        guard let byLocale = templates[name] else { return nil }
        var candidates: [String] = []
        for preferred in [locale, defaultLocale, "en"].compactMap({ $0 }) {
            candidates.append(preferred)
            candidates.append(Self.language(of: preferred))
        }
        for candidate in candidates {
            if let found = byLocale[candidate] { return (candidate, found) }
            if let found = byLocale.first(where: { $0.key.lowercased() == candidate.lowercased() }) { return (found.key, found.value) }
        }
        return nil
    }

    /// `fr-CA` / `fr_CA` → `fr`.
    static func language(of locale: String) -> String {
        String(locale.prefix { $0 != "-" && $0 != "_" }).lowercased()
    }

    /// The locale to speak in a conversation: its own, then the profile's `language`, then the default.
    public func locale(conversationID: Int64, in db: Database) throws -> String {
        let row = try db.queryRow("""
            SELECT c.locale, (SELECT value FROM user_attributes a WHERE a.user_id = c.user_id AND a.name = 'language') AS language
            FROM conversations c WHERE c.id = ?
            """, conversationID)
        if let locale = row?.string("locale"), !locale.isEmpty { return locale }
        if let json = row?.string("language"), case .string(let language)? = try? TemplateValue(jsonData: Data(json.utf8)),
           !language.isEmpty {
            return language
        }
        return defaultLocale
    }

    /// Renders a notice for a conversation: the profile at the top level and in `attributes` /
    /// `custom_attribute`, `conversation_id`, `locale`, then `extra`. Nil when no locale has it.
    public func render(_ name: Name, conversationID: Int64, extra: [String: TemplateValue] = [:], in db: Database) throws -> String? {
        let locale = try locale(conversationID: conversationID, in: db)
        guard let (_, template) = template(name, locale: locale) else { return nil }
        guard let row = try db.queryRow("SELECT public_id, user_id FROM conversations WHERE id = ?", conversationID),
              let userID = row.int64("user_id") else { throw OutboundError.unknownConversation(conversationID) }
        var context = try Profiles.templateContext(of: userID, in: db)
        context["conversation_id"] = .string(row.string("public_id") ?? "")
        context["locale"] = .string(locale)
        for (key, value) in extra { context[key] = value }
        let text = template.render(.object(context)).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? nil : text
    }

    /// Sends a notice into a conversation as a `system` message through its channel (or stores
    /// it for the web chat), and notes it in the transcript when no locale has the notice.
    /// Returns what sending did, or nil when there was nothing to send.
    @discardableResult
    public func send(_ name: Name, conversationID: Int64, extra: [String: TemplateValue] = [:], sender: ChannelSender?,
                     publicURL: String, in db: Database, now: Int64) throws -> OutboundResult? {
        guard let text = try render(name, conversationID: conversationID, extra: extra, in: db) else {
            try Outbound.note(conversationID: conversationID, type: "notice_missing", text: name.rawValue, in: db, now: now)
            return nil
        }
        var message = OutboundMessage(text: text, author: .system)
        message.authorID = "notice:\(name.rawValue)"
        return try Outbound.send(message, conversationID: conversationID, sender: sender, publicURL: publicURL, in: db, now: now)
    }
}
