/// When a failed delivery is tried again: one pure function of the attempt count.
///
/// The default (`standard`) follows the Standard Webhooks recommendation, 8 attempts in all:
///
/// | attempt | sent after the previous failure |
/// | ------: | ------------------------------- |
/// |       1 | immediately (when enqueued)     |
/// |       2 | 5 seconds                       |
/// |       3 | 5 minutes                       |
/// |       4 | 30 minutes                      |
/// |       5 | 2 hours                         |
/// |       6 | 5 hours                         |
/// |       7 | 10 hours                        |
/// |       8 | 10 hours                        |
/// |       — | after the 8th failure: **dead** |
///
/// Each delay is spread by ±`jitter` (10 %) so that deliveries failing together do not retry in
/// lockstep. A `Retry-After` from the receiver replaces the delay (see `DeliveryOutcome`).
public struct RetrySchedule: Sendable, Equatable {
    /// The delays before attempts 2, 3, ...; the first attempt is immediate.
    public var delays: [Duration]
    /// The fraction by which each delay may be shortened or lengthened, 0...1.
    public var jitter: Double

    public init(delays: [Duration], jitter: Double = 0.10) {
        self.delays = delays
        self.jitter = min(max(jitter, 0), 1)
    }

    /// Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; ±10 %.
    public static let standard = RetrySchedule(delays: [
        .seconds(5), .seconds(5 * 60), .seconds(30 * 60), .seconds(2 * 3600),
        .seconds(5 * 3600), .seconds(10 * 3600), .seconds(10 * 3600),
    ])

    /// Attempts before a delivery is dead.
    public var maxAttempts: Int { delays.count + 1 }

    /// The wait before the next attempt once `failedAttempts` attempts have failed, or nil when
    /// the delivery is now dead. `random` in -1...1 picks the point within the jitter band.
    public func delay(afterFailedAttempts failedAttempts: Int, random: Double) -> Duration? {
        guard failedAttempts >= 1, failedAttempts <= delays.count else { return nil }
        let base = delays[failedAttempts - 1]
        let factor = 1 + jitter * min(max(random, -1), 1)
        return base * factor
    }
}
