import Foundation
import HTTP
import Storage
import Templates

/// The Braze-compatible sending API, so a bot written for Braze's WhatsApp webhook-campaign
/// pattern answers through botbridge unchanged:
///
/// - `POST /campaigns/trigger/send` (scope `campaigns.trigger.send`)
/// - `POST /messages/send` (scope `messages.send`): an inline message, no campaign.
///
/// Errors use Braze's shape and statuses. "success" means accepted and committed, not
/// delivered: each created message's status is at `GET /v1/conversations/{id}`.
public struct BrazeRoutes: Sendable {
    let configuration: GatewayConfiguration
    let pool: DatabasePool
    let dispatcher: DeliveryDispatcher
    let hub: WebChatHub
    let clock: any DeliveryClock
    let auth: APIAuthenticator

    /// Braze's limit on recipients per call.
    public static let maxRecipients = 50

    public init(configuration: GatewayConfiguration, pool: DatabasePool, dispatcher: DeliveryDispatcher, hub: WebChatHub,
                clock: any DeliveryClock, auth: APIAuthenticator) {
        self.configuration = configuration
        self.pool = pool
        self.dispatcher = dispatcher
        self.hub = hub
        self.clock = clock
        self.auth = auth
    }

    struct Answer: Encodable {
        var dispatchID: String
        var message = "success"
        var errors: [String]?
        var sent: [DispatchBatch.Sent]
        enum CodingKeys: String, CodingKey {
            case message, errors, sent
            case dispatchID = "dispatch_id"
        }
    }

    public func register(on router: inout Router) {
        router.post("/campaigns/trigger/send", bodyLimit: 512 * 1024, auth.guarded(.campaignsTriggerSend, style: .braze) { request, _, key in
            try await triggerSend(request, key: key)
        })
        router.post("/messages/send", bodyLimit: 512 * 1024, auth.guarded(.messagesSend, style: .braze) { request, _, key in
            try await messagesSend(request, key: key)
        })
    }

    // MARK: - /campaigns/trigger/send

    func triggerSend(_ request: HTTPRequest, key: APIKey) async throws -> HTTPResponse {
        let body = try Self.object(request)
        guard let campaignID = body["campaign_id"] as? String, !campaignID.isEmpty else {
            throw BrazeError(.badRequest, "campaign_id is required", errors: ["missing_campaign_id"])
        }
        guard let campaign = configuration.campaigns[campaignID] else {
            throw BrazeError(.badRequest, "Invalid campaign_id '\(campaignID)'", errors: ["invalid_campaign_id"])
        }
        let sendID = try Self.optionalString(body, "send_id")
        let topProperties = try Self.properties(body["trigger_properties"], field: "trigger_properties")
        let broadcast = body["broadcast"] as? Bool ?? false
        if body["broadcast"] != nil && !isJSONBoolean(body["broadcast"]) {
            throw BrazeError(.badRequest, "broadcast must be true or false", errors: ["invalid_broadcast"])
        }
        if broadcast && !campaign.allowBroadcast {
            throw BrazeError(.badRequest, "broadcast is not enabled for campaign '\(campaignID)'", errors: ["broadcast_not_allowed"])
        }
        if broadcast && body["recipients"] != nil {
            throw BrazeError(.badRequest, "give recipients or broadcast, not both", errors: ["recipients_and_broadcast"])
        }
        let recipients = broadcast ? [] : try Self.recipients(body["recipients"])
        let idempotency = try Idempotency.from(request, apiKey: key, route: "/campaigns/trigger/send")
        let now = clock.now()
        let trigger = Dispatch.CampaignTrigger(campaign: campaign, sendID: sendID, properties: topProperties, recipients: recipients,
                                               broadcast: broadcast)
        let configuration = self.configuration
        return try await commit(idempotency, now: now) { db, batch in
            try Dispatch.campaign(trigger, batch: &batch, configuration: configuration, in: db, now: now)
        }
    }

    // MARK: - /messages/send

    func messagesSend(_ request: HTTPRequest, key: APIKey) async throws -> HTTPResponse {
        let body = try Self.object(request)
        var externalIDs: [String] = []
        if let value = body["external_user_ids"] {
            guard let list = value as? [String], list.allSatisfy({ !$0.isEmpty }) else {
                throw BrazeError(.badRequest, "external_user_ids must be a list of non-empty strings", errors: ["invalid_external_user_ids"])
            }
            for id in list where !externalIDs.contains(id) { externalIDs.append(id) }
        }
        let conversationPublicID = try Self.optionalString(body, "conversation_id")
        guard !externalIDs.isEmpty || conversationPublicID != nil else {
            throw BrazeError(.badRequest, "give external_user_ids or conversation_id", errors: ["no_recipients"])
        }
        guard externalIDs.count <= Self.maxRecipients else {
            throw BrazeError(.badRequest, "too many recipients: at most \(Self.maxRecipients) per call", errors: ["too_many_recipients"])
        }
        let channelName = try Self.optionalString(body, "channel")
        if let channelName, configuration.channels[channelName] == nil {
            throw BrazeError(.badRequest, "unknown channel '\(channelName)'", errors: ["invalid_channel"])
        }
        guard let spec = body["message"] as? [String: Any] else {
            throw BrazeError(.badRequest, "message is required: {\"text\", \"media_url\", \"suggestions\", \"template\"}", errors: ["missing_message"])
        }
        let message = try Self.inlineMessage(spec)
        let recipientIDs = externalIDs
        let idempotency = try Idempotency.from(request, apiKey: key, route: "/messages/send")
        let now = clock.now()
        let configuration = self.configuration
        return try await commit(idempotency, now: now) { db, batch in
            try Dispatch.inline(message, conversationPublicID: conversationPublicID, externalIDs: recipientIDs, channel: channelName,
                                batch: &batch, configuration: configuration, in: db, now: now)
        }
    }

    // MARK: - Committing

    /// Runs `body` in one write transaction behind the idempotency check, records the answer
    /// with the key, and wakes the dispatcher and web-chat readers once committed.
    func commit(_ idempotency: Idempotency?, now: Int64,
                _ body: @escaping @Sendable (Database, inout DispatchBatch) throws -> Void) async throws -> HTTPResponse {
        let (response, identities, replayed) = try await pool.write { db -> (HTTPResponse, [Int64], Bool) in
            if let replay = try idempotency?.replay(in: db, now: now) { return (replay, [], true) }
            var batch = DispatchBatch()
            try body(db, &batch)
            let response = HTTPResponse.json(Answer(dispatchID: batch.dispatchID, errors: batch.errors.isEmpty ? nil : batch.errors,
                                                    sent: batch.sent), status: .created)
            try idempotency?.store(response, in: db, now: now)
            return (response, batch.identities, false)
        }
        if !replayed {
            dispatcher.notify()
            for identity in identities { hub.notify(identity: identity) }
        }
        return response
    }

    // MARK: - Reading the body

    static func object(_ request: HTTPRequest) throws(BrazeError) -> [String: Any] {
        let type = (request.headers["Content-Type"] ?? "").lowercased()
        guard type.hasPrefix("application/json") else {
            throw BrazeError(.unsupportedMediaType, "Content-Type must be application/json", errors: ["unsupported_media_type"])
        }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any] else {
            throw BrazeError(.badRequest, "the body must be a JSON object", errors: ["malformed_json"])
        }
        return object
    }

    static func optionalString(_ object: [String: Any], _ key: String) throws(BrazeError) -> String? {
        guard let value = object[key], !isJSONNull(value) else { return nil }
        guard let text = value as? String, !text.isEmpty, text.utf8.count <= 1024 else {
            throw BrazeError(.badRequest, "\(key) must be a non-empty string", errors: ["invalid_\(key)"])
        }
        return text
    }

    static func properties(_ value: Any?, field: String) throws(BrazeError) -> [String: TemplateValue] {
        guard let value, !isJSONNull(value) else { return [:] }
        guard value is [String: Any], let data = try? JSONSerialization.data(withJSONObject: value),
              case .object(let members)? = try? TemplateValue(jsonData: data) else {
            throw BrazeError(.badRequest, "\(field) must be an object", errors: ["invalid_\(field.split(separator: ".").last ?? "")"])
        }
        return members
    }

    /// Validates `recipients`: 1–50 objects, each naming a user once (duplicates collapsed).
    static func recipients(_ value: Any?) throws(BrazeError) -> [CampaignRecipient] {
        guard let value, !isJSONNull(value) else {
            throw BrazeError(.badRequest, "no recipients: give recipients (or broadcast, when the campaign allows it)", errors: ["no_recipients"])
        }
        guard let list = value as? [[String: Any]] else {
            throw BrazeError(.badRequest, "recipients must be a list of objects", errors: ["invalid_recipients"])
        }
        guard !list.isEmpty else { throw BrazeError(.badRequest, "no recipients: the list is empty", errors: ["no_recipients"]) }
        guard list.count <= maxRecipients else {
            throw BrazeError(.badRequest, "too many recipients: \(list.count), at most \(maxRecipients) per call", errors: ["too_many_recipients"])
        }
        var recipients: [CampaignRecipient] = []
        for (index, item) in list.enumerated() {
            let field = "recipients[\(index)]"
            var recipient = CampaignRecipient(externalID: nil, alias: nil, triggerProperties: [:], attributes: [:], sendToExistingOnly: true)
            if let id = item["external_user_id"] {
                guard let text = id as? String, !text.isEmpty else {
                    throw BrazeError(.badRequest, "\(field).external_user_id must be a non-empty string", errors: ["invalid_external_user_id"])
                }
                recipient.externalID = text
            } else if let alias = item["user_alias"] as? [String: Any], let name = alias["alias_name"] as? String,
                      let label = alias["alias_label"] as? String, !name.isEmpty, !label.isEmpty {
                recipient.alias = (name, label)
            } else {
                throw BrazeError(.badRequest, "\(field) needs external_user_id or user_alias {alias_name, alias_label}", errors: ["invalid_recipient"])
            }
            recipient.triggerProperties = try properties(item["trigger_properties"], field: "\(field).trigger_properties")
            recipient.attributes = try properties(item["attributes"], field: "\(field).attributes")
            if let flag = item["send_to_existing_only"] {
                guard isJSONBoolean(flag), let value = flag as? Bool else {
                    throw BrazeError(.badRequest, "\(field).send_to_existing_only must be true or false", errors: ["invalid_send_to_existing_only"])
                }
                recipient.sendToExistingOnly = value
            }
            // The same person twice is sent once; the later entry's properties win.
            if let same = recipients.firstIndex(where: { $0.label == recipient.label }) {
                recipients[same] = recipient
            } else {
                recipients.append(recipient)
            }
        }
        return recipients
    }

    static func inlineMessage(_ spec: [String: Any]) throws(BrazeError) -> OutboundMessage {
        let text = spec["text"] as? String
        let media = spec["media_url"] as? String
        if let media, !(media.hasPrefix("https://") || media.hasPrefix("http://")) {
            throw BrazeError(.badRequest, "message.media_url must be an http(s) URL", errors: ["invalid_media_url"])
        }
        if let text, text.count > ConversationRoutes.maxTextCharacters {
            throw BrazeError(.badRequest, "message.text is longer than \(ConversationRoutes.maxTextCharacters) characters", errors: ["text_too_long"])
        }
        var message = OutboundMessage(text: text?.isEmpty == false ? text : nil, mediaURL: media, author: .bot)
        if let list = spec["suggestions"] as? [[String: String]] {
            message.suggestions = list.compactMap { item in item["text"].map { .init(text: $0, postback: item["postback"] ?? $0) } }
        }
        if let template = spec["template"] as? [String: Any] {
            guard let name = template["name"] as? String, !name.isEmpty else {
                throw BrazeError(.badRequest, "message.template needs a name", errors: ["invalid_template"])
            }
            message.template = .init(name: name, language: template["language"] as? String ?? "en",
                                     parameters: (template["parameters"] as? [Any] ?? []).map { "\($0)" })
        }
        guard message.text != nil || message.mediaURL != nil || message.template != nil else {
            throw BrazeError(.badRequest, "message needs text, media_url or template", errors: ["empty_message"])
        }
        return message
    }
}
