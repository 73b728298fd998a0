import Foundation
import Signing
import Templates

/// A contact-center adapter from `adapters/contact-centers/<name>.json`: how the handoff packet
/// and later user messages are sent, and how events sent back are read.
public struct ContactCenterAdapter: Sendable {
    public let name: String
    public let verify: String
    public let handoff: Request
    public let message: Request
    /// How events sent back are read; nil for an adapter that takes none (`log`).
    public let events: EventReading?
    /// A contact center inside the gateway (`log`: writes each packet and message to the log,
    /// for trying the flow out) instead of at a URL.
    public let builtin: Builtin?

    public enum Builtin: String, Sendable, Decodable {
        case log
    }

    public struct Request: Sendable {
        /// Appended to the contact center's `url` (may use template variables).
        public let path: Template?
        public let contentType: String
        public let body: Template
    }

    /// Where the event's parts are, and our name for each of its types.
    public struct EventReading: Sendable {
        public let type: ValuePath
        public let caseID: ValuePath
        public let agentName: ValuePath?
        public let text: ValuePath?
        /// The adapter's type word → `agent_joined`, `agent_message`, `transferred`, `resolved`, `closed`.
        public let types: [String: ContactCenterEvent.Kind]
    }

    struct File: Decodable {
        var name: String
        var description: String?
        var verify: String
        var builtin: Builtin?
        var handoff: RequestFile
        var message: RequestFile
        var events: EventsFile?
        struct RequestFile: Decodable {
            var path: String?
            var contentType: String?
            var body: String
            enum CodingKeys: String, CodingKey { case path, body, contentType = "content_type" }
        }
        struct EventsFile: Decodable {
            var type: String
            var caseID: String
            var agentName: String?
            var text: String?
            var types: [String: String]
            enum CodingKeys: String, CodingKey { case type, text, types, caseID = "case_id", agentName = "agent_name" }
        }
    }

    public static func load(path: String) throws(AdapterError) -> ContactCenterAdapter {
        guard let data = FileManager.default.contents(atPath: path) else { throw AdapterError(file: path, field: "", "cannot read the file") }
        let file: File
        do { file = try JSONDecoder().decode(File.self, from: data) } catch {
            throw AdapterError(file: path, field: "", "is not a contact-center adapter: \(error)")
        }
        guard ["standard-webhooks", "none"].contains(file.verify) else {
            throw AdapterError(file: path, field: "verify", "must be standard-webhooks or none")
        }
        func request(_ request: File.RequestFile, _ field: String) throws(AdapterError) -> Request {
            do {
                return Request(path: try request.path.map { try Template(parsing: $0) }, contentType: request.contentType ?? "application/json",
                               body: try Template(parsing: request.body))
            } catch {
                throw AdapterError(file: path, field: field, "is not a valid template: \(error)")
            }
        }
        func valuePath(_ text: String, _ field: String) throws(AdapterError) -> ValuePath {
            guard let parsed = ValuePath(text) else { throw AdapterError(file: path, field: field, "'\(text)' is not a value path") }
            return parsed
        }
        guard file.events != nil || file.builtin != nil else { throw AdapterError(file: path, field: "events", "is required") }
        var events: EventReading?
        if let reading = file.events {
            var types: [String: ContactCenterEvent.Kind] = [:]
            for (word, ours) in reading.types {
                guard let kind = ContactCenterEvent.Kind(rawValue: ours) else {
                    throw AdapterError(file: path, field: "events.types.\(word)",
                                       "'\(ours)' is not one of \(ContactCenterEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                types[word] = kind
            }
            events = EventReading(type: try valuePath(reading.type, "events.type"), caseID: try valuePath(reading.caseID, "events.case_id"),
                                  agentName: try reading.agentName.map { text throws(AdapterError) in try valuePath(text, "events.agent_name") },
                                  text: try reading.text.map { text throws(AdapterError) in try valuePath(text, "events.text") },
                                  types: types)
        }
        return ContactCenterAdapter(name: file.name, verify: file.verify, handoff: try request(file.handoff, "handoff"),
                                    message: try request(file.message, "message"), events: events, builtin: file.builtin)
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
    public var kind: Kind
    public var caseID: String
    public var agentName: String?
    public var text: String?
}

/// A configured contact center: `{"id", "adapter", "url", "secret", "headers", "no_agent_after_seconds", "no_agent_fallback"}`.
public struct ContactCenter: Sendable {
    public let id: String
    public let adapter: ContactCenterAdapter
    public let url: String
    /// Signs what we send and verifies the events sent back (Standard Webhooks).
    public let secret: StandardWebhooks.Secret?
    /// The secret as configured (what the verifier takes).
    public let secretText: String?
    public let target: DeliveryTarget
    /// No agent joined this long after the handoff: the `no-agent-available` notice and the fallback.
    public let noAgentAfter: Duration
    /// `queue` (stay queued) or `bot` (back to the bot).
    public let noAgentFallback: String

    /// Reads an event body; nil with the reason when it is not one this adapter knows.
    public func read(event body: [UInt8]) -> Result<ContactCenterEvent, ContactCenterEventError> {
        guard let events = adapter.events else { return .failure(.init(message: "adapter \(adapter.name) takes no events")) }
        guard let value = try? TemplateValue(jsonData: Data(body)) else { return .failure(.init(message: "the body is not JSON")) }
        let root = ValuePath.Match(value: value, enclosing: [])
        guard let word = events.type.text(in: root) else { return .failure(.init(message: "the event has no type")) }
        guard let kind = events.types[word] else {
            return .failure(.init(message: "unknown event type '\(word)' (known: \(events.types.keys.sorted().joined(separator: ", ")))"))
        }
        guard let caseID = events.caseID.text(in: root), !caseID.isEmpty else { return .failure(.init(message: "the event has no case id")) }
        let text = events.text.flatMap { $0.text(in: root) }
        if kind == .agentMessage, (text ?? "").isEmpty { return .failure(.init(message: "an agent message needs a text")) }
        return .success(ContactCenterEvent(kind: kind, caseID: caseID, agentName: events.agentName.flatMap { $0.text(in: root) }, text: text))
    }
}

public struct ContactCenterEventError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
