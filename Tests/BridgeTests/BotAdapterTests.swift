import Foundation
import Storage
import Templates
import Testing
@testable import Bridge

/// The shipped bot adapters, read from `adapters/bots/`, against answers shaped as each engine
/// documents them; and the routing rules.
@Suite struct BotAdapterTests {
    static let adapters: [String: BotAdapter] = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return try! BotAdapter.loadAll(directory: url.appendingPathComponent("adapters/bots").path)
    }()

    static func parse(_ adapter: String, _ json: String) throws -> BotReply {
        try BotReply.parse(Array(json.utf8), mapping: adapters[adapter]!.reply!, botID: "b")
    }

    @Test func everyShippedAdapterLoadsWithItsMode() {
        #expect(Self.adapters.keys.sorted() == ["braze-webhook", "dialogflow-es", "faq", "generic", "openai-chat", "rasa"])
        #expect(Self.adapters["faq"]?.builtin == .faq)
        #expect(Self.adapters["faq"]?.mode == .sync)
        #expect(Self.adapters["generic"]?.builtin == nil)
        #expect(Self.adapters["braze-webhook"]?.mode == .async)
        #expect(Self.adapters["braze-webhook"]?.reply == nil)
        #expect(Self.adapters["generic"]?.mode == .both)
        #expect(Self.adapters["rasa"]?.mode == .sync)
        #expect(Self.adapters["openai-chat"]?.transcriptTurns == 20)
        #expect(Self.adapters["openai-chat"]?.systemPrompt == "openai-system")
    }

    @Test func genericReplies() throws {
        let reply = try Self.parse("generic", #"""
        {"messages":[{"text":"Your order ships today","suggestions":[{"text":"Track","postback":"TRACK"},{"text":"Agent"}]},
                     {"media_url":"https://cdn.example.test/label.pdf"},{"media_url":"file:///etc/passwd"}],
         "attributes":{"order_id":"12345678","vip":true},"handoff":{"reason":"billing","skills":["billing","fr"]}}
        """#)
        #expect(reply.messages.map(\.text) == ["Your order ships today", nil])
        #expect(reply.messages[0].suggestions == [.init(text: "Track", postback: "TRACK"), .init(text: "Agent", postback: "Agent")])
        #expect(reply.messages[1].mediaURL == "https://cdn.example.test/label.pdf")
        #expect(reply.attributes == ["order_id": "12345678", "vip": true])
        #expect(reply.handoff == BotReply.Handoff(reason: "billing", skills: ["billing", "fr"]))
        #expect(try Self.parse("generic", "").messages.isEmpty)
        #expect(try Self.parse("generic", #"{"messages":[],"handoff":null}"#).handoff == nil)
        #expect(throws: BotReply.Failure.notJSON) { try Self.parse("generic", "<html>") }
        #expect(reply.fallback == false)
        #expect(try Self.parse("generic", #"{"messages":[],"fallback":true}"#).fallback)
        #expect(try Self.parse("generic", #"{"messages":[],"fallback":"yes"}"#).fallback == false, "only true is a fallback")
    }

    @Test func rasaRestChannelReplies() throws {
        let reply = try Self.parse("rasa", #"""
        [{"recipient_id":"usr_1","text":"Hi! What can I do?","buttons":[{"title":"Track my order","payload":"/track"},{"title":"Agent","payload":"/handoff"}]},
         {"recipient_id":"usr_1","image":"https://i.example.test/cat.jpg"},
         {"recipient_id":"usr_1","custom":{"handoff":{"reason":"asked_for_human","skills":["es"]}}}]
        """#)
        #expect(reply.messages.count == 2)
        #expect(reply.messages[0].suggestions.map(\.postback) == ["/track", "/handoff"])
        #expect(reply.messages[1].mediaURL == "https://i.example.test/cat.jpg")
        #expect(reply.handoff == BotReply.Handoff(reason: "asked_for_human", skills: ["es"]))
        let flag = try Self.parse("rasa", #"[{"recipient_id":"u","custom":{"handoff":true}}]"#)
        #expect(flag.handoff == BotReply.Handoff(reason: "bot_requested", skills: []))
        #expect(try Self.parse("rasa", "[]").messages.isEmpty)
    }

    @Test func openAIChatCompletionReply() throws {
        let reply = try Self.parse("openai-chat", #"""
        {"id":"chatcmpl-123","object":"chat.completion","created":1677652288,"model":"gpt-4o-mini",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how may I assist you today?"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21}}
        """#)
        #expect(reply.messages.map(\.text) == ["Hello there, how may I assist you today?"])
    }

    @Test func dialogflowDetectIntentReply() throws {
        let reply = try Self.parse("dialogflow-es", #"""
        {"responseId":"r-1","queryResult":{"queryText":"I want a person","fulfillmentText":"Connecting you to an agent.",
          "fulfillmentMessages":[{"quickReplies":{"quickReplies":["Yes","No"]}},{"payload":{"liveAgentHandoff":true}}],
          "intent":{"displayName":"handoff"},"intentDetectionConfidence":0.42,"languageCode":"en"}}
        """#)
        #expect(reply.messages.map(\.text) == ["Connecting you to an agent."])
        #expect(reply.messages[0].suggestions.map(\.text) == ["Yes", "No"])
        #expect(reply.confidence == 0.42)
        #expect(reply.handoff?.reason == "bot_requested")
    }

    static func bot(_ id: String, channels: Set<String>? = nil, states: Set<String> = ["bot"], triggers: [String] = [],
                    isDefault: Bool = false) -> Bot {
        Bot(id: id, adapter: adapters["generic"]!, url: "http://127.0.0.1:9/\(id)", target: DeliveryTarget(id: "bot:\(id)", kind: .bot),
            channels: channels, states: Set(states.compactMap(ConversationState.init(rawValue:))), triggers: triggers.map { try! BotTrigger.parse($0).get() }, isDefault: isDefault)
    }

    @Test func routingByKeywordRegexChannelAndState() {
        let router = BotRouter(bots: [
            Self.bot("orders", triggers: ["order", "/^#\\d{6,}$/"]),
            Self.bot("refunds", channels: ["wa"], triggers: ["remboursement", "REFUND"]),
            Self.bot("standby", states: ["agent"]),
            Self.bot("faq", isDefault: true),
        ])
        func route(_ text: String?, postback: String? = nil, channel: String = "wa", state: String = "bot") -> String? {
            router.route(channel: channel, state: ConversationState(rawValue: state)!, text: text, postback: postback)?.id
        }
        #expect(route("Where is my ORDER?") == "orders")
        #expect(route("my orders are late") == "faq") // whole words only
        #expect(route("#1234567") == "orders")
        #expect(route("je veux un remboursément") == "refunds") // accents and case folded
        #expect(route("je veux un remboursement", channel: "web") == "faq") // refunds serves wa only
        #expect(route(nil, postback: "refund") == "refunds")
        #expect(route("hello") == "faq")
        #expect(route("hello", state: "agent") == "standby")
        #expect(route("hello", state: "queued") == nil)
        #expect(BotRouter(bots: [Self.bot("a", triggers: ["x"]), Self.bot("b", triggers: ["y"])]).route(channel: "wa", state: .bot, text: "z", postback: nil) == nil)
        let pinned = BotRouter(bots: [Self.bot("orders", triggers: ["order"]), Self.bot("faq", isDefault: true), Self.bot("sales")], channelBot: "sales")
        #expect(pinned.route(channel: "wa", state: .bot, text: "hi", postback: nil)?.id == "sales")
        #expect(pinned.route(channel: "wa", state: .bot, text: "order", postback: nil)?.id == "orders")
    }

    @Test func badTriggersAreRefused() {
        #expect((try? BotTrigger.parse("/([a-z/").get()) == nil)
        #expect((try? BotTrigger.parse("/ok/x").get()) == nil)
        #expect((try? BotTrigger.parse("   ").get()) == nil)
        #expect((try? BotTrigger.parse("/ok/i").get()) != nil)
    }

    @Test func requestBodiesAreValidJSONForHostileText() throws {
        let hostile = "\"quotes\" \\ back\nnew line \u{0007} 😀 עברית </script>"
        for name in ["generic", "braze-webhook", "rasa", "openai-chat", "dialogflow-es"] {
            let adapter = Self.adapters[name]!
            let context: TemplateValue = ["text": .string(hostile), "user_id": .string(hostile), "phone_number": "+34600111222",
                                          "conversation_id": "conv_1", "message_id": "msg_1", "channel": "wa", "locale": "es",
                                          "whats_app": ["inbound_message_body": .string(hostile)], "attributes": ["x": .string(hostile)],
                                          "media": [], "system_prompt": .string(hostile), "settings": [:],
                                          "transcript": [["role": "user", "text": .string(hostile)], ["role": "assistant", "text": "ok"]]]
            let body = adapter.body.render(context)
            let parsed = try JSONSerialization.jsonObject(with: Data(body.utf8))
            #expect(parsed is [String: Any], "\(name) rendered invalid JSON: \(body)")
        }
    }
}
