import Foundation
import HTTP
import Storage

/// The built-in web chat (channels whose adapter is `webchat`):
///
/// - `POST /channels/{channel}/sessions` opens a session: a token (shown once) and the user's id;
/// - `POST /channels/{channel}/webhook` with `Authorization: Bearer <token>` posts a user message;
/// - `GET /channels/{channel}/messages?after=&wait=` reads the user's messages (long-poll);
/// - `GET /channels/{channel}/events` streams them as server-sent events (`Last-Event-ID` resumes;
///   `?token=` for browsers' EventSource, which cannot send headers);
/// - `GET /channels/{channel}/chat` is a small page that does all of the above.
///
/// The token is the only credential: every read and write is confined to the token's user, so
/// one user can never read another's messages.
public struct WebChatRoutes: Sendable {
    let configuration: GatewayConfiguration
    let pool: DatabasePool
    let dispatcher: DeliveryDispatcher
    let hub: WebChatHub
    let clock: any DeliveryClock

    /// The longest text a user may post.
    public static let maxTextCharacters = 4096
    /// The longest a long-poll waits, below the server's handler timeout.
    public static let maxWait: Duration = .seconds(25)
    /// How often an idle event stream sends a comment, so proxies keep it open.
    public static let keepAliveInterval: Duration = .seconds(15)

    public init(configuration: GatewayConfiguration, pool: DatabasePool, dispatcher: DeliveryDispatcher, hub: WebChatHub,
                clock: any DeliveryClock) {
        self.configuration = configuration
        self.pool = pool
        self.dispatcher = dispatcher
        self.hub = hub
        self.clock = clock
    }

    struct SessionBody: Decodable {
        var name: String?
        var locale: String?
    }

    struct SessionAnswer: Encodable {
        var token: String
        var userID: String
        var channel: String
        var expiresAt: String
        enum CodingKeys: String, CodingKey {
            case token, channel
            case userID = "user_id", expiresAt = "expires_at"
        }
    }

    struct PostAnswer: Encodable {
        var messageID: String?
        var conversationID: String?
        var cursor: Int64?
        var duplicate: Bool
        enum CodingKeys: String, CodingKey {
            case cursor, duplicate
            case messageID = "message_id", conversationID = "conversation_id"
        }
    }

    struct Page: Encodable {
        var messages: [WebChatMessage]
        var cursor: Int64
    }

    public func register(on router: inout Router) {
        router.post("/channels/{channel}/sessions", bodyLimit: 4096) { request, context in
            try await withCORS(request, context) { channel in try await openSession(request, channel: channel) }
        }
        router.get("/channels/{channel}/messages") { request, context in
            try await withCORS(request, context) { channel in try await readMessages(request, channel: channel) }
        }
        router.get("/channels/{channel}/events") { request, context in
            try await withCORS(request, context) { channel in try await streamEvents(request, channel: channel) }
        }
        router.get("/channels/{channel}/chat") { _, context in
            let channel = try webChatChannel(context)
            return HTTPResponse.text(WebChatPage.html(channel: channel.id), contentType: "text/html; charset=utf-8")
        }
        for path in ["sessions", "messages", "events", "webhook"] {
            router.on("OPTIONS", "/channels/{channel}/\(path)") { request, context in
                try await withCORS(request, context) { _ in
                    HTTPResponse(status: .noContent, headers: [
                        "Access-Control-Allow-Methods": path == "sessions" || path == "webhook" ? "POST, OPTIONS" : "GET, OPTIONS",
                        "Access-Control-Allow-Headers": "Authorization, Content-Type, Last-Event-ID",
                        "Access-Control-Max-Age": "600",
                    ])
                }
            }
        }
    }

    // MARK: - Handlers

    func openSession(_ request: HTTPRequest, channel: Channel) async throws -> HTTPResponse {
        let body = request.body.isEmpty ? SessionBody() : try request.decodeJSON(SessionBody.self)
        let name = try Self.optionalText(body.name, field: "name", limit: 200)
        let locale = try Self.optionalText(body.locale, field: "locale", limit: 35)
        let now = clock.now()
        let (token, session, externalID) = try await pool.write { db in
            try WebChatStore.openSession(channel: channel.id, displayName: name, locale: locale, in: db, now: now)
        }
        // The user's external id (derived, `usr_...`): the business links it to its own with
        // `POST /v1/users/{external_id}/identify`.
        return .json(SessionAnswer(token: token, userID: externalID, channel: channel.id,
                                   expiresAt: DeliveryView.time(session.expiresAt)),
                     status: .created, headers: ["Cache-Control": "no-store"])
    }

    /// `POST /channels/{channel}/webhook` for a web-chat channel: the session names the sender.
    func receive(_ request: HTTPRequest, context: RequestContext, channel: Channel) async throws -> HTTPResponse {
        try await withCORS(request, context) { channel in
            let session = try await authenticate(request, channel: channel, allowQueryToken: false)
            try ChannelRoutes.requireContentType(request, format: .json)
            var items = channel.reader.items(in: try channel.reader.parse(request.body)).filter { $0.kind == .message }
            guard items.count == 1 else {
                throw HTTPError(.unprocessableContent, code: "invalid_message", message: "post one JSON object with 'text' or 'postback'")
            }
            var item = items.removeFirst()
            guard item["text"] != nil || item["postback"] != nil else {
                throw HTTPError(.unprocessableContent, code: "empty_message", message: "give 'text' or 'postback'")
            }
            if let text = item["text"], text.count > Self.maxTextCharacters {
                throw HTTPError(.unprocessableContent, code: "text_too_long", message: "'text' is longer than \(Self.maxTextCharacters) characters")
            }
            if let id = item["provider_message_id"] {
                guard id.utf8.count <= 100 else {
                    throw HTTPError(.unprocessableContent, code: "invalid_client_message_id", message: "'client_message_id' is longer than 100 bytes")
                }
                // Scoped to the session's user: another user's id can never make this one a duplicate.
                item.fields["provider_message_id"] = session.address + ":" + id
            }
            item.fields["address"] = session.address
            item.fields["display_name"] = nil
            if item["locale"] == nil, let locale = session.locale { item.fields["locale"] = locale }
            let now = clock.now()
            let (router, message, configuration) = (channel.router, item, self.configuration)
            let result = try await pool.write { db in
                try Ingest.apply([message], channel: channel.id, router: router, configuration: configuration, in: db, now: now)
            }
            if result.deliveries > 0 { dispatcher.notify() }
            guard let stored = result.stored.first else { return .json(PostAnswer(duplicate: true)) }
            hub.notify(identity: session.identityID)
            return .json(PostAnswer(messageID: stored.publicID, conversationID: stored.conversationPublicID,
                                    cursor: stored.messageID, duplicate: false), status: .accepted)
        }
    }

    func readMessages(_ request: HTTPRequest, channel: Channel) async throws -> HTTPResponse {
        let session = try await authenticate(request, channel: channel, allowQueryToken: false)
        let cursor = try Self.cursor(request.query["after"], field: "after") ?? 0
        var wait = Duration.zero
        if let text = request.query["wait"] {
            guard let seconds = Int(text), seconds >= 0, seconds <= Int(Self.maxWait.components.seconds) else {
                throw HTTPError.badRequest("'wait' must be 0-\(Self.maxWait.components.seconds) seconds", code: "invalid_wait")
            }
            wait = .seconds(seconds)
        }
        let watch = hub.watch(identity: session.identityID)
        defer { watch.cancel() }
        var messages = try await WebChatStore.read(session, after: cursor, pool: pool, clock: clock)
        // A wake-up may find nothing new (another gateway's relay, a message for the bot): wait on
        // until the deadline.
        let deadline = ContinuousClock.now + wait
        while messages.isEmpty, case let remaining = deadline - ContinuousClock.now, remaining > .zero,
              await watch.wait(timeout: remaining) {
            messages = try await WebChatStore.read(session, after: cursor, pool: pool, clock: clock)
        }
        return .json(Page(messages: messages, cursor: messages.last?.cursor ?? cursor), headers: ["Cache-Control": "no-store"])
    }

    func streamEvents(_ request: HTTPRequest, channel: Channel) async throws -> HTTPResponse {
        let session = try await authenticate(request, channel: channel, allowQueryToken: true)
        let start = try Self.cursor(request.headers["Last-Event-ID"], field: "Last-Event-ID")
            ?? Self.cursor(request.query["after"], field: "after") ?? 0
        let (hub, clock, pool) = (self.hub, self.clock, self.pool)
        return HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                                   "X-Accel-Buffering": "no"]) { writer in
            let watch = hub.watch(identity: session.identityID)
            defer { watch.cancel() }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var cursor = start
            try await writer.write(Array("retry: 3000\n\n".utf8))
            while !hub.isClosed && !Task.isCancelled && clock.now() < session.expiresAt {
                let messages = try await WebChatStore.read(session, after: cursor, pool: pool, clock: clock)
                if !messages.isEmpty {
                    var chunk: [UInt8] = []
                    for message in messages {
                        chunk += Array("id: \(message.cursor)\nevent: message\ndata: ".utf8)
                        chunk += Array(try encoder.encode(message))
                        chunk += Array("\n\n".utf8)
                    }
                    try await writer.write(chunk)
                    cursor = messages.last!.cursor
                    continue
                }
                if await !watch.wait(timeout: Self.keepAliveInterval), !hub.isClosed, !Task.isCancelled {
                    try await writer.write(Array(": keep-alive\n\n".utf8))
                }
            }
        }
    }

    // MARK: - Helpers

    /// The session of the request's bearer token: 401 (with `WWW-Authenticate`) when it is
    /// missing, unknown, expired or another channel's.
    func authenticate(_ request: HTTPRequest, channel: Channel, allowQueryToken: Bool) async throws -> WebChatSession {
        var token: String?
        if let header = request.headers["Authorization"] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { token = parts[1].trimmingCharacters(in: .whitespaces) }
        } else if allowQueryToken {
            token = request.query["token"]
        }
        let challenge: HTTPHeaders = ["WWW-Authenticate": #"Bearer realm="webchat""#]
        guard let token, !token.isEmpty else {
            throw HTTPError(.unauthorized, code: "missing_session", message: "send the session token as 'Authorization: Bearer <token>' (POST /channels/\(channel.id)/sessions opens one)", headers: challenge)
        }
        let now = clock.now()
        guard let session = try await pool.read({ db in try WebChatStore.session(token: token, channel: channel.id, in: db, now: now) }) else {
            throw HTTPError(.unauthorized, code: "invalid_session", message: "the session token is unknown or expired; open a new session", headers: challenge)
        }
        return session
    }

    func webChatChannel(_ context: RequestContext) throws(HTTPError) -> Channel {
        let channel = try ChannelRoutes.channel(named: context.parameters["channel"], in: configuration)
        guard channel.isWebChat else {
            throw HTTPError(.notFound, code: "not_web_chat", message: "channel '\(channel.id)' is not a web chat")
        }
        return channel
    }

    /// Runs `body` for a web-chat channel with the CORS rules of its `allowed_origins` setting:
    /// a request from an origin that is not allowed is refused (403), and every answer to an
    /// allowed one, errors included, carries `Access-Control-Allow-Origin`.
    func withCORS(_ request: HTTPRequest, _ context: RequestContext,
                  _ body: (Channel) async throws -> HTTPResponse) async throws -> HTTPResponse {
        let channel = try webChatChannel(context)
        var headers: HTTPHeaders = [:]
        if let origin = request.headers["Origin"] {
            let allowed = (channel.settings["allowed_origins"] ?? "*").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if allowed.contains("*") {
                headers.add(name: "Access-Control-Allow-Origin", value: "*")
            } else if allowed.contains(origin) {
                headers.add(name: "Access-Control-Allow-Origin", value: origin)
                headers.add(name: "Vary", value: "Origin")
            } else {
                throw HTTPError(.forbidden, code: "origin_not_allowed", message: "origin '\(origin.prefix(200))' may not use channel '\(channel.id)'")
            }
        }
        do {
            var response = try await body(channel)
            for field in headers { response.headers.replaceOrAdd(name: field.name, value: field.value) }
            return response
        } catch var error as HTTPError {
            for field in headers { error.headers.replaceOrAdd(name: field.name, value: field.value) }
            throw error
        }
    }

    static func optionalText(_ value: String?, field: String, limit: Int) throws(HTTPError) -> String? {
        guard let value, !value.isEmpty else { return nil }
        guard value.count <= limit else {
            throw HTTPError(.unprocessableContent, code: "invalid_\(field)", message: "'\(field)' is longer than \(limit) characters")
        }
        return value
    }

    static func cursor(_ text: String?, field: String) throws(HTTPError) -> Int64? {
        guard let text else { return nil }
        guard let value = Int64(text), value >= 0 else {
            throw HTTPError.badRequest("'\(field)' must be a cursor from an earlier message (a whole number)", code: "invalid_cursor")
        }
        return value
    }
}
