import Bridge
import Foundation
import Templates
import Testing

/// Shipped adapters reading payloads shaped like the providers' documented examples.
@Suite struct InboundReaderTests {
    static let catalog = try! ChannelAdapterCatalog.load(directory: ChannelAdapterCatalogTests.shippedDirectory)

    static func read(_ adapter: String, _ body: String) throws -> [InboundItem] {
        let reader = try InboundReader(adapter: catalog.adapters[adapter]!, file: adapter)
        return reader.items(in: try reader.parse(Array(body.utf8)))
    }

    @Test func twilioWhatsAppMessageWithMedia() throws {
        let body = "SmsMessageSid=SM0001&NumMedia=2&ProfileName=Ana+Mar%C3%ADa&SmsSid=SM0001&WaId=34600111222&SmsStatus=received"
            + "&Body=Hola+%F0%9F%91%8B&To=whatsapp%3A%2B14155238886&NumSegments=1&MessageSid=SM0001&AccountSid=AC_FAKE"
            + "&From=whatsapp%3A%2B34600111222&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fm%2F0&MediaContentType0=image%2Fjpeg"
            + "&MediaUrl1=https%3A%2F%2Fapi.twilio.com%2Fm%2F1&MediaContentType1=audio%2Fogg&ApiVersion=2010-04-01"
        let items = try Self.read("twilio", body)
        #expect(items.count == 1)
        let item = try #require(items.first)
        #expect(item.kind == .message)
        #expect(item["provider_message_id"] == "SM0001")
        #expect(item["address"] == "whatsapp:+34600111222")
        #expect(item["display_name"] == "Ana María")
        #expect(item["phone"] == "34600111222")
        #expect(item["text"] == "Hola 👋")
        #expect(item.media == [InboundMedia(url: "https://api.twilio.com/m/0", type: "image/jpeg"),
                               InboundMedia(url: "https://api.twilio.com/m/1", type: "audio/ogg")])
    }

    @Test func twilioStatusCallbackIsAStatusNotAMessage() throws {
        let items = try Self.read("twilio", "MessageSid=SM0002&MessageStatus=delivered&SmsStatus=delivered&To=%2B15550001111&AccountSid=AC_FAKE")
        #expect(items == [InboundItem(kind: .status, fields: ["provider_message_id": "SM0002", "status": "delivered"])])
    }

    static let metaBatch = #"""
    {"object":"whatsapp_business_account","entry":[{"id":"WABA_FAKE","changes":[{"field":"messages","value":{
      "messaging_product":"whatsapp","metadata":{"display_phone_number":"15550009999","phone_number_id":"PNID_FAKE"},
      "contacts":[{"profile":{"name":"Kerry Fisher"},"wa_id":"16315551234"}],
      "messages":[
        {"from":"16315551234","id":"wamid.A1","timestamp":"1700000000","type":"text","text":{"body":"caf\u00e9 \ud83d\ude00"}},
        {"from":"16315551234","id":"wamid.A2","timestamp":"1700000001","type":"interactive",
         "interactive":{"type":"button_reply","button_reply":{"id":"LIVE_AGENT","title":"Talk to a person"}}},
        {"from":"16315551234","id":"wamid.A3","timestamp":"1700000002","type":"image","image":{"id":"MEDIA_1","mime_type":"image/png","caption":"receipt"}}
      ],
      "statuses":[{"id":"wamid.OUT1","status":"read","timestamp":"1700000003","recipient_id":"16315551234"},
                  {"id":"wamid.OUT2","status":"failed","timestamp":"1700000004","recipient_id":"16315551234","errors":[{"code":131047,"title":"Re-engagement message"}]}]
    }}]}]}
    """#

    @Test func metaBatchesMessagesAndStatuses() throws {
        let items = try Self.read("whatsapp-cloud", Self.metaBatch)
        #expect(items.map(\.kind) == [.message, .message, .message, .status, .status])
        #expect(items.map { $0["provider_message_id"] } == ["wamid.A1", "wamid.A2", "wamid.A3", "wamid.OUT1", "wamid.OUT2"])
        #expect(items[0]["text"] == "café 😀")
        #expect(items[0]["display_name"] == "Kerry Fisher")
        #expect(items[0]["recipient"] == "PNID_FAKE")
        #expect(items[0]["address"] == "16315551234")
        #expect(items[1]["postback"] == "LIVE_AGENT")
        #expect(items[1]["postback_title"] == "Talk to a person")
        #expect(items[2].media == [InboundMedia(url: "MEDIA_1", type: "image/png")])
        #expect(items[2]["caption"] == "receipt")
        #expect(items[4]["error"] == "Re-engagement message")
        #expect(items[3]["status"] == "read")
    }

    @Test func googleBusinessMessagesSuggestionAndLocale() throws {
        let body = #"""
        {"agent":"brands/B/agents/A","conversationId":"CONV_FAKE_1","customAgentId":"x","requestId":"REQ-42",
         "suggestionResponse":{"message":"conversations/CONV_FAKE_1/messages/M","name":"n","postbackData":"LIVE_AGENT","text":"Agent please","type":"REPLY"},
         "context":{"placeId":"PLACE_1","userInfo":{"displayName":"Tim","userDeviceLocale":"fr-FR"},"resolvedLocale":"fr"},
         "sendTime":"2024-01-01T10:00:00Z"}
        """#
        let item = try #require(try Self.read("google-business-messages", body).first)
        #expect(item["provider_message_id"] == "REQ-42")
        #expect(item["address"] == "CONV_FAKE_1")
        #expect(item["postback"] == "LIVE_AGENT")
        #expect(item["locale"] == "fr")
        #expect(item["display_name"] == "Tim")
        #expect(item["place"] == "PLACE_1")
        #expect(item["text"] == nil)
    }

    @Test func genericWithAMediaList() throws {
        let item = try #require(try Self.read("generic", #"{"id":"g-1","from":"user-7","text":"hi","media":[{"url":"https://x/1.png","type":"image/png"},{"url":""}]}"#).first)
        #expect(item.media == [InboundMedia(url: "https://x/1.png", type: "image/png")])
        #expect(try Self.read("generic", #"{"type":"status","id":"out-1","status":"delivered"}"#).map(\.kind) == [.status])
    }

    @Test(arguments: [("whatsapp-cloud", "", "the body is empty; expected JSON"), ("whatsapp-cloud", "{nope", "the body is not valid JSON"),
                      ("whatsapp-cloud", "[1,2]", "the body must be a JSON object")])
    func malformedBodiesAreRefused(adapter: String, body: String, reason: String) {
        #expect(throws: InboundReader.MalformedBody(reason: reason)) { _ = try Self.read(adapter, body) }
    }

    @Test func aRequestWithNoItemsReadsAsNone() throws {
        #expect(try Self.read("whatsapp-cloud", #"{"object":"whatsapp_business_account","entry":[]}"#).isEmpty)
    }

    @Test(arguments: ["a..b", ".a", "a[", "a[x]", "a[-1]", "", "a|"])
    func malformedPathsAreRejected(path: String) {
        #expect(ValuePath(path) == nil)
    }
}
