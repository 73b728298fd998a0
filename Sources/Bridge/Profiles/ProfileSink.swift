import Foundation
import Signing
import Templates

/// A profile-sink adapter (`adapters/profile-sinks/*.json`): how one platform takes profile
/// changes. The gateway gathers a batch (at most `max_objects` users with attribute changes and
/// `max_objects` events) and renders:
///
/// - `user`: a JSON object naming one user, from `external_id`, `identified`, `user_id`;
/// - `body`: the request, from `attributes` (per user: the `user` object plus each changed
///   attribute, `null` for a removed one — Braze's attributes objects), `events` (the `user`
///   object plus `name`, `time`, `properties`), `users` (per user: `user`, `attributes`,
///   `sources`), and `settings`;
/// - `headers`: rendered once from `settings` when the gateway starts (auth), never stored.
public struct ProfileSinkAdapter: Sendable {
    public let name: String
    public let maxObjects: Int
    public let method: String
    public let path: String
    public let contentType: String
    public let headers: [(name: String, value: Template)]
    public let user: Template
    public let body: Template
    /// Setting names the adapter needs.
    public let requiredSettings: [String]

    struct File: Decodable {
        var name: String
        var description: String?
        var maxObjects: Int?
        var method: String?
        var path: String?
        var contentType: String?
        var headers: [String: String]?
        var user: String
        var body: String
        var settings: [String: Setting]?
        struct Setting: Decodable {
            var required: Bool?
            var secret: Bool?
            var description: String?
        }
        enum CodingKeys: String, CodingKey {
            case name, description, method, path, headers, user, body, settings
            case maxObjects = "max_objects", contentType = "content_type"
        }
    }

    public static func load(path: String) throws(AdapterError) -> ProfileSinkAdapter {
        guard let data = FileManager.default.contents(atPath: path) else { throw AdapterError(file: path, field: "", "cannot read the file") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw AdapterError(file: path, field: "", "is not a profile-sink adapter: \(error)")
        }
        func template(_ text: String, _ field: String) throws(AdapterError) -> Template {
            do { return try Template(parsing: text) } catch { throw AdapterError(file: path, field: field, "is not a valid template: \(error)") }
        }
        let maxObjects = file.maxObjects ?? UsersTrack.maxObjects
        guard (1...1000).contains(maxObjects) else { throw AdapterError(file: path, field: "max_objects", "must be 1-1000") }
        let method = (file.method ?? "POST").uppercased()
        guard ["POST", "PUT", "PATCH"].contains(method) else { throw AdapterError(file: path, field: "method", "must be POST, PUT or PATCH") }
        var headers: [(String, Template)] = []
        for (name, value) in (file.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.append((name, try template(value, "headers.\(name)")))
        }
        let user = try template(file.user, "user")
        let sample = TemplateValue.object(["external_id": "usr_sample", "identified": false, "settings": .object([:])])
        for identified in [false, true] {
            var context = sample
            if case .object(var members) = context { members["identified"] = .bool(identified); context = .object(members) }
            guard case .object? = try? TemplateValue(jsonData: Data(user.render(context).utf8)) else {
                throw AdapterError(file: path, field: "user", "must render a JSON object naming the user")
            }
        }
        return ProfileSinkAdapter(name: file.name, maxObjects: maxObjects, method: method, path: file.path ?? "",
                                  contentType: file.contentType ?? "application/json", headers: headers,
                                  user: user, body: try template(file.body, "body"),
                                  requiredSettings: (file.settings ?? [:]).filter { $0.value.required == true }.keys.sorted())
    }

    /// Every `*.json` in a folder, by name.
    public static func loadAll(directory: String) throws(AdapterError) -> [String: ProfileSinkAdapter] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [:] }
        var adapters: [String: ProfileSinkAdapter] = [:]
        for name in names.sorted() where name.hasSuffix(".json") {
            let adapter = try load(path: directory + "/" + name)
            adapters[adapter.name] = adapter
        }
        return adapters
    }
}

/// A configured profile sink (`profile_sinks` in botbridge.json).
public struct ProfileSink: Sendable {
    public let id: String
    public let adapter: ProfileSinkAdapter
    /// The request URL: `url` plus the adapter's `path`.
    public let url: String
    public let settings: [String: String]
    /// Signing secret (Standard Webhooks), rendered auth headers, timeout.
    public let target: DeliveryTarget
    /// Writes whose source starts with one of these (`api`, `channel`, `rule`, `bot`, `system`,
    /// `identify`) are not sent. Default `["api"]`: what the business wrote itself it already has.
    public let skipSources: [String]
    /// Attributes never sent (such as `last_chat_at`, to spare data points).
    public let skipAttributes: Set<String>
    /// Send events too (default true).
    public let events: Bool

    /// The `target` id of the sink's deliveries.
    public static func targetID(_ id: String) -> String { "profile-sink:\(id)" }

    func sends(source: String) -> Bool {
        let kind = source.prefix { $0 != ":" }
        return !skipSources.contains { $0 == kind || $0 == source }
    }
}

extension GatewayConfiguration {
    static func loadProfileSink(_ object: [String: Any], field: String, adapters: [String: ProfileSinkAdapter]) throws(ConfigurationError) -> ProfileSink {
        let known: Set<String> = ["id", "adapter", "url", "secret", "settings", "headers", "timeout_ms", "skip_sources", "skip_attributes", "events"]
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw ConfigurationError(field: "\(field).\(unknown)", "is not a known profile-sink field (known: \(known.sorted().joined(separator: ", ")))")
        }
        let id = try identifier(object, field)
        let adapterName = try string(object, "adapter", field, required: false) ?? "webhook"
        guard let adapter = adapters[adapterName] else {
            throw ConfigurationError(field: "\(field).adapter", "names '\(adapterName)', which is not in adapters/profile-sinks/ (known: \(adapters.keys.sorted().joined(separator: ", ")))")
        }
        let base = try receiverURL(object, field, adapter: adapterName, builtin: nil)
        let (secret, _) = try signingSecret(object, field)
        var settings: [String: String] = [:]
        if let value = object["settings"] {
            guard let map = value as? [String: String] else { throw ConfigurationError(field: "\(field).settings", "must be an object of strings") }
            settings = map
        }
        for name in adapter.requiredSettings where (settings[name] ?? "").isEmpty {
            throw ConfigurationError(field: "\(field).settings.\(name)", "is required by adapter \(adapterName)")
        }
        let context = TemplateValue.object(["settings": .object(settings.mapValues(TemplateValue.string))])
        var headers = try deliveryHeaders(object, field)
        headers += adapter.headers.map { DeliveryHeader($0.name, $0.value.render(context)) }
        let skipSources = try stringList(object["skip_sources"], "\(field).skip_sources") ?? ["api"]
        let skipAttributes = Set(try stringList(object["skip_attributes"], "\(field).skip_attributes") ?? [])
        var events = true
        if let flag = object["events"] {
            guard isJSONBoolean(flag), let on = flag as? Bool else { throw ConfigurationError(field: "\(field).events", "must be true or false") }
            events = on
        }
        let target = DeliveryTarget(id: ProfileSink.targetID(id), kind: .profileSink, signingSecret: secret, headers: headers,
                                    timeout: try deliveryTimeout(object, field))
        let trimmed = base.hasSuffix("/") && adapter.path.hasPrefix("/") ? String(base.dropLast()) : base
        return ProfileSink(id: id, adapter: adapter, url: trimmed + adapter.path, settings: settings, target: target,
                           skipSources: skipSources, skipAttributes: skipAttributes, events: events)
    }
}
