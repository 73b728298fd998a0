import HTTP
import Storage

/// What the database's refusals mean to a caller, instead of a `500`:
/// - `503` with `Retry-After` when a request needs the database and cannot reach it (PostgreSQL
///   restarting, network gone), or when its write kept losing serialization conflicts with other
///   writers after every retry: nothing was committed, so the caller must try again;
/// - `422` when the request carried text PostgreSQL cannot store (a NUL character, which SQLite
///   keeps): nothing was stored, and the caller must change the request.
public struct StorageFailures: HTTPMiddleware {
    /// Seconds a caller is asked to wait before trying again.
    public var retryAfterSeconds = 1

    public init() {}

    public func handle(_ request: HTTPRequest, context: RequestContext,
                       next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse {
        do {
            return try await next(request, context)
        } catch let error as StorageError where error.isUnavailable || error.isSerializationConflict {
            context.logger.warning("database unavailable: \(error)")
            return HTTPError(.serviceUnavailable, code: "database_unavailable",
                             message: "the database is unavailable; nothing was stored, try again shortly",
                             headers: ["Retry-After": String(retryAfterSeconds)]).response
        } catch let error as StorageError {
            guard case .postgres(let failure) = error, failure.sqlState == "22021" || failure.sqlState == "22P05" else { throw error }
            return HTTPError(.unprocessableContent, code: "invalid_text",
                             message: "the request holds text that cannot be stored (a NUL character, \\u0000); nothing was stored").response
        }
    }
}
