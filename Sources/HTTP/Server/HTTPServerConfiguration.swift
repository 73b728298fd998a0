import Glibc

/// Every limit and timeout of the server, with its default, in one place.
public struct HTTPServerConfiguration: Sendable {
    /// Address to bind (IPv4 or IPv6 literal, or "localhost").
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free one (`HTTPServer.start()` returns it).
    public var port: Int = 8080
    /// Event loops (threads running epoll); defaults to the number of cores.
    public var eventLoopCount: Int = max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    /// listen(2) backlog.
    public var backlog: Int32 = 1024

    /// Request line, header section and header count limits (414 / 431).
    public var parserLimits = HTTPParserLimits()
    /// Largest request body a route accepts unless it sets its own (413, sent before reading it).
    public var maxBodyBytes: Int = 1024 * 1024

    /// Time allowed from the first byte of a request (or the accept) to the end of its head (408).
    public var headerTimeout: Duration = .seconds(10)
    /// Longest pause between two body reads (408).
    public var bodyIdleTimeout: Duration = .seconds(30)
    /// How long an idle keep-alive connection is kept open.
    public var keepAliveTimeout: Duration = .seconds(75)
    /// Longest a handler may take before the server answers 503 itself.
    public var handlerTimeout: Duration = .seconds(30)
    /// Longest a response may wait for the client to accept more bytes.
    public var writeTimeout: Duration = .seconds(30)
    /// How long a closing connection keeps draining client bytes so the last response is not reset.
    public var lingerTimeout: Duration = .seconds(2)
    /// Requests served on one connection before it is closed.
    public var maxRequestsPerConnection: Int = 1000
    /// Open connections across all loops; beyond it new connections get a 503 and are closed.
    public var maxConnections: Int = 10_000
    /// How long `shutdown()` waits for in-flight requests before closing everything.
    public var shutdownGracePeriod: Duration = .seconds(10)

    public init(host: String = "127.0.0.1", port: Int = 8080) {
        self.host = host
        self.port = port
    }
}

extension Duration {
    /// Longest duration the server reckons with (about 146 years): deadlines are `now + d`, so
    /// capping here keeps that sum from overflowing however long a configured timeout is.
    static let nanosecondCap = UInt64.max / 4

    /// Whole nanoseconds, saturating at `nanosecondCap`.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        let (ns, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return Self.nanosecondCap }
        return min(ns &+ UInt64(attoseconds / 1_000_000_000), Self.nanosecondCap)
    }
}

/// Monotonic clock in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
