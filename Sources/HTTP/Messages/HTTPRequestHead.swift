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
        let (path, _) = Self.split(target)
        return path
    }

    /// The query part of the target, without the `?`, or nil.
    public var rawQuery: Substring? {
        let (_, query) = Self.split(target)
        return query
    }

    /// Splits a request target into path and query, working on UTF-8 code units only.
    static func split(_ target: String) -> (Substring, Substring?) {
        let utf8 = target.utf8
        var pathStart = utf8.startIndex
        if utf8.first != UInt8(ascii: "/") {
            // absolute-form "scheme://authority/path?query"; "*" and authority-form have no path.
            guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
                  utf8[colon...].starts(with: "://".utf8) else { return (Substring(target), nil) }
            let authorityStart = utf8.index(colon, offsetBy: 3)
            guard let slash = utf8[authorityStart...].firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") }) else {
                return ("/", nil)
            }
            pathStart = slash
        }
        if let q = utf8[pathStart...].firstIndex(of: UInt8(ascii: "?")) {
            let path = pathStart == q ? Substring("/") : Substring(utf8[pathStart..<q])
            return (path, Substring(utf8[utf8.index(after: q)...]))
        }
        return (Substring(utf8[pathStart...]), nil)
    }
}
