import Foundation
import HTTP
import Templates

/// Reads the items of an inbound webhook as its adapter describes them. Compiled once per
/// adapter (paths parsed at start-up); reading is a pure function of the body.
public struct InboundReader: Sendable {
    struct Rule: Sendable {
        var kind: InboundItem.Kind
        var select: ValuePath?
        var when: ValuePath?
        var unless: ValuePath?
        var fields: [(name: String, path: ValuePath)]
        var media: Media?
    }

    struct Media: Sendable {
        var count: ValuePath?
        /// Numbered form fields: `MediaUrl{n}`.
        var urlPattern: String
        var typePattern: String?
        var select: ValuePath?
    }

    let format: ChannelAdapter.BodyFormat
    let rules: [Rule]

    /// Compiles the adapter's inbound rules; a malformed path is an error naming its field.
    public init(adapter: ChannelAdapter, file: String) throws(AdapterError) {
        func path(_ text: String?, _ field: String) throws(AdapterError) -> ValuePath? {
            guard let text else { return nil }
            guard let path = ValuePath(text) else { throw AdapterError(file: file, field: field, "is not a valid path: '\(text)'") }
            return path
        }
        format = adapter.inbound.format
        var rules: [Rule] = []
        for (index, item) in adapter.inbound.items.enumerated() {
            let prefix = "inbound.items[\(index)]"
            var fields: [(name: String, path: ValuePath)] = []
            for (name, text) in item.fields.sorted(by: { $0.key < $1.key }) {
                fields.append((name, try path(text, "\(prefix).fields.\(name)")!))
            }
            var media: Media?
            if let rule = item.media {
                media = Media(count: try path(rule.count, "\(prefix).media.count"), urlPattern: rule.url, typePattern: rule.type,
                              select: try path(rule.select, "\(prefix).media.select"))
            }
            rules.append(Rule(kind: item.type == .message ? .message : .status, select: try path(item.select, "\(prefix).select"),
                              when: try path(item.when, "\(prefix).when"), unless: try path(item.unless, "\(prefix).unless"),
                              fields: fields, media: media))
        }
        self.rules = rules
    }

    /// Why a body could not be read (a 400 for the provider).
    public struct MalformedBody: Error, Sendable, Equatable, HTTPResponseError {
        public var reason: String
        public init(reason: String) { self.reason = reason }
        public var status: HTTPStatus { .badRequest }
        public var response: HTTPResponse { HTTPError(.badRequest, code: "malformed_body", message: reason).response }
    }

    /// The request body as a value: a JSON document, or a form as an object of strings (the first
    /// value of a repeated field).
    public func parse(_ body: [UInt8]) throws(MalformedBody) -> TemplateValue {
        switch format {
        case .json:
            guard !body.isEmpty else { throw MalformedBody(reason: "the body is empty; expected JSON") }
            do {
                let value = try TemplateValue(jsonData: Data(body))
                guard case .object = value else { throw MalformedBody(reason: "the body must be a JSON object") }
                return value
            } catch let error as MalformedBody {
                throw error
            } catch {
                throw MalformedBody(reason: "the body is not valid JSON")
            }
        case .form:
            guard String(validating: body, as: UTF8.self) != nil else {
                throw MalformedBody(reason: "the form body is not UTF-8")
            }
            var members: [String: TemplateValue] = [:]
            for (name, value) in QueryParameters(bytes: body) where members[name] == nil { members[name] = .string(value) }
            return .object(members)
        }
    }

    /// The items the adapter's rules find in a parsed body, in rule order then document order.
    public func items(in root: TemplateValue) -> [InboundItem] {
        var items: [InboundItem] = []
        for rule in rules {
            let candidates = rule.select.map { $0.select(in: root) } ?? [ValuePath.Match(value: root, enclosing: [])]
            for match in candidates {
                if let when = rule.when, when.text(in: match) == nil { continue }
                if let unless = rule.unless, unless.text(in: match) != nil { continue }
                var fields: [String: String] = [:]
                for (name, path) in rule.fields {
                    if let text = path.text(in: match) { fields[name] = text }
                }
                items.append(InboundItem(kind: rule.kind, fields: fields, media: rule.media.map { media(in: match, $0) } ?? []))
            }
        }
        return items
    }

    private func media(in match: ValuePath.Match, _ rule: Media) -> [InboundMedia] {
        if let count = rule.count {
            // Numbered fields: MediaUrl0, MediaContentType0, ... up to the count (at most 100).
            let total = min(Int(count.text(in: match) ?? "") ?? 0, 100)
            return (0..<max(0, total)).compactMap { n in
                guard let url = match.value[rule.urlPattern.replacingOccurrences(of: "{n}", with: String(n))]?.description,
                      !url.isEmpty else { return nil }
                let type = rule.typePattern.flatMap { match.value[$0.replacingOccurrences(of: "{n}", with: String(n))]?.description }
                return InboundMedia(url: url, type: type)
            }
        }
        let holders = rule.select.map { $0.select(in: match.value) } ?? [match]
        return holders.compactMap { holder in
            guard let url = holder.value[rule.urlPattern]?.description, !url.isEmpty else { return nil }
            return InboundMedia(url: url, type: rule.typePattern.flatMap { holder.value[$0]?.description })
        }
    }
}
