import HTTP
import Storage

/// The provider-facing routes: `POST /channels/{channel}/webhook` and `/status` (verify, read,
/// commit, acknowledge; nothing outbound on the request path) and the GET handshake. Web-chat
/// channels take their messages through the same webhook route, authenticated by session.
public enum ChannelRoutes {
    public static func register(on router: inout Router, configuration: GatewayConfiguration, pool: DatabasePool,
                                dispatcher: DeliveryDispatcher, clock: any DeliveryClock, webChat: WebChatRoutes) {
        let receive: Router.Handler = { request, context in
            let channel = try channel(named: context.parameters["channel"], in: configuration)
            if channel.isWebChat {
                guard request.head.path.hasSuffix("/webhook") else {
                    throw HTTPError.notFound("web chat channel '\(channel.id)' has no status route")
                }
                return try await webChat.receive(request, context: context, channel: channel)
            }
            let now = clock.now()
            let verifiable = WebhookVerification.Request(request, publicBaseURL: configuration.publicURL)
            try channel.verification.verify(verifiable, secrets: channel.secrets, now: now / 1000)
            try requireContentType(request, format: channel.adapter.inbound.format)
            let items = channel.reader.items(in: try channel.reader.parse(request.body))
            if !items.isEmpty {
                let statusWords = channel.adapter.statuses
                let result = try await pool.write { db in
                    try Ingest.apply(items, channel: channel.id, statusWords: statusWords, router: channel.router,
                                     configuration: configuration, in: db, now: now)
                }
                if result.deliveries > 0 { dispatcher.notify() }
                context.logger.debug("webhook ingested", [("channel", channel.id), ("stored", String(result.stored.count)),
                                                          ("duplicates", String(result.duplicates)),
                                                          ("statuses", String(result.statusesApplied + result.statusesIgnored))])
            }
            let ack = channel.adapter.inbound.acknowledge
            var headers: HTTPHeaders = [:]
            if let type = ack.contentType { headers.add(name: "Content-Type", value: type) }
            return HTTPResponse(status: HTTPStatus(code: ack.status), headers: headers, body: Array((ack.body ?? "").utf8))
        }
        router.post("/channels/{channel}/webhook", receive)
        router.post("/channels/{channel}/status", receive)
        router.get("/channels/{channel}/webhook") { request, context in
            let channel = try channel(named: context.parameters["channel"], in: configuration)
            guard let handshake = channel.handshake else {
                throw HTTPError(.methodNotAllowed, code: "no_handshake", message: "channel '\(channel.id)' has no GET handshake",
                                headers: ["Allow": "POST"])
            }
            let challenge = try handshake.kind.challengeResponse(query: request.query, verifyTokens: handshake.tokens)
            return HTTPResponse.text(challenge)
        }
    }

    static func channel(named name: String?, in configuration: GatewayConfiguration) throws(HTTPError) -> Channel {
        guard let name, let channel = configuration.channels[name] else {
            throw HTTPError(.notFound, code: "unknown_channel", message: "no channel '\(name ?? "")' is configured")
        }
        return channel
    }

    /// Form adapters take `application/x-www-form-urlencoded`, JSON adapters a JSON type.
    static func requireContentType(_ request: HTTPRequest, format: ChannelAdapter.BodyFormat) throws(HTTPError) {
        let type = (request.headers["Content-Type"] ?? "").lowercased()
        let accepted = switch format {
        case .form: type.hasPrefix("application/x-www-form-urlencoded")
        case .json: type.hasPrefix("application/json") || type.contains("+json")
        }
        guard accepted else {
            let expected = format == .form ? "application/x-www-form-urlencoded" : "application/json"
            throw HTTPError(.unsupportedMediaType, code: "unsupported_media_type", message: "this channel takes \(expected)")
        }
    }
}
