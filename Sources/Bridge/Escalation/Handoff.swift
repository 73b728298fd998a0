import Foundation
import Storage
import Templates

/// Handing a conversation to people and back, inside the caller's transaction: the case, the
/// state change, the handoff packet to the contact center (a delivery), user messages forwarded
/// with fresh suggestions, and the notices to the user.
public enum Handoff {
    /// What starting a handoff did.
    public struct Started: Sendable, Equatable {
        public var caseID: Int64
        public var casePublicID: String
        public var notice: OutboundResult?
    }

    /// Opens a case, moves the conversation to `queued`, sends the packet to the contact center
    /// and the `handoff-created` notice to the user. Nil when the conversation is not with the
    /// bot (already with people, or closed), or when no contact center is configured: then
    /// nobody could answer, so the request is only noted (`handoff_request`) and the bot keeps
    /// the conversation.
    public static func start(conversationID: Int64, signal: EscalationSignal, configuration: GatewayConfiguration,
                             in db: Database, now: Int64) throws -> Started? {
        guard try ConversationStates.state(of: conversationID, in: db) == .bot,
              let channelID = try db.scalar("SELECT channel FROM conversations WHERE id = ?", conversationID).string else { return nil }
        guard let defaultContactCenter = configuration.defaultContactCenter else {
            try Outbound.note(conversationID: conversationID, type: "handoff_request", text: signal.reason,
                              payload: .object(["detector": .string(signal.detector), "skills": .array(signal.skills.map(TemplateValue.string)),
                                                "outcome": .string("no contact center configured")]),
                              in: db, now: now)
            return nil
        }
        let (locale, route) = try routing(conversationID: conversationID, channel: channelID, signal: signal, configuration: configuration, in: db)
        let contactCenter = route.contactCenter.flatMap { configuration.contactCenters[$0] } ?? defaultContactCenter
        let casePublicID = PublicID.make("case")
        let insertedCase = try db.scalar("""
            INSERT INTO cases (public_id, conversation_id, state, reason, detector, queue, skills, contact_center, opened_at)
            VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?) RETURNING id
            """, casePublicID, conversationID, signal.reason, signal.detector, route.queue,
            TemplateValue.array(signal.skills.map(TemplateValue.string)).json, contactCenter.id, now)
        let caseID = (insertedCase.int64 ?? 0)
        try db.run("UPDATE conversations SET case_id = ? WHERE id = ?", caseID, conversationID)
        try ConversationStates.move(conversationID, to: .queued, reason: signal.reason,
                                    details: ["case_id": .string(casePublicID), "detector": .string(signal.detector)], in: db, now: now)
        try Enrichment.escalated(conversationID: conversationID, casePublicID: casePublicID, signal: signal, queue: route.queue,
                                 settings: configuration.profiles, in: db, now: now)
        let suggestions = try self.suggestions(conversationID: conversationID, locale: locale, in: db)
        let packet = try self.packet(conversationID: conversationID, casePublicID: casePublicID, signal: signal, locale: locale,
                                     channel: channelID, route: route, suggestions: suggestions, in: db)
        try enqueue(contactCenter.adapter.handoff, step: .handoff, variables: ["packet": packet, "user": packet["user"] ?? .null,
                                                                   "transcript_text": .string(transcriptText(packet))],
                    contactCenter: contactCenter, casePublicID: casePublicID, conversationID: conversationID, in: db, now: now)
        let notice = try configuration.notices.send(
            .handoffCreated, conversationID: conversationID,
            extra: ["case_number": .string(casePublicID), "reason": .string(signal.reason), "suggestions": .array(suggestions)],
            sender: configuration.channels[channelID]?.sender, publicURL: configuration.publicURL, in: db, now: now)
        return Started(caseID: caseID, casePublicID: casePublicID, notice: notice)
    }

    /// Forwards a user message of a conversation held by people to its contact center, with
    /// fresh knowledge-base suggestions for the agent.
    public static func forward(text: String?, conversationID: Int64, configuration: GatewayConfiguration, in db: Database, now: Int64) throws {
        guard let row = try db.queryRow("""
            SELECT c.public_id AS case_id, c.contact_center FROM conversations v JOIN cases c ON c.id = v.case_id WHERE v.id = ?
            """, conversationID), let casePublicID = row.string("case_id"),
              let contactCenter = row.string("contact_center").flatMap({ configuration.contactCenters[$0] }) else { return }
        let locale = try configuration.notices.locale(conversationID: conversationID, in: db)
        let suggestions = try self.suggestions(conversationID: conversationID, locale: locale, in: db)
        let message: TemplateValue = .object(["type": .string("user.message"), "case_id": .string(casePublicID),
                                              "text": text.map(TemplateValue.string) ?? .null, "suggestions": .array(suggestions)])
        let user = try db.queryRow("""
            SELECT u.external_id, i.address, i.display_name FROM conversations v JOIN users u ON u.id = v.user_id
            JOIN identities i ON i.id = v.identity_id WHERE v.id = ?
            """, conversationID)
        let sender: TemplateValue = .object(["id": .string(user?.string("external_id") ?? ""), "address": .string(user?.string("address") ?? ""),
                                             "name": user?.string("display_name").map(TemplateValue.string) ?? .null])
        try enqueue(contactCenter.adapter.message, step: .message, variables: ["message": message, "user": sender],
                    contactCenter: contactCenter, casePublicID: casePublicID, conversationID: conversationID, in: db, now: now)
    }

    /// Writes the adapter's requests for a handoff or a message as deliveries, in order on the
    /// conversation's contact-center key. `refs.<name>` the case does not know yet is written as a
    /// marker that `ContactCenterDelivery` fills in at send time.
    static func enqueue(_ requests: [ContactCenterAdapter.Request], step: ContactCenterDelivery.Step.Kind, variables: [String: TemplateValue],
                        contactCenter: ContactCenter, casePublicID: String, conversationID: Int64, in db: Database, now: Int64) throws {
        let known = try ContactCenterDelivery.refs(casePublicID: casePublicID, in: db)
        var refs: [String: TemplateValue] = [:]
        for name in contactCenter.adapter.savedNames { refs[name] = .string(known[name] ?? ContactCenterDelivery.marker(name)) }
        // The profile as in every template (`{{${first_name}}}`, `{{custom_attribute.${order_id}}}`), then the step's values.
        let conversation = try db.queryRow("SELECT public_id, user_id FROM conversations WHERE id = ?", conversationID)
        var values = try Profiles.templateContext(of: conversation?.int64("user_id") ?? 0, in: db)
        for (name, value) in variables { values[name] = value }
        values["refs"] = .object(refs)
        values["case_id"] = .string(casePublicID)
        values["conversation_id"] = .string(conversation?.string("public_id") ?? "")
        values["settings"] = .object(contactCenter.settings.mapValues(TemplateValue.string))
        let context = TemplateValue.object(values)
        for (index, request) in requests.enumerated() {
            let pathRendering = request.path?.rendering(context)
            let path = pathRendering?.output ?? ""
            let url = path.hasPrefix("http://") || path.hasPrefix("https://") ? path : contactCenter.url + path
            let bodyRendering = request.body.rendering(context)
            let body = bodyRendering.output
            var headers = [DeliveryHeader("Content-Type", request.contentType)]
            if !request.save.isEmpty || url.contains(ContactCenterDelivery.markerPrefix) || body.contains(ContactCenterDelivery.markerPrefix) {
                headers.append(ContactCenterDelivery.Step(casePublicID: casePublicID, kind: step, index: index).header)
            }
            try Outbox.enqueue(NewDelivery(kind: .contactCenter, target: contactCenter.target.id,
                                           orderingKey: OrderingKey.toContactCenter(conversation: conversationID), conversationID: conversationID,
                                           messageID: nil, method: request.method, url: url, headers: headers, body: Array(body.utf8),
                                           abortReason: bodyRendering.abortReason ?? pathRendering?.abortReason),
                               in: db, now: now)
        }
    }

    /// The transcript as plain lines (`[time] author: text`), for contact centers that take it as a note.
    static func transcriptText(_ packet: TemplateValue) -> String {
        guard case .array(let lines)? = packet["transcript"] else { return "" }
        return lines.compactMap { line -> String? in
            guard let text = line["text"]?.textValue else { return nil }
            return "[\(line["time"]?.textValue ?? "")] \(line["author"]?.textValue ?? ""): \(text)"
        }.joined(separator: "\n")
    }

    /// The conversation's locale and where routing sends its handoff.
    static func routing(conversationID: Int64, channel: String, signal: EscalationSignal, configuration: GatewayConfiguration,
                        in db: Database) throws -> (locale: String, route: Routing.Decision) {
        let locale = try configuration.notices.locale(conversationID: conversationID, in: db)
        let userID = try db.scalar("SELECT user_id FROM conversations WHERE id = ?", conversationID).int64 ?? 0
        let route = configuration.routing.route(locale: locale, channel: channel, skills: signal.skills,
                                                attributes: try Profiles.attributes(of: userID, in: db))
        return (locale, route)
    }

    /// The packet a handoff of this conversation would send now, with its suggestions, as JSON
    /// text (what `bench/` measures; nothing is written).
    public static func previewPacket(conversationID: Int64, signal: EscalationSignal, configuration: GatewayConfiguration,
                                     in db: Database) throws -> String {
        guard let channel = try db.scalar("SELECT channel FROM conversations WHERE id = ?", conversationID).string else {
            throw OutboundError.unknownConversation(conversationID)
        }
        let (locale, route) = try routing(conversationID: conversationID, channel: channel, signal: signal, configuration: configuration, in: db)
        let suggestions = try self.suggestions(conversationID: conversationID, locale: locale, in: db)
        return try packet(conversationID: conversationID, casePublicID: "case_preview", signal: signal, locale: locale, channel: channel,
                          route: route, suggestions: suggestions, in: db).json
    }

    /// The handoff packet: case, reason, routing, the user's profile, the whole transcript and
    /// the top suggestions.
    static func packet(conversationID: Int64, casePublicID: String, signal: EscalationSignal, locale: String, channel: String,
                       route: Routing.Decision, suggestions: [TemplateValue], in db: Database) throws -> TemplateValue {
        guard let conversation = try db.queryRow("""
            SELECT v.public_id, v.user_id, u.external_id, i.address, i.display_name FROM conversations v
            JOIN users u ON u.id = v.user_id JOIN identities i ON i.id = v.identity_id WHERE v.id = ?
            """, conversationID) else { throw OutboundError.unknownConversation(conversationID) }
        let transcript = try db.query("""
            SELECT sequence, author_kind, type, text, created_at FROM messages
            WHERE conversation_id = ? AND direction <> 'internal' ORDER BY sequence
            """, conversationID).map { row -> TemplateValue in
            .object(["seq": .int(row.int64("sequence") ?? 0), "author": .string(row.string("author_kind") ?? ""),
                     "text": row.string("text").map(TemplateValue.string) ?? .null,
                     "time": .string(DeliveryView.time(row.int64("created_at") ?? 0))])
        }
        return .object([
            "type": .string("handoff"),
            "case_id": .string(casePublicID),
            "conversation_id": .string(conversation.string("public_id") ?? ""),
            "reason": .string(signal.reason),
            "detector": .string(signal.detector),
            "routing": .object(["queue": .string(route.queue), "rule": route.rule.map { .int(Int64($0)) } ?? .null,
                                "skills": .array(signal.skills.map(TemplateValue.string)),
                                "locale": .string(locale), "channel": .string(channel)]),
            "user": .object(["id": .string(conversation.string("external_id") ?? ""), "address": .string(conversation.string("address") ?? ""),
                             "name": conversation.string("display_name").map(TemplateValue.string) ?? .null,
                             "attributes": try Profiles.attributes(of: conversation.int64("user_id") ?? 0, in: db)]),
            "transcript": .array(transcript),
            "suggestions": .array(suggestions),
        ])
    }

    /// Knowledge-base suggestions for the user's last three messages, in the conversation's locale
    /// when it has any that match, else in any locale.
    static func suggestions(conversationID: Int64, locale: String, limit: Int = 3, in db: Database) throws -> [TemplateValue] {
        let recent = try db.query("""
            SELECT text FROM messages WHERE conversation_id = ? AND author_kind = 'user' AND text IS NOT NULL
            ORDER BY sequence DESC LIMIT 3
            """, conversationID).compactMap { $0.string("text") }
        guard !recent.isEmpty else { return [] }
        let text = recent.joined(separator: " ")
        // The conversation's locale first; when nothing matches there (the locale may only be the
        // configured default), every locale.
        var matches = try KnowledgeBase.search(text, locale: locale, limit: limit, in: db)
        if matches.isEmpty { matches = try KnowledgeBase.search(text, limit: limit, in: db) }
        return matches.map { match in
            .object(["id": .string(match.article.id), "title": .string(match.article.title),
                     "url": match.article.url.map(TemplateValue.string) ?? .null, "excerpt": .string(match.excerpt)])
        }
    }
}
