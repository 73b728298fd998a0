import Foundation
import Signing
import Templates

/// A configured channel, resolved against its adapter: what the webhook routes need.
public struct Channel: Sendable {
    public let id: String
    public let adapter: ChannelAdapter
    /// Settings with the adapter's defaults filled in.
    public let settings: [String: String]
    public let reader: InboundReader
    public let verification: WebhookVerification
    /// Secrets for verification (a comma-separated setting gives several, for rotation).
    public let secrets: [String]
    /// The GET handshake and its tokens, when the adapter has one.
    public let handshake: (kind: WebhookHandshake, tokens: [String])?
    /// Picks the bot for each new user message.
    public let router: BotRouter
    /// How to send to this channel's users; nil for adapters that do not send over HTTP.
    public let sender: ChannelSender?

    /// The built-in web chat: sessions instead of signatures, and read from the store instead of sent.
    public var isWebChat: Bool { adapter.name == ChannelAdapterCatalog.unverifiedAdapter }
}

/// The `public_url`, `channels` and `bots` sections of botbridge.json.
public struct GatewayConfiguration: Sendable {
    /// Where providers reach this gateway (`https://bots.example.com`); signatures such as
    /// Twilio's cover this URL, and status callbacks point at it.
    public var publicURL: String
    public var channels: [String: Channel]
    public var bots: [String: Bot]
    /// The bots in configuration order (routing tries them in this order).
    public var botOrder: [String]
    /// API-triggered messages by `campaign_id`.
    public var campaigns: [String: Campaign] = [:]
    /// What the gateway itself says to users (`prompts/<locale>/*.liquid`).
    public var notices = Notices()
    /// Where handoffs go, by id, and the one that takes them (the first configured).
    public var contactCenters: [String: ContactCenter] = [:]
    public var contactCenterOrder: [String] = []
    public var defaultContactCenter: ContactCenter? { contactCenterOrder.first.flatMap { contactCenters[$0] } }
    /// The escalation detectors (off unless configured, or a contact center is).
    public var escalation = EscalationDetector.off
    /// Which queue (and contact center) a handoff goes to.
    public var routing = Routing()
    /// Files or folders of articles `serve` imports into the knowledge base at start-up
    /// (`"knowledge_base": {"import": ["kb"]}`), as written: relative to the configuration file.
    public var knowledgeBaseImports: [String] = []
    /// What the gateway learns about users from chat (`profiles`).
    public var profiles = ProfileSettings()
    /// Where profile changes are pushed (`profile_sinks`), in configuration order.
    public var profileSinks: [ProfileSink] = []

    public init(publicURL: String = "http://127.0.0.1:8080", channels: [Channel] = [], bots: [Bot] = []) {
        self.publicURL = publicURL
        self.channels = Dictionary(channels.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        self.bots = Dictionary(bots.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        botOrder = bots.map(\.id)
    }

    /// Reads the sections from a configuration object whose `${VARS}` are already substituted.
    /// `promptsDirectory` is where bot adapters' system prompts are read (`<dir>/<locale>/<name>.md`).
    public static func load(_ root: [String: Any], channelAdapters: ChannelAdapterCatalog, botAdapters: [String: BotAdapter],
                            defaultPublicURL: String, promptsDirectory: String? = nil,
                            contactCenterAdapters: [String: ContactCenterAdapter] = [:],
                            profileSinkAdapters: [String: ProfileSinkAdapter] = [:]) throws(ConfigurationError) -> GatewayConfiguration {
        var configuration = GatewayConfiguration(publicURL: defaultPublicURL)
        var defaultLocale = "en"
        if let value = root["default_locale"] {
            guard let text = value as? String, !text.isEmpty, text.count <= 35,
                  text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
                throw ConfigurationError(field: "default_locale", "must be a locale such as en or pt-BR")
            }
            defaultLocale = text
        }
        configuration.notices = try Notices.load(directory: promptsDirectory, defaultLocale: defaultLocale)
        if let value = root["public_url"] {
            guard let url = value as? String, url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw ConfigurationError(field: "public_url", "must be an http(s) URL")
            }
            configuration.publicURL = url.hasSuffix("/") ? String(url.dropLast()) : url
        }
        for (index, object) in try list(root["bots"], "bots").enumerated() {
            let bot = try loadBot(object, field: "bots[\(index)]", adapters: botAdapters, promptsDirectory: promptsDirectory)
            guard configuration.bots[bot.id] == nil else { throw ConfigurationError(field: "bots[\(index)].id", "repeats '\(bot.id)'") }
            configuration.bots[bot.id] = bot
            configuration.botOrder.append(bot.id)
        }
        let ordered = configuration.botOrder.compactMap { configuration.bots[$0] }
        if ordered.filter(\.isDefault).count > 1 {
            throw ConfigurationError(field: "bots", "more than one bot says \"default\": true")
        }
        for (index, object) in try list(root["channels"], "channels").enumerated() {
            let channel = try loadChannel(object, field: "channels[\(index)]", adapters: channelAdapters, bots: ordered)
            guard configuration.channels[channel.id] == nil else {
                throw ConfigurationError(field: "channels[\(index)].id", "repeats '\(channel.id)'")
            }
            configuration.channels[channel.id] = channel
        }
        for (index, object) in try list(root["contact_centers"], "contact_centers").enumerated() {
            let center = try loadContactCenter(object, field: "contact_centers[\(index)]", adapters: contactCenterAdapters)
            guard configuration.contactCenters[center.id] == nil else {
                throw ConfigurationError(field: "contact_centers[\(index)].id", "repeats '\(center.id)'")
            }
            configuration.contactCenters[center.id] = center
            configuration.contactCenterOrder.append(center.id)
        }
        if let value = root["knowledge_base"] {
            guard let object = value as? [String: Any] else { throw ConfigurationError(field: "knowledge_base", "must be an object such as {\"import\": [\"kb\"]}") }
            if let unknown = object.keys.sorted().first(where: { $0 != "import" }) {
                throw ConfigurationError(field: "knowledge_base.\(unknown)", "is not a known field (known: import)")
            }
            if let one = object["import"] as? String, !one.isEmpty {
                configuration.knowledgeBaseImports = [one]
            } else if object["import"] != nil {
                guard let list = try stringList(object["import"], "knowledge_base.import"), !list.contains(where: \.isEmpty) else {
                    throw ConfigurationError(field: "knowledge_base.import", "must be a path or a list of paths")
                }
                configuration.knowledgeBaseImports = list
            }
        }
        configuration.profiles = try ProfileSettings.load(root["profiles"])
        for (index, object) in try list(root["profile_sinks"], "profile_sinks").enumerated() {
            let sink = try loadProfileSink(object, field: "profile_sinks[\(index)]", adapters: profileSinkAdapters)
            guard !configuration.profileSinks.contains(where: { $0.id == sink.id }) else {
                throw ConfigurationError(field: "profile_sinks[\(index)].id", "repeats '\(sink.id)'")
            }
            configuration.profileSinks.append(sink)
        }
        configuration.routing = try loadRouting(root["routing"], contactCenters: configuration.contactCenters)
        configuration.escalation = try loadEscalation(root["escalation"], enabledByDefault: !configuration.contactCenters.isEmpty,
                                                      promptsDirectory: promptsDirectory)
        for (index, object) in try list(root["campaigns"], "campaigns").enumerated() {
            let campaign = try Campaign.load(object, field: "campaigns[\(index)]", channels: configuration.channels)
            guard configuration.campaigns[campaign.id] == nil else {
                throw ConfigurationError(field: "campaigns[\(index)].campaign_id", "repeats '\(campaign.id)'")
            }
            configuration.campaigns[campaign.id] = campaign
        }
        return configuration
    }

    static func list(_ value: Any?, _ field: String) throws(ConfigurationError) -> [[String: Any]] {
        guard let value else { return [] }
        guard let list = value as? [[String: Any]] else { throw ConfigurationError(field: field, "must be a list of objects") }
        return list
    }

    static func string(_ object: [String: Any], _ key: String, _ field: String, required: Bool = true) throws(ConfigurationError) -> String? {
        guard let value = object[key] else {
            if required { throw ConfigurationError(field: "\(field).\(key)", "is required") }
            return nil
        }
        guard let text = value as? String, !text.isEmpty else { throw ConfigurationError(field: "\(field).\(key)", "must be a non-empty string") }
        return text
    }

    static func identifier(_ object: [String: Any], _ field: String) throws(ConfigurationError) -> String {
        let id = try string(object, "id", field)!
        guard id.utf8.allSatisfy({ $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || (0x30...0x39).contains($0) || (0x61...0x7a).contains($0) }) else {
            throw ConfigurationError(field: "\(field).id", "must use only a-z, 0-9, '-' and '_' (it appears in URLs)")
        }
        return id
    }

    static func loadBot(_ object: [String: Any], field: String, adapters: [String: BotAdapter],
                        promptsDirectory: String?) throws(ConfigurationError) -> Bot {
        let known: Set<String> = ["id", "adapter", "url", "secret", "headers", "timeout_ms", "mode", "channels", "states", "triggers",
                                  "default", "settings", "unavailable", "standby"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(field: "\(field).\(unknown)", "is not a known bot field (known: \(known.sorted().joined(separator: ", ")))")
        }
        let id = try identifier(object, field)
        let adapterName = try string(object, "adapter", field, required: false) ?? "generic"
        guard let adapter = adapters[adapterName] else {
            throw ConfigurationError(field: "\(field).adapter", "names '\(adapterName)', which is not in adapters/bots/ (known: \(adapters.keys.sorted().joined(separator: ", ")))")
        }
        let url = try receiverURL(object, field, adapter: adapterName, builtin: adapter.builtin?.rawValue)
        if url.contains("{{") {
            do { _ = try Template(parsing: url) } catch { throw ConfigurationError(field: "\(field).url", "is not a valid template: \(error)") }
        }
        let (secret, _) = try signingSecret(object, field)
        let headers = try deliveryHeaders(object, field)
        let timeout = try deliveryTimeout(object, field)
        var mode: BotReplyMode?
        if let text = try string(object, "mode", field, required: false) {
            guard let parsed = BotReplyMode(rawValue: text) else { throw ConfigurationError(field: "\(field).mode", "must be sync, async or both") }
            guard !parsed.readsAnswer || adapter.reply != nil else {
                throw ConfigurationError(field: "\(field).mode", "is \(text), but adapter \(adapterName) has no reply mapping")
            }
            mode = parsed
        }
        let channels = try stringList(object["channels"], "\(field).channels").map(Set.init)
        var states: Set<ConversationState> = [.bot]
        if let list = try stringList(object["states"], "\(field).states") {
            let writable: Set<ConversationState> = [.bot, .queued, .agent]
            states = []
            for name in list {
                guard let state = ConversationState(rawValue: name), writable.contains(state) else {
                    throw ConfigurationError(field: "\(field).states", "'\(name)' is not a state a user can write in (bot, queued, agent)")
                }
                states.insert(state)
            }
        }
        do {
            var triggers: [BotTrigger] = []
            for (index, text) in (try stringList(object["triggers"], "\(field).triggers") ?? []).enumerated() {
                switch BotTrigger.parse(text) {
                case .success(let trigger): triggers.append(trigger)
                case .failure(let error): throw ConfigurationError(field: "\(field).triggers[\(index)]", error.message)
                }
            }
            var isDefault = false
            if let value = object["default"] {
                guard isJSONBoolean(value), let flag = value as? Bool else { throw ConfigurationError(field: "\(field).default", "must be true or false") }
                isDefault = flag
            }
            var settings: [String: String] = [:]
            if let value = object["settings"] {
                guard let map = value as? [String: String] else { throw ConfigurationError(field: "\(field).settings", "must be an object of strings") }
                settings = map
            }
            let prompts = try systemPrompts(adapter.systemPrompt, directory: promptsDirectory, field: "\(field).adapter")
            let unavailable = try BotUnavailablePolicy.load(object["unavailable"], field: "\(field).unavailable")
            let target = DeliveryTarget(id: "bot:\(id)", kind: .bot, signingSecret: secret, headers: headers, timeout: timeout)
            let faq = adapter.builtin == .faq
                ? try FAQBot.Settings.load(settings: settings, promptsDirectory: promptsDirectory, field: field) : nil
            var bot = Bot(id: id, adapter: adapter, url: url, target: target, mode: mode, channels: channels, states: states,
                          triggers: triggers, isDefault: isDefault, settings: settings, systemPrompts: prompts, unavailable: unavailable,
                          faq: faq)
            if let value = object["standby"] {
                guard isJSONBoolean(value), let flag = value as? Bool else { throw ConfigurationError(field: "\(field).standby", "must be true or false") }
                bot.standby = flag
            }
            return bot
        }
    }

    /// `url`: an http(s) URL, or none for a built-in receiver (answered in process; its
    /// deliveries carry `builtin:<name>` as URL).
    static func receiverURL(_ object: [String: Any], _ field: String, adapter: String, builtin: String?) throws(ConfigurationError) -> String {
        if let builtin {
            guard object["url"] == nil else { throw ConfigurationError(field: "\(field).url", "must not be set: adapter \(adapter) runs inside the gateway") }
            return "builtin:\(builtin)"
        }
        let url = try string(object, "url", field)!
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw ConfigurationError(field: "\(field).url", "must be an http(s) URL") }
        return url
    }

    /// `secret`: a Standard Webhooks secret (`whsec_` + base64), parsed and as written.
    static func signingSecret(_ object: [String: Any], _ field: String) throws(ConfigurationError) -> (StandardWebhooks.Secret?, String?) {
        guard let text = try string(object, "secret", field, required: false) else { return (nil, nil) }
        guard let parsed = try? StandardWebhooks.Secret(text) else {
            throw ConfigurationError(field: "\(field).secret", "must be a Standard Webhooks secret (whsec_ followed by base64)")
        }
        return (parsed, text)
    }

    /// `headers`: extra headers on every delivery to a target (auth), in name order.
    static func deliveryHeaders(_ object: [String: Any], _ field: String) throws(ConfigurationError) -> [DeliveryHeader] {
        guard let value = object["headers"] else { return [] }
        guard let map = value as? [String: String] else { throw ConfigurationError(field: "\(field).headers", "must be an object of strings") }
        return map.sorted { $0.key < $1.key }.map { DeliveryHeader($0.key, $0.value) }
    }

    /// `timeout_ms`: a target's own attempt timeout, 1-300000.
    static func deliveryTimeout(_ object: [String: Any], _ field: String) throws(ConfigurationError) -> Duration? {
        guard let value = object["timeout_ms"] else { return nil }
        guard let ms = value as? Int, !isJSONBoolean(value), (1...300_000).contains(ms) else {
            throw ConfigurationError(field: "\(field).timeout_ms", "must be 1-300000")
        }
        return .milliseconds(ms)
    }

    static func stringList(_ value: Any?, _ field: String) throws(ConfigurationError) -> [String]? {
        guard let value else { return nil }
        guard let list = value as? [String] else { throw ConfigurationError(field: field, "must be a list of strings") }
        return list
    }

    /// `<directory>/<locale>/<name>.md` for every locale folder that has it; at least one must.
    static func systemPrompts(_ name: String?, directory: String?, field: String) throws(ConfigurationError) -> [String: String] {
        guard let name else { return [:] }
        guard let directory, let locales = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw ConfigurationError(field: field, "needs prompts/ (for its system prompt '\(name)'), which is not there")
        }
        var prompts: [String: String] = [:]
        for locale in locales {
            if let data = FileManager.default.contents(atPath: "\(directory)/\(locale)/\(name).md") {
                prompts[locale] = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
        }
        guard !prompts.isEmpty else { throw ConfigurationError(field: field, "needs prompts/<locale>/\(name).md, which is missing") }
        return prompts
    }

    static func loadChannel(_ object: [String: Any], field: String, adapters: ChannelAdapterCatalog,
                            bots: [Bot]) throws(ConfigurationError) -> Channel {
        let known: Set<String> = ["id", "adapter", "settings", "bot", "session_fallback"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(field: "\(field).\(unknown)", "is not a known channel field (known: \(known.sorted().joined(separator: ", ")))")
        }
        let id = try identifier(object, field)
        let adapterName = try string(object, "adapter", field)!
        guard let adapter = adapters.adapters[adapterName] else {
            throw ConfigurationError(field: "\(field).adapter", "names '\(adapterName)', which is not in adapters/channels/ (known: \(adapters.adapters.keys.sorted().joined(separator: ", ")))")
        }
        var given: [String: String] = [:]
        if let value = object["settings"] {
            guard let map = value as? [String: Any] else { throw ConfigurationError(field: "\(field).settings", "must be an object") }
            for (key, element) in map {
                guard adapter.settings[key] != nil else {
                    throw ConfigurationError(field: "\(field).settings.\(key)", "is not a setting of adapter \(adapterName) (known: \(adapter.settings.keys.sorted().joined(separator: ", ")))")
                }
                guard let text = element as? String else { throw ConfigurationError(field: "\(field).settings.\(key)", "must be a string") }
                given[key] = text
            }
        }
        var settings: [String: String] = [:]
        for (key, spec) in adapter.settings {
            if let value = given[key] ?? spec.default {
                settings[key] = value
            } else if spec.required {
                throw ConfigurationError(field: "\(field).settings.\(key)", "is required by adapter \(adapterName)")
            }
        }
        guard let verification = WebhookVerification(name: adapter.verify.scheme) else {
            throw ConfigurationError(field: "\(field).adapter", "uses an unknown verification scheme")
        }
        let secrets = adapter.verify.secretSetting.flatMap { settings[$0] }.map(Self.splitSecrets) ?? []
        do { try verification.validateConfiguration(secrets: secrets) } catch {
            throw ConfigurationError(field: "\(field).settings.\(adapter.verify.secretSetting ?? "")", "is not usable by \(adapter.verify.scheme): \(error)")
        }
        var handshake: (kind: WebhookHandshake, tokens: [String])?
        if let rule = adapter.handshake, let kind = WebhookHandshake(name: rule.kind) {
            handshake = (kind, settings[rule.tokenSetting].map(Self.splitSecrets) ?? [])
        }
        let channelBot = try string(object, "bot", field, required: false)
        if let channelBot, !bots.contains(where: { $0.id == channelBot }) {
            throw ConfigurationError(field: "\(field).bot", "names '\(channelBot)', which is not in 'bots'")
        }
        let router = BotRouter(bots: bots.filter { $0.channels?.contains(id) ?? true }, channelBot: channelBot)
        let reader: InboundReader
        let sender: ChannelSender?
        do {
            reader = try InboundReader(adapter: adapter, file: adapterName)
            sender = try ChannelSender(channelID: id, adapter: adapter, settings: settings,
                                       fallback: try fallback(object["session_fallback"], field: "\(field).session_fallback"))
        } catch let error as AdapterError {
            throw ConfigurationError(field: "\(field).adapter", "\(error)")
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(field: "\(field)", "\(error)")
        }
        return Channel(id: id, adapter: adapter, settings: settings, reader: reader, verification: verification,
                       secrets: secrets, handshake: handshake, router: router, sender: sender)
    }

    /// `session_fallback`: {"name", "language", "parameters": [templates]}.
    static func fallback(_ value: Any?, field: String) throws(ConfigurationError) -> ChannelSender.SessionFallback? {
        guard let value else { return nil }
        guard let object = value as? [String: Any] else { throw ConfigurationError(field: field, "must be an object") }
        let name = try string(object, "name", field)!
        let language = try string(object, "language", field, required: false) ?? "en"
        var parameters: [Template] = []
        if let list = object["parameters"] {
            guard let sources = list as? [String] else { throw ConfigurationError(field: "\(field).parameters", "must be a list of strings") }
            for (index, source) in sources.enumerated() {
                do { parameters.append(try Template(parsing: source)) } catch {
                    throw ConfigurationError(field: "\(field).parameters[\(index)]", "is not a valid template: \(error)")
                }
            }
        }
        return ChannelSender.SessionFallback(name: name, language: language, parameters: parameters)
    }

    /// "a, b" → ["a", "b"]: several secrets while rotating.
    static func splitSecrets(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
