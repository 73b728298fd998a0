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

    // MARK: - abort_message

    static let aborts: [(template: String, output: String, reason: String?)] = [
        (#"Hi{% abort_message("no order yet") %} there"#, "Hi", "no order yet"),
        ("a{% abort_message('') %}b", "a", ""),
        ("a{% abort_message() %}b", "a", ""),
        ("a{% abort_message %}b", "a", ""),
        ("{% if custom_attribute.${order_id} == blank %}{% abort_message('no order id') %}{% endif %}order {{custom_attribute.${order_id}}}",
         "order A-1001", nil),
        ("{% unless ${first_name} == 'Ada' %}{% abort_message('not Ada') %}{% endunless %}Hi {{${first_name}}}", "Hi Ada", nil),
        ("{% for i in (1..5) %}{{ i }}{% if i == 3 %}{% abort_message('stop at ' | append: i) %}{% endif %}{% endfor %}tail", "123", "stop at 3"),
        ("{% capture x %}inside{% abort_message(${user_id}) %}{% endcapture %}{{ x }}", "", "u-42"),
        ("{% case ${user_id} %}{% when 'u-42' %}{% abort_message('test user') %}{% endcase %}never", "", "test user"),
        ("{% assign n = 0 %}{% if n < 1 %}{% abort_message(\"n is \" ) %}{% endif %}", "", "n is "),
    ]

    @Test(arguments: aborts)
    func abortMessageStopsTheMessage(template: String, output: String, reason: String?) throws {
        let rendering = try Template(parsing: template).rendering(BrazeContext.make())
        #expect(rendering.output == output)
        #expect(rendering.abortReason == reason)
        #expect(rendering.isAborted == (reason != nil))
        #expect(rendering.problems.isEmpty)
        // Plain render gives nothing for an aborted message, so no half of it is ever sent.
        #expect(try render(template, BrazeContext.make()) == (reason == nil ? output : ""))
    }

    @Test func abortMessageSyntaxErrorsHavePositions() {
        #expect(throws: TemplateError(line: 1, column: 31, message: "expected ')', found end of markup")) {
            try Template(parsing: "{% abort_message('no closing' %}")
        }
        #expect(throws: TemplateError(line: 2, column: 23, message: "unexpected 'extra'")) {
            try Template(parsing: "x\n{% abort_message('a') extra %}")
        }
    }

    // MARK: - Braze's date and number filters

    /// What Braze's documentation and its webhook recipes do with dates and numbers.
    static let datesAndNumbers: [(template: String, expected: String)] = [
        ("{{ custom_attribute.${signed_up} | date: '%B %-d, %Y' }}", "March 7, 2024"),
        ("{{ custom_attribute.${signed_up} | date: '%s' }}", "1709816400"),
        ("{{ custom_attribute.${last_purchase} | date: '%Y-%m-%d %H:%M:%S' }}", "2024-02-29 23:59:59"),
        ("{{ custom_attribute.${braze_time} | date: '%F %T.%L' }}", "2024-02-29 23:59:59.500"),
        ("{{ 1709251199 | date: '%b %e, %l:%M %p' }}", "Feb 29, 11:59 PM"),
        ("{{ '1709251199' | date: '%A %j %U' }}", "Thursday 060 %U"),
        ("{{ 'Friday, March 1, 2024 5:30 pm' | date: '%F %H:%M' }}", "2024-03-01 17:30"),
        ("{{ custom_attribute.${points} | plus: 10 }}", "130"),
        ("{{ custom_attribute.${points_text} | plus: 10 }}", "130"),
        ("{{ event_properties.${amount} | times: 1.08 | round: 2 }}", "13.5"),
        ("{{ event_properties.${amount} | ceil }}/{{ event_properties.${amount} | floor }}", "13/12"),
        ("{{ custom_attribute.${points} | divided_by: 7 }} {{ custom_attribute.${points} | divided_by: 7.0 | round: 1 }}", "17 17.1"),
        ("{{ custom_attribute.${points} | modulo: 7 }} {{ custom_attribute.${points} | minus: 200 | abs }}", "1 80"),
        ("{{ custom_attribute.${points} | at_most: 100 }} {{ custom_attribute.${points} | at_least: 500 }}", "100 500"),
        ("{% assign days = 'now' | date: '%s' | minus: custom_attribute.${signed_up_unix} | divided_by: 86400 %}{% if days > 365 %}old{% endif %}", "old"),
    ]

    @Test(arguments: datesAndNumbers)
    func dateAndNumberFilter(template: String, expected: String) throws {
        var context = BrazeContext.make()
        if case .object(var members) = context, case .object(var custom)? = members["custom_attribute"] {
            custom["signed_up"] = "2024-03-07T13:00:00Z"
            custom["signed_up_unix"] = 1_709_816_400
            custom["last_purchase"] = "2024-02-29 23:59:59"
            custom["braze_time"] = "2024-02-29T23:59:59:500+0000"
            custom["points"] = 120
            custom["points_text"] = "120"
            members["custom_attribute"] = .object(custom)
            context = .object(members)
        }
        #expect(try render(template, context) == expected)
    }

    @Test func nowMovesWithTheClock() throws {
        let seconds = try #require(Int(try render("{{ 'now' | date: '%s' }}")))
        let tomorrow = try #require(Int(try render("{{ 'now' | date: '%s' | plus: 86400 }}")))
        #expect(tomorrow - seconds >= 86_400 && tomorrow - seconds <= 86_402)
    }
}
