import Foundation
import Signing

extension GatewayConfiguration {
    /// `contact_centers[i]`: `{"id", "adapter" (default webhook), "url", "secret", "headers",
    /// "settings", "timeout_ms", "no_agent_after_seconds" (default 300), "no_agent_fallback":
    /// "queue"|"bot"}`. `secret` verifies the events sent back with the adapter's scheme; for
    /// Standard Webhooks it is a `whsec_` secret that also signs what is sent.
    static func loadContactCenter(_ object: [String: Any], field: String,
                                  adapters: [String: ContactCenterAdapter]) throws(ConfigurationError) -> ContactCenter {
        let known: Set<String> = ["id", "adapter", "url", "secret", "headers", "settings", "timeout_ms", "no_agent_after_seconds",
                                  "no_agent_fallback"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(field: "\(field).\(unknown)", "is not a known contact-center field (known: \(known.sorted().joined(separator: ", ")))")
        }
        let id = try identifier(object, field)
        let adapterName = try string(object, "adapter", field, required: false) ?? "webhook"
        guard let adapter = adapters[adapterName] else {
            throw ConfigurationError(field: "\(field).adapter", "names '\(adapterName)', which is not in adapters/contact-centers/ (known: \(adapters.keys.sorted().joined(separator: ", ")))")
        }
        let url = try receiverURL(object, field, adapter: adapterName, builtin: adapter.builtin?.rawValue)
        var secret: StandardWebhooks.Secret?
        var secretText: String?
        if adapter.verify == .standardWebhooks {
            (secret, secretText) = try signingSecret(object, field)
        } else {
            secretText = try string(object, "secret", field, required: false)
        }
        if adapter.verify != .unsigned, secretText == nil {
            throw ConfigurationError(field: "\(field).secret",
                                     "is required: adapter \(adapterName) verifies the events sent back (\(adapter.verify.name))")
        }
        var settings: [String: String] = [:]
        if let value = object["settings"] {
            guard let map = value as? [String: String] else { throw ConfigurationError(field: "\(field).settings", "must be an object of strings") }
            settings = map
        }
        let headers = try deliveryHeaders(object, field)
        let timeout = try deliveryTimeout(object, field)
        var noAgentAfter = Duration.seconds(300)
        if let value = object["no_agent_after_seconds"] {
            guard let seconds = value as? NSNumber, !isJSONBoolean(value), seconds.doubleValue >= 1, seconds.doubleValue <= 7 * 86_400 else {
                throw ConfigurationError(field: "\(field).no_agent_after_seconds", "must be a number of seconds from 1 to 604800")
            }
            noAgentAfter = .milliseconds(Int64(seconds.doubleValue * 1000))
        }
        let fallback = try string(object, "no_agent_fallback", field, required: false) ?? "queue"
        guard ["queue", "bot"].contains(fallback) else {
            throw ConfigurationError(field: "\(field).no_agent_fallback", "must be queue (stay queued) or bot (back to the bot)")
        }
        let target = DeliveryTarget(id: "contact-center:\(id)", kind: .contactCenter, signingSecret: secret, headers: headers, timeout: timeout)
        return ContactCenter(id: id, adapter: adapter, url: url, secret: secret, secretText: secretText, settings: settings, target: target,
                             noAgentAfter: noAgentAfter,
                             noAgentFallback: fallback)
    }

    /// The `escalation` section (see `EscalationDetector`); `false` turns every detector off.
    static func loadEscalation(_ value: Any?, enabledByDefault: Bool, promptsDirectory: String?) throws(ConfigurationError) -> EscalationDetector {
        let phrases = EscalationPhrases.load(directory: promptsDirectory)
        guard let value else { return enabledByDefault ? EscalationDetector(phrases: phrases) : .off }
        if isJSONBoolean(value), let flag = value as? Bool { return flag ? EscalationDetector(phrases: phrases) : .off }
        guard let object = value as? [String: Any] else { throw ConfigurationError(field: "escalation", "must be an object, or true/false") }
        let known: Set<String> = ["phrases", "postbacks", "commands", "repeats", "fallbacks", "fallback_phrases", "min_confidence"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(field: "escalation.\(unknown)", "is not a known field (known: \(known.sorted().joined(separator: ", ")))")
        }
        var detector = EscalationDetector(phrases: phrases)
        if let flag = object["phrases"] {
            guard isJSONBoolean(flag), let on = flag as? Bool else { throw ConfigurationError(field: "escalation.phrases", "must be true or false") }
            detector.phrases = on ? phrases : nil
        }
        if let list = try stringList(object["postbacks"], "escalation.postbacks") { detector.postbacks = Set(list) }
        if let list = try stringList(object["commands"], "escalation.commands") {
            if let bad = list.first(where: { !$0.hasPrefix("/") || $0.count < 2 || $0.contains(" ") }) {
                throw ConfigurationError(field: "escalation.commands", "'\(bad)' must be a slash command such as /agent")
            }
            detector.commands = Set(list)
        }
        for (name, keyPath) in [("repeats", \EscalationDetector.repeats), ("fallbacks", \EscalationDetector.fallbacks)] {
            guard let number = object[name] else { continue }
            guard let count = number as? Int, !isJSONBoolean(number), (0...100).contains(count), count != 1 else {
                throw ConfigurationError(field: "escalation.\(name)", "must be 0 (off) or 2-100")
            }
            detector[keyPath: keyPath] = count
        }
        if let list = try stringList(object["fallback_phrases"], "escalation.fallback_phrases") {
            detector.fallbackPhrases = list.map(EscalationPhrases.normalize).filter { !$0.isEmpty }
        }
        if let number = object["min_confidence"] {
            if number is NSNull { detector.minConfidence = nil } else {
                guard let value = number as? NSNumber, !isJSONBoolean(number), (0...1).contains(value.doubleValue) else {
                    throw ConfigurationError(field: "escalation.min_confidence", "must be a number from 0 to 1, or null (off)")
                }
                detector.minConfidence = value.doubleValue
            }
        }
        return detector
    }
}
