/// Why an HTTP request produced no response. Never carries request headers or bodies, which hold secrets.
public enum HTTPClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The connect timeout or the total timeout elapsed.
    case timeout
    /// The server's host refused the TCP connection (nothing listening on the port).
    case connectionRefused
    /// The host name could not be resolved.
    case dnsFailure(host: String)
    /// The TLS handshake or certificate verification failed; the message is libcurl's.
    case tls(message: String)
    /// The response body exceeded the configured limit (or the header lines exceeded theirs).
    case responseTooLarge(limit: Int)
    /// The URL's scheme is neither `http` nor `https`.
    case unsupportedScheme(String)
    /// The URL could not be parsed or has no host.
    case invalidURL
    /// The request cannot be sent as given, e.g. a header value containing a line break.
    case invalidRequest(reason: String)
    /// The calling task was cancelled; the transfer was abandoned.
    case cancelled
    /// The client was shut down before the request completed.
    case shutdown
    /// Any other transport failure, with libcurl's code and message.
    case transport(code: Int, message: String)

    /// A one-line explanation fit for logs.
    public var description: String {
        switch self {
        case .timeout: "request timed out"
        case .connectionRefused: "connection refused"
        case .dnsFailure(let host): "could not resolve host '\(host)'"
        case .tls(let message): "TLS failure: \(message)"
        case .responseTooLarge(let limit): "response larger than the \(limit)-byte limit"
        case .unsupportedScheme(let scheme): "unsupported URL scheme '\(scheme)' (only http and https are allowed)"
        case .invalidURL: "invalid URL"
        case .invalidRequest(let reason): "invalid request: \(reason)"
        case .cancelled: "request cancelled"
        case .shutdown: "HTTP client is shut down"
        case .transport(let code, let message): "transport error (curl \(code)): \(message)"
        }
    }
}
