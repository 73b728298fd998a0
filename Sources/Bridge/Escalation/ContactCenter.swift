import Foundation
import Signing
import Templates

/// A contact-center adapter from `adapters/contact-centers/<name>.json`: how the handoff and
/// later user messages are sent (each one request or several in order), and how the events sent
/// back are verified and read.
///
/// A request's `path` is a template appended to the contact center's `url` (or a whole URL when
/// it renders as one); its body a template. Both get `packet` (or `message`), `case_id`,
/// `settings` (the contact center's), `transcript_text`, and `refs`: values an earlier request's
/// answer gave (`"save": {"ref": "id"}` keeps the answer's `id` as `refs.ref`, the contact
/// center's own id for the case). A value not known yet when the request is written is filled in
/// when it is sent, after the request that saves it (they share one ordering key).
public struct ContactCenterAdapter: Sendable {
    public let name: String
    public let verify: WebhookVerification
    public let handoff: [Request]
    public let message: [Request]
    /// How events sent back are read; nil for an adapter that takes none (`log`).
    public let events: EventReading?
    /// A contact center inside the gateway (`log`: writes each packet and message to the log,
    /// for trying the flow out) instead of at a URL.
    public let builtin: Builtin?
    /// Every name a request saves (`refs.<name>`).
    public let savedNames: [String]

    public enum Builtin: String, Sendable, Decodable {
        case log
    }

    public struct Request: Sendable {
        /// Appended to the contact center's `url`, or a whole URL (may use template variables).
        public let path: Template?
        public let method: String
        public let contentType: String
        public let body: Template
        /// Values to keep from the answer: name → where it is.
        public let save: [(name: String, path: ValuePath)]
    }

    /// Where the event's parts are, and our name for each of its types.
    public struct EventReading: Sendable {
        /// `json`, or `form` (`application/x-www-form-urlencoded`; values that are JSON objects
        /// are read as objects, as Twilio's `TaskAttributes`).
        public let form: Bool
        /// The event's type word: a path, or a template over the event (`type_template`).
        public let type: ValuePath?
        public let typeTemplate: Template?
        /// How the case is found: our case id, the contact center's own id (`refs.ref`), or our
        /// conversation id (its current case). The first present wins.
        public let caseID: [ValuePath]
        public let caseRef: [ValuePath]
        public let conversationID: [ValuePath]
        public let agentName: [ValuePath]
        public let text: [ValuePath]
        /// The adapter's type word → `agent_joined`, `agent_message`, `transferred`, `resolved`,
        /// `closed`, or `ignore` (acknowledged, nothing done: the echo of our own messages...);
        /// `*` for every other word.
        public let types: [String: ContactCenterEvent.Kind?]
        /// `"unmatched": "ignore"`: an event about no case of ours (a contact center that reports
        /// every task of a shared workspace) is acknowledged and ignored instead of 404/422.
        public let ignoresUnmatched: Bool
    }

    struct File: Decodable {
        var name: String
        var description: String?
        var verify: String
        var builtin: Builtin?
        var handoff: OneOrMore
        var message: OneOrMore
        var events: EventsFile?
        struct RequestFile: Decodable {
            var path: String?
            var method: String?
            var contentType: String?
            var body: String
            var save: [String: String]?
            enum CodingKeys: String, CodingKey { case path, method, body, save, contentType = "content_type" }
        }
        /// A path, or a list of paths tried in order.
        struct Paths: Decodable {
            var list: [String]
            init(from decoder: any Decoder) throws {
                if let many = try? [String](from: decoder) { list = many } else { list = [try String(from: decoder)] }
            }
        }
        /// One request, or a list of them.
        struct OneOrMore: Decodable {
            var requests: [RequestFile]
            init(from decoder: any Decoder) throws {
                if let list = try? [RequestFile](from: decoder) { requests = list } else { requests = [try RequestFile(from: decoder)] }
            }
        }
        struct EventsFile: Decodable {
            var format: String?
            var type: String?
            var typeTemplate: String?
            var caseID: Paths?
            var caseRef: Paths?
            var conversationID: Paths?
            var agentName: Paths?
            var text: Paths?
            var types: [String: String]
            var unmatched: String?
            enum CodingKeys: String, CodingKey {
                case format, type, text, types, unmatched
                case typeTemplate = "type_template", caseID = "case_id", caseRef = "case_ref", conversationID = "conversation_id",
                     agentName = "agent_name"
            }
        }
    }

    public static func load(path: String) throws(AdapterError) -> ContactCenterAdapter {
        guard let data = FileManager.default.contents(atPath: path) else { throw AdapterError(file: path, field: "", "cannot read the file") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw AdapterError(file: path, field: "", "is not a contact-center adapter: \(error)")
        }
        guard let verify = WebhookVerification(name: file.verify), verify != .unsigned || file.builtin != nil else {
            throw AdapterError(file: path, field: "verify",
                               "must be one of standard-webhooks, twilio-hmac-sha1, chatwoot-hmac-sha256, bearer-token (none only for a built-in)")
        }
        func template(_ text: String, _ field: String) throws(AdapterError) -> Template {
            do { return try Template(parsing: text) } catch { throw AdapterError(file: path, field: field, "is not a valid template: \(error)") }
        }
        func valuePath(_ text: String?, _ field: String) throws(AdapterError) -> ValuePath? {
            guard let text else { return nil }
            guard let parsed = ValuePath(text) else { throw AdapterError(file: path, field: field, "'\(text)' is not a value path") }
            return parsed
        }
        func paths(_ given: File.Paths?, _ field: String) throws(AdapterError) -> [ValuePath] {
            var out: [ValuePath] = []
            for (index, text) in (given?.list ?? []).enumerated() { out.append(try valuePath(text, "\(field)[\(index)]")!) }
            return out
        }
        func requests(_ list: File.OneOrMore, _ field: String) throws(AdapterError) -> [Request] {
            guard !list.requests.isEmpty else { throw AdapterError(file: path, field: field, "needs at least one request") }
            var out: [Request] = []
            for (index, request) in list.requests.enumerated() {
                let here = list.requests.count == 1 ? field : "\(field)[\(index)]"
                var save: [(name: String, path: ValuePath)] = []
                for (name, text) in (request.save ?? [:]).sorted(by: { $0.key < $1.key }) {
                    guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                        throw AdapterError(file: path, field: "\(here).save", "'\(name)' must be a word (letters, digits, _)")
                    }
                    save.append((name, try valuePath(text, "\(here).save.\(name)")!))
                }
                let method = (request.method ?? "POST").uppercased()
                guard ["POST", "PUT", "PATCH"].contains(method) else { throw AdapterError(file: path, field: "\(here).method", "must be POST, PUT or PATCH") }
                out.append(Request(path: try request.path.map { text throws(AdapterError) in try template(text, "\(here).path") }, method: method,
                                   contentType: request.contentType ?? "application/json", body: try template(request.body, "\(here).body"),
                                   save: save))
            }
            return out
        }
        guard file.events != nil || file.builtin != nil else { throw AdapterError(file: path, field: "events", "is required") }
        var events: EventReading?
        if let reading = file.events {
            var types: [String: ContactCenterEvent.Kind?] = [:]
            for (word, ours) in reading.types {
                if ours == "ignore" { types[word] = .some(nil); continue }
                guard let kind = ContactCenterEvent.Kind(rawValue: ours) else {
                    throw AdapterError(file: path, field: "events.types.\(word)",
                                       "'\(ours)' is not one of \(ContactCenterEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")), ignore")
                }
                types[word] = kind
            }
            guard ["json", "form"].contains(reading.format ?? "json") else { throw AdapterError(file: path, field: "events.format", "must be json or form") }
            guard ["ignore", "error"].contains(reading.unmatched ?? "error") else {
                throw AdapterError(file: path, field: "events.unmatched", "must be ignore or error")
            }
            guard (reading.type == nil) != (reading.typeTemplate == nil) else {
                throw AdapterError(file: path, field: "events.type", "give exactly one of type (a path) and type_template")
            }
            guard reading.caseID != nil || reading.caseRef != nil || reading.conversationID != nil || types.values.allSatisfy({ $0 == nil }) else {
                throw AdapterError(file: path, field: "events.case_id", "give case_id, case_ref or conversation_id")
            }
            events = EventReading(form: reading.format == "form", type: try valuePath(reading.type, "events.type"),
                                  typeTemplate: try reading.typeTemplate.map { text throws(AdapterError) in try template(text, "events.type_template") },
                                  caseID: try paths(reading.caseID, "events.case_id"), caseRef: try paths(reading.caseRef, "events.case_ref"),
                                  conversationID: try paths(reading.conversationID, "events.conversation_id"),
                                  agentName: try paths(reading.agentName, "events.agent_name"), text: try paths(reading.text, "events.text"),
                                  types: types, ignoresUnmatched: reading.unmatched == "ignore")
        }
        let handoff = try requests(file.handoff, "handoff")
        let message = try requests(file.message, "message")
        let saved = Set((handoff + message).flatMap { $0.save.map(\.name) }).sorted()
        return ContactCenterAdapter(name: file.name, verify: verify, handoff: handoff, message: message, events: events,
                                    builtin: file.builtin, savedNames: saved)
    }

    /// Every `*.json` in a folder, by name.
    public static func loadAll(directory: String) throws(AdapterError) -> [String: ContactCenterAdapter] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [:] }
        var adapters: [String: ContactCenterAdapter] = [:]
        for name in names.sorted() where name.hasSuffix(".json") {
            let adapter = try load(path: directory + "/" + name)
            adapters[adapter.name] = adapter
        }
        return adapters
    }
}

/// What a contact center told us.
public struct ContactCenterEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case agentJoined = "agent_joined", agentMessage = "agent_message", transferred, resolved, closed
    }
    /// Nil: an event the adapter ignores.
    public var kind: Kind?
    public var type: String
    public var caseKey: CaseKey
    public var agentName: String?
    public var text: String?

    public init(kind: Kind?, type: String, caseKey: CaseKey, agentName: String? = nil, text: String? = nil) {
        self.kind = kind
        self.type = type
        self.caseKey = caseKey
        self.agentName = agentName
        self.text = text
    }

    /// How the event names its case.
    public enum CaseKey: Sendable, Equatable {
        case caseID(String), ref(String), conversation(String)
        public var description: String {
            switch self {
            case .caseID(let id): id
            case .ref(let ref): "ref \(ref)"
            case .conversation(let id): "conversation \(id)"
            }
        }
    }
}

/// A configured contact center: `{"id", "adapter", "url", "secret", "headers", "settings",
/// "timeout_ms", "no_agent_after_seconds", "no_agent_fallback"}`.
public struct ContactCenter: Sendable {
    public let id: String
    public let adapter: ContactCenterAdapter
    public let url: String
    /// Signs what we send (Standard Webhooks adapters only).
    public let secret: StandardWebhooks.Secret?
    /// The secret as configured: what events sent back are verified with.
    public let secretText: String?
    /// Values for the adapter's templates (`settings.account_id`...).
    public let settings: [String: String]
    public let target: DeliveryTarget
    /// No agent joined this long after the handoff: the `no-agent-available` notice and the fallback.
    public let noAgentAfter: Duration
    /// `queue` (stay queued) or `bot` (back to the bot).
    public let noAgentFallback: String

    /// Reads an event body; the reason when it is not one this adapter knows.
    public func read(event body: [UInt8]) -> Result<ContactCenterEvent, ContactCenterEventError> {
        guard let events = adapter.events else { return .failure(.init(message: "adapter \(adapter.name) takes no events")) }
        let value: TemplateValue
        if events.form {
            value = Self.formObject(body)
        } else {
            guard let json = try? TemplateValue(jsonData: Data(body)) else { return .failure(.init(message: "the body is not JSON")) }
            value = json
        }
        let root = ValuePath.Match(value: value, enclosing: [])
        let word = events.typeTemplate.map { $0.render(value).trimmingCharacters(in: .whitespacesAndNewlines) }
            ?? events.type?.text(in: root) ?? ""
        guard !word.isEmpty else { return .failure(.init(message: "the event has no type")) }
        guard let kind = events.types[word] ?? events.types["*"] else {
            return .failure(.init(message: "unknown event type '\(word)' (known: \(events.types.keys.sorted().joined(separator: ", ")))"))
        }
        func first(_ paths: [ValuePath]) -> String? {
            paths.lazy.compactMap { $0.text(in: root) }.first { !$0.isEmpty }
        }
        let key: ContactCenterEvent.CaseKey
        if let id = first(events.caseID) { key = .caseID(id) }
        else if let ref = first(events.caseRef) { key = .ref(ref) }
        else if let id = first(events.conversationID) { key = .conversation(id) }
        else if kind == nil || events.ignoresUnmatched { return .success(ContactCenterEvent(kind: nil, type: word, caseKey: .caseID(""))) }
        else { return .failure(.init(message: "the event does not say which case it is about")) }
        let text = first(events.text)
        if kind == .agentMessage, (text ?? "").isEmpty { return .failure(.init(message: "an agent message needs a text")) }
        return .success(ContactCenterEvent(kind: kind, type: word, caseKey: key, agentName: first(events.agentName), text: text))
    }

    /// A form body as an object; a value that is a JSON object is read as one.
    static func formObject(_ body: [UInt8]) -> TemplateValue {
        var members: [String: TemplateValue] = [:]
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            let name = decode(parts[0])
            let text = parts.count > 1 ? decode(parts[1]) : ""
            if text.hasPrefix("{"), let object = try? TemplateValue(jsonData: Data(text.utf8)), case .object = object {
                members[name] = object
            } else {
                members[name] = .string(text)
            }
        }
        return .object(members)
    }
}

public struct ContactCenterEventError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
