import Logging

/// What the server calls for each request. `Router` is the usual one.
public protocol HTTPResponder: Sendable {
    /// The body limit for this request's route, or nil for the server default. Asked before the
    /// body is read, so an oversized request is refused with 413 without reading it.
    func bodyLimit(for head: HTTPRequestHead) -> Int?

    /// Produces the response. Errors must already be turned into responses.
    func respond(to request: HTTPRequest, context: RequestContext) async -> HTTPResponse
}

/// Per-request values a handler receives besides the request.
public struct RequestContext: Sendable {
    public var requestID: String
    /// The server's logger; `logger` adds this request's id to it.
    public var baseLogger: Logger
    /// The server's logger with this request's `request_id` attached (built on use, not per request).
    public var logger: Logger {
        var logger = baseLogger
        logger[metadataKey: "request_id"] = requestID
        return logger
    }
    /// Path parameters captured by the matched route pattern.
    public var parameters: RouteParameters = RouteParameters()
    /// The matched route pattern, e.g. `/channels/{channel}/webhook`.
    public var route: String?
    /// True when the client connected from a loopback address; operator routes that have no
    /// other authentication may require it.
    public var peerIsLoopback = false

    public init(requestID: String = RequestID.make(), logger: Logger = .silent) {
        self.requestID = requestID
        self.baseLogger = logger
    }
}
