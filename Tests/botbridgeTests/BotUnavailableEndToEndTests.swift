import Bridge
import Foundation
import HTTP
import HTTPClient
import Storage
import Synchronization
import Testing
import TestSupport

/// A bot that cannot be reached, through the real binary: the conversation follows the bot's
/// `unavailable` policy once per outage — a notice in the user's locale after the bot has been
/// failing for `after_seconds`, at once when its delivery dies, or a handoff to people — and the
/// outage ends when the bot answers again.
@Suite struct BotUnavailableEndToEndTests {
    static let publicURL = GatewayUnderTest.publicURL
    static let channel = #"""
       {"id": "wa", "adapter": "twilio",
        "settings": {"account_sid": "AC_FAKE", "auth_token": "fake_twilio_auth_token_0000", "from": "whatsapp:+14155238886", "api_base": "${FAKE}"}}
    """#

    final class Fake: Sendable {
        /// The status each bot path answers with.
        let statuses = Mutex<[String: Int]>([:])
        let botCalls = Mutex<[String: Int]>([:])
        let twilio = Mutex<[String]>([])
        /// Handoff packets the contact center received.
        let packets = Atomic<Int>(0)

        func start() throws -> (HTTPServer, Int) {
            var router = Router()
            router.post("/bots/{name}") { [self] request, context in
                let name = context.parameters["name"] ?? ""
                botCalls.withLock { $0[name, default: 0] += 1 }
                let status = statuses.withLock { $0[name] } ?? 200
                guard status == 200 else { return HTTPResponse(status: HTTPStatus(code: status)) }
                let answer = #"{"messages":[{"text":"Back online: how can I help?"}]}"#
                return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(answer.utf8))
            }
            router.post("/cc") { [self] _, _ in
                packets.add(1, ordering: .relaxed)
                return HTTPResponse(status: .noContent)
            }
            router.post("/2010-04-01/Accounts/{account}/Messages.json") { [self] request, _ in
                let count = twilio.withLock { sends in
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

        var sends: [String] { twilio.withLock { $0 } }
    }

    /// Stops the gateway and returns each conversation's internal notes and outbound texts, by
    /// address, ending with "outage" while the conversation's bot outage is still marked.
    static func transcripts(stopping gateway: GatewayUnderTest) async throws -> [String: [String]] {
        try await gateway.stop()
        defer { gateway.removeDirectory() }
        let pool = try await gateway.openDatabase()
        let rows = try await pool.read { db in
            try db.query("""
                SELECT i.address, m.direction, m.type, m.text, c.bot_unavailable_at FROM messages m
                JOIN conversations c ON c.id = m.conversation_id JOIN identities i ON i.id = c.identity_id
                WHERE m.direction <> 'inbound' ORDER BY m.conversation_id, m.sequence
                """)
        }
        await pool.close()
        var byAddress: [String: [String]] = [:]
        var inOutage = Set<String>()
        for row in rows {
            let address = row.string("address") ?? ""
            byAddress[address, default: []].append("\(row.string("direction") ?? ""):\(row.string("type") ?? ""):\(row.string("text") ?? "")")
            if row.int64("bot_unavailable_at") != nil { inOutage.insert(address) }
        }
        for address in inOutage { byAddress[address, default: []].append("outage") }
        return byAddress
    }

    static func eventually(_ what: String, within: Duration = .seconds(15), _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + within
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(condition(), "\(what)")
    }

    @Test(arguments: TestBackend.allCases)
    func aFailingBotGetsOneNoticeAfterItsDelayAndTheOutageEndsWhenItAnswers(_ backend: TestBackend) async throws {
        let fake = Fake()
        fake.statuses.withLock { $0["flaky"] = 500 }
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: """
            {"public_url": "\(Self.publicURL)",
             "bots": [{"id": "flaky", "adapter": "generic", "url": "${FAKE}/bots/flaky", "mode": "sync",
                       "unavailable": {"policy": "notify", "after_seconds": 3}}],
             "channels": [\(Self.channel)]}
            """, fakePort: fakePort, backend: backend)

        // after_seconds 3: long enough that "no notice yet" right after the first failure holds
        // on a loaded machine, short of the retry 5 s after it.
        try await gateway.inbound("SM_U_1", from: "whatsapp:+34600111222", "hello?")
        try await Self.eventually("the first attempt fails") { fake.botCalls.withLock { $0["flaky"] } == 1 }
        #expect(fake.sends.isEmpty, "no notice before after_seconds")
        try await Self.eventually("the notice, about three seconds later") { fake.sends.count == 1 }
        #expect(fake.sends.first?.contains("our+assistant+is+not+available") == true)
        // Another message during the same outage: no second notice.
        try await gateway.inbound("SM_U_2", from: "whatsapp:+34600111222", "anyone there?")
        try await Task.sleep(for: .milliseconds(1500))
        #expect(fake.sends.count == 1)

        // The bot comes back: the scheduled retry (5 s after the failure) gets the reply out, and
        // the queued second message follows.
        fake.statuses.withLock { $0["flaky"] = 200 }
        try await Self.eventually("both replies after the bot is back", within: .seconds(20)) { fake.sends.count == 3 }
        #expect(fake.sends.dropFirst().allSatisfy { $0.contains("Back+online") })

        let transcript = try await Self.transcripts(stopping: gateway)
        await server.shutdown()
        #expect(transcript["whatsapp:+34600111222"] == [
            "internal:bot_unavailable:failing",
            "outbound:text:Sorry, our assistant is not available right now. Your message is safe with us and will be answered as soon as it is back.",
            "outbound:text:Back online: how can I help?",
            "outbound:text:Back online: how can I help?",
        ], "one notice, and the outage mark is cleared (no 'outage' entry)")
    }

    @Test(arguments: TestBackend.allCases)
    func aDeadDeliveryNotifiesAtOnceInTheDefaultLocaleOrAsksForAHuman(_ backend: TestBackend) async throws {
        let fake = Fake()
        fake.statuses.withLock { $0["gone"] = 410; $0["down"] = 410 }
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: """
            {"public_url": "\(Self.publicURL)", "default_locale": "fr-CA",
             "bots": [
               {"id": "orders", "adapter": "generic", "url": "${FAKE}/bots/gone", "triggers": ["commande"],
                "unavailable": {"policy": "notify", "after_seconds": 600}},
               {"id": "main", "adapter": "generic", "url": "${FAKE}/bots/down", "default": true,
                "unavailable": {"policy": "handoff", "after_seconds": 600}}],
             "channels": [\(Self.channel)],
             "contact_centers": [{"id": "desk", "url": "${FAKE}/cc", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}]}
            """, fakePort: fakePort, backend: backend)

        try await gateway.inbound("SM_D_1", from: "whatsapp:+33600000001", "où est ma commande ?")
        // 410: dead at once, no waiting for after_seconds; fr-CA falls back to prompts/fr.
        try await Self.eventually("the French notice") { fake.sends.count == 1 }
        #expect(fake.sends.first?.contains("notre+assistant+n%27est+pas+disponible") == true)

        try await gateway.inbound("SM_D_2", from: "whatsapp:+33600000002", "bonjour")
        try await Self.eventually("the main bot is tried") { fake.botCalls.withLock { $0["down"] } == 1 }
        // The handoff policy opens a case and tells the user, in French, that a person is coming.
        try await Self.eventually("the handoff-created notice") { fake.sends.count == 2 }
        #expect(fake.sends.last?.contains("je+vous+mets+en+relation+avec+un+conseiller") == true)
        try await Self.eventually("the packet at the contact center") { fake.packets.load(ordering: .relaxed) == 1 }

        let transcript = try await Self.transcripts(stopping: gateway)
        await server.shutdown()
        #expect(transcript["whatsapp:+33600000001"]?.first == "internal:bot_unavailable:dead")
        #expect(transcript["whatsapp:+33600000001"]?.last == "outage")
        let handedOff = try #require(transcript["whatsapp:+33600000002"])
        #expect(handedOff.count == 4)
        #expect(handedOff.first == "internal:bot_unavailable:dead")
        #expect(handedOff.dropFirst().first == "internal:state_changed:bot_unavailable", "bot → queued, reason bot_unavailable")
        #expect(handedOff.dropFirst(2).first?.hasPrefix("outbound:text:Merci, je vous mets en relation avec un conseiller (dossier case_") == true)
        #expect(handedOff.last == "outage")
    }

    /// Configuration errors, refused before the database is opened: no backend to vary.
    @Test func badPoliciesAreConfigurationErrors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-outage-config-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for (unavailable, complaint) in [(#"{"policy": "panic"}"#, "bots[0].unavailable.policy"),
                                         (#"{"after_seconds": 0}"#, "bots[0].unavailable.after_seconds"),
                                         (#"{"after": 5}"#, "bots[0].unavailable.after")] {
            let config = #"{"bots": [{"id": "b", "url": "http://127.0.0.1:9/bot", "unavailable": \#(unavailable)}]}"#
            try Data(config.utf8).write(to: directory.appendingPathComponent("botbridge.json"))
            let (status, _, stderr) = try await BinaryRunner.run(["serve", "--config", "botbridge.json", "--home", BinaryRunner.repositoryRoot.path,
                                                                  "--listen", "127.0.0.1:0"], directory: directory)
            #expect(status != 0)
            #expect(stderr.contains(complaint), "\(stderr)")
        }
    }
}
