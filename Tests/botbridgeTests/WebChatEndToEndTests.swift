import Bridge
import Foundation
import HTTP
import HTTPClient
import Storage
import Synchronization
import Testing
import TestSupport

/// The built-in web chat on the real binary: sessions, posting, long-poll and server-sent
/// events, and that one session never sees another's messages.
@Suite struct WebChatEndToEndTests {
    static let config = #"""
    {"bots": [{"id": "main", "url": "${BOT_URL}"}],
     "channels": [
       {"id": "web", "adapter": "webchat", "bot": "main"},
       {"id": "kiosk", "adapter": "webchat", "settings": {"allowed_origins": "https://shop.example.test"}}
     ]}
    """#

    struct Gateway {
        let runner: BinaryRunner
        let port: Int
        let client = HTTPClient()
        let directory: URL
        /// What `--db` got.
        let database: String
        var base: String { "http://127.0.0.1:\(port)" }

        func send(_ method: String, _ path: String, _ body: String? = nil, token: String? = nil,
                  headers: [(String, String)] = []) async throws -> HTTPClientResponse {
            var all = headers
            if body != nil && !all.contains(where: { $0.0 == "Content-Type" }) { all.append(("Content-Type", "application/json")) }
            if let token { all.append(("Authorization", "Bearer \(token)")) }
            return try await client.send(HTTPClientRequest(method: method, url: base + path, headers: all.map { (name: $0.0, value: $0.1) },
                                                           body: Array((body ?? "").utf8)))
        }

        func session(_ channel: String = "web", _ body: String = #"{"name":"Ana","locale":"es"}"#) async throws -> (token: String, user: String) {
            let answer = try await send("POST", "/channels/\(channel)/sessions", body)
            #expect(answer.status == 201)
            let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as! [String: Any]
            return (object["token"] as! String, object["user_id"] as! String)
        }

        func feed(_ token: String, query: String = "") async throws -> [[String: Any]] {
            let answer = try await send("GET", "/channels/web/messages" + query, token: token)
            #expect(answer.status == 200)
            let object = try JSONSerialization.jsonObject(with: Data(answer.body)) as! [String: Any]
            return object["messages"] as! [[String: Any]]
        }

        func reply(_ conversation: String, _ text: String) async throws {
            let key = try await BinaryRunner.createKey(db: database, directory: directory, scopes: "messages.send")
            let answer = try await send("POST", "/v1/conversations/\(conversation)/messages", #"{"text":"\#(text)","suggestions":[{"text":"Agent","postback":"LIVE_AGENT"}]}"#,
                                        token: key)
            #expect(answer.status == 202)
            #expect(answer.bodyText.contains(#""status":"sent""#))
        }

        func stop() async throws {
            runner.signal(SIGTERM)
            #expect(try await runner.waitForExit() == 0)
            await client.shutdown()
        }
    }

    static func start(_ backend: TestBackend, botURL: String = "http://127.0.0.1:9/bot") async throws -> Gateway {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-webchat-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Data(config.utf8).write(to: directory.appendingPathComponent("botbridge.json"))
        let database = try await backend.databaseArgument(directory: directory.path)
        let runner = try BinaryRunner(["serve", "--config", "botbridge.json", "--home", BinaryRunner.repositoryRoot.path, "--listen", "127.0.0.1:0",
                                       "--db", database],
                                      directory: directory, environment: ["BOT_URL": botURL])
        return Gateway(runner: runner, port: try await runner.waitForListeningPort(), directory: directory, database: database)
    }

    @Test(arguments: TestBackend.allCases)
    func aSessionPostsReadsAndNeverSeesAnotherUsersMessages(_ backend: TestBackend) async throws {
        let received = Mutex<[String]>([])
        var router = Router()
        router.post("/bot") { request, _ in
            received.withLock { $0.append(String(decoding: request.body, as: UTF8.self)) }
            return HTTPResponse(status: .noContent)
        }
        var serverConfiguration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        serverConfiguration.eventLoopCount = 1
        let bot = HTTPServer(configuration: serverConfiguration, responder: router)
        let botPort = try bot.start()
        let gateway = try await Self.start(backend, botURL: "http://127.0.0.1:\(botPort)/bot")
        defer { try? FileManager.default.removeItem(at: gateway.directory) }

        let ana = try await gateway.session()
        let bruno = try await gateway.session("web", "")
        #expect(ana.user != bruno.user)

        // Ana writes twice with the same client id (a retry): one message. Bruno reuses her id: his own message.
        let first = try await gateway.send("POST", "/channels/web/webhook", #"{"text":"¿dónde está mi pedido?","client_message_id":"c-1"}"#, token: ana.token)
        #expect(first.status == 202)
        let retry = try await gateway.send("POST", "/channels/web/webhook", #"{"text":"¿dónde está mi pedido?","client_message_id":"c-1"}"#, token: ana.token)
        #expect(retry.status == 200)
        #expect(retry.bodyText == #"{"duplicate":true}"#)
        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"text":"hi from bruno","client_message_id":"c-1"}"#, token: bruno.token).status == 202)

        // Each reads only their own conversation.
        let anaFeed = try await gateway.feed(ana.token)
        #expect(anaFeed.map { $0["text"] as? String } == ["¿dónde está mi pedido?"])
        let brunoFeed = try await gateway.feed(bruno.token)
        #expect(brunoFeed.map { $0["text"] as? String } == ["hi from bruno"])
        let anaConversation = anaFeed[0]["conversation_id"] as! String
        #expect(anaConversation != brunoFeed[0]["conversation_id"] as! String)

        // A reply to Ana wakes her long-poll and not Bruno's.
        let cursor = anaFeed[0]["cursor"] as! Int
        async let anaWaits = gateway.feed(ana.token, query: "?after=\(cursor)&wait=10")
        async let brunoWaits = gateway.feed(bruno.token, query: "?after=\(brunoFeed[0]["cursor"] as! Int)&wait=2")
        try await Task.sleep(for: .milliseconds(300))
        try await gateway.reply(anaConversation, "Tu pedido sale hoy")
        let woken = try await anaWaits
        #expect(woken.map { $0["text"] as? String } == ["Tu pedido sale hoy"])
        #expect(woken.first?["author"] as? String == "bot")
        #expect((woken.first?["suggestions"] as? [[String: String]]) == [["text": "Agent", "postback": "LIVE_AGENT"]])
        #expect(try await brunoWaits.isEmpty)

        // The event stream replays from Last-Event-ID, then streams what comes next.
        let port = gateway.port
        let stream = try EventStreamClient(port: port, path: "/channels/web/events", headers: ["Authorization": "Bearer \(ana.token)", "Last-Event-ID": String(cursor)])
        let head = try await offPool { try stream.readHead() }
        #expect(head.status == 200)
        #expect(head.headers["content-type"] == "text/event-stream")
        let replayed = try await offPool { try stream.readEvents(1) }
        #expect(replayed.first?.data.contains("Tu pedido sale hoy") == true)
        #expect(replayed.first?.event == "message")
        async let live = offPool { try stream.readEvents(1) }
        try await Task.sleep(for: .milliseconds(200))
        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"postback":"LIVE_AGENT","text":"Agent"}"#, token: ana.token).status == 202)
        let next = try await live
        #expect(next.first?.data.contains(#""direction":"inbound""#) == true)
        #expect(Int(next.first?.id ?? "") ?? 0 > Int(replayed.first?.id ?? "") ?? 0)
        // Bruno's token streams only Bruno's message (with the query token, as EventSource sends it).
        let brunoStream = try EventStreamClient(port: port, path: "/channels/web/events?token=\(bruno.token)")
        #expect(try await offPool { try brunoStream.readHead() }.status == 200)
        let brunoEvents = try await offPool { try brunoStream.readEvents(1) }
        #expect(brunoEvents.map(\.data).allSatisfy { $0.contains("hi from bruno") })

        // Messages reached the bot with the session's address, never a client-chosen one.
        try await Self.eventually { received.withLock { $0.count } == 3 }
        let bodies = received.withLock { $0 }
        #expect(bodies.allSatisfy { $0.contains(#""channel":"web""#) })
        #expect(bodies.contains { $0.contains("¿dónde está mi pedido?") })

        // Stopping the gateway ends open streams cleanly and promptly.
        try await gateway.stop()
        #expect(try await offPool { stream.readsEnd() })
        await bot.shutdown()

        // Replies handed to the page were marked delivered.
        let pool = try await GatewayUnderTest.openDatabase(gateway.database, in: gateway.directory)
        let statuses = try await pool.read { db in
            try db.query("SELECT direction, status FROM messages ORDER BY id").map { "\($0.string("direction")!):\($0.string("status")!)" }
        }
        await pool.close()
        #expect(statuses == ["inbound:received", "inbound:received", "outbound:delivered", "inbound:received"])
    }

    @Test(arguments: TestBackend.allCases)
    func badSessionsAndBodiesAreRefusedAndNothingIsStored(_ backend: TestBackend) async throws {
        let gateway = try await Self.start(backend)
        defer { try? FileManager.default.removeItem(at: gateway.directory) }
        let ana = try await gateway.session()

        let missing = try await gateway.send("POST", "/channels/web/webhook", #"{"text":"hi"}"#)
        #expect(missing.status == 401)
        #expect(missing.headers.first { $0.name.lowercased() == "www-authenticate" }?.value.hasPrefix("Bearer") == true)
        #expect(missing.bodyText.contains("missing_session"))
        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"text":"hi"}"#, token: "wct_forged").status == 401)
        #expect(try await gateway.send("GET", "/channels/web/messages", token: "not-a-token").status == 401)
        // A token opens only its own channel.
        #expect(try await gateway.send("GET", "/channels/kiosk/messages", token: ana.token, headers: [("Origin", "https://shop.example.test")]).status == 401)
        // The query-string token is for event streams only.
        #expect(try await gateway.send("GET", "/channels/web/messages?token=\(ana.token)").status == 401)

        #expect(try await gateway.send("POST", "/channels/web/webhook", "text=hi", token: ana.token,
                                       headers: [("Content-Type", "application/x-www-form-urlencoded")]).status == 415)
        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"text":"#, token: ana.token).status == 400)
        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"locale":"es"}"#, token: ana.token).status == 422)
        let long = String(repeating: "a", count: WebChatRoutes.maxTextCharacters + 1)
        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"text":"\#(long)"}"#, token: ana.token).status == 422)
        #expect(try await gateway.send("POST", "/channels/web/sessions", #"{"name": 5}"#).status == 422)
        #expect(try await gateway.send("POST", "/channels/web/sessions", "{").status == 400)
        #expect(try await gateway.send("GET", "/channels/web/messages?wait=99", token: ana.token).status == 400)
        #expect(try await gateway.send("GET", "/channels/web/messages?after=-1", token: ana.token).status == 400)
        #expect(try await gateway.send("GET", "/channels/web/events", token: ana.token, headers: [("Last-Event-ID", "x")]).status == 400)
        #expect(try await gateway.send("POST", "/channels/web/status", "{}", token: ana.token).status == 404)
        #expect(try await gateway.send("POST", "/channels/nope/sessions", "{}").status == 404)

        // CORS: kiosk admits one origin; others are refused before anything is stored.
        let refused = try await gateway.send("POST", "/channels/kiosk/sessions", "{}", headers: [("Origin", "https://evil.example.test")])
        #expect(refused.status == 403)
        #expect(refused.bodyText.contains("origin_not_allowed"))
        let preflight = try await gateway.send("OPTIONS", "/channels/kiosk/webhook", headers: [("Origin", "https://shop.example.test"),
                                                                                             ("Access-Control-Request-Method", "POST")])
        #expect(preflight.status == 204)
        #expect(preflight.headers.first { $0.name == "Access-Control-Allow-Origin" }?.value == "https://shop.example.test")
        #expect(preflight.headers.first { $0.name == "Access-Control-Allow-Headers" }?.value.contains("Authorization") == true)
        let allowed = try await gateway.send("POST", "/channels/kiosk/sessions", "", headers: [("Origin", "https://shop.example.test")])
        #expect(allowed.status == 201)
        let failing = try await gateway.send("GET", "/channels/kiosk/messages", headers: [("Origin", "https://shop.example.test")])
        #expect(failing.status == 401)
        #expect(failing.headers.first { $0.name == "Access-Control-Allow-Origin" }?.value == "https://shop.example.test")

        // The page is served.
        let page = try await gateway.send("GET", "/channels/web/chat")
        #expect(page.status == 200)
        #expect(page.bodyText.contains("EventSource"))

        try await gateway.stop()
        let pool = try await GatewayUnderTest.openDatabase(gateway.database, in: gateway.directory)
        let counts = try await pool.read { db in
            [try db.scalar("SELECT count(*) FROM messages").int, try db.scalar("SELECT count(*) FROM webchat_sessions").int,
             try db.scalar("SELECT count(*) FROM deliveries").int]
        }
        await pool.close()
        #expect(counts == [0, 2, 0])
    }

    /// The README's walkthrough: with no configuration, the web chat's question is answered by
    /// the FAQ bot from the sample knowledge base (imported at start-up), "agent" hands off to the
    /// built-in log contact center and the user gets the handoff notice. On PostgreSQL, only `--db`
    /// is given; on SQLite not even that: the file appears in the working directory.
    @Test(arguments: TestBackend.allCases)
    func serveWithoutConfigurationRunsTheEmbeddedDefault(_ backend: TestBackend) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-embedded-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try await backend.scratchDatabaseArguments()
        let runner = try BinaryRunner(["serve", "--listen", "127.0.0.1:0"] + database, directory: directory,
                                      environment: ["BOTBRIDGE_HOME": BinaryRunner.repositoryRoot.path])
        let gateway = Gateway(runner: runner, port: try await runner.waitForListeningPort(), directory: directory,
                              database: database.last ?? "botbridge.sqlite")
        #expect(runner.stderr.contains("/channels/web/chat"))
        #expect(runner.stderr.contains(#"msg="knowledge base imported" articles=12"#))
        let session = try await gateway.session("web", #"{"name":"Ana","locale":"en"}"#)
        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"text":"Where is my order?"}"#, token: session.token).status == 202)
        var feed: [[String: Any]] = []
        try await Self.eventually { feed = (try? await gateway.feed(session.token)) ?? []; return feed.count == 2 }
        let answer = try #require(feed.last)
        #expect(answer["author"] as? String == "bot")
        #expect((answer["text"] as? String)?.hasPrefix("Where is my order? Tracking a parcel\n") == true)
        #expect((answer["text"] as? String)?.hasSuffix("https://help.lanterne-shop.example/en/track-order") == true)
        #expect((answer["suggestions"] as? [[String: String]]) == [["text": "Talk to an agent", "postback": "LIVE_AGENT"]])

        #expect(try await gateway.send("POST", "/channels/web/webhook", #"{"text":"agent"}"#, token: session.token).status == 202)
        try await Self.eventually { feed = (try? await gateway.feed(session.token)) ?? []; return feed.count == 4 }
        #expect(feed.last?["author"] as? String == "system")
        #expect((feed.last?["text"] as? String)?.contains("Thanks Ana, I'm passing you to a member of our team (case case_") == true)
        try await Self.eventually { runner.stderr.contains("handoff received by the log contact center") }
        #expect(runner.stderr.contains("transcript_messages=3"))
        let events = try await gateway.send("POST", "/contact-centers/console/events", #"{"type":"agent.joined"}"#)
        #expect(events.status == 404 && events.bodyText.contains("takes no events"))
        try await gateway.stop()
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("botbridge.sqlite").path) == (backend == .sqlite))
    }

    static func eventually(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(condition())
    }

    static func eventually(_ condition: () async -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while await !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(await condition())
    }
}
