import Synchronization

/// Request and connection counters in Prometheus text format (exposition format 0.0.4).
///
/// Each event loop records into its own shard, so loops never contend; rendering merges them.
public final class HTTPServerMetrics: Sendable {
    /// Upper bounds of the latency histogram, in seconds.
    public static let latencyBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    struct RequestKey: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    struct Histogram {
        var buckets = [UInt64](repeating: 0, count: HTTPServerMetrics.latencyBuckets.count)
        var count: UInt64 = 0
        var sum: Double = 0

        mutating func observe(_ seconds: Double) {
            if let index = HTTPServerMetrics.latencyBuckets.firstIndex(where: { seconds <= $0 }) { buckets[index] += 1 }
            count += 1
            sum += seconds
        }
    }

    /// Everything recorded for one route pattern: one hash lookup per request.
    struct RouteStats {
        var counts: [(method: String, status: Int, count: UInt64)] = []
        var latency = Histogram()

        mutating func record(method: String, status: Int, seconds: Double) {
            if let i = counts.firstIndex(where: { $0.status == status && $0.method == method }) {
                counts[i].count += 1
            } else {
                counts.append((method, status, 1))
            }
            latency.observe(seconds)
        }
    }

    struct Shard {
        var routes: [String: RouteStats] = [:]
        var parseErrors: [Int: UInt64] = [:]
    }

    final class ShardBox: Sendable {
        let mutex = Mutex(Shard())
    }

    private let shards: [ShardBox]
    private let open = Atomic<Int>(0)
    private let accepted = Atomic<UInt64>(0)
    private let rejected = Atomic<UInt64>(0)

    public init(shardCount: Int = 16) {
        shards = (0..<max(1, shardCount)).map { _ in ShardBox() }
    }

    /// Methods kept as labels; any other token a client sends is counted as "other", so clients
    /// cannot grow the label set.
    static func methodLabel(_ method: String) -> String {
        switch method {
        case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS": method
        default: "other"
        }
    }

    func record(route: String, method: String, status: Int, seconds: Double, loop: Int) {
        let method = Self.methodLabel(method)
        shards[loop % shards.count].mutex.withLock { shard in
            shard.routes[route, default: RouteStats()].record(method: method, status: status, seconds: seconds)
        }
    }

    func recordParseError(status: Int, loop: Int) {
        shards[loop % shards.count].mutex.withLock { $0.parseErrors[status, default: 0] += 1 }
    }

    func connectionOpened() {
        open.add(1, ordering: .relaxed)
        accepted.add(1, ordering: .relaxed)
    }

    func connectionClosed() { open.subtract(1, ordering: .relaxed) }
    func connectionRejected() { rejected.add(1, ordering: .relaxed) }

    /// Connections currently open.
    public var openConnections: Int { open.load(ordering: .relaxed) }

    /// Requests answered so far with this route label and status (all methods).
    public func requestCount(route: String, status: Int) -> UInt64 {
        shards.reduce(0) { total, shard in
            total + shard.mutex.withLock { $0.routes[route]?.counts.filter { $0.status == status }.reduce(0) { $0 + $1.count } ?? 0 }
        }
    }

    /// The Prometheus text exposition of every metric.
    public func render() -> String {
        var requests: [RequestKey: UInt64] = [:]
        var latency: [String: Histogram] = [:]
        var parseErrors: [Int: UInt64] = [:]
        for shard in shards {
            shard.mutex.withLock { s in
                parseErrors.merge(s.parseErrors, uniquingKeysWith: +)
                for (route, stats) in s.routes {
                    for entry in stats.counts {
                        requests[RequestKey(route: route, method: entry.method, status: entry.status), default: 0] += entry.count
                    }
                    let h = stats.latency
                    var merged = latency[route] ?? Histogram()
                    for i in merged.buckets.indices { merged.buckets[i] += h.buckets[i] }
                    merged.count += h.count
                    merged.sum += h.sum
                    latency[route] = merged
                }
            }
        }
        var out = ""
        out += "# HELP botbridge_http_requests_total HTTP requests answered, by route pattern, method and status.\n"
        out += "# TYPE botbridge_http_requests_total counter\n"
        let sortedRequests = requests.sorted { a, b in
            if a.key.route != b.key.route { return a.key.route < b.key.route }
            if a.key.method != b.key.method { return a.key.method < b.key.method }
            return a.key.status < b.key.status
        }
        for (key, value) in sortedRequests {
            out += "botbridge_http_requests_total{route=\(label(key.route)),method=\(label(key.method)),status=\"\(key.status)\"} \(value)\n"
        }
        out += "# HELP botbridge_http_request_duration_seconds Time from a complete request head to the response, by route pattern.\n"
        out += "# TYPE botbridge_http_request_duration_seconds histogram\n"
        for (route, h) in latency.sorted(by: { $0.key < $1.key }) {
            var cumulative: UInt64 = 0
            for (i, bound) in Self.latencyBuckets.enumerated() {
                cumulative += h.buckets[i]
                out += "botbridge_http_request_duration_seconds_bucket{route=\(label(route)),le=\"\(bound)\"} \(cumulative)\n"
            }
            out += "botbridge_http_request_duration_seconds_bucket{route=\(label(route)),le=\"+Inf\"} \(h.count)\n"
            out += "botbridge_http_request_duration_seconds_sum{route=\(label(route))} \(h.sum)\n"
            out += "botbridge_http_request_duration_seconds_count{route=\(label(route))} \(h.count)\n"
        }
        out += "# HELP botbridge_http_rejected_requests_total Requests refused before routing (framing, limits, timeouts), by status.\n"
        out += "# TYPE botbridge_http_rejected_requests_total counter\n"
        for (status, value) in parseErrors.sorted(by: { $0.key < $1.key }) {
            out += "botbridge_http_rejected_requests_total{status=\"\(status)\"} \(value)\n"
        }
        out += "# HELP botbridge_http_open_connections Connections currently open.\n"
        out += "# TYPE botbridge_http_open_connections gauge\n"
        out += "botbridge_http_open_connections \(open.load(ordering: .relaxed))\n"
        out += "# HELP botbridge_http_connections_total Connections accepted.\n"
        out += "# TYPE botbridge_http_connections_total counter\n"
        out += "botbridge_http_connections_total \(accepted.load(ordering: .relaxed))\n"
        out += "# HELP botbridge_http_refused_connections_total Connections refused at the connection limit.\n"
        out += "# TYPE botbridge_http_refused_connections_total counter\n"
        out += "botbridge_http_refused_connections_total \(rejected.load(ordering: .relaxed))\n"
        return out
    }

    /// A label value with backslash, quote and newline escaped.
    private func label(_ value: String) -> String {
        var out = "\""
        for c in value {
            switch c {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(c)
            }
        }
        return out + "\""
    }
}
