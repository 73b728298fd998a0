import Foundation
import HTTPClient
import Storage
import Templates

/// A channel's outbound side, compiled once from its adapter and settings: the templates that
/// build a provider request, and the delivery target that adds auth (never stored) and records
/// the provider's message id when the provider accepts the message.
public struct ChannelSender: Sendable {
    public let channelID: String
    let url: Template
    let format: ChannelAdapter.BodyFormat
    let body: Template?
    let templateBody: Template?
    let fields: [(name: String, template: Template)]
    let messageIDPath: ValuePath?
    /// Longer texts are split into parts of at most this many characters.
    public let textLimit: Int?
    /// Free-form messages need a user message within this many hours.
    public let sessionWindow: Duration?
    /// The template sent instead of a free-form message once the window is closed.
    public let fallback: SessionFallback?
    /// Auth and signing for the provider, added at send time.
    public let target: DeliveryTarget
    let settings: TemplateValue

    /// A WhatsApp-style template (name, language, parameters rendered from the message and profile).
    public struct SessionFallback: Sendable {
        public var name: String
        public var language: String
        public var parameters: [Template]

        public init(name: String, language: String, parameters: [Template]) {
            self.name = name
            self.language = language
            self.parameters = parameters
        }
    }

    /// Compiles the adapter's outbound part for one channel; nil when the adapter cannot send.
    public init?(channelID: String, adapter: ChannelAdapter, settings: [String: String], fallback: SessionFallback?) throws(AdapterError) {
        guard let outbound = adapter.outbound else { return nil }
        func compile(_ source: String, _ field: String) throws(AdapterError) -> Template {
            do { return try Template(parsing: source) } catch {
                throw AdapterError(file: adapter.name, field: field, "is not a valid template: \(error)")
            }
        }
        self.channelID = channelID
        let context = TemplateValue.object(["settings": .object(settings.mapValues(TemplateValue.string))])
        self.settings = context["settings"] ?? .null
        url = try compile(outbound.url, "outbound.url")
        format = outbound.format
        body = try outbound.body.map { source throws(AdapterError) in try compile(source, "outbound.body") }
        templateBody = try outbound.templateBody.map { source throws(AdapterError) in try compile(source, "outbound.template_body") }
        var fields: [(name: String, template: Template)] = []
        for (name, source) in (outbound.fields ?? [:]).sorted(by: { $0.key < $1.key }) {
            fields.append((name, try compile(source, "outbound.fields.\(name)")))
        }
        self.fields = fields
        messageIDPath = outbound.messageIDPath.flatMap(ValuePath.init)
        textLimit = outbound.textLimit
        sessionWindow = adapter.sessionWindowHours.map { .seconds($0 * 3600) }
        self.fallback = fallback

        // Auth headers carry secrets: rendered once here, held by the target, never stored.
        var headers: [DeliveryHeader] = []
        for (name, source) in (outbound.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            headers.append(DeliveryHeader(name, try compile(source, "outbound.headers.\(name)").render(context)))
        }
        if let auth = outbound.auth {
            func value(_ source: String?, _ field: String) throws(AdapterError) -> String {
                try compile(source ?? "", "outbound.auth.\(field)").render(context)
            }
            switch auth.type {
            case "basic":
                let pair = try value(auth.username, "username") + ":" + value(auth.password, "password")
                headers.append(DeliveryHeader("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()))
            case "bearer":
                headers.append(DeliveryHeader("Authorization", "Bearer " + (try value(auth.token, "token"))))
            default:
                headers.append(DeliveryHeader(auth.header ?? "Authorization", try value(auth.value, "value")))
            }
        }
        let path = messageIDPath
        target = DeliveryTarget(id: "channel:\(channelID)", kind: .channel, headers: headers,
                                onDelivered: { delivery, response in
                                    ChannelSender.recordAccepted(delivery, response: response, messageIDPath: path)
                                })
    }

    /// The provider accepted the message: keep its id (status callbacks name it) and mark it sent.
    /// The answer is read before the transaction; the returned write records it.
    static func recordAccepted(_ delivery: Delivery, response: HTTPClientResponse, messageIDPath: ValuePath?) -> DeliveredWrite? {
        guard let messageID = delivery.messageID else { return nil }
        var providerID: String?
        if let messageIDPath, let value = try? TemplateValue(jsonData: Data(response.body)) {
            providerID = messageIDPath.text(in: ValuePath.Match(value: value, enclosing: []))
        }
        let (statusAt, accepted) = (delivery.updatedAt, providerID)
        return { db in
            try db.run("""
                UPDATE messages SET provider_message_id = coalesce(?1, provider_message_id),
                       status = CASE WHEN status IN ('queued') THEN 'sent' ELSE status END, status_at = ?2
                WHERE id = ?3
                """, accepted, statusAt, messageID)
        }
    }

    /// The provider request for one message part; `abortReason` when a template of it said
    /// `abort_message` (the part is then not sent).
    func request(context: TemplateValue, template: Bool) -> (url: String, contentType: String, body: [UInt8], abortReason: String?) {
        var reason: String?
        func part(_ template: Template) -> String {
            let rendering = template.rendering(context)
            if reason == nil { reason = rendering.abortReason }
            return rendering.output
        }
        let url = part(self.url)
        switch format {
        case .json:
            let source = template ? (templateBody ?? body) : body
            let body = source.map(part) ?? "{}"
            return (url, "application/json", Array(body.utf8), reason)
        case .form:
            var pairs: [String] = []
            for (name, template) in fields {
                let value = part(template)
                if !value.isEmpty { pairs.append(FormEncoding.encode(name) + "=" + FormEncoding.encode(value)) }
            }
            return (url, "application/x-www-form-urlencoded", Array(pairs.joined(separator: "&").utf8), reason)
        }
    }
}

/// `application/x-www-form-urlencoded` encoding (WHATWG URL): unreserved bytes kept, space as `+`.
enum FormEncoding {
    static func encode(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                output.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                output += "+"
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                output += "%"
                output.unicodeScalars.append(digits[Int(byte >> 4)])
                output.unicodeScalars.append(digits[Int(byte & 0x0f)])
            }
        }
        return output
    }
}
