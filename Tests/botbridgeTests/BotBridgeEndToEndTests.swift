import Bridge
import Foundation
import HTTP
import HTTPClient
import Signing
import Storage
import Synchronization
import Testing
import TestSupport

/// Twilio WhatsApp messages through the real binary to real local bots — one answering as
/// Rasa's REST channel, one as an OpenAI-compatible chat-completions endpoint — chosen by
/// keyword, with their synchronous replies sent back through the channel in order.
@Suite struct BotBridgeEndToEndTests {
    static let authToken = "fake_twilio_auth_token_0000"
    static let botSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let publicURL = "https://gw.example.test"

    static let config = #"""
    {"public_url": "https://gw.example.test",
     "bots": [
       {"id": "rasa", "adapter": "rasa", "url": "${FAKE}/webhooks/rest/webhook", "secret": "${BOT_SECRET}", "triggers": ["order", "/\\bpedido\\b/i"]},
       {"id": "llm", "adapter": "openai-chat", "url": "${FAKE}/v1/chat/completions", "secret": "${BOT_SECRET}",
        "headers": {"Authorization": "Bearer fake-openai-key"}, "settings": {"model": "test-model"}, "default": true}
     ],
     "channels": [
       {"id": "wa", "adapter": "twilio",
        "settings": {"account_sid": "AC_FAKE", "auth_token": "fake_twilio_auth_token_0000", "from": "whatsapp:+14155238886", "api_base": "${FAKE}"}}
     ]}
    """#

    final class Log: Sendable {
        let rasa = Mutex<[HTTPRequest]>([])
        let llm = Mutex<[HTTPRequest]>([])
        let twilio = Mutex<[String]>([])
    }

    static func fakeServer(_ log: Log) throws -> (HTTPServer, Int) {
        var router = Router()
        router.post("/webhooks/rest/webhook") { request, _ in
            log.rasa.withLock { $0.append(request) }
            let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
            let sender = body?["sender"] as? String ?? ""
            let answer = #"[{"recipient_id":"\#(sender)","text":"Your order 1234 ships today."},{"recipient_id":"\#(sender)","text":"Anything else?","buttons":[{"title":"Talk to a person","payload":"/handoff"}]}]"#
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(answer.utf8))
        }
        router.post("/v1/chat/completions") { request, _ in
            log.llm.withLock { $0.append(request) }
            guard request.headers["Authorization"] == "Bearer fake-openai-key" else { return HTTPResponse(status: .unauthorized) }
            let answer = #"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Hi Ana! How can I help?"},"finish_reason":"stop"}]}"#
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(answer.utf8))
        }
        router.post("/2010-04-01/Accounts/{account}/Messages.json") { request, _ in
            let count = log.twilio.withLock { sends in
                sends.append(String(decoding: request.body, as: UTF8.self))
                return sends.count
            }
            return HTTPResponse(status: .created, headers: ["Content-Type": "application/json"], body: Array(#"{"sid":"SM_OUT_\#(count)"}"#.utf8))
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, responder: router)
        return (server, try server.start())
    }

    static func form(_ sid: String, _ text: String) -> [(String, String)] {
        [("MessageSid", sid), ("AccountSid", "AC_FAKE"), ("From", "whatsapp:+34600111222"), ("To", "whatsapp:+14155238886"),
         ("Body", text), ("ProfileName", "Ana"), ("WaId", "34600111222"), ("NumMedia", "0")]
    }

    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(condition(), "\(what)")
    }

    @Test(arguments: TestBackend.allCases)
    func keywordRoutedMessagesReachTheirBotsAndSyncRepliesGoOutInOrder(_ backend: TestBackend) async throws {
        let log = Log()
        let (fake, fakePort) = try Self.fakeServer(log)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-bots-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data(Self.config.utf8).write(to: directory.appendingPathComponent("botbridge.json"))
        let database = try await backend.databaseArgument(directory: directory.path)
        let gateway = try BinaryRunner(["serve", "--config", "botbridge.json", "--home", BinaryRunner.repositoryRoot.path, "--listen", "127.0.0.1:0",
                                        "--db", database],
                                       directory: directory,
                                       environment: ["FAKE": "http://127.0.0.1:\(fakePort)", "BOT_SECRET": Self.botSecret])
        let port = try await gateway.waitForListeningPort()
        let client = HTTPClient()
        func inbound(_ sid: String, _ text: String) async throws {
            let form = Self.form(sid, text)
            let signature = ChannelsEndToEndTests.twilioSignature(url: Self.publicURL + "/channels/wa/webhook", form: form)
            let answer = try await client.send(HTTPClientRequest(
                method: "POST", url: "http://127.0.0.1:\(port)/channels/wa/webhook",
                headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
                body: ChannelsEndToEndTests.formBody(form)))
            #expect(answer.status == 200)
        }

        // "order" goes to the Rasa bot; its two replies come back out through Twilio, in order.
        try await inbound("SM_B_1", "Where is my order?")
        try await Self.eventually("two sends to Twilio") { log.twilio.withLock { $0.count } == 2 }
        // Anything else goes to the default (OpenAI-style) bot, with the conversation so far.
        try await inbound("SM_B_2", "thanks, that's all")
        try await Self.eventually("the third send") { log.twilio.withLock { $0.count } == 3 }

        let rasa = try #require(log.rasa.withLock { $0.first })
        let verifier = StandardWebhooks.Verifier(secret: try StandardWebhooks.Secret(Self.botSecret))
        var rasaHeaders: [String: String] = [:]
        for field in rasa.headers { rasaHeaders[field.name.lowercased()] = field.value }
        try verifier.verify(headers: rasaHeaders, body: rasa.body)
        let rasaBody = try #require(try JSONSerialization.jsonObject(with: Data(rasa.body)) as? [String: Any])
        #expect(rasaBody["message"] as? String == "Where is my order?")
        #expect((rasaBody["sender"] as? String)?.hasPrefix("usr_") == true)
        #expect(log.rasa.withLock { $0.count } == 1)

        let llm = try #require(log.llm.withLock { $0.first })
        let llmBody = try #require(try JSONSerialization.jsonObject(with: Data(llm.body)) as? [String: Any])
        #expect(llmBody["model"] as? String == "test-model")
        let turns = try #require(llmBody["messages"] as? [[String: String]])
        #expect(turns.first?["role"] == "system")
        #expect(turns.first?["content"]?.contains("customer assistant") == true)
        #expect(turns.dropFirst().map { "\($0["role"]!): \($0["content"]!)" } == [
            "user: Where is my order?", "assistant: Your order 1234 ships today.", "assistant: Anything else?",
            "user: thanks, that's all",
        ])

        let sends = log.twilio.withLock { $0 }
        #expect(sends[0].contains("Body=Your+order+1234+ships+today."))
        #expect(sends[1].contains("Body=Anything+else%3F"))
        #expect(sends[2].contains("Body=Hi+Ana%21+How+can+I+help%3F"))
        #expect(sends.allSatisfy { $0.contains("To=whatsapp%3A%2B34600111222") })

        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        await client.shutdown()
        await fake.shutdown()

        let pool = try await GatewayUnderTest.openDatabase(database, in: directory)
        let transcript = try await pool.read { db in
            try db.query("SELECT direction, author_kind, author_id, text, payload FROM messages ORDER BY sequence").map {
                "\($0.string("direction")!)/\($0.string("author_kind")!)/\($0.string("author_id") ?? "-"): \($0.string("text") ?? "")"
            }
        }
        let suggestions = try await pool.read { db in
            try db.scalar("SELECT payload FROM messages WHERE text = 'Anything else?'").string
        }
        await pool.close()
        #expect(transcript.count == 5)
        #expect(transcript[1] == "outbound/bot/rasa: Your order 1234 ships today.")
        #expect(transcript[4] == "outbound/bot/llm: Hi Ana! How can I help?")
        #expect(suggestions?.contains(#""postback":"/handoff""#) == true)
    }
}
