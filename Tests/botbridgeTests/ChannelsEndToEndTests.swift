import Bridge
import Foundation
import HTTP
import HTTPClient
import Signing
import Storage
import Synchronization
import Testing
import TestSupport

/// A real gateway running `examples/twilio-whatsapp.json` as it is, fed signed Twilio webhooks;
/// the bot is our own HTTP server on a loopback port.
@Suite struct ChannelsEndToEndTests {
    static let publicURL = "https://bots.example.test"
    static let authToken = "fake_twilio_auth_token_0000"
    static let botSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    final class BotLog: Sendable {
        let requests = Mutex<[(headers: [String: String], body: [UInt8])]>([])
        let provider = Mutex<[(headers: [String: String], body: [UInt8])]>([])
    }

    /// Twilio's signature: HMAC-SHA1 over the URL and the sorted parameters, base64.
    static func twilioSignature(url: String, form: [(String, String)]) -> String {
        let data = url + form.sorted { ($0.0, $0.1) < ($1.0, $1.1) }.map { $0.0 + $0.1 }.joined()
        return Base64.encode(HMAC<SHA1>.authenticationCode(for: Array(data.utf8), key: Array(authToken.utf8)))
    }

    static func formBody(_ form: [(String, String)]) -> [UInt8] {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        return Array(form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&").utf8)
    }

    static func inbound(_ sid: String, text: String) -> [(String, String)] {
        [("MessageSid", sid), ("AccountSid", "AC_FAKE"), ("From", "whatsapp:+34600111222"), ("To", "whatsapp:+14155238886"),
         ("Body", text), ("ProfileName", "Ana"), ("WaId", "34600111222"), ("NumMedia", "0")]
    }

    @Test(arguments: TestBackend.allCases)
    func signedTwilioWebhooksAreStoredOnceAndReachTheBot(_ backend: TestBackend) async throws {
        let log = BotLog()
        var router = Router()
        router.post("/bot") { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.lowercased()] = field.value }
            log.requests.withLock { $0.append((headers, request.body)) }
            return HTTPResponse(status: .noContent)
        }
        // The same server plays Twilio's Messages API.
        router.post("/2010-04-01/Accounts/{account}/Messages.json") { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.lowercased()] = field.value }
            log.provider.withLock { $0.append((headers, request.body)) }
            return HTTPResponse(status: .created, headers: ["Content-Type": "application/json"], body: Array(#"{"sid":"SM_OUT_E2E","status":"queued"}"#.utf8))
        }
        var serverConfiguration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        serverConfiguration.eventLoopCount = 1
        let bot = HTTPServer(configuration: serverConfiguration, responder: router)
        let botPort = try bot.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-channels-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.databaseArgument(directory: directory.path, name: "channels.sqlite")

        let gateway = try BinaryRunner(
            ["serve", "--config", BinaryRunner.repositoryRoot.appendingPathComponent("examples/twilio-whatsapp.json").path,
             "--home", BinaryRunner.repositoryRoot.path, "--db", database, "--listen", "127.0.0.1:0"],
            directory: directory,
            environment: ["BOTBRIDGE_PUBLIC_URL": Self.publicURL, "BOT_URL": "http://127.0.0.1:\(botPort)/bot",
                          "BOT_SIGNING_SECRET": Self.botSecret, "TWILIO_ACCOUNT_SID": "AC_FAKE", "TWILIO_AUTH_TOKEN": Self.authToken,
                          "TWILIO_FROM": "whatsapp:+14155238886", "TWILIO_API_BASE": "http://127.0.0.1:\(botPort)"])
        let port = try await gateway.waitForListeningPort()
        let client = HTTPClient()
        let webhook = "http://127.0.0.1:\(port)/channels/wa/webhook"
        let signedURL = Self.publicURL + "/channels/wa/webhook"
        func post(_ form: [(String, String)], signature: String?, contentType: String = "application/x-www-form-urlencoded") async throws -> HTTPClientResponse {
            var headers = [(name: "Content-Type", value: contentType)]
            if let signature { headers.append((name: "X-Twilio-Signature", value: signature)) }
            return try await client.send(HTTPClientRequest(method: "POST", url: webhook, headers: headers, body: Self.formBody(form)))
        }

        // The same signed message three times at once: one stored message, one bot delivery.
        let form = Self.inbound("SM_E2E_1", text: "Hola, ¿hablo con un humano? 👋")
        let signature = Self.twilioSignature(url: signedURL, form: form)
        let answers = try await withThrowingTaskGroup(of: HTTPClientResponse.self) { group in
            for _ in 0..<3 { group.addTask { try await post(form, signature: signature) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0.status == 200 && $0.bodyText.contains("<Response/>") && $0.header("Content-Type") == "text/xml" })

        // Wrong, missing and unsigned-for-this-body signatures: refused, nothing stored.
        let forged = Self.inbound("SM_E2E_FORGED", text: "hi")
        #expect(try await post(forged, signature: signature).status == 403)
        #expect(try await post(forged, signature: nil).status == 401)
        #expect(try await post(forged, signature: "not base64!").status == 401)
        let json = try await post(forged, signature: Self.twilioSignature(url: signedURL, form: forged), contentType: "application/json")
        #expect([403, 415].contains(json.status))
        let unknown = try await client.send(HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/channels/nope/webhook", body: []))
        #expect(unknown.status == 404)
        #expect(unknown.bodyText.contains("unknown_channel"))

        // The bot got exactly one signed webhook with the message.
        let deadline = ContinuousClock.now + .seconds(10)
        while log.requests.withLock({ $0.isEmpty }), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .milliseconds(200))
        let received = log.requests.withLock { $0 }
        #expect(received.count == 1)
        let request = try #require(received.first)
        let verifier = StandardWebhooks.Verifier(secret: try StandardWebhooks.Secret(Self.botSecret))
        try verifier.verify(headers: request.headers, body: request.body)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
        #expect(body["text"] as? String == "Hola, ¿hablo con un humano? 👋")
        #expect(body["channel"] as? String == "wa")
        #expect((body["from"] as? [String: Any])?["name"] as? String == "Ana")
        #expect((body["conversation_id"] as? String)?.hasPrefix("conv_") == true)

        // The bot answers into the conversation; the reply reaches "Twilio" with its auth and form.
        let conversation = try #require(body["conversation_id"] as? String)
        let base = "http://127.0.0.1:\(port)"
        let key = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "messages.send")
        func reply(_ json: String, to id: String = conversation, contentType: String = "application/json") async throws -> HTTPClientResponse {
            try await client.send(HTTPClientRequest(method: "POST", url: base + "/v1/conversations/\(id)/messages",
                                                    headers: [("Content-Type", contentType), ("Authorization", "Bearer \(key)")], body: Array(json.utf8)))
        }
        let sent = try await reply(#"{"text":"¡Hola Ana! Te paso con alguien."}"#)
        #expect(sent.status == 202)
        #expect(sent.bodyText.contains(#""status":"queued""#))
        #expect(try await reply(#"{"text":""}"#).status == 422)
        #expect(try await reply(#"{"text":"x"}"#, to: "conv_unknown").status == 404)
        #expect(try await reply("{nope").status == 400)
        #expect(try await reply(#"{"text":"x"}"#, contentType: "text/plain").status == 415)
        let providerDeadline = ContinuousClock.now + .seconds(10)
        while log.provider.withLock({ $0.isEmpty }), ContinuousClock.now < providerDeadline { try await Task.sleep(for: .milliseconds(10)) }
        let outbound = try #require(log.provider.withLock { $0.first })
        #expect(outbound.headers["authorization"] == "Basic " + Data("AC_FAKE:\(Self.authToken)".utf8).base64EncodedString())
        let sentForm = String(decoding: outbound.body, as: UTF8.self)
        #expect(sentForm.contains("To=whatsapp%3A%2B34600111222"))
        #expect(sentForm.contains("Body=%C2%A1Hola+Ana%21+Te+paso+con+alguien."))
        #expect(sentForm.contains("StatusCallback=https%3A%2F%2Fbots.example.test%2Fchannels%2Fwa%2Fstatus"))

        // The CLI sees the bot delivery and the channel delivery, both done.
        var deliveries: [[String: Any]] = []
        for _ in 0..<200 {
            let (_, listing, _) = try await BinaryRunner.run(["deliveries", "list", "--db", database, "--json"], directory: directory)
            deliveries = (try? JSONSerialization.jsonObject(with: Data(listing.utf8)) as? [[String: Any]]) ?? []
            if deliveries.count == 2, deliveries.allSatisfy({ $0["status"] as? String == "done" }) { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(Set(deliveries.compactMap { $0["target"] as? String }) == ["bot:main", "channel:wa"])
        #expect(deliveries.allSatisfy { $0["status"] as? String == "done" })

        // Twilio's signed status callback (after its answer carrying the sid was recorded) moves the message to delivered.
        let status = [("MessageSid", "SM_OUT_E2E"), ("MessageStatus", "delivered"), ("AccountSid", "AC_FAKE")]
        let statusAnswer = try await client.send(HTTPClientRequest(
            method: "POST", url: base + "/channels/wa/status",
            headers: [("Content-Type", "application/x-www-form-urlencoded"),
                      ("X-Twilio-Signature", Self.twilioSignature(url: Self.publicURL + "/channels/wa/status", form: status))],
            body: Self.formBody(status)))
        #expect(statusAnswer.status == 200)

        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        #expect(!gateway.stderr.contains(Self.authToken))
        await client.shutdown()
        await bot.shutdown()

        let pool = try await GatewayUnderTest.openDatabase(database, in: directory)
        let messages = try await pool.read { db in
            try db.query("SELECT direction, status, provider_message_id FROM messages ORDER BY sequence").map {
                "\($0.string("direction")!):\($0.string("status")!):\($0.string("provider_message_id") ?? "-")"
            }
        }
        await pool.close()
        #expect(messages == ["inbound:received:SM_E2E_1", "outbound:delivered:SM_OUT_E2E"])
    }

    /// Refused before the database is opened: no backend to vary.
    @Test func aMissingEnvironmentVariableIsAConfigurationError() async throws {
        let (status, _, err) = try await BinaryRunner.run(
            ["serve", "--config", BinaryRunner.repositoryRoot.appendingPathComponent("examples/twilio-whatsapp.json").path,
             "--home", BinaryRunner.repositoryRoot.path, "--listen", "127.0.0.1:0"],
            environment: ["BOTBRIDGE_PUBLIC_URL": Self.publicURL])
        #expect(status == 78)
        #expect(err.contains("'bots[0].secret' uses ${BOT_SIGNING_SECRET}, which is not set in the environment"))
    }
}
