import Foundation
import Templates

/// The channel adapters found in `adapters/channels/`, loaded and checked at start-up.
public struct ChannelAdapterCatalog: Sendable {
    public private(set) var adapters: [String: ChannelAdapter]

    /// Verification schemes known to this binary.
    public static let schemes: Set<String> = ["twilio-hmac-sha1", "meta-hub-sha256", "google-hmac-sha512", "standard-webhooks", "none"]
    /// Handshakes known to this binary.
    public static let handshakes: Set<String> = ["meta-hub-challenge"]
    /// The only adapter allowed to skip verification: the built-in web chat authenticates its
    /// own sessions.
    public static let unverifiedAdapter = "webchat"

    public init(_ adapters: [ChannelAdapter] = []) {
        self.adapters = Dictionary(adapters.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// Reads every `*.json` in `directory`; the first bad file is an error naming it and its field.
    public static func load(directory: String) throws(AdapterError) -> ChannelAdapterCatalog {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw AdapterError(file: directory, field: "", "cannot be read (is --home or BOTBRIDGE_HOME right?)")
        }
        var catalog = ChannelAdapterCatalog()
        for name in names.sorted() where name.hasSuffix(".json") {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                throw AdapterError(file: path, field: "", "cannot be read")
            }
            let adapter = try decode(data, file: path, expectedName: String(name.dropLast(5)))
            catalog.adapters[adapter.name] = adapter
        }
        return catalog
    }

    /// Decodes and checks one adapter file.
    public static func decode(_ data: Data, file: String, expectedName: String) throws(AdapterError) -> ChannelAdapter {
        let adapter: ChannelAdapter
        do { adapter = try JSONDecoder().decode(ChannelAdapter.self, from: data) } catch let error as DecodingError {
            throw AdapterError(file: file, decoding: error)
        } catch {
            throw AdapterError(file: file, field: "", "cannot be read: \(error)")
        }
        try validate(adapter, file: file, expectedName: expectedName)
        return adapter
    }

    /// The rules JSON decoding cannot express.
    static func validate(_ adapter: ChannelAdapter, file: String, expectedName: String) throws(AdapterError) {
        func fail(_ field: String, _ message: String) -> AdapterError { AdapterError(file: file, field: field, message) }
        guard adapter.name == expectedName else { throw fail("name", "must be '\(expectedName)', the file's name") }
        guard schemes.contains(adapter.verify.scheme) else {
            throw fail("verify.scheme", "must be one of \(schemes.sorted().joined(separator: ", ")), not '\(adapter.verify.scheme)'")
        }
        if adapter.verify.scheme == "none" && adapter.name != unverifiedAdapter {
            throw fail("verify.scheme", "'none' is allowed only for the built-in web chat; use a signature scheme")
        }
        if adapter.verify.scheme != "none" {
            guard let setting = adapter.verify.secretSetting else { throw fail("verify.secret_setting", "is required for \(adapter.verify.scheme)") }
            guard adapter.settings[setting] != nil else { throw fail("verify.secret_setting", "names '\(setting)', which is not in 'settings'") }
        }
        if let handshake = adapter.handshake {
            guard handshakes.contains(handshake.kind) else {
                throw fail("handshake.kind", "must be one of \(handshakes.sorted().joined(separator: ", "))")
            }
            guard adapter.settings[handshake.tokenSetting] != nil else {
                throw fail("handshake.token_setting", "names '\(handshake.tokenSetting)', which is not in 'settings'")
            }
        }
        guard !adapter.inbound.items.isEmpty else { throw fail("inbound.items", "must list at least one item rule") }
        for (index, rule) in adapter.inbound.items.enumerated() {
            let required = rule.type == .message ? ["address"] : ["provider_message_id", "status"]
            for field in required where rule.fields[field] == nil {
                throw fail("inbound.items[\(index)].fields.\(field)", "is required for \(rule.type.rawValue) items")
            }
        }
        guard (100...599).contains(adapter.inbound.acknowledge.status) else {
            throw fail("inbound.acknowledge.status", "must be an HTTP status (100-599)")
        }
        if let outbound = adapter.outbound {
            guard ["POST", "PUT", "PATCH"].contains(outbound.method) else { throw fail("outbound.method", "must be POST, PUT or PATCH") }
            switch outbound.format {
            case .json where outbound.body == nil: throw fail("outbound.body", "is required when outbound.format is json")
            case .form where outbound.fields == nil: throw fail("outbound.fields", "is required when outbound.format is form")
            default: break
            }
            if let auth = outbound.auth {
                switch auth.type {
                case "basic" where auth.username == nil || auth.password == nil:
                    throw fail("outbound.auth", "basic needs 'username' and 'password'")
                case "bearer" where auth.token == nil: throw fail("outbound.auth.token", "is required for bearer")
                case "header" where auth.header == nil || auth.value == nil:
                    throw fail("outbound.auth", "header needs 'header' and 'value'")
                case "basic", "bearer", "header": break
                default: throw fail("outbound.auth.type", "must be basic, bearer or header")
                }
            }
            if let limit = outbound.textLimit, limit < 1 { throw fail("outbound.text_limit", "must be at least 1") }
        }
        if let hours = adapter.sessionWindowHours, hours < 1 { throw fail("session_window_hours", "must be at least 1") }
        _ = try InboundReader(adapter: adapter, file: file)
        for (field, source) in templates(of: adapter) {
            do { _ = try Template(parsing: source) } catch { throw fail(field, "is not a valid template: \(error)") }
        }
    }

    /// Every Liquid template of an adapter, by field path.
    static func templates(of adapter: ChannelAdapter) -> [(String, String)] {
        guard let outbound = adapter.outbound else { return [] }
        var list: [(String, String)] = [("outbound.url", outbound.url)]
        if let body = outbound.body { list.append(("outbound.body", body)) }
        if let body = outbound.templateBody { list.append(("outbound.template_body", body)) }
        for (name, value) in (outbound.fields ?? [:]).sorted(by: { $0.key < $1.key }) { list.append(("outbound.fields.\(name)", value)) }
        for (name, value) in (outbound.headers ?? [:]).sorted(by: { $0.key < $1.key }) { list.append(("outbound.headers.\(name)", value)) }
        if let auth = outbound.auth {
            for (name, value) in [("username", auth.username), ("password", auth.password), ("token", auth.token), ("value", auth.value)] {
                if let value { list.append(("outbound.auth.\(name)", value)) }
            }
        }
        return list
    }
}
