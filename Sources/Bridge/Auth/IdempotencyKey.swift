import Storage

/// One `Idempotency-Key` of one API key, for one request (its route and body hash): the first
/// answer to it is remembered for 24 hours; the same key with another request is refused.
/// Read and recorded inside the transaction that sends, so two concurrent requests with one key
/// cannot both send.
public struct IdempotencyKey: Sendable, Equatable {
    /// How long a key is remembered.
    public static let window: Int64 = 24 * 3600 * 1000

    /// The API key that sent it (keys are per API key).
    public let apiKeyID: Int64
    /// The `Idempotency-Key` header's value.
    public let key: String
    /// The route it was sent to.
    public let route: String
    /// SHA-256 of the route and the request body.
    public let requestHash: [UInt8]

    /// A remembered answer.
    public struct Answer: Sendable, Equatable {
        /// The HTTP status it was answered with.
        public var status: Int
        /// The answer's body as sent.
        public var body: [UInt8]
    }

    /// Why a key cannot be used (the API answers 422).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// The key was used with a different request.
        case reused
        public var description: String { "this Idempotency-Key was already used with a different request" }
    }

    public init(apiKeyID: Int64, key: String, route: String, requestHash: [UInt8]) {
        self.apiKeyID = apiKeyID
        self.key = key
        self.route = route
        self.requestHash = requestHash
    }

    /// The answer remembered for this key, or nil when it is new (or older than the window: then
    /// it is forgotten). Throws `Failure.reused` when the key was used for a different request.
    public func recordedAnswer(in db: Database, now: Int64) throws -> Answer? {
        guard let row = try db.queryRow("""
            SELECT route, request_hash, response_status, response_body, created_at FROM idempotency_keys WHERE api_key_id = ? AND key = ?
            """, apiKeyID, key) else { return nil }
        if let created = row.int64("created_at"), now - created > Self.window {
            try db.run("DELETE FROM idempotency_keys WHERE api_key_id = ? AND key = ?", apiKeyID, key)
            return nil
        }
        guard row.string("route") == route, row.bytes("request_hash") == requestHash else { throw Failure.reused }
        return Answer(status: row.int("response_status") ?? 200, body: row.bytes("response_body") ?? [])
    }

    /// Remembers the answer (in the caller's transaction).
    public func record(_ answer: Answer, in db: Database, now: Int64) throws {
        try db.run("""
            INSERT INTO idempotency_keys (api_key_id, key, route, request_hash, response_status, response_body, created_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (api_key_id, key) DO UPDATE SET route = ?3, request_hash = ?4, response_status = ?5, response_body = ?6, created_at = ?7
            """, apiKeyID, key, route, requestHash, answer.status, answer.body, now)
    }
}
