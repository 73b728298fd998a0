import Foundation
import Templates

/// Where a handoff goes: the first rule whose conditions all hold picks the queue (and, when it
/// says so, the contact center); otherwise the default queue at the first contact center.
///
/// ```json
/// "routing": {"default_queue": "general",
///             "rules": [{"queue": "vip", "attributes": {"tier": ["gold", "platinum"]}},
///                       {"queue": "billing-fr", "locale": "fr", "skills": ["billing"]},
///                       {"queue": "wa-es", "locale": "es", "channel": "wa", "contact_center": "flex"}]}
/// ```
/// `locale`: one or several; `fr` holds for `fr`, `fr-CA` and `fr_BE`, `fr-CA` only for itself.
/// `channel`: channel ids. `skills`: every one must be among the signal's skills.
/// `attributes`: each profile attribute must equal the value, or one of the values of a list.
public struct Routing: Sendable {
    public struct Rule: Sendable, Equatable {
        public var queue: String
        public var contactCenter: String?
        public var locales: [String]?
        public var channels: [String]?
        public var skills: [String]
        public var attributes: [String: [TemplateValue]]

        public init(queue: String, contactCenter: String? = nil, locales: [String]? = nil, channels: [String]? = nil,
                    skills: [String] = [], attributes: [String: [TemplateValue]] = [:]) {
            self.queue = queue
            self.contactCenter = contactCenter
            self.locales = locales
            self.channels = channels
            self.skills = skills
            self.attributes = attributes
        }

        func holds(locale: String, channel: String, skills signal: [String], attributes profile: TemplateValue) -> Bool {
            if let locales, !locales.contains(where: { Self.locale(locale, isWithin: $0) }) { return false }
            if let channels, !channels.contains(channel) { return false }
            let wanted = Set(signal.map { $0.lowercased() })
            if !skills.allSatisfy({ wanted.contains($0.lowercased()) }) { return false }
            for (name, values) in attributes {
                guard let value = profile[name], values.contains(where: { Self.same($0, value) }) else { return false }
            }
            return true
        }

        /// Equal values, or equal numbers whatever their JSON spelling (`1` and `1.0`).
        static func same(_ a: TemplateValue, _ b: TemplateValue) -> Bool {
            switch (a, b) {
            case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
            default: a == b
            }
        }

        /// `fr-CA` is within `fr` and `fr-CA`; `fr` is not within `fr-CA`.
        static func locale(_ locale: String, isWithin rule: String) -> Bool {
            let have = locale.lowercased().replacingOccurrences(of: "_", with: "-")
            let want = rule.lowercased().replacingOccurrences(of: "_", with: "-")
            return have == want || have.hasPrefix(want + "-")
        }
    }

    /// What routing decided: the queue, the contact center (nil: the default one) and the rule
    /// that matched (its index in `rules`, nil for the default).
    public struct Decision: Sendable, Equatable {
        public var queue: String
        public var contactCenter: String?
        public var rule: Int?
    }

    public var defaultQueue: String
    public var rules: [Rule]

    public init(defaultQueue: String = "default", rules: [Rule] = []) {
        self.defaultQueue = defaultQueue
        self.rules = rules
    }

    public func route(locale: String, channel: String, skills: [String], attributes: TemplateValue) -> Decision {
        for (index, rule) in rules.enumerated() where rule.holds(locale: locale, channel: channel, skills: skills, attributes: attributes) {
            return Decision(queue: rule.queue, contactCenter: rule.contactCenter, rule: index)
        }
        return Decision(queue: defaultQueue, contactCenter: nil, rule: nil)
    }
}

extension GatewayConfiguration {
    /// The `routing` section; rules naming a contact center must name a configured one.
    static func loadRouting(_ value: Any?, contactCenters: [String: ContactCenter]) throws(ConfigurationError) -> Routing {
        guard let value else { return Routing() }
        guard let object = value as? [String: Any] else { throw ConfigurationError(field: "routing", "must be an object with default_queue and rules") }
        if let unknown = object.keys.sorted().first(where: { !["default_queue", "rules"].contains($0) }) {
            throw ConfigurationError(field: "routing.\(unknown)", "is not a known field (known: default_queue, rules)")
        }
        var routing = Routing()
        if object["default_queue"] != nil { routing.defaultQueue = try queueName(object["default_queue"], "routing.default_queue") }
        for (index, rule) in try list(object["rules"], "routing.rules").enumerated() {
            let field = "routing.rules[\(index)]"
            let known: Set<String> = ["queue", "contact_center", "locale", "channel", "skills", "attributes"]
            if let unknown = rule.keys.sorted().first(where: { !known.contains($0) }) {
                throw ConfigurationError(field: "\(field).\(unknown)", "is not a known rule field (known: \(known.sorted().joined(separator: ", ")))")
            }
            var parsed = Routing.Rule(queue: try queueName(rule["queue"], "\(field).queue"))
            if let center = try string(rule, "contact_center", field, required: false) {
                guard contactCenters[center] != nil else {
                    throw ConfigurationError(field: "\(field).contact_center", "names '\(center)', which is not in contact_centers")
                }
                parsed.contactCenter = center
            }
            parsed.locales = try oneOrMore(rule["locale"], "\(field).locale")
            parsed.channels = try oneOrMore(rule["channel"], "\(field).channel")
            parsed.skills = try oneOrMore(rule["skills"], "\(field).skills") ?? []
            if let attributes = rule["attributes"] {
                guard let map = attributes as? [String: Any], !map.isEmpty else {
                    throw ConfigurationError(field: "\(field).attributes", "must be an object of attribute name → value (or list of values)")
                }
                for (name, expected) in map {
                    let values = (expected as? [Any]) ?? [expected]
                    guard !values.isEmpty, values.allSatisfy({ !($0 is [Any]) && !($0 is [String: Any]) && !($0 is NSNull) }) else {
                        throw ConfigurationError(field: "\(field).attributes.\(name)", "must be a string, number or boolean, or a list of them")
                    }
                    parsed.attributes[name] = values.map(TemplateValue.init(jsonObject:))
                }
            }
            guard parsed.locales != nil || parsed.channels != nil || !parsed.skills.isEmpty || !parsed.attributes.isEmpty else {
                throw ConfigurationError(field: field, "has no condition (locale, channel, skills or attributes); use routing.default_queue")
            }
            routing.rules.append(parsed)
        }
        return routing
    }

    private static func queueName(_ value: Any?, _ field: String) throws(ConfigurationError) -> String {
        guard let text = value as? String, !text.isEmpty, text.count <= 100 else { throw ConfigurationError(field: field, "must be a queue name") }
        return text
    }

    /// A string or a non-empty list of strings.
    private static func oneOrMore(_ value: Any?, _ field: String) throws(ConfigurationError) -> [String]? {
        guard let value else { return nil }
        if let one = value as? String, !one.isEmpty { return [one] }
        guard let list = value as? [String], !list.isEmpty, !list.contains(where: \.isEmpty) else {
            throw ConfigurationError(field: field, "must be a string or a non-empty list of strings")
        }
        return list
    }
}
