/// A response body: bytes known up front (sent with Content-Length), or a stream (sent chunked).
public enum HTTPResponseBody: Sendable {
    case bytes([UInt8])
    /// Produces chunks through the writer until it returns; used for server-sent events.
    case stream(@Sendable (any HTTPBodyStreamWriter) async throws -> Void)
}

/// A response a handler returns.
public struct HTTPResponse: Sendable {
    public var status: HTTPStatus
    public var headers: HTTPHeaders
    public var body: HTTPResponseBody
    /// The route pattern that produced this response, for metrics (set by `Router`).
    public var routeLabel: String?

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = .bytes(body)
    }

    public init(status: HTTPStatus = .ok, headers: HTTPHeaders = [:], stream: @escaping @Sendable (any HTTPBodyStreamWriter) async throws -> Void) {
        self.status = status
        self.headers = headers
        self.body = .stream(stream)
    }

    /// A plain-text response.
    public static func text(_ text: String, status: HTTPStatus = .ok, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(text.utf8))
    }

    /// The body bytes when the body is not a stream.
    public var bodyBytes: [UInt8]? {
        if case .bytes(let bytes) = body { return bytes }
        return nil
    }
}

/// Writes chunks of a streamed response body from a handler task.
public protocol HTTPBodyStreamWriter: Sendable {
    /// Queues `bytes` as one chunk; throws when the client has gone away.
    func write(_ bytes: [UInt8]) async throws
}
