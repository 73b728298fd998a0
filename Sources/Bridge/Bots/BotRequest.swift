import Storage
import Templates

/// The webhook a bot gets for a user message: its adapter's template rendered with the message,
/// the profile and (when the adapter asks) the recent transcript, as one signed delivery
/// ordered behind everything else of the conversation.
///
/// Template variables: `conversation_id`, `message_id`, `user_id` (the user's external id),
/// `channel`, `sequence`, `address`, `display_name`, `text`, `postback`, `locale`, `media`
/// ([{url, type}]), `phone_number`, `attributes` and `custom_attribute` (the profile, also at the
/// top level for Braze's `{{${first_name}}}`), `whats_app.inbound_message_body`, `settings` (the
/// bot's), `standby` (true when people hold the conversation and the bot only listens), `system_prompt`, and `transcript` ([{role: user|assistant, author, text, sequence}],
/// oldest first, this message last).
public enum BotRequest {
    static func delivery(for item: InboundItem, stored: StoredMessage, channel: String, bot: Bot, standby: Bool = false,
                         in db: Database) throws -> NewDelivery {
        var values = try context(for: item, stored: stored, channel: channel, bot: bot, in: db)
        if standby, case .object(var members) = values {
            members["standby"] = .bool(true)
            values = .object(members)
        }
        let body = bot.adapter.body.rendering(values)
        let url = bot.urlTemplate?.rendering(values)
        return NewDelivery(kind: .bot, target: bot.target.id, orderingKey: OrderingKey.toBot(conversation: stored.conversationID),
                           conversationID: stored.conversationID, messageID: stored.messageID, url: url?.output ?? bot.url,
                           headers: [DeliveryHeader("Content-Type", bot.adapter.contentType)], body: Array(body.output.utf8),
                           abortReason: body.abortReason ?? url?.abortReason)
    }

    static func context(for item: InboundItem, stored: StoredMessage, channel: String, bot: Bot, in db: Database) throws -> TemplateValue {
        // The profile first, so message fields win over attributes of the same name.
        var context = try Profiles.templateContext(of: stored.userID, in: db)
        let attributes = context["attributes"] ?? .object([:])
        let externalID = try db.scalar("SELECT external_id FROM users WHERE id = ?", stored.userID).string ?? String(stored.userID)
        context["conversation_id"] = .string(stored.conversationPublicID)
        context["message_id"] = .string(stored.publicID)
        context["user_id"] = .string(externalID)
        context["channel"] = .string(channel)
        context["sequence"] = .int(Int64(stored.sequence))
        for (name, value) in item.fields { context[name] = .string(value) }
        context["media"] = .array(item.media.map { .object(["url": .string($0.url), "type": $0.type.map(TemplateValue.string) ?? .null]) })
        if context["phone_number"] == nil {
            let phone = attributes["phone"]?.textValue ?? item["phone"] ?? item["address"].map(Self.phone(fromAddress:))
            context["phone_number"] = phone.map(TemplateValue.string) ?? .null
        }
        context["whats_app"] = .object(["inbound_message_body": item["text"].map(TemplateValue.string) ?? .null,
                                        "inbound_media_urls": .array(item.media.map { .string($0.url) })])
        context["settings"] = .object(bot.settings.mapValues(TemplateValue.string))
        context["system_prompt"] = bot.systemPrompt(locale: item["locale"]).map(TemplateValue.string) ?? .null
        if bot.adapter.transcriptTurns > 0 {
            let rows = try db.query("""
                SELECT sequence, direction, author_kind, text FROM messages
                WHERE conversation_id = ? AND text IS NOT NULL AND direction <> 'internal'
                ORDER BY sequence DESC LIMIT ?
                """, stored.conversationID, bot.adapter.transcriptTurns)
            context["transcript"] = .array(rows.reversed().map { row in
                let author = row.string("author_kind") ?? "user"
                return .object(["role": .string(author == "user" ? "user" : "assistant"), "author": .string(author),
                                "text": .string(row.string("text") ?? ""), "sequence": .int(row.int64("sequence") ?? 0)])
            })
        } else {
            context["transcript"] = .array([])
        }
        return .object(context)
    }

    /// `whatsapp:+34600111222` → `+34600111222`; other addresses as they are.
    static func phone(fromAddress address: String) -> String {
        address.hasPrefix("whatsapp:") ? String(address.dropFirst("whatsapp:".count)) : address
    }
}
