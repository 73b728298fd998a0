import Bridge
import Foundation
import HTTP
import HTTPClient
import Storage
import Synchronization
import Testing
import TestSupport

/// Two real `botbridge serve` processes on one PostgreSQL database, behind no load balancer but
/// the test itself: signed Twilio webhooks alternate between them, one is killed with SIGKILL
/// mid-stream and restarted; keys, revocations and web-chat wake-ups cross from one to the other;
/// and a PostgreSQL that stops mid-stream means 503s, never a false 2xx, until it is back.
@Suite struct ScaleOutEndToEndTests {
    static let config = #"""
    {"public_url": "https://gw.example.test",
     "database": {"delivery_lease_seconds": 5},
     "bots": [{"id": "echo", "adapter": "generic", "url": "${FAKE}/bot", "mode": "async", "timeout_ms": 2000, "default": true}],
     "channels": [
       {"id": "wa", "adapter": "twilio",
        "settings": {"account_sid": "AC_FAKE", "auth_token": "fake_twilio_auth_token_0000", "from": "whatsapp:+14155238886", "api_base": "${FAKE}"}},
       {"id": "web", "adapter": "webchat"}
     ]}
    """#

    /// What the fake bot received: the message text and the webhook-id, in arrival order.
    final class BotLog: Sendable {
        let arrivals = Mutex<[(text: String, webhookID: String)]>([])
        var all: [(text: String, webhookID: String)] { arrivals.withLock { $0 } }
    }

    static func fakeBot(_ log: BotLog) throws -> (HTTPServer, Int) {
        var router = Router()
        router.post("/bot") { request, _ in
            let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]
            let text = (body?["text"] as? String) ?? ((body?["message"] as? [String: Any])?["text"] as? String) ?? ""
            log.arrivals.withLock { $0.append((text, request.headers["webhook-id"] ?? "")) }
            return HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array("{}".utf8))
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        let server = HTTPServer(configuration: configuration, responder: router)
        return (server, try server.start())
    }

    /// Posts one signed Twilio message; the status (nil when the gateway did not answer).
    static func post(_ gateway: GatewayUnderTest, sid: String, from: String, text: String) async -> Int? {
        let form = [("MessageSid", sid), ("AccountSid", "AC_FAKE"), ("From", from), ("To", "whatsapp:+14155238886"),
                    ("Body", text), ("NumMedia", "0")]
        let signature = ChannelsEndToEndTests.twilioSignature(url: GatewayUnderTest.publicURL + "/channels/wa/webhook", form: form)
        let answer = try? await gateway.client.send(HTTPClientRequest(
            method: "POST", url: gateway.base + "/channels/wa/webhook",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
            body: ChannelsEndToEndTests.formBody(form), timeout: .seconds(10)))
        return answer?.status
    }

    static func request(_ gateway: GatewayUnderTest, _ method: String, _ path: String, key: String? = nil, token: String? = nil,
                        body: String? = nil) async throws -> HTTPClientResponse {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let key { headers.append(("Authorization", "Bearer " + key)) }
        if let token { headers.append(("Authorization", "Bearer " + token)) }
        return try await gateway.client.send(HTTPClientRequest(method: method, url: gateway.base + path, headers: headers,
                                                               body: Array((body ?? "").utf8), timeout: .seconds(15)))
    }

    @Test func twoGatewaysShareOneDatabaseAndSurviveAKill() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let log = BotLog()
        let (bot, botPort) = try Self.fakeBot(log)
        var a = try await GatewayUnderTest.start(config: Self.config, fakePort: botPort, database: database)
        let b = try await GatewayUnderTest.start(config: Self.config, fakePort: botPort, database: database)

        // Four users, messages alternating between the gateways; A is killed halfway and restarted.
        var acknowledged: [String] = []
        for n in 0..<40 {
            if n == 20 {
                a.runner.signal(SIGKILL)
                _ = try await a.runner.waitForExit()
                a = try await a.restarted()
            }
            let user = n % 4
            let text = "u\(user):\(n / 4)"
            let target = n % 2 == 0 ? a : b
            if await Self.post(target, sid: "SM\(n)", from: "whatsapp:+3460000000\(user)", text: text) == 200 { acknowledged.append(text) }
        }
        #expect(acknowledged.count == 40)
        let deadline = ContinuousClock.now + .seconds(30)
        while !Set(acknowledged).isSubset(of: Set(log.all.map(\.text))), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
        }
        let arrivals = log.all
        #expect(Set(acknowledged).subtracting(arrivals.map(\.text)).isEmpty, "acknowledged but never reached the bot")
        let idsByText = Dictionary(grouping: arrivals, by: \.text).mapValues { Set($0.map(\.webhookID)) }
        #expect(idsByText.values.allSatisfy { $0.count == 1 }, "a duplicate carried another webhook-id")
        var last = [Int](repeating: -1, count: 4)
        var seen: Set<String> = []
        for arrival in arrivals where seen.insert(arrival.text).inserted {
            let parts = arrival.text.dropFirst().split(separator: ":").compactMap { Int($0) }
            #expect(parts[1] > last[parts[0]], "user \(parts[0]): \(arrival.text) arrived out of order")
            last[parts[0]] = parts[1]
        }

        // A key made by the CLI works on both; revoked, both refuse it at the next request.
        let key = try await BinaryRunner.createKey(db: database, directory: a.directory, scopes: "conversations.read,messages.send")
        for gateway in [a, b] {
            let listed = try await Self.request(gateway, "GET", "/v1/conversations", key: key)
            #expect(listed.status == 200, "\(String(decoding: listed.body, as: UTF8.self)) \(gateway.runner.stderr.suffix(1500))")
        }

        // A web-chat user waiting on B hears the reply written through A.
        let session = try JSONSerialization.jsonObject(with: Data(try await Self.request(b, "POST", "/channels/web/sessions",
                                                                                       body: #"{"name":"Ana"}"#).body)) as? [String: Any]
        let token = try #require(session?["token"] as? String)
        let posted = try JSONSerialization.jsonObject(with: Data(try await Self.request(b, "POST", "/channels/web/webhook", token: token,
                                                                                      body: #"{"text":"hello"}"#).body)) as? [String: Any]
        let conversation = try #require(posted?["conversation_id"] as? String)
        let cursor = try #require(posted?["cursor"] as? Int)
        async let waited = Self.request(b, "GET", "/channels/web/messages?after=\(cursor)&wait=10", token: token)
        try await Task.sleep(for: .milliseconds(300))
        let started = ContinuousClock.now
        #expect(try await Self.request(a, "POST", "/v1/conversations/\(conversation)/messages", key: key,
                                       body: #"{"text":"written through A"}"#).status == 202)
        let page = try await waited
        #expect(String(decoding: page.body, as: UTF8.self).contains("written through A"))
        #expect(ContinuousClock.now - started < .seconds(3))

        let prefix = String(key.split(separator: "_")[1])
        #expect(try await BinaryRunner.run(["keys", "revoke", prefix, "--db", database]).0 == 0)
        #expect(try await Self.request(a, "GET", "/v1/conversations", key: key).status == 401)
        #expect(try await Self.request(b, "GET", "/v1/conversations", key: key).status == 401)

        try await a.stop()
        try await b.stop()
        await bot.shutdown()
        a.removeDirectory()
        b.removeDirectory()
    }

    @Test func aStoppedPostgreSQLMeans503sNeverAFalse2xxThenServiceResumes() async throws {
        let server = try await Task.detached { try TestPostgres.makePrivate() }.value
        defer { server.stopServer() }
        let database = try await server.makeDatabase()
        let log = BotLog()
        let (bot, botPort) = try Self.fakeBot(log)
        let gateway = try await GatewayUnderTest.start(config: Self.config, fakePort: botPort, database: database)
        #expect(await Self.post(gateway, sid: "SM-before", from: "whatsapp:+34600000001", text: "before") == 200)
        await Task.detached { server.stopServer() }.value
        var statuses: [Int?] = []
        for n in 0..<3 { statuses.append(await Self.post(gateway, sid: "SM-down-\(n)", from: "whatsapp:+34600000001", text: "down \(n)")) }
        #expect(statuses.allSatisfy { $0 == 503 }, "while PostgreSQL was down: \(statuses)")
        try await Task.detached { try server.startServer() }.value
        var resumed = false
        let deadline = ContinuousClock.now + .seconds(20)
        while !resumed && ContinuousClock.now < deadline {
            let status = await Self.post(gateway, sid: "SM-after", from: "whatsapp:+34600000001", text: "after")
            #expect(status == 200 || status == 503, "\(String(describing: status))")
            resumed = status == 200
            if !resumed { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(resumed)
        let texts = try await gateway.openDatabase().read { db in
            try db.query("SELECT text FROM messages WHERE direction = 'inbound' ORDER BY id").compactMap { $0.string("text") }
        }
        #expect(texts == ["before", "after"])
        try await gateway.stop()
        await bot.shutdown()
        gateway.removeDirectory()
    }

    /// Both gateways sweep the cases waiting for an agent; the case still gets one no-agent
    /// notice, not two (the sweep acts on the case's row, and a concurrent second one conflicts,
    /// runs again and finds it handled).
    @Test func twoGatewaysSweepingSendOneNoAgentNotice() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let fake = HandoffEndToEndTests.Fake()
        let (server, fakePort) = try fake.start()
        let config = HandoffEndToEndTests.config(centerExtra: #", "no_agent_after_seconds": 1, "no_agent_fallback": "bot""#)
        let a = try await GatewayUnderTest.start(config: config, fakePort: fakePort, database: database)
        let b = try await GatewayUnderTest.start(config: config, fakePort: fakePort, database: database)
        try await a.inbound("SM_SWEEP_1", from: "whatsapp:+33600000077", "/agent")
        try await HandoffEndToEndTests.eventually("the handoff notice") { fake.sends.count == 1 }
        try await HandoffEndToEndTests.eventually("the no-agent notice") { fake.sends.count == 2 }
        // Both sweepers run every quarter second: two more seconds is eight chances for a second notice.
        try await Task.sleep(for: .seconds(2))
        #expect(fake.sends.count == 2, "one no-agent notice across both gateways")
        #expect(fake.sends.filter { $0.contains("no+one+from+our+team+is+available") }.count == 1)
        try await a.stop()
        try await b.stop()
        await server.shutdown()
        a.removeDirectory()
        b.removeDirectory()
    }

    /// Text PostgreSQL cannot hold (a NUL character, which SQLite stores) is refused with a 422
    /// that says so, and nothing of the request is stored.
    @Test func textWithANulCharacterIs422OnPostgreSQL() async throws {
        let database = try await TestPostgres.shared().makeDatabase()
        let gateway = try await GatewayUnderTest.start(config: Self.config, fakePort: 9, database: database)
        // A signed Twilio form whose Body holds %00.
        #expect(await Self.post(gateway, sid: "SM-nul", from: "whatsapp:+34600000042", text: "a\u{0}b") == 422)
        try await gateway.stop()
        let messages = try await gateway.openDatabase().read { db in try db.scalar("SELECT count(*) FROM messages").int }
        #expect(messages == 0)
        gateway.removeDirectory()
    }
}
