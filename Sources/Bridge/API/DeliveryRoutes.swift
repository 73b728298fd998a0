import HTTP
import Storage

/// The operator API over the outbox: `GET /v1/deliveries`, `GET /v1/deliveries/{id}`,
/// `POST /v1/deliveries/{id}/replay`, for API keys with `deliveries.read` / `deliveries.write`.
public enum DeliveryRoutes {
    /// The largest page `GET /v1/deliveries` returns.
    public static let maxLimit = 1000

    public static func register(on router: inout Router, pool: DatabasePool, dispatcher: DeliveryDispatcher,
                                clock: any DeliveryClock, auth: APIAuthenticator) {
        router.get("/v1/deliveries", auth.guarded(.deliveriesRead) { request, context, _ in
            let filter = try filter(from: request.query)
            let deliveries = try await pool.read { db in try Outbox.list(filter, in: db) }
            let page = DeliveryPage(deliveries: deliveries.map(DeliveryView.init),
                                    nextBefore: deliveries.count == filter.limit ? deliveries.last?.id : nil)
            return .json(page)
        })
        router.get("/v1/deliveries/{id}", auth.guarded(.deliveriesRead) { request, context, _ in
            let id = try deliveryID(context)
            guard let delivery = try await pool.read({ db in try Outbox.find(id, in: db) }) else {
                throw HTTPError.notFound("no delivery with id \(id)")
            }
            return .json(DeliveryView(delivery))
        })
        router.post("/v1/deliveries/{id}/replay", bodyLimit: 1024, auth.guarded(.deliveriesWrite) { request, context, key in
            let id = try deliveryID(context)
            let now = clock.now()
            let replayed: Delivery
            do {
                replayed = try await pool.write { db in try Outbox.replay(id, in: db, now: now) }
            } catch let error as Outbox.ReplayError {
                switch error {
                case .notFound: throw HTTPError.notFound(error.description)
                case .notFinished: throw HTTPError(.conflict, code: "not_replayable", message: error.description)
                }
            }
            dispatcher.notify()
            context.logger.notice("delivery replayed by operator", [("delivery_id", String(id)), ("api_key", key.prefix)])
            return .json(DeliveryView(replayed))
        })
    }

    struct DeliveryPage: Encodable {
        var deliveries: [DeliveryView]
        /// Pass as `before` to get the next (older) page; absent on the last page.
        var nextBefore: Int64?
        enum CodingKeys: String, CodingKey {
            case deliveries
            case nextBefore = "next_before"
        }
    }

    /// For development-only routes: a request relayed by a proxy on this machine also comes from
    /// loopback, so any sign of a proxy (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`) is refused as well.
    public static func requireLoopback(_ request: HTTPRequest, _ context: RequestContext) throws(HTTPError) {
        let proxied = ["Forwarded", "X-Forwarded-For", "X-Real-IP"].contains { request.headers[$0] != nil }
        guard context.peerIsLoopback, !proxied else {
            throw HTTPError(.forbidden, code: "loopback_only",
                            message: "this development route answers only clients on this machine")
        }
    }

    static func deliveryID(_ context: RequestContext) throws(HTTPError) -> Int64 {
        let text = context.parameters["id"] ?? ""
        guard let id = Int64(text), id > 0 else { throw HTTPError.notFound("no delivery with id '\(text)'") }
        return id
    }

    /// Reads `status`, `conversation`, `before` and `limit`; anything else, or a bad value, is a 400.
    static func filter(from query: QueryParameters) throws(HTTPError) -> Outbox.Filter {
        var filter = Outbox.Filter()
        for (name, value) in query {
            switch name {
            case "status":
                guard let status = DeliveryStatus(rawValue: value) else {
                    throw HTTPError.badRequest("'status' must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                                               code: "invalid_parameter")
                }
                filter.status = status
            case "conversation":
                guard let id = Int64(value), id > 0 else { throw HTTPError.badRequest("'conversation' must be a positive integer", code: "invalid_parameter") }
                filter.conversationID = id
            case "before":
                guard let id = Int64(value), id > 0 else { throw HTTPError.badRequest("'before' must be a positive integer", code: "invalid_parameter") }
                filter.beforeID = id
            case "limit":
                guard let limit = Int(value), (1...maxLimit).contains(limit) else {
                    throw HTTPError.badRequest("'limit' must be an integer from 1 to \(maxLimit)", code: "invalid_parameter")
                }
                filter.limit = limit
            default:
                throw HTTPError.badRequest("unknown query parameter '\(name)' (known: status, conversation, before, limit)",
                                           code: "invalid_parameter")
            }
        }
        return filter
    }
}
