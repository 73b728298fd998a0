/// Limits, timeouts and identity of an `HTTPClient`; every default is visible in `init`.
public struct HTTPClientConfiguration: Sendable, Equatable {
    /// Time allowed to resolve the host and establish TCP (and TLS) for a new connection.
    public var connectTimeout: Duration
    /// Time allowed for a whole request, from submission to the last response byte;
    /// `HTTPClientRequest.timeout` overrides it per request.
    public var totalTimeout: Duration
    /// Largest response body accepted; a longer body aborts the transfer with `.responseTooLarge`.
    public var maxResponseBytes: Int
    /// Largest total size of the response header lines accepted, guarding memory against endless headers.
    public var maxResponseHeaderBytes: Int
    /// Simultaneous connections to one host (CURLMOPT_MAX_HOST_CONNECTIONS); further requests queue, and
    /// their total timeout keeps running while they wait. 0 means no limit.
    public var maxConnectionsPerHost: Int
    /// Idle connections kept open for reuse across all hosts (CURLMOPT_MAXCONNECTS); keep it at least
    /// `maxConnectionsPerHost`, or bursts to one host close connections they could have reused.
    public var maxCachedConnections: Int
    /// Easy handles kept for reuse after a transfer ends; beyond this they are freed.
    public var maxIdleHandles: Int
    /// Value of the `User-Agent` header unless a request sets its own.
    public var userAgent: String
    /// PEM bundle of trusted certificate authorities; nil uses the system's store.
    public var caBundlePath: String?

    /// The user agent sent when none is configured.
    public static let defaultUserAgent = "botbridge/\(HTTPClientConfiguration.botbridgeVersion)"
    /// The botbridge version announced in the default user agent.
    public static let botbridgeVersion = "0.1.0"

    /// Creates a configuration; every parameter's default is the documented default.
    public init(
        connectTimeout: Duration = .seconds(5),
        totalTimeout: Duration = .seconds(15),
        maxResponseBytes: Int = 4 * 1024 * 1024,
        maxResponseHeaderBytes: Int = 64 * 1024,
        maxConnectionsPerHost: Int = 16,
        maxCachedConnections: Int = 64,
        maxIdleHandles: Int = 64,
        userAgent: String = HTTPClientConfiguration.defaultUserAgent,
        caBundlePath: String? = nil
    ) {
        self.connectTimeout = connectTimeout
        self.totalTimeout = totalTimeout
        self.maxResponseBytes = maxResponseBytes
        self.maxResponseHeaderBytes = maxResponseHeaderBytes
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxCachedConnections = maxCachedConnections
        self.maxIdleHandles = maxIdleHandles
        self.userAgent = userAgent
        self.caBundlePath = caBundlePath
    }
}
