import HTTP
import Storage

/// Answers `503` with `Retry-After` when a request needs the database and cannot reach it
/// (PostgreSQL restarting, network gone), or when its write kept losing serialization conflicts
/// with other writers after every retry: nothing was committed, so the caller must try again —
/// never a 2xx, and not the `500` of a bug.
public struct DatabaseUnavailable: HTTPMiddleware {
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
        }
    }
}
