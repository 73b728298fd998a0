import Foundation
import HTTP
import Storage

/// Profiles over HTTP:
///
/// - `POST /users/track` (scope `users.track`): Braze-compatible attributes, events and purchases.
/// - `GET /v1/users/{external_id}` (scope `users.read`): profile, identities, attributes with
///   their sources, recent events, attribute writes and conversations.
/// - `POST /v1/users/{external_id}/identify` (scope `users.track`): gives a chat user (named by
///   its derived `user_id`, or by `channel` and `address`) the business's external id, merging it
///   into the profile that already has that id.
public struct UserRoutes: Sendable {
    let pool: DatabasePool
    let clock: any DeliveryClock
    let auth: APIAuthenticator

    public init(pool: DatabasePool, clock: any DeliveryClock, auth: APIAuthenticator) {
        self.pool = pool
        self.clock = clock
        self.auth = auth
    }

    struct TrackAnswer: Encodable {
        var message: String
        var attributesProcessed: Int?
        var eventsProcessed: Int?
        var purchasesProcessed: Int?
        var errors: [UsersTrack.ObjectError]?
        enum CodingKeys: String, CodingKey {
            case message, errors
            case attributesProcessed = "attributes_processed", eventsProcessed = "events_processed", purchasesProcessed = "purchases_processed"
        }
    }

    struct IdentifyBody: Decodable {
        var userID: String?
        var channel: String?
        var address: String?
        enum CodingKeys: String, CodingKey {
            case channel, address
            case userID = "user_id"
        }
    }

    public func register(on router: inout Router) {
        router.post("/users/track", bodyLimit: 4 * 1024 * 1024, auth.guarded(.usersTrack, style: .braze) { request, _, key in
            try await track(request, key: key)
        })
        router.get("/v1/users/{external_id}", auth.guarded(.usersRead) { _, context, _ in
            let externalID = context.parameters["external_id"] ?? ""
            guard let view = try await pool.read({ db in try ProfileView.find(externalID: externalID, in: db) }) else {
                throw HTTPError.notFound("no user with external_id '\(externalID)'")
            }
            return .json(view)
        })
        router.post("/v1/users/{external_id}/identify", bodyLimit: 16 * 1024, auth.guarded(.usersTrack) { request, context, _ in
            try await identify(request, externalID: context.parameters["external_id"] ?? "")
        })
    }

    func track(_ request: HTTPRequest, key: APIKey) async throws -> HTTPResponse {
        let body = try BrazeRoutes.object(request)
        let now = clock.now()
        let parsed: UsersTrack.Request
        do { parsed = try UsersTrack.parse(body, now: now) } catch {
            throw BrazeError(.badRequest, error.message, errors: error.errors)
        }
        let idempotency = try Idempotency.from(request, apiKey: key, route: "/users/track")
        return try await pool.write { db -> HTTPResponse in
            if let replay = try idempotency?.replay(in: db, now: now) { return replay }
            let outcome = try UsersTrack.apply(parsed, in: db, now: now)
            let response: HTTPResponse
            if outcome.processed == 0 {
                // Every object had a problem: nothing changed, so the request as a whole failed.
                response = .json(TrackAnswer(message: "nothing was processed: every object has an error", errors: outcome.errors),
                                 status: .badRequest)
            } else {
                response = .json(TrackAnswer(
                    message: "success",
                    attributesProcessed: parsed.counts.attributes > 0 ? outcome.attributesProcessed : nil,
                    eventsProcessed: parsed.counts.events > 0 ? outcome.eventsProcessed : nil,
                    purchasesProcessed: parsed.counts.purchases > 0 ? outcome.purchasesProcessed : nil,
                    errors: outcome.errors.isEmpty ? nil : outcome.errors), status: .created)
            }
            try idempotency?.store(response, in: db, now: now)
            return response
        }
    }

    func identify(_ request: HTTPRequest, externalID: String) async throws -> HTTPResponse {
        guard !externalID.isEmpty, externalID.utf8.count <= 987 else {
            throw HTTPError(.unprocessableContent, code: "invalid_external_id", message: "the external id must be 1-987 bytes")
        }
        guard !externalID.hasPrefix("usr_") else {
            throw HTTPError(.unprocessableContent, code: "reserved_external_id", message: "external ids starting with usr_ are the gateway's own")
        }
        let body = try request.decodeJSON(IdentifyBody.self)
        let source: IdentifySource
        switch (body.userID, body.channel, body.address) {
        case (let id?, nil, nil) where !id.isEmpty: source = .user(id)
        case (nil, let channel?, let address?) where !channel.isEmpty && !address.isEmpty: source = .identity(channel: channel, address: address)
        default:
            throw HTTPError(.unprocessableContent, code: "invalid_identify",
                            message: "give either 'user_id' (the chat user's derived id) or 'channel' and 'address'")
        }
        let now = clock.now()
        let found: ProfileView?
        do {
            found = try await pool.write { db in try ProfileDirectory.identify(externalID, named: source, in: db, now: now) }
        } catch let failure as ProfileDirectory.Failure {
            throw HTTPError(.conflict, code: "already_identified", message: failure.description)
        }
        guard let view = found else {
            switch source {
            case .user(let id): throw HTTPError.notFound("no user with user_id '\(id)'")
            case .identity(let channel, let address): throw HTTPError.notFound("no identity '\(address)' on channel '\(channel)'")
            }
        }
        return .json(view)
    }
}
