import Bridge
import Foundation
import HTTP
import HTTPClient
import Signing
import Storage
import Synchronization
import Testing

/// A French WhatsApp user through the real binary, a local bot and a local contact center
/// (`webhook` adapter, Standard Webhooks both ways): the bot answers, "je veux parler à un
/// conseiller" opens a case and the packet (whole transcript, knowledge-base suggestions) reaches
/// the contact center, the user gets the French notice; the agent joins, writes and resolves,
/// and the next user message goes to the bot again. Bad events are refused.
@Suite struct HandoffEndToEndTests {
    static let ccSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let publicURL = GatewayUnderTest.publicURL

    /// A generic sync bot, channel `wa` and contact center `desk`, all at the fake; `centerExtra`
    /// adds fields to the contact center.
    static func config(centerExtra: String = "") -> String {
        """
        {"public_url": "\(publicURL)",
         "bots": [{"id": "main", "adapter": "generic", "url": "${FAKE}/bot", "mode": "sync"}],
         "channels": [{"id": "wa", "adapter": "twilio",
                       "settings": {"account_sid": "AC_FAKE", "auth_token": "fake_twilio_auth_token_0000",
                                    "from": "whatsapp:+14155238886", "api_base": "${FAKE}"}}],
         "contact_centers": [{"id": "desk", "adapter": "webhook", "url": "${FAKE}/cc", "secret": "\(ccSecret)"\(centerExtra)}]}
        """
    }

    final class Fake: Sendable {
        let botCalls = Mutex<[String]>([])
        let packets = Mutex<[HTTPRequest]>([])
        let twilio = Mutex<[String]>([])
        var sends: [String] { twilio.withLock { $0 } }

        func start() throws -> (HTTPServer, Int) {
            var router = Router()
            router.post("/bot") { [self] request, _ in
                let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
                let text = body?["text"] as? String ?? ""
                botCalls.withLock { $0.append(text) }
                let answer = try JSONSerialization.data(withJSONObject: ["messages": [["text": "Bot: vous avez écrit « \(text) »"]]])
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

    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(condition(), "\(what)")
    }

    @Test func aFrenchUserAsksForAnAdvisorAndComesBackToTheBot() async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let sample = BinaryRunner.repositoryRoot.appendingPathComponent("examples/kb").path
        let gateway = try await GatewayUnderTest.start(config: Self.config(), fakePort: fakePort) { directory in
            let (status, _, _) = try await BinaryRunner.run(["kb", "import", sample, "--db", "botbridge.sqlite"], directory: directory)
            #expect(status == 0)
        }
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

        // 1. A question about a return goes to the bot, which answers.
        try await inbound("SM_H_1", "Comment retourner un article ?")
        try await Self.eventually("the bot's answer") { fake.sends.count == 1 }
        // 2. Asking for an advisor: no bot call, a case, the packet, the French notice.
        try await inbound("SM_H_2", "je veux parler à un conseiller")
        try await Self.eventually("the packet") { fake.packets.withLock { $0.count } == 1 }
        try await Self.eventually("the handoff notice") { fake.sends.count == 2 }
        #expect(fake.botCalls.withLock { $0 } == ["Comment retourner un article ?"])
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
        #expect(fake.sends[1].contains("je+vous+mets+en+relation+avec+un+conseiller") == false, "no locale from Twilio: English by default")
        #expect(fake.sends[1].contains(caseID))
        #expect(fake.sends[1].contains("return-item") || fake.sends[1].contains("How+do+I+return"), "the notice suggests the article")

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
        #expect(fake.sends[2].contains("Camille+from+our+team+has+joined"))
        #expect(fake.sends[3].contains("Bonjour+L%C3%A9a%2C+je+regarde+votre+retour."))
        #expect(fake.sends[4].contains("is+resolved"))

        // 6. Back with the bot.
        try await inbound("SM_H_4", "Merci !")
        try await Self.eventually("the bot again") { fake.botCalls.withLock { $0.count } == 2 }
        try await Self.eventually("its answer") { fake.sends.count == 6 }

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

    @Test func theHandoffAndHandbackRoutes() async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: Self.config(), fakePort: fakePort)
        defer { gateway.removeDirectory() }
        let directory = gateway.directory
        let key = try await BinaryRunner.createKey(db: "botbridge.sqlite", directory: directory, scopes: "conversations.read,conversations.write")
        let reader = try await BinaryRunner.createKey(db: "botbridge.sqlite", directory: directory, scopes: "conversations.read")
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

    @Test func noAgentInTimeSendsTheNoticeAndGivesTheConversationBackToTheBot() async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(
            config: Self.config(centerExtra: #", "no_agent_after_seconds": 1, "no_agent_fallback": "bot""#), fakePort: fakePort)
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
}
