import Foundation
import HTTP
import Storage

/// API-key rules for every route a bot, CRM or operator calls: `Authorization: Bearer <key>`,
/// a scope per route, and a per-key token bucket. Nothing runs, and nothing is stored, for a
/// request refused here.
public struct APIAuthenticator: Sendable {
    /// Request rates when a key does not set its own.
    public struct Limits: Sendable, Equatable {
        /// Average requests per second per key.
        public var ratePerSecond: Double = 100
        /// Seconds of that rate a key may spend at once (bucket size = rate × burst seconds).
        public var burstSeconds: Double = 2
        public init(ratePerSecond: Double = 100, burstSeconds: Double = 2) {
            self.ratePerSecond = ratePerSecond
            self.burstSeconds = burstSeconds
        }
    }

    /// Which error shape a route speaks.
    public enum Style: Sendable { case standard, braze }

    public typealias Handler = @Sendable (HTTPRequest, RequestContext, APIKey) async throws -> HTTPResponse

    let pool: DatabasePool
    let limiter: RateLimiter
    let limits: Limits
    let clock: any DeliveryClock

    public init(pool: DatabasePool, limiter: RateLimiter = RateLimiter(), limits: Limits = Limits(), clock: any DeliveryClock) {
        self.pool = pool
        self.limiter = limiter
        self.limits = limits
        self.clock = clock
    }

    /// `handler` behind the key, scope and rate checks; every answer carries the
    /// `X-RateLimit-*` headers once the key is known.
    public func guarded(_ scope: APIScope, style: Style = .standard, _ handler: @escaping Handler) -> Router.Handler {
        { request, context in
            var rateHeaders: HTTPHeaders = [:]
            do {
                let key = try await authenticate(request, scope: scope, rateHeaders: &rateHeaders)
                var response = try await handler(request, context, key)
                for field in rateHeaders { response.headers.replaceOrAdd(name: field.name, value: field.value) }
                return response
            } catch var error as HTTPError {
                for field in rateHeaders { error.headers.replaceOrAdd(name: field.name, value: field.value) }
                if style == .braze { throw BrazeError(error) }
                throw error
            } catch var error as BrazeError {
                for field in rateHeaders { error.headers.replaceOrAdd(name: field.name, value: field.value) }
                throw error
            }
        }
    }

    func authenticate(_ request: HTTPRequest, scope: APIScope, rateHeaders: inout HTTPHeaders) async throws(HTTPError) -> APIKey {
        guard let header = request.headers["Authorization"] else {
            throw HTTPError(.unauthorized, code: "missing_api_key", message: "send an API key as 'Authorization: Bearer <key>'",
                            headers: ["WWW-Authenticate": #"Bearer realm="botbridge""#])
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw HTTPError(.unauthorized, code: "invalid_authorization", message: "the Authorization header must be 'Bearer <key>'",
                            headers: ["WWW-Authenticate": #"Bearer realm="botbridge", error="invalid_request""#])
        }
        let secret = parts[1].trimmingCharacters(in: .whitespaces)
        let found: APIKey?
        do { found = try await pool.read { db in try APIKeys.find(secret: secret, in: db) } } catch {
            throw HTTPError(.serviceUnavailable, code: "storage_unavailable", message: "API keys cannot be read right now",
                            headers: ["Retry-After": "1"])
        }
        guard let key = found, !key.isRevoked else {
            throw HTTPError(.unauthorized, code: "invalid_api_key", message: "the API key is unknown or revoked",
                            headers: ["WWW-Authenticate": #"Bearer realm="botbridge", error="invalid_token""#])
        }
        guard key.scopes.contains(scope) else {
            throw HTTPError(.forbidden, code: "missing_scope", message: "this API key lacks the scope '\(scope.rawValue)'")
        }
        let rate = key.ratePerSecond ?? limits.ratePerSecond
        let now = Double(clock.now()) / 1000
        let decision = limiter.take(key: key.id, rate: rate, burst: max(1, rate * limits.burstSeconds), now: now)
        rateHeaders = [
            "X-RateLimit-Limit": String(decision.limit),
            "X-RateLimit-Remaining": String(decision.remaining),
            "X-RateLimit-Reset": String(Int64((now + decision.secondsUntilFull).rounded(.up))),
        ]
        guard decision.allowed else {
            var headers = rateHeaders
            headers.add(name: "Retry-After", value: String(max(1, Int(decision.retryAfter.rounded(.up)))))
            throw HTTPError(.tooManyRequests, code: "rate_limited", message: "this API key is over its rate limit (\(rate)/s); retry later",
                            headers: headers)
        }
        if limiter.shouldTouch(key: key.id, now: now) {
            let (pool, id, millis) = (pool, key.id, clock.now())
            Task { try? await pool.write { db in try APIKeys.touch(id, in: db, now: millis) } }
        }
        return key
    }
}
