import Foundation
import HTTP
import Storage
import Templates

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
        enum Source { case user(String), identity(String, String) }
        let source: Source
        switch (body.userID, body.channel, body.address) {
        case (let id?, nil, nil) where !id.isEmpty: source = .user(id)
        case (nil, let channel?, let address?) where !channel.isEmpty && !address.isEmpty: source = .identity(channel, address)
        default:
            throw HTTPError(.unprocessableContent, code: "invalid_identify",
                            message: "give either 'user_id' (the chat user's derived id) or 'channel' and 'address'")
        }
        let now = clock.now()
        let view = try await pool.write { db -> ProfileView? in
            let derived: Int64?
            switch source {
            case .user(let id): derived = try db.scalar("SELECT id FROM users WHERE external_id = ?", id).int64
            case .identity(let channel, let address):
                derived = try db.scalar("SELECT user_id FROM identities WHERE channel = ? AND address = ?", channel, address).int64
            }
            guard let derived else { return nil }
            do {
                _ = try ProfileDirectory.identify(externalID, source: derived, in: db, now: now)
            } catch let failure as ProfileDirectory.Failure {
                throw HTTPError(.conflict, code: "already_identified", message: failure.description)
            }
            return try ProfileView.find(externalID: externalID, in: db)
        }
        guard let view else {
            switch source {
            case .user(let id): throw HTTPError.notFound("no user with user_id '\(id)'")
            case .identity(let channel, let address): throw HTTPError.notFound("no identity '\(address)' on channel '\(channel)'")
            }
        }
        return .json(view)
    }
}

/// A profile as `GET /v1/users/{external_id}` shows it.
struct ProfileView: Encodable {
    struct Identity: Encodable {
        var channel: String
        var address: String
        var displayName: String?
        var createdAt: String
        enum CodingKeys: String, CodingKey {
            case channel, address
            case displayName = "display_name", createdAt = "created_at"
        }
    }
    struct Alias: Encodable {
        var aliasName: String
        var aliasLabel: String
        enum CodingKeys: String, CodingKey { case aliasName = "alias_name", aliasLabel = "alias_label" }
    }
    struct Source: Encodable {
        var source: String
        var updatedAt: String
        enum CodingKeys: String, CodingKey { case source, updatedAt = "updated_at" }
    }
    struct Event: Encodable {
        var name: String
        var time: String
        var properties: TemplateValue
        var source: String
    }
    struct Write: Encodable {
        var name: String
        var value: TemplateValue
        var source: String
        var time: String
    }
    struct Conversation: Encodable {
        var id: String
        var channel: String
        var state: String
        var locale: String?
        var caseID: String?
        var createdAt: String
        var updatedAt: String
        enum CodingKeys: String, CodingKey {
            case id, channel, state, locale
            case caseID = "case_id", createdAt = "created_at", updatedAt = "updated_at"
        }
    }

    var externalID: String
    var identified: Bool
    var createdAt: String
    var identities: [Identity]
    var aliases: [Alias]
    var attributes: TemplateValue
    var attributeSources: [String: Source]
    var events: [Event]
    var writes: [Write]
    var conversations: [Conversation]

    enum CodingKeys: String, CodingKey {
        case identified, identities, aliases, attributes, events, writes, conversations
        case externalID = "external_id", createdAt = "created_at", attributeSources = "attribute_sources"
    }

    /// How many recent events, writes and conversations the view lists.
    static let recentLimit = 50

    static func find(externalID: String, in db: Database) throws -> ProfileView? {
        guard let user = try db.queryRow("SELECT id, identified, created_at FROM users WHERE external_id = ?", externalID),
              let id = user.int64("id") else { return nil }
        let time = { (ms: Int64?) in DeliveryView.time(ms ?? 0) }
        var attributes: [String: TemplateValue] = [:]
        var sources: [String: Source] = [:]
        for row in try db.query("SELECT name, value, source, updated_at FROM user_attributes WHERE user_id = ?", id) {
            guard let name = row.string("name"), let json = row.string("value") else { continue }
            attributes[name] = Profiles.decode(json)
            sources[name] = Source(source: row.string("source") ?? "", updatedAt: time(row.int64("updated_at")))
        }
        return ProfileView(
            externalID: externalID, identified: user.int("identified") == 1, createdAt: time(user.int64("created_at")),
            identities: try db.query("SELECT channel, address, display_name, created_at FROM identities WHERE user_id = ? ORDER BY id", id).map {
                Identity(channel: $0.string("channel") ?? "", address: $0.string("address") ?? "", displayName: $0.string("display_name"),
                         createdAt: time($0.int64("created_at")))
            },
            aliases: try db.query("SELECT label, name FROM user_aliases WHERE user_id = ? ORDER BY label", id).map {
                Alias(aliasName: $0.string("name") ?? "", aliasLabel: $0.string("label") ?? "")
            },
            attributes: .object(attributes), attributeSources: sources,
            events: try db.query("""
                SELECT name, properties, source, occurred_at FROM user_events WHERE user_id = ? ORDER BY occurred_at DESC, id DESC LIMIT ?
                """, id, recentLimit).map {
                Event(name: $0.string("name") ?? "", time: time($0.int64("occurred_at")),
                      properties: Profiles.decode($0.string("properties") ?? "{}"), source: $0.string("source") ?? "")
            },
            writes: try db.query("""
                SELECT name, value, source, written_at FROM user_attribute_writes WHERE user_id = ? ORDER BY id DESC LIMIT ?
                """, id, recentLimit).map {
                Write(name: $0.string("name") ?? "", value: $0.string("value").map(Profiles.decode) ?? .null,
                      source: $0.string("source") ?? "", time: time($0.int64("written_at")))
            },
            conversations: try db.query("""
                SELECT v.public_id, v.channel, v.state, v.locale, v.created_at, v.updated_at, c.public_id AS case_public_id
                FROM conversations v LEFT JOIN cases c ON c.id = v.case_id
                WHERE v.user_id = ? ORDER BY v.updated_at DESC, v.id DESC LIMIT ?
                """, id, recentLimit).map {
                Conversation(id: $0.string("public_id") ?? "", channel: $0.string("channel") ?? "", state: $0.string("state") ?? "",
                             locale: $0.string("locale"), caseID: $0.string("case_public_id"),
                             createdAt: time($0.int64("created_at")), updatedAt: time($0.int64("updated_at")))
            })
    }
}
