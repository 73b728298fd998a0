import Bridge
import Foundation
import HTTP
import HTTPClient
import Signing
import Synchronization
import Testing
import TestSupport

/// The seed pattern on `examples/braze-pattern.json` as it is: a WhatsApp message reaches a
/// silent bot with Braze's webhook body; the bot answers later with the exact curl body of
/// Braze's WhatsApp recipe to `/campaigns/trigger/send`; the reply leaves through Twilio.
@Suite struct BrazePatternEndToEndTests {
    @Test(arguments: TestBackend.allCases) func aSilentBotAnswersThroughCampaignTriggerSend(_ backend: TestBackend) async throws {
        let webhooks = Mutex<[HTTPRequest]>([])
        let sends = Mutex<[String]>([])
        var router = Router()
        router.post("/bot") { request, _ in
            webhooks.withLock { $0.append(request) }
            return HTTPResponse(status: .ok) // the bot stays silent: its answer is ignored (async)
        }
        router.post("/2010-04-01/Accounts/{account}/Messages.json") { request, _ in
            let n = sends.withLock { $0.append(String(decoding: request.body, as: UTF8.self)); return $0.count }
            return HTTPResponse(status: .created, headers: ["Content-Type": "application/json"], body: Array(#"{"sid":"SM_BRAZE_\#(n)"}"#.utf8))
        }
        var serverConfiguration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        serverConfiguration.eventLoopCount = 1
        let fake = HTTPServer(configuration: serverConfiguration, responder: router)
        let fakePort = try fake.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-braze-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.databaseArgument(directory: directory.path, name: "braze.sqlite")
        let gateway = try BinaryRunner(
            ["serve", "--config", BinaryRunner.repositoryRoot.appendingPathComponent("examples/braze-pattern.json").path,
             "--home", BinaryRunner.repositoryRoot.path, "--db", database, "--listen", "127.0.0.1:0"],
            directory: directory,
            environment: ["BOTBRIDGE_PUBLIC_URL": ChannelsEndToEndTests.publicURL, "BOT_URL": "http://127.0.0.1:\(fakePort)/bot",
                          "BOT_SIGNING_SECRET": ChannelsEndToEndTests.botSecret, "TWILIO_ACCOUNT_SID": "AC_FAKE",
                          "TWILIO_AUTH_TOKEN": ChannelsEndToEndTests.authToken, "TWILIO_FROM": "whatsapp:+14155238886",
                          "TWILIO_API_BASE": "http://127.0.0.1:\(fakePort)"])
        let port = try await gateway.waitForListeningPort()
        let base = "http://127.0.0.1:\(port)"
        let client = HTTPClient()
        let key = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "campaigns.trigger.send,conversations.read")
        let weak = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "messages.send")

        let form = ChannelsEndToEndTests.inbound("SM_BZ_1", text: "¿Dónde está mi pedido \"123\"?")
        let signature = ChannelsEndToEndTests.twilioSignature(url: ChannelsEndToEndTests.publicURL + "/channels/wa/webhook", form: form)
        let inbound = try await client.send(HTTPClientRequest(method: "POST", url: base + "/channels/wa/webhook",
                                                              headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
                                                              body: ChannelsEndToEndTests.formBody(form)))
        #expect(inbound.status == 200)
        let deadline = ContinuousClock.now + .seconds(10)
        while webhooks.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let webhook = try #require(webhooks.withLock { $0.first })
        var headers: [String: String] = [:]
        for field in webhook.headers { headers[field.name.lowercased()] = field.value }
        try StandardWebhooks.Verifier(secret: try StandardWebhooks.Secret(ChannelsEndToEndTests.botSecret)).verify(headers: headers, body: webhook.body)
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(webhook.body)) as? [String: String])
        #expect(Set(payload.keys) == ["user_id", "phone_number", "message"])
        #expect(payload["message"] == "¿Dónde está mi pedido \"123\"?")
        #expect(payload["phone_number"] == "+34600111222")
        let userID = try #require(payload["user_id"])

        func trigger(_ body: String, key: String = key, idempotency: String? = nil) async throws -> HTTPClientResponse {
            var headers = [("Content-Type", "application/json"), ("Authorization", "Bearer \(key)")]
            if let idempotency { headers.append(("Idempotency-Key", idempotency)) }
            return try await client.send(HTTPClientRequest(method: "POST", url: base + "/campaigns/trigger/send", headers: headers.map { (name: $0.0, value: $0.1) },
                                                           body: Array(body.utf8)))
        }
        // The exact body of Braze's WhatsApp recipe.
        let recipe = #"{"campaign_id": "bot-reply", "recipients": [{"external_user_id": "\#(userID)", "trigger_properties": {"external_system_msg_body": "Tu pedido 123 sale hoy 🚚"}}]}"#
        let accepted = try await trigger(recipe, idempotency: "reply-1")
        #expect(accepted.status == 201)
        let answer = try #require(try JSONSerialization.jsonObject(with: Data(accepted.body)) as? [String: Any])
        #expect(answer["message"] as? String == "success")
        #expect((answer["dispatch_id"] as? String)?.hasPrefix("dsp_") == true)
        #expect(answer["errors"] == nil)
        // The same key and body again: the same answer, nothing sent twice. A different body: 422.
        let replayed = try await trigger(recipe, idempotency: "reply-1")
        #expect(replayed.status == 201)
        #expect(replayed.body == accepted.body)
        #expect(try await trigger(recipe.replacingOccurrences(of: "sale hoy", with: "llega mañana"), idempotency: "reply-1").status == 422)

        // Braze's fatal errors, in Braze's shape, with nothing sent.
        let unknown = try await trigger(#"{"campaign_id": "nope", "recipients": [{"external_user_id": "\#(userID)"}]}"#)
        #expect(unknown.status == 400)
        #expect(unknown.bodyText.contains(#""message":"Invalid campaign_id"#))
        let many = (0...50).map { #"{"external_user_id": "u\#($0)"}"# }.joined(separator: ",")
        let tooMany = try await trigger(#"{"campaign_id": "bot-reply", "recipients": [\#(many)]}"#)
        #expect(tooMany.status == 400)
        #expect(tooMany.bodyText.contains("too many recipients"))
        #expect(try await trigger(#"{"campaign_id": "bot-reply"}"#).status == 400)
        #expect(try await trigger(#"{"campaign_id": "bot-reply", "broadcast": true}"#).status == 400)
        #expect(try await trigger(recipe, key: weak).status == 403)
        #expect(try await trigger(recipe, key: "bbk_x_y").status == 401)
        let partial = try await trigger(#"{"campaign_id": "bot-reply", "recipients": [{"external_user_id": "\#(userID)", "trigger_properties": {"external_system_msg_body": "¿Algo más?"}}, {"external_user_id": "someone-else"}]}"#)
        #expect(partial.status == 201)
        #expect(partial.bodyText.contains("no user with external_user_id 'someone-else'"))

        // Two sends reached "Twilio", in order; the conversation shows them with their status.
        let sendDeadline = ContinuousClock.now + .seconds(10)
        while sends.withLock({ $0.count }) < 2 && ContinuousClock.now < sendDeadline { try await Task.sleep(for: .milliseconds(20)) }
        let sent = sends.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent.first?.contains("Body=Tu+pedido+123+sale+hoy+%F0%9F%9A%9A") == true)
        #expect(sent.last?.contains("Body=%C2%BFAlgo+m%C3%A1s%3F") == true)
        let sentEntry = try #require((answer["sent"] as? [[String: Any]])?.first)
        let conversation = try #require(sentEntry["conversation_id"] as? String)
        let view = try await client.send(HTTPClientRequest(url: base + "/v1/conversations/\(conversation)", headers: [("Authorization", "Bearer \(key)")]))
        #expect(view.status == 200)
        let messages = try #require((try JSONSerialization.jsonObject(with: Data(view.body)) as? [String: Any])?["messages"] as? [[String: Any]])
        #expect(messages.map { $0["direction"] as? String } == ["inbound", "outbound", "outbound"])
        #expect(messages[1]["id"] as? String == (sentEntry["message_ids"] as? [String])?.first)
        #expect(messages[1]["dispatch_id"] as? String == answer["dispatch_id"] as? String)

        // A key limited to 1 request/s (2 s of burst): the third call at once is 429 in Braze's
        // shape, with Retry-After and the rate headers, and sends nothing.
        let slow = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "campaigns.trigger.send", rate: "1")
        let noRecipients = #"{"campaign_id": "bot-reply", "recipients": [{"external_user_id": "nobody-here"}]}"#
        #expect(try await trigger(noRecipients, key: slow).status == 201)
        #expect(try await trigger(noRecipients, key: slow).status == 201)
        let limited = try await trigger(recipe, key: slow)
        #expect(limited.status == 429)
        #expect(limited.header("Retry-After") == "1")
        #expect(limited.header("X-RateLimit-Limit") == "2")
        #expect(limited.header("X-RateLimit-Remaining") == "0")
        let limitedBody = try #require(try JSONSerialization.jsonObject(with: Data(limited.body)) as? [String: Any])
        #expect((limitedBody["message"] as? String)?.contains("rate limit") == true)
        #expect(limitedBody["errors"] is [Any])
        try await Task.sleep(for: .milliseconds(300))
        #expect(sends.withLock { $0.count } == 2, "the limited call sent nothing")

        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        await client.shutdown()
        await fake.shutdown()
    }
}
