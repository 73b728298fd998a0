import Logging

/// Dispatches requests by method and path pattern: 404 for unknown paths, 405 with `Allow` for
/// known paths and other methods, HEAD served by GET routes, errors rendered as JSON.
public struct Router: HTTPResponder {
    /// A handler: the request and its context in, a response out; thrown errors become responses.
    public typealias Handler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

    struct Route: Sendable {
        var method: String
        var pattern: RoutePattern
        var bodyLimit: Int?
        var handler: Handler
    }

    private var routes: [Route] = []
    /// Routes whose pattern has no parameters, by exact path: one hash lookup for the common case.
    private var literalRoutes: [String: [Route]] = [:]
    private var middleware: [any HTTPMiddleware] = []

    public init() {}

    // MARK: - Registration

    /// Adds a route. `bodyLimit` overrides the server's default body limit for it.
    public mutating func on(_ method: String, _ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) {
        let route = Route(method: method, pattern: RoutePattern(pattern), bodyLimit: bodyLimit, handler: handler)
        routes.append(route)
        if route.pattern.isLiteral { literalRoutes[route.pattern.canonicalPath, default: []].append(route) }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { on("GET", pattern, handler) }
    public mutating func post(_ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) { on("POST", pattern, bodyLimit: bodyLimit, handler) }
    public mutating func put(_ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) { on("PUT", pattern, bodyLimit: bodyLimit, handler) }
    public mutating func patch(_ pattern: String, bodyLimit: Int? = nil, _ handler: @escaping Handler) { on("PATCH", pattern, bodyLimit: bodyLimit, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { on("DELETE", pattern, handler) }

    /// Adds middleware; the first added runs outermost.
    public mutating func add(middleware: any HTTPMiddleware) { self.middleware.append(middleware) }

    // MARK: - Matching

    enum Resolution {
        case matched(Route, RouteParameters)
        case methodNotAllowed(allow: [String], pattern: String)
        case notFound
        case badPath
    }

    func resolve(method: String, path: Substring) -> Resolution {
        if let candidates = literalRoutes[String(path)] {
            if let route = candidates.first(where: { $0.method == method })
                ?? (method == "HEAD" ? candidates.first(where: { $0.method == "GET" }) : nil) {
                return .matched(route, RouteParameters())
            }
        }
        guard let segments = Self.segments(of: path) else { return .badPath }
        var allowed: [String] = []
        var allowedPattern = ""
        var getMatch: (Route, RouteParameters)?
        for route in routes {
            guard let parameters = route.pattern.match(segments) else { continue }
            if route.method == method { return .matched(route, parameters) }
            if route.method == "GET" && method == "HEAD" { getMatch = (route, parameters) }
            if !allowed.contains(route.method) { allowed.append(route.method) }
            allowedPattern = route.pattern.description
        }
        if let getMatch { return .matched(getMatch.0, getMatch.1) }
        if allowed.isEmpty { return .notFound }
        if allowed.contains("GET") && !allowed.contains("HEAD") { allowed.append("HEAD") }
        return .methodNotAllowed(allow: allowed, pattern: allowedPattern)
    }

    /// Splits and percent-decodes a path; nil when an escape is malformed or not UTF-8.
    static func segments(of path: Substring) -> [String]? {
        var result: [String] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part.utf8.contains(UInt8(ascii: "%")) {
                guard let decoded = PercentEncoding.decodeStrict(part) else { return nil }
                result.append(decoded)
            } else {
                result.append(String(part))
            }
        }
        return result
    }

    // MARK: - HTTPResponder

    public func bodyLimit(for head: HTTPRequestHead) -> Int? {
        if case .matched(let route, _) = resolve(method: head.method, path: head.path) { return route.bodyLimit }
        return nil
    }

    public func respond(to request: HTTPRequest, context: RequestContext) async -> HTTPResponse {
        var context = context
        var response: HTTPResponse
        switch resolve(method: request.method, path: request.path) {
        case .matched(let route, let parameters):
            context.parameters = parameters
            context.route = route.pattern.description
            response = await run(route.handler, request, context)
            response.routeLabel = route.pattern.description
        case .methodNotAllowed(let allow, let pattern):
            response = HTTPError(.methodNotAllowed, code: "method_not_allowed",
                                 message: "\(request.method) is not allowed here; use \(allow.joined(separator: ", "))",
                                 headers: ["Allow": allow.joined(separator: ", ")]).response
            response.routeLabel = pattern
        case .notFound:
            response = HTTPError.notFound("no route for \(request.method) \(request.path.prefix(200))").response
        case .badPath:
            response = HTTPError.badRequest("the request path has a malformed percent-encoding").response
        }
        return response
    }

    private func run(_ handler: @escaping Handler, _ request: HTTPRequest, _ context: RequestContext) async -> HTTPResponse {
        var next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse = handler
        for middleware in self.middleware.reversed() {
            let inner = next
            next = { request, context in try await middleware.handle(request, context: context, next: inner) }
        }
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            return error.response
        } catch is CancellationError {
            return HTTPError(.serviceUnavailable, code: "cancelled", message: "the request was cancelled").response
        } catch {
            // Never leak internals to the caller; the log has the detail.
            context.logger.error("handler failed: \(error)")
            return HTTPError(.internalServerError, code: "internal_error", message: "internal error; see the server log for request \(context.requestID)").response
        }
    }
}

/// Code that wraps every routed handler (authentication, rate limits...).
public protocol HTTPMiddleware: Sendable {
    func handle(_ request: HTTPRequest, context: RequestContext,
                next: @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse) async throws -> HTTPResponse
}
