import Bridge
import Foundation
import HTTP
import HTTPClient
import Signing
import Synchronization
import Testing
import TestSupport

/// The shipped contact-center adapters against a local server speaking each API's shapes, through
/// the real binary: the handoff's requests in order (values from one answer filled into the next
/// request), a later user message, and events back in each provider's format and signature.
@Suite struct ContactCenterAdaptersEndToEndTests {
    final class Fake: Sendable {
        let requests = Mutex<[(path: String, body: String, headers: [String: String])]>([])
        let sends = Mutex<[String]>([])

        func start() throws -> (HTTPServer, Int) {
            var router = Router()
            let record: @Sendable (HTTPRequest) -> Void = { [self] request in
                var headers: [String: String] = [:]
                for field in request.headers { headers[field.name.lowercased()] = field.value }
                requests.withLock { $0.append((String(request.path), String(decoding: request.body, as: UTF8.self), headers)) }
            }
            let json: @Sendable (String) -> HTTPResponse = { text in
                HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: Array(text.utf8))
            }
            router.post("/bot") { _, _ in HTTPResponse(status: .noContent) }
            router.post("/2010-04-01/Accounts/{account}/Messages.json") { [self] request, _ in
                let n = sends.withLock { $0.append(String(decoding: request.body, as: UTF8.self)); return $0.count }
                return HTTPResponse(status: .created, headers: ["Content-Type": "application/json"], body: Array(#"{"sid":"SM_OUT_\#(n)"}"#.utf8))
            }
            // Chatwoot's client API.
            router.post("/public/api/v1/inboxes/{inbox}/contacts") { request, _ in record(request); return json(#"{"source_id":"src-77","id":7}"#) }
            router.post("/public/api/v1/inboxes/{inbox}/contacts/{source}/conversations") { request, _ in record(request); return json(#"{"id":42}"#) }
            router.post("/public/api/v1/inboxes/{inbox}/contacts/{source}/conversations/{id}/messages") { request, _ in
                record(request); return json(#"{"id":1001}"#)
            }
            // Twilio Conversations and Flex Interactions.
            router.post("/v1/Conversations") { request, _ in record(request); return json(#"{"sid":"CH_FAKE_1"}"#) }
            router.post("/v1/Conversations/{sid}/Participants") { request, _ in record(request); return json(#"{"sid":"MB_FAKE"}"#) }
            router.post("/v1/Conversations/{sid}/Messages") { request, _ in record(request); return json(#"{"sid":"IM_FAKE"}"#) }
            router.post("/v1/Interactions") { request, _ in record(request); return json(#"{"sid":"KD_FAKE"}"#) }
            // A Bot Framework agent hub.
            router.post("/v3/conversations/{id}/activities") { request, _ in record(request); return json(#"{"id":"act_1"}"#) }
            var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
            configuration.eventLoopCount = 1
            let server = HTTPServer(configuration: configuration, responder: router)
            return (server, try server.start())
        }

        var paths: [String] { requests.withLock { $0.map(\.path) } }
        func body(_ index: Int) -> String { requests.withLock { $0[index].body } }
    }

    static func config(center: String) -> String {
        """
        {"public_url": "\(GatewayUnderTest.publicURL)",
         "bots": [{"id": "main", "adapter": "generic", "url": "${FAKE}/bot"}],
         "channels": [{"id": "wa", "adapter": "twilio",
                       "settings": {"account_sid": "AC_FAKE", "auth_token": "fake_twilio_auth_token_0000",
                                    "from": "whatsapp:+14155238886", "api_base": "${FAKE}"}}],
         "contact_centers": [\(center)]}
        """
    }

    static func eventually(_ what: String, _ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition() && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(condition(), "\(what)")
    }

    static func post(_ gateway: GatewayUnderTest, _ center: String, _ body: String, headers: [(String, String)]) async throws -> HTTPClientResponse {
        try await gateway.client.send(HTTPClientRequest(method: "POST", url: gateway.base + "/contact-centers/\(center)/events",
                                                        headers: headers.map { (name: $0.0, value: $0.1) }, body: Array(body.utf8)))
    }

    @Test(arguments: TestBackend.allCases) func chatwoot(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let secret = "fake_chatwoot_webhook_secret"
        let gateway = try await GatewayUnderTest.start(config: Self.config(center: """
            {"id": "cw", "adapter": "chatwoot", "url": "${FAKE}", "secret": "\(secret)", "headers": {"api_access_token": "fake_token"},
             "settings": {"inbox_identifier": "INBOX_FAKE"}}
            """), fakePort: fakePort, backend: backend)
        defer { gateway.removeDirectory() }
        try await gateway.inbound("SM_CW_1", from: "whatsapp:+34600111222", "Where is my parcel?", profileName: "Lucía")
        try await gateway.inbound("SM_CW_2", from: "whatsapp:+34600111222", "/agent")
        try await Self.eventually("three handoff requests") { fake.paths.count == 3 }
        try #require(fake.paths == ["/public/api/v1/inboxes/INBOX_FAKE/contacts",
                               "/public/api/v1/inboxes/INBOX_FAKE/contacts/src-77/conversations",
                               "/public/api/v1/inboxes/INBOX_FAKE/contacts/src-77/conversations/42/messages"])
        let contact = try #require(try JSONSerialization.jsonObject(with: Data(fake.body(0).utf8)) as? [String: Any])
        #expect(contact["name"] as? String == "Lucía")
        #expect((contact["identifier"] as? String)?.hasPrefix("usr_") == true)
        let conversation = try #require(try JSONSerialization.jsonObject(with: Data(fake.body(1).utf8)) as? [String: Any])
        let caseID = try #require((conversation["custom_attributes"] as? [String: Any])?["botbridge_case_id"] as? String)
        let note = try #require((try JSONSerialization.jsonObject(with: Data(fake.body(2).utf8)) as? [String: Any])?["content"] as? String)
        #expect(note.contains("botbridge case \(caseID)") && note.contains("user: Where is my parcel?"))
        #expect(fake.requests.withLock { $0[0].headers["api_access_token"] } == "fake_token")

        try await gateway.inbound("SM_CW_3", from: "whatsapp:+34600111222", "Are you there?")
        try await Self.eventually("the forwarded message") { fake.paths.count == 4 }
        #expect(fake.paths[3] == "/public/api/v1/inboxes/INBOX_FAKE/contacts/src-77/conversations/42/messages")
        #expect(fake.body(3) == #"{"content":"Are you there?"}"#)

        func signed(_ body: String, stamp: Int64 = Int64(Date().timeIntervalSince1970), key: String = secret) -> [(String, String)] {
            let mac = HMAC<SHA256>.authenticationCode(for: Array("\(stamp).\(body)".utf8), key: Array(key.utf8))
            return [("Content-Type", "application/json"), ("X-Chatwoot-Signature", "sha256=" + Hex.encode(mac)),
                    ("X-Chatwoot-Timestamp", String(stamp)), ("X-Chatwoot-Delivery", UUID().uuidString)]
        }
        let assigned = #"{"event":"conversation_updated","id":42,"status":"open","meta":{"assignee":{"id":3,"name":"Marta"}}}"#
        #expect(try await Self.post(gateway, "cw", assigned, headers: signed(assigned, key: "wrong")).status == 403)
        #expect(try await Self.post(gateway, "cw", assigned, headers: signed(assigned, stamp: 1_000_000)).status == 401)
        #expect(try await Self.post(gateway, "cw", assigned, headers: signed(assigned)).status == 200)
        let echo = #"{"event":"message_created","message_type":"incoming","content":"Are you there?","conversation":{"id":42}}"#
        let ignored = try await Self.post(gateway, "cw", echo, headers: signed(echo))
        #expect(ignored.status == 200 && ignored.bodyText.contains("ignored"))
        let privateNote = #"{"event":"message_created","message_type":"outgoing","private":true,"content":"internal","conversation":{"id":42}}"#
        #expect(try await Self.post(gateway, "cw", privateNote, headers: signed(privateNote)).bodyText.contains("ignored"))
        let reply = #"{"event":"message_created","id":1002,"message_type":"outgoing","private":false,"content":"Hola Lucía, lo miro ahora.","sender":{"name":"Marta","type":"user"},"conversation":{"id":42}}"#
        #expect(try await Self.post(gateway, "cw", reply, headers: signed(reply)).status == 200)
        let resolved = #"{"event":"conversation_status_changed","id":42,"status":"resolved"}"#
        #expect(try await Self.post(gateway, "cw", resolved, headers: signed(resolved)).bodyText.contains(#""state":"bot""#))
        try await Self.eventually("handoff, joined, reply and resolved notices") { fake.sends.withLock { $0.count } == 4 }
        let sends = fake.sends.withLock { $0 }
        #expect(sends[1].contains("Marta+from+our+team+has+joined"))
        #expect(sends[2].contains("Hola+Luc%C3%ADa%2C+lo+miro+ahora."))
        #expect(!sends.joined().contains("internal"))

        try await gateway.stop()
        await server.shutdown()
    }

    @Test(arguments: TestBackend.allCases) func twilioFlex(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let gateway = try await GatewayUnderTest.start(config: Self.config(center: """
            {"id": "flex", "adapter": "twilio-flex", "url": "${FAKE}", "secret": "fake_twilio_auth_token_0000",
             "headers": {"Authorization": "Basic QUNfRkFLRTpmYWtl"},
             "settings": {"workspace_sid": "WS_FAKE", "workflow_sid": "WW_FAKE", "conversations_url": "${FAKE}"}}
            """), fakePort: fakePort, backend: backend)
        defer { gateway.removeDirectory() }
        try await gateway.inbound("SM_FX_1", from: "whatsapp:+14155550100", "I want to talk to a human", profileName: "Sam")
        try await Self.eventually("four handoff requests") { fake.paths.count == 4 }
        try #require(fake.paths == ["/v1/Conversations", "/v1/Conversations/CH_FAKE_1/Participants", "/v1/Conversations/CH_FAKE_1/Messages",
                               "/v1/Interactions"])
        let interaction = Dictionary(uniqueKeysWithValues: fake.body(3).split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        })
        let channel = try #require(try JSONSerialization.jsonObject(with: Data(interaction["Channel", default: ""].utf8)) as? [String: Any])
        #expect(channel["type"] as? String == "chat")
        #expect((channel["properties"] as? [String: Any])?["media_channel_sid"] as? String == "CH_FAKE_1")
        let routing = try #require((try JSONSerialization.jsonObject(with: Data(interaction["Routing", default: ""].utf8)) as? [String: Any])?["properties"] as? [String: Any])
        #expect(routing["workspace_sid"] as? String == "WS_FAKE" && routing["task_channel_unique_name"] as? String == "chat")
        let attributes = try #require(routing["attributes"] as? [String: Any])
        let caseID = try #require(attributes["case_id"] as? String)
        #expect(attributes["customerName"] as? String == "Sam")
        #expect(fake.requests.withLock { $0[3].headers["content-type"] } == "application/x-www-form-urlencoded")
        #expect(fake.requests.withLock { $0[0].headers["authorization"] } == "Basic QUNfRkFLRTpmYWtl")

        try await gateway.inbound("SM_FX_2", from: "whatsapp:+14155550100", "hello?")
        try await Self.eventually("the forwarded message") { fake.paths.count == 5 }
        #expect(fake.paths[4] == "/v1/Conversations/CH_FAKE_1/Messages")
        #expect(fake.body(4).hasSuffix("&Body=hello%3F"))

        let url = GatewayUnderTest.publicURL + "/contact-centers/flex/events"
        func event(_ form: [(String, String)], signed: Bool = true) async throws -> HTTPClientResponse {
            var headers = [("Content-Type", "application/x-www-form-urlencoded")]
            if signed { headers.append(("X-Twilio-Signature", ChannelsEndToEndTests.twilioSignature(url: url, form: form))) }
            return try await gateway.client.send(HTTPClientRequest(method: "POST", url: gateway.base + "/contact-centers/flex/events",
                                                                   headers: headers.map { (name: $0.0, value: $0.1) },
                                                                   body: ChannelsEndToEndTests.formBody(form)))
        }
        let accepted = [("EventType", "reservation.accepted"), ("WorkerName", "Alex"),
                        ("TaskAttributes", #"{"case_id":"\#(caseID)","conversationSid":"CH_FAKE_1"}"#)]
        #expect(try await event(accepted, signed: false).status == 401)
        #expect(try await event(accepted).status == 200)
        let other = try await event([("EventType", "task.completed"), ("TaskAttributes", #"{"channel":"voice"}"#)])
        #expect(other.status == 200 && other.bodyText.contains("ignored"), "a task of another channel in the workspace")
        #expect(try await event([("EventType", "onMessageAdded"), ("Source", "API"), ("ConversationSid", "CH_FAKE_1"),
                                 ("Author", "botbridge"), ("Body", "echo")]).bodyText.contains("ignored"))
        #expect(try await event([("EventType", "onMessageAdded"), ("Source", "SDK"), ("ConversationSid", "CH_FAKE_1"),
                                 ("Author", "alex@example.test"), ("Body", "Hi Sam, Alex here.")]).status == 200)
        #expect(try await event([("EventType", "task.wrapup"),
                                 ("TaskAttributes", #"{"case_id":"\#(caseID)"}"#)]).bodyText.contains(#""state":"bot""#))
        try await Self.eventually("handoff, joined, reply and resolved notices") { fake.sends.withLock { $0.count } == 4 }
        #expect(fake.sends.withLock { $0[2] }.contains("Hi+Sam%2C+Alex+here."))

        try await gateway.stop()
        await server.shutdown()
    }

    @Test(arguments: TestBackend.allCases) func botFrameworkHandoff(_ backend: TestBackend) async throws {
        let fake = Fake()
        let (server, fakePort) = try fake.start()
        let token = "fake_hub_token_for_events"
        let gateway = try await GatewayUnderTest.start(config: Self.config(center: """
            {"id": "hub", "adapter": "botframework-handoff", "url": "${FAKE}", "secret": "\(token)"}
            """), fakePort: fakePort, backend: backend)
        defer { gateway.removeDirectory() }
        try await gateway.inbound("SM_BF_1", from: "whatsapp:+447700900555", "My refund is late")
        try await gateway.inbound("SM_BF_2", from: "whatsapp:+447700900555", "/helpme")
        try await Self.eventually("the handoff activity") { fake.paths.count == 1 }
        let activity = try #require(try JSONSerialization.jsonObject(with: Data(fake.body(0).utf8)) as? [String: Any])
        #expect(activity["type"] as? String == "event" && activity["name"] as? String == "handoff.initiate")
        let conversationID = try #require((activity["conversation"] as? [String: Any])?["id"] as? String)
        #expect(fake.paths[0] == "/v3/conversations/\(conversationID)/activities")
        let attachment = try #require((activity["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/json" && attachment["name"] as? String == "Transcript")
        let transcript = try #require((attachment["content"] as? [String: Any])?["activities"] as? [[String: Any]])
        #expect(transcript.map { $0["text"] as? String } == ["My refund is late", "/helpme"])
        #expect(((transcript.first?["from"]) as? [String: Any])?["role"] as? String == "user")

        let bearer = [("Content-Type", "application/json"), ("Authorization", "Bearer \(token)")]
        let accepted = #"{"type":"event","name":"handoff.status","conversation":{"id":"\#(conversationID)"},"value":{"state":"accepted"}}"#
        #expect(try await Self.post(gateway, "hub", accepted, headers: [("Content-Type", "application/json"), ("Authorization", "Bearer nope")]).status == 403)
        #expect(try await Self.post(gateway, "hub", accepted, headers: bearer).status == 200)
        let message = #"{"type":"message","from":{"name":"Jo"},"conversation":{"id":"\#(conversationID)"},"text":"Jo here, checking your refund."}"#
        #expect(try await Self.post(gateway, "hub", message, headers: bearer).status == 200)
        let completed = #"{"type":"event","name":"handoff.status","conversation":{"id":"\#(conversationID)"},"value":{"state":"completed"}}"#
        #expect(try await Self.post(gateway, "hub", completed, headers: bearer).bodyText.contains(#""state":"bot""#))
        try await Self.eventually("handoff, joined, reply and resolved notices") { fake.sends.withLock { $0.count } == 4 }
        #expect(fake.sends.withLock { $0[2] }.contains("Jo+here%2C+checking+your+refund."))

        try await gateway.stop()
        await server.shutdown()
    }
}
