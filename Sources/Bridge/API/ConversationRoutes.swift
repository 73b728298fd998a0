import HTTP
import Storage

/// `POST /v1/conversations/{id}/messages` (scope `messages.send`): a bot or agent reply into a
/// known conversation, stored and sent through the outbox. `GET /v1/conversations[/{id}]`
/// (`conversations.read`). `POST /v1/conversations/{id}/handoff` (`conversations.write`, body
/// `{"reason", "skills"}`): the bot asks for a person (409 unless the conversation is with the
/// bot); `.../handback`: people give it back to the bot (409 from `bot` or `closed`).
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
        var messageIDs: [String]
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
        router.get("/v1/conversations", auth.guarded(.conversationsRead) { request, _, _ in
            var limit = 50
            if let text = request.query["limit"] {
                guard let value = Int(text), (1...500).contains(value) else { throw HTTPError.badRequest("'limit' must be 1-500", code: "invalid_limit") }
                limit = value
            }
            let stateText = request.query["state"]
            let state = stateText.flatMap(ConversationState.init(rawValue:))
            guard stateText == nil || state != nil else {
                throw HTTPError.badRequest("'state' must be bot, queued, agent or closed", code: "invalid_state")
            }
            let pageSize = limit
            let list = try await pool.read { db in try ConversationView.list(state: state, limit: pageSize, in: db) }
            return .json(["conversations": list])
        })
        router.get("/v1/conversations/{id}", auth.guarded(.conversationsRead) { _, context, _ in
            let publicID = context.parameters["id"] ?? ""
            guard let view = try await pool.read({ db in try ConversationView.find(publicID: publicID, in: db) }) else {
                throw HTTPError.notFound("no conversation '\(publicID)'")
            }
            return .json(view)
        })
        router.post("/v1/conversations/{id}/messages", bodyLimit: 256 * 1024, auth.guarded(.messagesSend) { request, context, key in
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
            let found = try await pool.read { db in try Conversations.find(publicID: publicID, in: db) }
            guard let found, let channelID = found.channel else {
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
            let idempotency = try Idempotency.from(request, apiKey: key, route: "/v1/conversations/\(publicID)/messages")
            let (response, identity, replayed) = try await pool.write { db -> (HTTPResponse, Int64, Bool) in
                if let replay = try idempotency?.replay(in: db, now: now) { return (replay, 0, true) }
                let reply = try Conversations.reply(message, conversationID: found.id, sender: sender, publicURL: publicURL, in: db, now: now)
                let (result, ids) = (reply.result, reply.messagePublicIDs)
                let answer: SendAnswer
                if result.windowClosed && !result.usedFallback {
                    answer = SendAnswer(messageIDs: ids, status: "failed", reason: Outbound.windowClosed)
                } else {
                    answer = SendAnswer(messageIDs: ids, status: sender == nil ? "sent" : "queued",
                                        reason: result.usedFallback ? "window_closed_template_sent" : nil)
                }
                let response = HTTPResponse.json(answer, status: .accepted)
                try idempotency?.store(response, in: db, now: now)
                return (response, result.identityID, false)
            }
            if !replayed {
                if sender != nil { dispatcher.notify() } else { webChatHub.notify(identity: identity) }
            }
            return response
        })
        router.post("/v1/conversations/{id}/handoff", bodyLimit: 16 * 1024, auth.guarded(.conversationsWrite) { request, context, _ in
            let body = request.body.isEmpty ? HandoffBody() : try request.decodeJSON(HandoffBody.self)
            let reason = body.reason.flatMap { $0.isEmpty ? nil : $0 } ?? "the bot asked for a person"
            guard reason.count <= 500 else { throw HTTPError(.unprocessableContent, code: "reason_too_long", message: "'reason' is longer than 500 characters") }
            let skills = body.skills ?? []
            guard skills.count <= 20, skills.allSatisfy({ !$0.isEmpty && $0.count <= 100 }) else {
                throw HTTPError(.unprocessableContent, code: "invalid_skills", message: "'skills' must be at most 20 names of 1-100 characters")
            }
            let (conversationID, channel) = try await find(context.parameters["id"] ?? "", pool: pool)
            let now = clock.now()
            let signal = EscalationSignal(detector: "api", reason: reason, skills: skills)
            let started: Handoff.Started
            do {
                started = try await pool.write { db in
                    try Handoff.request(conversationID: conversationID, signal: signal, configuration: configuration, in: db, now: now)
                }
            } catch let refusal as Handoff.Refusal {
                throw httpError(refusal)
            }
            wake(channel: channel, identity: started.notice?.identityID)
            return .json(["case_id": started.casePublicID, "state": ConversationState.queued.rawValue], status: .created)
        })
        router.post("/v1/conversations/{id}/handback", bodyLimit: 16 * 1024, auth.guarded(.conversationsWrite) { request, context, _ in
            let body = request.body.isEmpty ? HandoffBody() : try request.decodeJSON(HandoffBody.self)
            let reason = body.reason.flatMap { $0.isEmpty ? nil : $0 } ?? "handed back"
            let (conversationID, channel) = try await find(context.parameters["id"] ?? "", pool: pool)
            let now = clock.now()
            let identity: Int64?
            do {
                identity = try await pool.write { db in
                    try Handoff.handBack(conversationID: conversationID, reason: reason, sender: channel?.sender,
                                         configuration: configuration, in: db, now: now)
                }
            } catch ConversationStates.Failure.illegal(let transition) {
                throw HTTPError(.conflict, code: "illegal_transition", message: transition.description)
            }
            wake(channel: channel, identity: identity)
            return .json(["state": ConversationState.bot.rawValue])
        })

        @Sendable func find(_ publicID: String, pool: DatabasePool) async throws -> (Int64, Channel?) {
            let found = try await pool.read { db in try Conversations.find(publicID: publicID, in: db) }
            guard let found else { throw HTTPError.notFound("no conversation '\(publicID)'") }
            return (found.id, found.channel.flatMap { configuration.channels[$0] })
        }
        @Sendable func wake(channel: Channel?, identity: Int64?) {
            dispatcher.notify()
            if channel?.sender == nil, let identity { webChatHub.notify(identity: identity) }
        }
    }

    /// The answer to a handoff that does not start: 409 either way, with the reason's code.
    static func httpError(_ refusal: Handoff.Refusal) -> HTTPError {
        switch refusal {
        case .noContactCenter: HTTPError(.conflict, code: "no_contact_center", message: refusal.description)
        case .notWithBot: HTTPError(.conflict, code: "illegal_transition", message: refusal.description)
        }
    }

    struct HandoffBody: Decodable {
        var reason: String?
        var skills: [String]?
    }
}
