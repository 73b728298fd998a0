import Bridge
import Foundation
import HTTPClient
import Signing
import Storage
import Testing
import TestSupport

/// Meta, Google and a provider that exists only in this test (one adapter file, no Swift), on
/// the real binary with a home folder of its own.
@Suite struct MoreChannelsEndToEndTests {
    static let appSecret = "fake_meta_app_secret"
    static let clientToken = "fake_google_client_token"
    static let acmeSecret = "whsec_plJ3nmyCDGBKInavdOK15jsl"

    /// A made-up provider: its own JSON shape, signed with Standard Webhooks.
    static let acmeAdapter = #"""
    {"name": "acme", "description": "A provider invented for this test.",
     "settings": {"key": {"required": true, "secret": true}},
     "verify": {"scheme": "standard-webhooks", "secret_setting": "key"},
     "inbound": {"format": "json", "acknowledge": {"status": 200, "content_type": "application/json", "body": "{\"ok\":true}"},
                 "items": [{"type": "message", "select": "events[*]", "when": "payload.body",
                            "fields": {"provider_message_id": "uid", "address": "sender.handle", "display_name": "sender.nick",
                                       "text": "payload.body", "locale": "sender.lang"}}]},
     "statuses": {}}
    """#

    static let config = #"""
    {"public_url": "https://gw.example.test",
     "channels": [
       {"id": "meta", "adapter": "whatsapp-cloud", "settings": {"app_secret": "fake_meta_app_secret", "verify_token": "fake-verify",
        "access_token": "fake", "phone_number_id": "PNID_FAKE"}},
       {"id": "gbm", "adapter": "google-business-messages", "settings": {"client_token": "fake_google_client_token", "access_token": "fake"}},
       {"id": "acme", "adapter": "acme", "settings": {"key": "whsec_plJ3nmyCDGBKInavdOK15jsl"}}
     ]}
    """#

    @Test(arguments: TestBackend.allCases)
    func signedPayloadsFromThreeProvidersAreStoredOnce(_ backend: TestBackend) async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-home-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: home.appendingPathComponent("adapters"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        for kind in ["channels", "bots"] {
            try FileManager.default.copyItem(at: BinaryRunner.repositoryRoot.appendingPathComponent("adapters/\(kind)"),
                                             to: home.appendingPathComponent("adapters/\(kind)"))
        }
        try Data(Self.acmeAdapter.utf8).write(to: home.appendingPathComponent("adapters/channels/acme.json"))
        try Data(Self.config.utf8).write(to: home.appendingPathComponent("botbridge.json"))

        let database = try await backend.databaseArgument(directory: home.path)
        let gateway = try BinaryRunner(["serve", "--config", "botbridge.json", "--listen", "127.0.0.1:0", "--db", database], directory: home)
        let port = try await gateway.waitForListeningPort()
        let client = HTTPClient()
        let base = "http://127.0.0.1:\(port)"
        func post(_ path: String, _ body: String, headers: [(String, String)]) async throws -> HTTPClientResponse {
            try await client.send(HTTPClientRequest(method: "POST", url: base + path,
                                                    headers: [("Content-Type", "application/json")] + headers.map { (name: $0.0, value: $0.1) },
                                                    body: Array(body.utf8)))
        }

        // Meta: the GET handshake, then a batch signed over its raw bytes (\u escapes included), twice.
        let challenge = try await client.send(HTTPClientRequest(url: base + "/channels/meta/webhook?hub.mode=subscribe&hub.verify_token=fake-verify&hub.challenge=1158201444"))
        #expect(challenge.status == 200)
        #expect(challenge.bodyText == "1158201444")
        let wrongToken = try await client.send(HTTPClientRequest(url: base + "/channels/meta/webhook?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1"))
        #expect(wrongToken.status == 403)
        let meta = metaBatchExample
        let metaSignature = "sha256=" + Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(meta.utf8), key: Array(Self.appSecret.utf8)))
        for _ in 0..<2 {
            let answer = try await post("/channels/meta/webhook", meta, headers: [("X-Hub-Signature-256", metaSignature)])
            #expect(answer.status == 200)
            #expect(answer.bodyText == "EVENT_RECEIVED")
        }
        // The same bytes re-serialised (escapes decoded) no longer match.
        let reencoded = meta.replacingOccurrences(of: #"caf\u00e9"#, with: "café")
        #expect(try await post("/channels/meta/webhook", reencoded, headers: [("X-Hub-Signature-256", metaSignature)]).status == 403)
        // Signed garbage is a 400, not a 500.
        let garbage = "{\"entry\": ["
        let garbageSignature = "sha256=" + Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(garbage.utf8), key: Array(Self.appSecret.utf8)))
        #expect(try await post("/channels/meta/webhook", garbage, headers: [("X-Hub-Signature-256", garbageSignature)]).status == 400)

        // Google: SHA-512, base64.
        let google = #"{"conversationId":"CONV_G_1","requestId":"REQ-G-1","message":{"messageId":"M1","text":"Bonjour"},"context":{"resolvedLocale":"fr","userInfo":{"displayName":"Léa"}}}"#
        let googleSignature = Base64.encode(HMAC<SHA512>.authenticationCode(for: Array(google.utf8), key: Array(Self.clientToken.utf8)))
        #expect(try await post("/channels/gbm/webhook", google, headers: [("X-Goog-Signature", googleSignature)]).status == 200)
        #expect(try await post("/channels/gbm/webhook", google, headers: [("X-Goog-Signature", googleSignature)]).status == 200)
        #expect(try await post("/channels/gbm/webhook", google, headers: []).status == 401)

        // acme: exists only as a JSON file.
        let acme = #"{"events":[{"uid":"ev-1","sender":{"handle":"@zoe","nick":"Zoé","lang":"es"},"payload":{"body":"¿hola?"}},{"uid":"ev-2","sender":{"handle":"@zoe"},"payload":{}}]}"#
        let signer = StandardWebhooks.Signer(secret: try StandardWebhooks.Secret(Self.acmeSecret))
        let signed = signer.sign(id: "msg_acme_1", timestamp: Int64(Date().timeIntervalSince1970), body: Array(acme.utf8))
        let acmeAnswer = try await post("/channels/acme/webhook", acme, headers: [("webhook-id", signed.id), ("webhook-timestamp", signed.timestamp),
                                                                                  ("webhook-signature", signed.signature)])
        #expect(acmeAnswer.status == 200)
        #expect(acmeAnswer.bodyText == #"{"ok":true}"#)
        let stale = signer.sign(id: "msg_acme_2", timestamp: Int64(Date().timeIntervalSince1970) - 3600, body: Array(acme.utf8))
        #expect(try await post("/channels/acme/webhook", acme, headers: [("webhook-id", stale.id), ("webhook-timestamp", stale.timestamp),
                                                                         ("webhook-signature", stale.signature)]).status == 401)

        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        await client.shutdown()

        let pool = try await GatewayUnderTest.openDatabase(database, in: home)
        let rows = try await pool.read { db in
            try db.query("""
                SELECT m.channel, m.provider_message_id, m.text, c.locale, i.display_name FROM messages m
                JOIN conversations c ON c.id = m.conversation_id JOIN identities i ON i.id = c.identity_id ORDER BY m.id
                """).map { [$0.string("channel"), $0.string("provider_message_id"), $0.string("text"), $0.string("locale"), $0.string("display_name")] }
        }
        await pool.close()
        #expect(rows == [
            ["meta", "wamid.A1", "café 😀", nil, "Kerry Fisher"],
            ["meta", "wamid.A2", "Talk to a person", nil, "Kerry Fisher"],
            ["meta", "wamid.A3", nil, nil, "Kerry Fisher"],
            ["gbm", "REQ-G-1", "Bonjour", "fr", "Léa"],
            ["acme", "ev-1", "¿hola?", "es", "Zoé"],
        ])
    }
}

/// Meta's documented batch shape (see InboundReaderTests in BridgeTests).
let metaBatchExample = #"""
{"object":"whatsapp_business_account","entry":[{"id":"WABA_FAKE","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550009999","phone_number_id":"PNID_FAKE"},"contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"16315551234"}],"messages":[{"from":"16315551234","id":"wamid.A1","timestamp":"1700000000","type":"text","text":{"body":"caf\u00e9 \ud83d\ude00"}},{"from":"16315551234","id":"wamid.A2","timestamp":"1700000001","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"LIVE_AGENT","title":"Talk to a person"}}},{"from":"16315551234","id":"wamid.A3","timestamp":"1700000002","type":"image","image":{"id":"MEDIA_1","mime_type":"image/png"}}],"statuses":[{"id":"wamid.OUT1","status":"read","timestamp":"1700000003","recipient_id":"16315551234"}]}}]}]}
"""#
