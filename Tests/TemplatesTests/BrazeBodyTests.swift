import Foundation
import Testing
@testable import Templates

@Suite struct BrazeBodyTests {
    /// Webhook bodies as Braze documents them, pasted unchanged.
    static let bodies: [(template: String, expected: String)] = [
        (
            #"{"user_id":"{{${user_id}}}","phone_number":"{{${phone_number}}}","message":"{{whats_app.${inbound_message_body}}}"}"#,
            #"{"user_id":"u-42","phone_number":"+15551234567","message":"hello there"}"#
        ),
        (#"{"text":"{{api_trigger_properties.${external_system_msg_body}}}"}"#, #"{"text":"order shipped"}"#),
        (#"{"order":"{{custom_attribute.${order_id}}}"}"#, #"{"order":"A-1001"}"#),
        (#"{{custom_attribute.${Favorite Color}}}"#, "teal"),
        (#"{{ ${user_id} }}"#, "u-42"),
        (#"{{${first_name} | default: 'there'}}"#, "Ada"),
        (#"{{${last_name} | default: 'there'}}"#, "there"),
        (#"Hi {{${first_name} | upcase}}!"#, "Hi ADA!"),
        (#"{{canvas_entry_properties.${product_name}}}"#, "Kettle"),
        (#"{{event_properties.${amount}}}"#, "12.5"),
        (#"{{whats_app.${missing}}}|{{${missing}}}"#, "|"),
        (
            #"{"to":"{{${phone_number}}}","body":"{{whats_app.${inbound_message_body} | json_escape}}"}"#,
            #"{"to":"+15551234567","body":"hello there"}"#
        ),
        (
            "{% if ${first_name} != blank %}Hi {{${first_name}}}{% else %}Hi{% endif %}",
            "Hi Ada"
        ),
        ("{{${user_id}}}{{${user_id}}}", "u-42u-42"),
        ("{{${user_id}}}}", "u-42}"),
    ]

    @Test(arguments: bodies)
    func rendersBrazeBody(template: String, expected: String) throws {
        #expect(try render(template, BrazeContext.make()) == expected)
    }

    @Test func bodyStaysValidJSONWithHostileMessage() throws {
        let template = try Template(parsing: #"{"user_id":"{{${user_id}}}","message":"{{whats_app.${inbound_message_body} | json_escape}}"}"#)
        let hostile = "He said \"hi\"\n\\ and left\t🙂"
        let body = template.render(BrazeContext.make(inboundBody: hostile))
        let object = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String]
        #expect(object == ["user_id": "u-42", "message": hostile])
    }

    @Test func templateRendersManyContexts() throws {
        let template = try Template(parsing: "{{${user_id}}}:{{whats_app.${inbound_message_body}}}")
        for index in 0..<100 {
            let context = BrazeContext.make(userID: "u\(index)", inboundBody: "m\(index)")
            #expect(template.render(context) == "u\(index):m\(index)")
        }
    }

    @Test func rendersShareNoState() throws {
        let template = try Template(parsing: "{% assign n = n | plus: 1 %}{% capture c %}{{ c }}x{% endcapture %}{{ n }}{{ c }}")
        #expect(template.render([:]) == "1x")
        #expect(template.render([:]) == "1x")
        #expect(template.render(["n": 5]) == "6x")
    }

    @Test func templateIsSendableAcrossTasks() async throws {
        let template = try Template(parsing: "{{${user_id}}}")
        let results = await withTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask { template.render(["user_id": .string("u\(index)")]) }
            }
            var all: [String] = []
            for await result in group { all.append(result) }
            return all.sorted()
        }
        #expect(results == (0..<8).map { "u\($0)" })
    }
}
