@testable import Templates

/// Parses and renders in one step; the parse error propagates so a test fails with its message.
func render(_ source: String, _ context: TemplateValue = [:]) throws -> String {
    try Template(parsing: source).render(context)
}

/// Fixture factories for the contexts the Braze examples use.
enum BrazeContext {
    static func make(
        userID: String = "u-42",
        phoneNumber: String = "+15551234567",
        inboundBody: String = "hello there",
        externalBody: String = "order shipped",
        orderID: TemplateValue = "A-1001"
    ) -> TemplateValue {
        [
            "user_id": .string(userID),
            "phone_number": .string(phoneNumber),
            "first_name": "Ada",
            "whats_app": ["inbound_message_body": .string(inboundBody)],
            "api_trigger_properties": ["external_system_msg_body": .string(externalBody)],
            "custom_attribute": ["order_id": orderID, "Favorite Color": "teal"],
            "canvas_entry_properties": ["product_name": "Kettle"],
            "event_properties": ["amount": 12.5],
        ]
    }
}
