import HTTP
import Storage

/// `POST /v1/conversations/{id}/messages` (scope `messages.send`): a bot or agent reply into a
/// known conversation, stored and sent through the outbox.
public enum ConversationRoutes {
    struct SendBody: Decodable {
        var text: String?
        var mediaURL: String?
        var suggestions: [Suggestion]?
        var author: String?

        struct Suggestion: Decodable {
            var text: String
            var postback: String?
        }

        enum CodingKeys: String, CodingKey {
            case text, suggestions, author
            case mediaURL = "media_url"
        }
    }

    struct SendAnswer: Encodable {
        var messageIDs: [Int64]
        var status: String
        var reason: String?
        enum CodingKeys: String, CodingKey {
            case status, reason
            case messageIDs = "message_ids"
        }
    }

    /// The largest text accepted in one request (it may still be split for the channel).
    public static let maxTextCharacters = 32_768

    public static func register(on router: inout Router, configuration: GatewayConfiguration, pool: DatabasePool,
                                dispatcher: DeliveryDispatcher, clock: any DeliveryClock, webChatHub: WebChatHub,
                                auth: APIAuthenticator) {
        router.post("/v1/conversations/{id}/messages", bodyLimit: 256 * 1024, auth.guarded(.messagesSend) { request, context, _ in
            let body = try request.decodeJSON(SendBody.self)
            let text = body.text.flatMap { $0.isEmpty ? nil : $0 }
            guard text != nil || body.mediaURL != nil else {
                throw HTTPError(.unprocessableContent, code: "empty_message", message: "give 'text' or 'media_url'")
            }
            if let text, text.count > maxTextCharacters {
                throw HTTPError(.unprocessableContent, code: "text_too_long", message: "'text' is longer than \(maxTextCharacters) characters")
            }
            if let url = body.mediaURL, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
                throw HTTPError(.unprocessableContent, code: "invalid_media_url", message: "'media_url' must be an http(s) URL")
            }
            let author: OutboundMessage.Author
            switch body.author ?? "bot" {
            case "bot": author = .bot
            case "agent": author = .agent
            default: throw HTTPError(.unprocessableContent, code: "invalid_author", message: "'author' must be bot or agent")
            }
            let publicID = context.parameters["id"] ?? ""
            let found = try await pool.read { db in
                try db.queryRow("SELECT id, channel FROM conversations WHERE public_id = ?", publicID)
            }
            guard let found, let conversationID = found.int64("id"), let channelID = found.string("channel") else {
                throw HTTPError.notFound("no conversation '\(publicID)'")
            }
            guard let channel = configuration.channels[channelID], channel.sender != nil || channel.isWebChat else {
                throw HTTPError(.conflict, code: "channel_cannot_send", message: "channel '\(channelID)' is not configured to send")
            }
            let sender = channel.sender
            let message = OutboundMessage(text: text, mediaURL: body.mediaURL,
                                          suggestions: (body.suggestions ?? []).map { .init(text: $0.text, postback: $0.postback ?? $0.text) },
                                          author: author)
            let now = clock.now()
            let publicURL = configuration.publicURL
            let result = try await pool.write { db in
                try Outbound.send(message, conversationID: conversationID, sender: sender, publicURL: publicURL, in: db, now: now)
            }
            if sender != nil { dispatcher.notify() } else { webChatHub.notify(identity: result.identityID) }
            if result.windowClosed && !result.usedFallback {
                return .json(SendAnswer(messageIDs: result.messageIDs, status: "failed", reason: Outbound.windowClosed), status: .accepted)
            }
            return .json(SendAnswer(messageIDs: result.messageIDs, status: sender == nil ? "sent" : "queued",
                                    reason: result.usedFallback ? "window_closed_template_sent" : nil), status: .accepted)
        })
    }
}
