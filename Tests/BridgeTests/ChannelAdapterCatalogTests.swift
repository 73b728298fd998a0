import Bridge
import Foundation
import Testing

@Suite struct ChannelAdapterCatalogTests {
    /// The repository's `adapters/channels`, found from this file's path.
    static let shippedDirectory: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("adapters/channels").path
    }()

    @Test func everyShippedAdapterLoads() throws {
        let catalog = try ChannelAdapterCatalog.load(directory: Self.shippedDirectory)
        #expect(Set(catalog.adapters.keys) == ["twilio", "twilio-conversations", "whatsapp-cloud", "google-business-messages", "webchat", "generic"])
        let twilio = try #require(catalog.adapters["twilio"])
        #expect(twilio.verify.scheme == "twilio-hmac-sha1")
        #expect(twilio.settings["api_base"]?.default == "https://api.twilio.com")
        #expect(twilio.statuses["delivered"] == .delivered)
        #expect(twilio.sessionWindowHours == 24)
        #expect(catalog.adapters["whatsapp-cloud"]?.handshake?.kind == "meta-hub-challenge")
        #expect(catalog.adapters["whatsapp-cloud"]?.settings["api_base"]?.default == "https://graph.facebook.com")
    }

    static let minimal = """
    {"name": "acme", "settings": {"key": {"required": true, "secret": true}},
     "verify": {"scheme": "standard-webhooks", "secret_setting": "key"},
     "inbound": {"format": "json", "acknowledge": {"status": 200},
                 "items": [{"type": "message", "fields": {"address": "from", "text": "text"}}]},
     "statuses": {}}
    """

    static func decode(_ json: String, name: String = "acme") throws(AdapterError) -> ChannelAdapter {
        try ChannelAdapterCatalog.decode(Data(json.utf8), file: "adapters/channels/\(name).json", expectedName: name)
    }

    @Test func aMinimalAdapterNeedsNoSwift() throws {
        let adapter = try Self.decode(Self.minimal)
        #expect(adapter.inbound.items[0].fields["text"] == "text")
        #expect(adapter.outbound == nil)
    }

    @Test(arguments: [
        (#""scheme": "standard-webhooks""#, #""scheme": "rot13""#, "adapters/channels/acme.json: 'verify.scheme' must be one of"),
        (#""scheme": "standard-webhooks", "secret_setting": "key""#, #""scheme": "none""#,
         "'verify.scheme' 'none' is allowed only for the built-in web chat"),
        (#""secret_setting": "key""#, #""secret_setting": "missing""#, "'verify.secret_setting' names 'missing', which is not in 'settings'"),
        (#""fields": {"address": "from", "text": "text"}"#, #""fields": {"text": "text"}"#, "'inbound.items[0].fields.address' is required for message items"),
        (#""fields": {"address": "from", "text": "text"}"#, #""fields": {"address": 5}"#, "'inbound.items[0].fields.address' must be a string"),
        (#""format": "json""#, #""format": "xml""#, "'inbound.format' has an invalid value"),
        (#""acknowledge": {"status": 200}"#, #""acknowledge": {}"#, "'inbound.acknowledge.status' is required"),
        (#""statuses": {}"#, #""statuses": {"ok": "fine"}"#, "'statuses.ok' has an invalid value"),
        (#""name": "acme""#, #""name": "other""#, "'name' must be 'acme', the file's name"),
        (#""address": "from""#, #""address": "from..x""#, "'inbound.items[0].fields.address' is not a valid path: 'from..x'"),
    ])
    func errorsNameTheFileAndField(original: String, replacement: String, message: String) {
        let json = Self.minimal.replacingOccurrences(of: original, with: replacement)
        #expect(json != Self.minimal)
        #expect {
            _ = try Self.decode(json)
        } throws: { error in
            String(describing: error).contains(message)
        }
    }

    @Test func templateErrorsNameTheFieldLineAndColumn() {
        let json = Self.minimal.replacingOccurrences(of: #""statuses": {}"#,
            with: #""statuses": {}, "outbound": {"method": "POST", "url": "{{ settings.base }}/x", "format": "json", "body": "[{{ text | nope }}]"}"#)
        #expect { _ = try Self.decode(json) } throws: {
            let text = String(describing: $0)
            return text.contains("'outbound.body' is not a valid template: line 1, column") && text.contains("nope")
        }
    }

    @Test func notJSONIsSaidSo() {
        #expect(throws: AdapterError(file: "adapters/channels/acme.json", field: "", "is not valid JSON")) {
            _ = try Self.decode("{ nope")
        }
    }

    @Test func outboundRulesAreChecked() {
        let withOutbound = Self.minimal.replacingOccurrences(of: #""statuses": {}"#, with: #""statuses": {}, "outbound": {"method": "GET", "url": "x", "format": "json", "body": "{}"}"#)
        #expect { _ = try Self.decode(withOutbound) } throws: { String(describing: $0).contains("'outbound.method' must be POST, PUT or PATCH") }
        let noBody = withOutbound.replacingOccurrences(of: #""method": "GET""#, with: #""method": "POST""#)
            .replacingOccurrences(of: #", "body": "{}""#, with: "")
        #expect { _ = try Self.decode(noBody) } throws: { String(describing: $0).contains("'outbound.body' is required when outbound.format is json") }
    }
}
