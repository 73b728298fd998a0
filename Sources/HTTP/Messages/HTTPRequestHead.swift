import Foundation

/// How a request's body is delimited (RFC 9112 §6.3).
public enum HTTPBodyFraming: Sendable, Equatable {
    case none
    case contentLength(Int)
    case chunked
}

/// The request line and header section of one request, validated by `HTTPRequestParser`.
public struct HTTPRequestHead: Sendable {
    /// The method token as sent (methods are case-sensitive).
    public var method: String
    /// The request target exactly as sent.
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    /// The body framing the parser derived from Content-Length / Transfer-Encoding.
    public var framing: HTTPBodyFraming
    /// Whether the connection may be reused after this exchange (version and `Connection`).
    public var keepAlive: Bool
    /// True when the client sent `Expect: 100-continue`.
    public var expectsContinue: Bool

    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
                framing: HTTPBodyFraming = .none, keepAlive: Bool = true, expectsContinue: Bool = false) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.framing = framing
        self.keepAlive = keepAlive
        self.expectsContinue = expectsContinue
    }

    /// The path part of the target (origin-form, or the path of an absolute-form target), still percent-encoded.
    public var path: Substring {
        var rest = Substring(target)
        if !rest.hasPrefix("/") {
            // absolute-form: scheme://authority/path?query
            if let schemeEnd = target.range(of: "://") {
                rest = target[schemeEnd.upperBound...]
                if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                    rest = rest[slash...]
                    if rest.hasPrefix("?") { return "/" }
                } else {
                    return "/"
                }
            } else {
                return rest // "*" or authority-form
            }
        }
        if let q = rest.firstIndex(of: "?") { return rest[..<q] }
        return rest
    }

    /// The query part of the target, without the `?`, or nil.
    public var rawQuery: Substring? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: q)...]
    }
}
