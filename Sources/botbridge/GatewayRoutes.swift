import Bridge
import HTTP
import Storage

/// The routes `serve` mounts: health, metrics, the operator deliveries API, and the optional
/// benchmark and test routes.
struct GatewayRoutes {
    /// The delivery target of `POST /dev/outbox`.
    static let devOutboxTarget = "dev-outbox"

    let metrics: HTTPServerMetrics
    let pool: DatabasePool
    let dispatcher: DeliveryDispatcher
    let clock: any DeliveryClock
    let configuration: GatewayConfiguration
    let webChatHub: WebChatHub
    let auth: APIAuthenticator
    let echo: Bool
    let devOutboxURL: String?

    func router() -> Router {
        var router = Router()
        // Outermost: a request the database cannot take is 503 + Retry-After (unreachable, lost
        // conflicts) or 422 (text PostgreSQL cannot store), never 500.
        router.add(middleware: StorageFailures())
        let health = Array(#"{"status":"ok"}"#.utf8)
        router.get("/healthz") { _, _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: health)
        }
        let (metrics, pool, dispatcher, clock) = (self.metrics, self.pool, self.dispatcher, self.clock)
        router.get("/metrics") { _, _ in
            let now = clock.now()
            let statistics = try? await pool.read { db in try Outbox.statistics(in: db, now: now) }
            return HTTPResponse.text(metrics.render() + dispatcher.metrics.render(statistics),
                                     contentType: "text/plain; version=0.0.4; charset=utf-8")
        }
        DeliveryRoutes.register(on: &router, pool: pool, dispatcher: dispatcher, clock: clock, auth: auth)
        KnowledgeBaseRoutes.register(on: &router, pool: pool, auth: auth)
        ContactCenterRoutes.register(on: &router, configuration: configuration, pool: pool, dispatcher: dispatcher, clock: clock,
                                     webChatHub: webChatHub)
        let webChat = WebChatRoutes(configuration: configuration, pool: pool, dispatcher: dispatcher, hub: webChatHub, clock: clock)
        webChat.register(on: &router)
        ChannelRoutes.register(on: &router, configuration: configuration, pool: pool, dispatcher: dispatcher, clock: clock,
                               webChat: webChat)
        BrazeRoutes(configuration: configuration, pool: pool, dispatcher: dispatcher, hub: webChatHub, clock: clock, auth: auth)
            .register(on: &router)
        ConversationRoutes.register(on: &router, configuration: configuration, pool: pool, dispatcher: dispatcher, clock: clock,
                                    webChatHub: webChatHub, auth: auth)
        UserRoutes(pool: pool, clock: clock, auth: auth).register(on: &router)
        if echo {
            // Benchmarks only (`serve --echo`): answers the request body as it came.
            router.post("/echo") { request, _ in
                HTTPResponse(status: .ok, headers: ["Content-Type": request.headers["Content-Type"] ?? "application/octet-stream"], body: request.body)
            }
        }
        if let devOutboxURL {
            // Tests and benchmarks only (`serve --dev-outbox-url URL`): the body becomes a delivery
            // to URL, ordered by the `key` query parameter, committed before the 202.
            router.post("/dev/outbox") { request, context in
                try DeliveryRoutes.requireLoopback(request, context)
                let delivery = NewDelivery(kind: .webhook, target: Self.devOutboxTarget, orderingKey: request.query["key"],
                                           url: devOutboxURL,
                                           headers: [DeliveryHeader("Content-Type", request.headers["Content-Type"] ?? "application/octet-stream")],
                                           body: request.body)
                let now = clock.now()
                let stored = try await pool.write { db in try Outbox.enqueue(delivery, in: db, now: now) }
                dispatcher.notify()
                return .json(["id": String(stored.id), "webhook_id": stored.webhookID], status: .accepted)
            }
        }
        return router
    }
}
