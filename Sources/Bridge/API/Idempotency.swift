import Foundation
import HTTP
import Signing
import Storage

/// `Idempotency-Key` on the sending routes: the same key with the same request within 24 hours
/// answers the first answer again and sends nothing; the same key with a different request is
/// 422. The check and the record happen inside the transaction that sends (`IdempotencyKey`), so
/// two concurrent requests with one key cannot both send.
public struct Idempotency: Sendable {
    /// The key, its API key and the request it came with.
    public let key: IdempotencyKey

    /// The request's key, if it sent one (1–255 visible ASCII characters, else 400).
    public static func from(_ request: HTTPRequest, apiKey: APIKey, route: String) throws(HTTPError) -> Idempotency? {
        guard let key = request.headers["Idempotency-Key"] else { return nil }
        guard !key.isEmpty, key.utf8.count <= 255, key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw HTTPError.badRequest("'Idempotency-Key' must be 1-255 visible ASCII characters", code: "invalid_idempotency_key")
        }
        var hash = SHA256()
        hash.update(Array(route.utf8) + [0])
        hash.update(request.body)
        return Idempotency(key: IdempotencyKey(apiKeyID: apiKey.id, key: key, route: route, requestHash: hash.finalize()))
    }

    /// The stored answer for this key, or nil when it is new (or older than the window).
    /// Throws 422 when the key was used for a different request.
    public func replay(in db: Database, now: Int64) throws -> HTTPResponse? {
        let answer: IdempotencyKey.Answer?
        do { answer = try key.recordedAnswer(in: db, now: now) } catch let failure as IdempotencyKey.Failure {
            throw HTTPError(.unprocessableContent, code: "idempotency_key_reused", message: failure.description)
        }
        guard let answer else { return nil }
        return HTTPResponse(status: HTTPStatus(code: answer.status),
                            headers: ["Content-Type": "application/json", "Idempotent-Replayed": "true"], body: answer.body)
    }

    /// Remembers the answer (in the caller's transaction).
    public func store(_ response: HTTPResponse, in db: Database, now: Int64) throws {
        try key.record(IdempotencyKey.Answer(status: response.status.code, body: response.bodyBytes ?? []), in: db, now: now)
    }
}
