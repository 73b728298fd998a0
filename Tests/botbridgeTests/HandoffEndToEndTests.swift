import Bridge
import Foundation
import HTTP
import HTTPClient
import Signing
import Storage
import Synchronization
import Testing
import TestSupport

/// A French WhatsApp user through the real binary, the built-in FAQ bot (the sample knowledge
/// base imported at start-up) and a local contact center (`webhook` adapter, Standard Webhooks
/// both ways): the bot answers with an article, "je veux parler à un conseiller" opens a case and
/// the packet (whole transcript, knowledge-base suggestions) reaches the contact center, the user
/// gets the French notice; the agent joins, writes and resolves, and the next user message goes
/// to the bot again. Bad events are refused. Three fallbacks in a row also hand off.
@Suite struct HandoffEndToEndTests {
    static let ccSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let publicURL = GatewayUnderTest.publicURL
    static let sampleKB = BinaryRunner.repositoryRoot.appendingPathComponent("examples/kb").path

    /// Channel `wa` and contact center `desk` at the fake; a generic sync bot there too, or with
    /// `faq` the built-in FAQ bot over the sample knowledge base in a French shop.
    /// `centerExtra` adds fields to the contact center.
    static func config(faq: Bool = false, centerExtra: String = "", botExtra: String = "") -> String {
        let bot = faq
            ? #""default_locale": "fr", "knowledge_base": {"import": "\#(sampleKB)"}, "bots": [{"id": "faq", "adapter": "faq"}], "routing": {"rules": [{"queue": "conseil-fr", "locale": "fr", "channel": "wa"}]}"#
            : #""bots": [{"id": "main", "adapter": "generic", "url": "${FAKE}/bot", "mode": "sync"\#(botExtra)}]"#
        return """
        {"public_url": "\(publicURL)", \(bot),
         "channels": [{"id": "wa", "adapter": "twilio",
                       "settings": {"account_sid": "AC_FAKE", "auth_token": "fake_twilio_auth_token_0000",
                                    "from": "whatsapp:+14155238886", "api_base": "${FAKE}"}}],
         "contact_centers": [{"id": "desk", "adapter": "webhook", "url": "${FAKE}/cc", "secret": "\(ccSecret)"\(centerExtra)}]}
        """
    }

    final class Fake: Sendable {
        let botCalls = Mutex<[String]>([])
        let botTypes = Mutex<[String]>([])
        let packets = Mutex<[HTTPRequest]>([])
        let twilio = Mutex<[String]>([])
        var sends: [String] { twilio.withLock { $0 } }

        func start() throws -> (HTTPServer, Int) {
            var router = Router()
            router.post("/bot") { [self] request, _ in
                let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
                let text = body?["text"] as? String ?? ""
                botCalls.withLock { $0.append(text) }
                botTypes.withLock { $0.append(body?["type"] as? String ?? "") }
                let answer = try JSONSerialization.data(withJSONObject: ["messages": [["text": "Bot: vous avez écrit « \(text) »"]]])
                return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(answer))
            }
            router.post("/rasa") { [self] request, _ in
                let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
                let text = body?["message"] as? String ?? ""
                botCalls.withLock { $0.append(text) }
                let answer = try JSONSerialization.data(withJSONObject: [["recipient_id": body?["sender"] ?? "", "text": "Rasa heard: \(text)"]])
                return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(answer))
            }
            router.post("/cc") { [self] request, _ in
                packets.withLock { $0.append(request) }
                return HTTPResponse(status: .noContent)
            }
            router.post("/2010-04-01/Accounts/{account}/Messages.json") { [self] request, _ in
                let n = twilio.withLock { $0.append(String(decoding: request.body, as: UTF8.self)); return $0.count }
                return HTTPResponse(status: .created, headers: ["Content-Type": "application/json"], body: Array(#"{"sid":"SM_OUT_\#(n)"}"#.utf8))
            }
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.eventLoopCount = 1
            let server = HTTPServer(configuration: configuration, responder: router)
            return (server, try server.start())
        }
    }

    /// An event for contact center `desk`, signed with its secret.
    static func signedEvent(_ body: String, to gateway: GatewayUnderTest) async throws -> HTTPClientResponse {
        let signed = StandardWebhooks.Signer(secret: try StandardWebhooks.Secret(ccSecret))
            .sign(id: "evt_\(UUID().uuidString)", timestamp: Int64(Date().timeIntervalSince1970), body: Array(body.utf8))
        return try await gateway.client.send(HTTPClientRequest(
            method: "POST", url: gateway.base + "/contact-centers/desk/events",
            headers: [("Content-Type", "application/json"), ("webhook-id", signed.id), ("webhook-timestamp", signed.timestamp),
                      ("webhook-signature", signed.signature)], body: Array(body.utf8)))
    }

    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(condition(), "\(what)")
    }

    @Test(arguments: TestBackend.allCases)
    func aFrenchUserAsksForAnAdvisorAndComesBackToTheBot(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: Self.config(faq: true), fakePort: fakePort, backend: backend)
        defer { gateway.removeDirectory() }
        let client = gateway.client
        func inbound(_ sid: String, _ text: String) async throws {
            try await gateway.inbound(sid, from: "whatsapp:+33612345678", text, profileName: "Léa")
        }
        let signer = StandardWebhooks.Signer(secret: try StandardWebhooks.Secret(Self.ccSecret))
        func event(_ json: String, id: String = "evt_\(UUID().uuidString)", signed: Bool = true) async throws -> HTTPClientResponse {
            var headers = [("Content-Type", "application/json")]
            if signed {
                let h = signer.sign(id: id, timestamp: Int64(Date().timeIntervalSince1970), body: Array(json.utf8))
                headers += [("webhook-id", h.id), ("webhook-timestamp", h.timestamp), ("webhook-signature", h.signature)]
            }
            return try await client.send(HTTPClientRequest(method: "POST", url: gateway.base + "/contact-centers/desk/events",
                                                           headers: headers.map { (name: $0.0, value: $0.1) }, body: Array(json.utf8)))
        }

        // 1. A question about a return: the FAQ bot answers with the French article and its link.
        try await inbound("SM_H_1", "Comment retourner un article ?")
        try await Self.eventually("the bot's answer") { fake.sends.count == 1 }
        #expect(fake.sends[0].contains("Comment+retourner+un+article"))
        #expect(fake.sends[0].contains("https%3A%2F%2Fhelp.lanterne-shop.example%2Ffr%2Freturn-item"))
        // 2. Asking for an advisor: a case, the packet, the French notice (and nothing from the bot).
        try await inbound("SM_H_2", "je veux parler à un conseiller")
        try await Self.eventually("the packet") { fake.packets.withLock { $0.count } == 1 }
        try await Self.eventually("the handoff notice") { fake.sends.count == 2 }
        let packetRequest = try #require(fake.packets.withLock { $0.first })
        var headers: [String: String] = [:]
        for field in packetRequest.headers { headers[field.name.lowercased()] = field.value }
        try StandardWebhooks.Verifier(secret: try StandardWebhooks.Secret(Self.ccSecret)).verify(headers: headers, body: packetRequest.body)
        let packet = try #require(try JSONSerialization.jsonObject(with: Data(packetRequest.body)) as? [String: Any])
        #expect(packet["type"] as? String == "handoff")
        let caseID = try #require(packet["case_id"] as? String)
        #expect((packet["reason"] as? String)?.contains("conseiller") == true)
        let transcript = try #require(packet["transcript"] as? [[String: Any]])
        #expect(transcript.map { $0["author"] as? String } == ["user", "bot", "user"])
        #expect(transcript.first?["text"] as? String == "Comment retourner un article ?")
        let suggestions = try #require(packet["suggestions"] as? [[String: Any]])
        #expect(suggestions.first?["id"] as? String == "return-item")
        #expect((packet["user"] as? [String: Any])?["name"] as? String == "Léa")
        #expect((packet["routing"] as? [String: Any])?["channel"] as? String == "wa")
        #expect((packet["routing"] as? [String: Any])?["queue"] as? String == "conseil-fr", "the routing rule for French WhatsApp")
        #expect(fake.sends[1].contains("je+vous+mets+en+relation+avec+un+conseiller"), "Twilio has no locale: the shop's default, French")
        #expect(fake.sends[1].contains(caseID))
        #expect(fake.sends[1].contains("fr%2Freturn-item"), "the notice suggests the article")

        // 3. While queued, the user's messages go to the contact center, not the bot.
        try await inbound("SM_H_3", "Bonjour ?")
        try await Self.eventually("the forwarded message") { fake.packets.withLock { $0.count } == 2 }
        let forwarded = try #require(try JSONSerialization.jsonObject(with: Data(fake.packets.withLock { $0[1].body })) as? [String: Any])
        #expect(forwarded["type"] as? String == "user.message")
        #expect(forwarded["case_id"] as? String == caseID)
        #expect(forwarded["text"] as? String == "Bonjour ?")

        // 4. Bad events: unsigned 401, unknown case 404, unknown type 422, illegal transition 409.
        #expect(try await event(#"{"type":"agent.joined","case_id":"\#(caseID)"}"#, signed: false).status == 401)
        #expect(try await event(#"{"type":"agent.joined","case_id":"case_nope"}"#).status == 404)
        #expect(try await event(#"{"type":"agent.dance","case_id":"\#(caseID)"}"#).status == 422)
        #expect(try await event(#"{"type":"agent.message","case_id":"\#(caseID)"}"#).status == 422, "a message needs a text")

        // 5. The agent joins, writes (sent once even if the event is delivered twice), resolves.
        #expect(try await event(#"{"type":"agent.joined","case_id":"\#(caseID)","agent":{"name":"Camille"}}"#).status == 200)
        let reply = #"{"type":"agent.message","case_id":"\#(caseID)","text":"Bonjour Léa, je regarde votre retour."}"#
        #expect(try await event(reply, id: "evt_reply_1").status == 200)
        let again = try await event(reply, id: "evt_reply_1")
        #expect(again.status == 200 && again.bodyText.contains("duplicate"))
        #expect(try await event(#"{"type":"case.resolved","case_id":"\#(caseID)"}"#).status == 200)
        #expect(try await event(#"{"type":"agent.message","case_id":"\#(caseID)","text":"late"}"#).status == 409)
        try await Self.eventually("joined, reply, resolved notices") { fake.sends.count == 5 }
        #expect(fake.sends[2].contains("Camille+a+rejoint+la+conversation"))
        #expect(fake.sends[3].contains("Bonjour+L%C3%A9a%2C+je+regarde+votre+retour."))
        #expect(fake.sends[4].contains("est+r%C3%A9solu"))

        // 6. Back with the bot, which answers the next question.
        try await inbound("SM_H_4", "Quand serai-je remboursé ?")
        try await Self.eventually("the bot's answer") { fake.sends.count == 6 }
        #expect(fake.sends[5].contains("fr%2Frefund-status"))
        #expect(fake.packets.withLock { $0.count } == 2, "nothing more for the contact center")

        try await gateway.stop()
        await server.shutdown()
        let pool = try await gateway.openDatabase()
        let states = try await pool.read { db in
            try db.query("SELECT text, payload FROM messages WHERE type = 'state_changed' ORDER BY sequence").map { $0.string("payload") ?? "" }
        }
        #expect(states.count == 3)
        #expect(states.map { $0.contains(#""to":"queued""#) } == [true, false, false])
        #expect(states[1].contains(#""to":"agent""#) && states[2].contains(#""to":"bot""#))
        let caseRow = try await pool.read { db in try db.queryRow("SELECT state, agent, detector FROM cases WHERE public_id = ?", caseID) }
        #expect(caseRow?.string("state") == "resolved")
        #expect(caseRow?.string("agent") == "Camille")
        #expect(caseRow?.string("detector") == "phrase")
        await pool.close()
    }

    @Test(arguments: TestBackend.allCases) func theHandoffAndHandbackRoutes(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: Self.config(), fakePort: fakePort, backend: backend)
        defer { gateway.removeDirectory() }
        let key = try await gateway.createKey(scopes: "conversations.read,conversations.write")
        let reader = try await gateway.createKey(scopes: "conversations.read")
        let client = gateway.client
        try await gateway.inbound("SM_API_1", from: "whatsapp:+33600000009", "Hello")
        let list = try await client.send(HTTPClientRequest(url: gateway.base + "/v1/conversations", headers: [("Authorization", "Bearer \(key)")]))
        let conversations = try #require((try JSONSerialization.jsonObject(with: Data(list.body)) as? [String: Any])?["conversations"] as? [[String: Any]])
        let id = try #require(conversations.first?["id"] as? String)
        func post(_ path: String, _ body: String = "", key: String = key) async throws -> HTTPClientResponse {
            try await client.send(HTTPClientRequest(method: "POST", url: gateway.base + "/v1/conversations/\(path)",
                                                    headers: [("Authorization", "Bearer \(key)"), ("Content-Type", "application/json")],
                                                    body: Array(body.utf8)))
        }
        #expect(try await post("\(id)/handoff", #"{"reason":"refund over 500 EUR"}"#, key: reader).status == 403)
        #expect(try await post("conv_nope/handoff").status == 404)
        #expect(try await post("\(id)/handoff", #"{"skills":"billing"}"#).status == 422, "skills must be a list")
        #expect(try await post("\(id)/handback").status == 409, "with the bot already")
        let handoff = try await post("\(id)/handoff", #"{"reason":"refund over 500 EUR","skills":["billing"]}"#)
        #expect(handoff.status == 201)
        #expect(handoff.bodyText.contains("case_"))
        #expect(try await post("\(id)/handoff").status == 409, "already queued")
        try await Self.eventually("the packet") { fake.packets.withLock { $0.count } == 1 }
        let packet = try #require(try JSONSerialization.jsonObject(with: Data(fake.packets.withLock { $0[0].body })) as? [String: Any])
        #expect(packet["reason"] as? String == "refund over 500 EUR")
        #expect((packet["routing"] as? [String: Any])?["skills"] as? [String] == ["billing"])
        #expect(packet["detector"] as? String == "api")
        let back = try await post("\(id)/handback")
        #expect(back.status == 200)
        #expect(try await post("\(id)/handback").status == 409)

        try await gateway.stop()
        await server.shutdown()
    }

    @Test(arguments: TestBackend.allCases)
    func noAgentInTimeSendsTheNoticeAndGivesTheConversationBackToTheBot(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(
            config: Self.config(centerExtra: #", "no_agent_after_seconds": 1, "no_agent_fallback": "bot""#), fakePort: fakePort,
            backend: backend)
        defer { gateway.removeDirectory() }
        func inbound(_ sid: String, _ text: String) async throws {
            try await gateway.inbound(sid, from: "whatsapp:+33600000010", text)
        }
        try await inbound("SM_NA_1", "/agent")
        try await Self.eventually("the handoff notice") { fake.sends.count == 1 }
        try await Self.eventually("the no-agent notice, about a second later") { fake.sends.count == 2 }
        #expect(fake.sends[1].contains("no+one+from+our+team+is+available"))
        #expect(fake.sends[1].contains("Our+assistant+will+keep+helping"))
        try await inbound("SM_NA_2", "ok then")
        try await Self.eventually("the bot has it again") { fake.botCalls.withLock { $0 } == ["ok then"] }
        try await Task.sleep(for: .milliseconds(1500))
        #expect(fake.sends.count == 3, "one notice only, then the bot's answer")

        try await gateway.stop()
        await server.shutdown()
    }

    /// The FAQ bot does not understand three times in a row: each time the French fallback
    /// notice, and at the third a handoff with detector `fallbacks`. Back with the bot, the count
    /// starts again.
    @Test(arguments: TestBackend.allCases) func threeFallbacksInARowHandOff(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: Self.config(faq: true), fakePort: fakePort, backend: backend)
        defer { gateway.removeDirectory() }
        func inbound(_ sid: String, _ text: String) async throws {
            try await gateway.inbound(sid, from: "whatsapp:+33600000011", text)
        }
        try await inbound("SM_FB_1", "Quel temps fait-il à Lyon ?")
        try await Self.eventually("the first fallback") { fake.sends.count == 1 }
        #expect(fake.sends[0].contains("D%C3%A9sol%C3%A9%2C+je+n%27ai+pas+compris"))
        try await inbound("SM_FB_2", "Et demain, il pleut ?")
        try await Self.eventually("the second fallback") { fake.sends.count == 2 }
        #expect(fake.packets.withLock { $0.count } == 0)
        try await inbound("SM_FB_3", "Vous connaissez un bon restaurant ?")
        try await Self.eventually("the third fallback and the handoff notice") { fake.sends.count == 4 }
        try await Self.eventually("the packet") { fake.packets.withLock { $0.count } == 1 }
        #expect(fake.sends[2].contains("D%C3%A9sol%C3%A9"))
        #expect(fake.sends[3].contains("je+vous+mets+en+relation"))
        let packet = try #require(try JSONSerialization.jsonObject(with: Data(fake.packets.withLock { $0[0].body })) as? [String: Any])
        #expect(packet["detector"] as? String == "fallbacks")
        let transcript = try #require(packet["transcript"] as? [[String: Any]])
        #expect(transcript.map { $0["author"] as? String } == ["user", "system", "user", "system", "user", "system"])

        // Handed back, one more fallback is only a fallback: the count starts again.
        let conversation = try await gateway.openDatabase()
        let caseID = try await conversation.read { db in try db.scalar("SELECT public_id FROM cases").string }
        await conversation.close()
        let resolved = try await Self.signedEvent(#"{"type":"case.resolved","case_id":"\#(caseID ?? "")"}"#, to: gateway)
        #expect(resolved.status == 200)
        try await Self.eventually("the resolved notice") { fake.sends.count == 5 }
        try await inbound("SM_FB_4", "Et la météo à Paris ?")
        try await Self.eventually("a fallback") { fake.sends.count == 6 }
        try await Task.sleep(for: .milliseconds(500))
        #expect(fake.sends.count == 6, "no second handoff")
        #expect(fake.packets.withLock { $0.count } == 1)

        try await gateway.stop()
        await server.shutdown()
    }

    /// Configuration errors, refused before anything is stored: no backend to vary.
    @Test func builtInPartsRefuseBadConfiguration() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-builtin-config-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (config, complaint) in [
            (#"{"bots": [{"id": "faq", "adapter": "faq", "url": "http://127.0.0.1:9/"}]}"#, "bots[0].url"),
            (#"{"bots": [{"id": "faq", "adapter": "faq", "settings": {"min_score": "-1"}}]}"#, "bots[0].settings.min_score"),
            (#"{"contact_centers": [{"id": "c", "adapter": "log", "url": "http://127.0.0.1:9/"}]}"#, "contact_centers[0].url"),
            (#"{"knowledge_base": {"path": "kb"}}"#, "knowledge_base.path"),
            (#"{"knowledge_base": {"import": 7}}"#, "knowledge_base.import"),
            (#"{"knowledge_base": {"import": ["no-such-folder"]}}"#, "knowledge_base.import"),
        ] {
            try Data(config.utf8).write(to: directory.appendingPathComponent("botbridge.json"))
            let (status, _, stderr) = try await BinaryRunner.run(["serve", "--config", "botbridge.json", "--home", BinaryRunner.repositoryRoot.path,
                                                                  "--listen", "127.0.0.1:0"], directory: directory)
            #expect(status == 78, "\(config)")
            #expect(stderr.contains(complaint), "\(stderr)")
        }
    }

    /// `examples/contact-center.json` as it is: a Rasa bot, the webhook contact center signed
    /// both ways with `CONTACT_CENTER_SECRET`, the sample knowledge base imported at start-up.
    @Test(arguments: TestBackend.allCases) func theContactCenterExampleRunsAsItIs(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let fakeURL = "http://127.0.0.1:\(fakePort)"
        let gateway = try await GatewayUnderTest.start(
            configFile: BinaryRunner.repositoryRoot.appendingPathComponent("examples/contact-center.json").path, fakePort: fakePort,
            environment: ["BOTBRIDGE_PUBLIC_URL": Self.publicURL, "BOT_URL": fakeURL + "/rasa", "BOT_SIGNING_SECRET": ChannelsEndToEndTests.botSecret,
                          "TWILIO_ACCOUNT_SID": "AC_FAKE", "TWILIO_AUTH_TOKEN": "fake_twilio_auth_token_0000",
                          "TWILIO_FROM": "whatsapp:+14155238886", "TWILIO_API_BASE": fakeURL,
                          "CONTACT_CENTER_URL": fakeURL + "/cc", "CONTACT_CENTER_SECRET": Self.ccSecret], backend: backend)
        defer { gateway.removeDirectory() }
        #expect(gateway.runner.stderr.contains(#"msg="knowledge base imported" articles=12"#))
        try await gateway.inbound("SM_EX_1", from: "whatsapp:+447700900123", "Where is my parcel?")
        try await Self.eventually("Rasa's answer") { fake.sends.count == 1 }
        #expect(fake.sends[0].contains("Rasa+heard%3A+Where+is+my+parcel%3F"))
        try await gateway.inbound("SM_EX_2", from: "whatsapp:+447700900123", "I want to talk to a human")
        try await Self.eventually("the packet") { fake.packets.withLock { $0.count } == 1 }
        #expect(fake.botCalls.withLock { $0 } == ["Where is my parcel?"])
        let packetRequest = try #require(fake.packets.withLock { $0.first })
        var headers: [String: String] = [:]
        for field in packetRequest.headers { headers[field.name.lowercased()] = field.value }
        try StandardWebhooks.Verifier(secret: try StandardWebhooks.Secret(Self.ccSecret)).verify(headers: headers, body: packetRequest.body)
        let packet = try #require(try JSONSerialization.jsonObject(with: Data(packetRequest.body)) as? [String: Any])
        let caseID = try #require(packet["case_id"] as? String)
        #expect((packet["suggestions"] as? [[String: Any]])?.first?["id"] as? String == "track-order")

        let joined = try await Self.signedEvent(#"{"type":"agent.joined","case_id":"\#(caseID)","agent":{"name":"Sam"}}"#, to: gateway)
        #expect(joined.status == 200)
        try await Self.eventually("handoff and joined notices") { fake.sends.count == 3 }
        #expect(fake.sends[2].contains("Sam+from+our+team+has+joined"))

        try await gateway.stop()
        await server.shutdown()
    }

    /// A bot with `"standby": true` still hears the user while an agent has the conversation
    /// (marked standby), and nothing it answers then reaches the user.
    @Test(arguments: TestBackend.allCases)
    func aStandbyBotListensWhilePeopleHoldTheConversation(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: Self.config(botExtra: #", "standby": true"#), fakePort: fakePort, backend: backend)
        defer { gateway.removeDirectory() }
        try await gateway.inbound("SM_SB_1", from: "whatsapp:+33600000012", "Bonjour")
        try await Self.eventually("the bot's answer") { fake.sends.count == 1 }
        try await gateway.inbound("SM_SB_2", from: "whatsapp:+33600000012", "/agent")
        try await Self.eventually("the handoff notice") { fake.sends.count == 2 }
        try await gateway.inbound("SM_SB_3", from: "whatsapp:+33600000012", "Toujours là ?")
        try await Self.eventually("forwarded to the contact center") { fake.packets.withLock { $0.count } == 2 }
        try await Self.eventually("and heard by the bot") { fake.botTypes.withLock { $0 } == ["message", "standby"] }
        #expect(fake.botCalls.withLock { $0 } == ["Bonjour", "Toujours là ?"])
        try await Task.sleep(for: .milliseconds(500))
        #expect(fake.sends.count == 2, "the bot's standby answer is not sent")

        try await gateway.stop()
        await server.shutdown()
    }
}
