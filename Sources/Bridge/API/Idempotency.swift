import Foundation
import HTTP
import Signing
import Storage

/// `Idempotency-Key` on the sending routes: the same key with the same request within 24 hours
/// answers the first answer again and sends nothing; the same key with a different request is
/// 422. The check and the record happen inside the transaction that sends, so two concurrent
/// requests with one key cannot both send.
public struct Idempotency: Sendable {
    /// How long a key is remembered.
    public static let window: Int64 = 24 * 3600 * 1000

    public let apiKeyID: Int64
    public let key: String
    public let route: String
    public let requestHash: [UInt8]

    /// The request's key, if it sent one (1–255 visible ASCII characters, else 400).
    public static func from(_ request: HTTPRequest, apiKey: APIKey, route: String) throws(HTTPError) -> Idempotency? {
        guard let key = request.headers["Idempotency-Key"] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw HTTPError.badRequest("'Idempotency-Key' must be 1-255 visible ASCII characters", code: "invalid_idempotency_key")
        }
        var hash = SHA256()
        hash.update(Array(route.utf8) + [0])
        hash.update(request.body)
        return Idempotency(apiKeyID: apiKey.id, key: key, route: route, requestHash: hash.finalize())
    }

    /// The stored answer for this key, or nil when it is new (or older than the window).
    /// Throws 422 when the key was used for a different request.
    public func replay(in db: Database, now: Int64) throws -> HTTPResponse? {
        guard let row = try db.queryRow("""
            SELECT route, request_hash, response_status, response_body, created_at FROM idempotency_keys WHERE api_key_id = ? AND key = ?
            """, apiKeyID, key) else { return nil }
        if let created = row.int64("created_at"), now - created > Self.window {
            try db.run("DELETE FROM idempotency_keys WHERE api_key_id = ? AND key = ?", apiKeyID, key)
            return nil
        }
        guard row.string("route") == route, row.bytes("request_hash") == requestHash else {
            throw HTTPError(.unprocessableContent, code: "idempotency_key_reused",
                            message: "this Idempotency-Key was already used with a different request")
        }
        return HTTPResponse(status: HTTPStatus(code: row.int("response_status") ?? 200),
                            headers: ["Content-Type": "application/json", "Idempotent-Replayed": "true"], body: row.bytes("response_body") ?? [])
    }

    /// Remembers the answer (in the caller's transaction).
    public func store(_ response: HTTPResponse, in db: Database, now: Int64) throws {
        try db.run("""
            INSERT OR REPLACE INTO idempotency_keys (api_key_id, key, route, request_hash, response_status, response_body, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, apiKeyID, key, route, requestHash, response.status.code, response.bodyBytes ?? [], now)
    }
}
