import Foundation
import Templates

/// An API-triggered message (`campaigns` in botbridge.json), addressed by `campaign_id` and
/// rendered per recipient with `api_trigger_properties` and the profile.
public struct Campaign: Sendable {
    public let id: String
    /// The channel to send on; nil: the recipient's most recent conversation, whatever its channel.
    public let channel: String?
    public let message: MessageTemplate
    /// Whether `"broadcast": true` may be used (off unless configured).
    public let allowBroadcast: Bool

    /// What gets sent: text, media, quick replies, or a WhatsApp template.
    public struct MessageTemplate: Sendable {
        public let text: Template?
        public let mediaURL: Template?
        public let suggestions: [(text: Template, postback: Template)]
        public let whatsAppTemplate: (name: String, language: String, parameters: [Template])?

        /// Renders for one recipient; nil text and media means nothing to send.
        public func render(_ context: TemplateValue) -> OutboundMessage {
            (try? renderUnlessAborted(context)) ?? OutboundMessage(text: nil, mediaURL: nil, suggestions: [], author: .bot)
        }

        /// Renders for one recipient, or throws the reason a part gave with `abort_message`
        /// (Braze's way for a template to say "do not send this one").
        public func renderUnlessAborted(_ context: TemplateValue) throws(Aborted) -> OutboundMessage {
            var reason: String?
            func part(_ template: Template) -> String {
                let rendering = template.rendering(context)
                if reason == nil, let abort = rendering.abortReason { reason = abort }
                return rendering.output
            }
            let text = self.text.map(part)?.trimmingCharacters(in: .whitespacesAndNewlines)
            let media = mediaURL.map(part)?.trimmingCharacters(in: .whitespaces)
            var message = OutboundMessage(text: text?.isEmpty == false ? text : nil,
                                          mediaURL: media?.isEmpty == false ? media : nil,
                                          suggestions: suggestions.map { .init(text: part($0.text), postback: part($0.postback)) },
                                          author: .bot)
            if let spec = whatsAppTemplate {
                message.template = .init(name: spec.name, language: spec.language, parameters: spec.parameters.map(part))
            }
            if let reason { throw Aborted(reason: reason) }
            return message
        }
    }

    /// A message template that asked not to be sent (`abort_message`), with its reason.
    public struct Aborted: Error, Equatable {
        public var reason: String
    }

    static func load(_ object: [String: Any], field: String, channels: [String: Channel]) throws(ConfigurationError) -> Campaign {
        let known: Set<String> = ["campaign_id", "channel", "message", "allow_broadcast"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(field: "\(field).\(unknown)", "is not a known campaign field (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let id = object["campaign_id"] as? String, !id.isEmpty else { throw ConfigurationError(field: "\(field).campaign_id", "is required") }
        var channel: String?
        if let value = object["channel"] {
            guard let name = value as? String, channels[name] != nil else {
                throw ConfigurationError(field: "\(field).channel", "must name a configured channel")
            }
            channel = name
        }
        guard let message = object["message"] as? [String: Any] else { throw ConfigurationError(field: "\(field).message", "is required (an object)") }
        func template(_ key: String) throws(ConfigurationError) -> Template? {
            guard let value = message[key] else { return nil }
            guard let source = value as? String else { throw ConfigurationError(field: "\(field).message.\(key)", "must be a string") }
            do { return try Template(parsing: source) } catch {
                throw ConfigurationError(field: "\(field).message.\(key)", "is not a valid template: \(error)")
            }
        }
        let text = try template("text"), media = try template("media_url")
        var suggestions: [(text: Template, postback: Template)] = []
        if let list = message["suggestions"] {
            guard let items = list as? [[String: String]] else {
                throw ConfigurationError(field: "\(field).message.suggestions", "must be a list of {\"text\", \"postback\"}")
            }
            for (index, item) in items.enumerated() {
                guard let title = item["text"] else { throw ConfigurationError(field: "\(field).message.suggestions[\(index)].text", "is required") }
                do {
                    suggestions.append((try Template(parsing: title), try Template(parsing: item["postback"] ?? title)))
                } catch {
                    throw ConfigurationError(field: "\(field).message.suggestions[\(index)]", "is not a valid template: \(error)")
                }
            }
        }
        var whatsApp: (name: String, language: String, parameters: [Template])?
        if let value = message["template"] {
            guard let spec = value as? [String: Any], let name = spec["name"] as? String else {
                throw ConfigurationError(field: "\(field).message.template", "must be {\"name\", \"language\", \"parameters\"}")
            }
            var parameters: [Template] = []
            for (index, source) in ((spec["parameters"] as? [String]) ?? []).enumerated() {
                do { parameters.append(try Template(parsing: source)) } catch {
                    throw ConfigurationError(field: "\(field).message.template.parameters[\(index)]", "is not a valid template: \(error)")
                }
            }
            whatsApp = (name, spec["language"] as? String ?? "en", parameters)
        }
        guard text != nil || media != nil || whatsApp != nil else {
            throw ConfigurationError(field: "\(field).message", "needs text, media_url or template")
        }
        var allowBroadcast = false
        if let value = object["allow_broadcast"] {
            guard isJSONBoolean(value), let flag = value as? Bool else { throw ConfigurationError(field: "\(field).allow_broadcast", "must be true or false") }
            allowBroadcast = flag
        }
        return Campaign(id: id, channel: channel,
                        message: MessageTemplate(text: text, mediaURL: media, suggestions: suggestions, whatsAppTemplate: whatsApp),
                        allowBroadcast: allowBroadcast)
    }
}
