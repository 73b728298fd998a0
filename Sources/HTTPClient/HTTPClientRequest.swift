/// One outbound HTTP request: method, absolute http(s) URL, ordered headers and body bytes.
public struct HTTPClientRequest: Sendable {
    /// The request method, sent as given (`GET`, `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`...).
    public var method: String
    /// The absolute URL; only `http` and `https` are accepted.
    public var url: String
    /// Header fields in the order they are sent; repeated names are sent repeatedly.
    public var headers: [(name: String, value: String)]
    /// The body; sent with any method when non-empty, and as `Content-Length: 0` for an empty POST, PUT or PATCH.
    public var body: [UInt8]
    /// Overrides `HTTPClientConfiguration.totalTimeout` for this request when set.
    public var timeout: Duration?

    /// Creates a request; a GET with no headers, no body and the client's total timeout by default.
    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8] = [],
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }

    /// The first value of a header, matching the name case-insensitively.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveEquals(name) }?.value
    }
}
