import Synchronization

/// Delivery counters for `/metrics` (Prometheus text), plus the outbox gauges read at scrape time.
public final class DeliveryMetrics: Sendable {
    private struct Key: Hashable {
        var kind: String
        var result: String
    }
    private let attempts = Mutex<[Key: Int]>([:])
    private let dead = Mutex<[String: Int]>([:])

    public init() {}

    func recordAttempt(kind: String, outcome: DeliveryOutcome, fate: DeliveryFate) {
        attempts.withLock { $0[Key(kind: kind, result: outcome.metricLabel), default: 0] += 1 }
        switch fate {
        case .dead, .gone: dead.withLock { $0[kind, default: 0] += 1 }
        case .done, .retrying: break
        }
    }

    /// Attempts so far with this kind and result (delivered, failed, gone, invalid).
    public func attemptCount(kind: String, result: String) -> Int {
        attempts.withLock { $0[Key(kind: kind, result: result)] ?? 0 }
    }

    /// The counters and the given outbox statistics in Prometheus text format.
    public func render(_ statistics: Outbox.Statistics?) -> String {
        var text = """
        # HELP botbridge_delivery_attempts_total Delivery attempts by kind and result (delivered, failed, gone, invalid).
        # TYPE botbridge_delivery_attempts_total counter

        """
        for (key, count) in attempts.withLock({ $0 }).sorted(by: { ($0.key.kind, $0.key.result) < ($1.key.kind, $1.key.result) }) {
            text += "botbridge_delivery_attempts_total{kind=\"\(key.kind)\",result=\"\(key.result)\"} \(count)\n"
        }
        text += """
        # HELP botbridge_deliveries_dead_total Deliveries that became dead, by kind.
        # TYPE botbridge_deliveries_dead_total counter

        """
        for (kind, count) in dead.withLock({ $0 }).sorted(by: { $0.key < $1.key }) {
            text += "botbridge_deliveries_dead_total{kind=\"\(kind)\"} \(count)\n"
        }
        if let statistics {
            text += """
            # HELP botbridge_outbox_deliveries Deliveries in the outbox by status.
            # TYPE botbridge_outbox_deliveries gauge
            botbridge_outbox_deliveries{status="pending"} \(statistics.pending)
            botbridge_outbox_deliveries{status="sending"} \(statistics.sending)
            botbridge_outbox_deliveries{status="dead"} \(statistics.dead)
            # HELP botbridge_outbox_oldest_pending_seconds Age of the oldest delivery not yet done.
            # TYPE botbridge_outbox_oldest_pending_seconds gauge
            botbridge_outbox_oldest_pending_seconds \(Double(statistics.oldestPendingAge) / 1000)

            """
        }
        return text
    }
}
