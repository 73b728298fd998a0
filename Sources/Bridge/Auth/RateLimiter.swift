import Synchronization

/// Per-key token buckets: a key may make `burst` requests at once and `rate` per second on
/// average. In memory: a restart refills every bucket.
public final class RateLimiter: Sendable {
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// Bucket size (what `X-RateLimit-Limit` reports).
        public var limit: Int
        /// Whole requests left right now.
        public var remaining: Int
        /// Seconds until the bucket is full again.
        public var secondsUntilFull: Double
        /// When refused: seconds until one request is allowed.
        public var retryAfter: Double
    }

    private struct Bucket {
        var tokens: Double
        var updatedAt: Double
        var lastTouchedAt: Double = -.infinity
    }

    private let buckets = Mutex<[Int64: Bucket]>([:])

    public init() {}

    /// Takes one token from `key`'s bucket at time `now` (seconds, any monotonic origin).
    public func take(key: Int64, rate: Double, burst: Double, now: Double) -> Decision {
        let rate = max(rate, 0.001), burst = max(burst, 1)
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: burst, updatedAt: now)
            bucket.tokens = min(burst, bucket.tokens + max(0, now - bucket.updatedAt) * rate)
            bucket.updatedAt = now
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            buckets[key] = bucket
            return Decision(allowed: allowed, limit: Int(burst), remaining: Int(bucket.tokens.rounded(.down)),
                            secondsUntilFull: (burst - bucket.tokens) / rate,
                            retryAfter: allowed ? 0 : (1 - bucket.tokens) / rate)
        }
    }

    /// True at most once per `interval` seconds per key (to record `last_used_at` without a
    /// write per request).
    public func shouldTouch(key: Int64, now: Double, interval: Double = 60) -> Bool {
        buckets.withLock { buckets in
            guard var bucket = buckets[key], now - bucket.lastTouchedAt >= interval else { return false }
            bucket.lastTouchedAt = now
            buckets[key] = bucket
            return true
        }
    }
}
