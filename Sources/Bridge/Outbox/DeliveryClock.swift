import Foundation
import Synchronization

/// Wall-clock time for the outbox, in milliseconds since the Unix epoch. Injectable so retry
/// schedules can be tested without sleeping.
public protocol DeliveryClock: Sendable {
    /// Now, in milliseconds since the Unix epoch.
    func now() -> Int64
}

/// The system's wall clock.
public struct SystemDeliveryClock: DeliveryClock {
    public init() {}
    public func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }
}

/// A clock that moves only when told to (tests, simulations).
public final class ManualDeliveryClock: DeliveryClock {
    private let current: Atomic<Int64>

    public init(_ start: Int64 = 1_700_000_000_000) { current = Atomic(start) }
    public func now() -> Int64 { current.load(ordering: .sequentiallyConsistent) }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        current.add(duration.milliseconds, ordering: .sequentiallyConsistent)
    }
}

extension Duration {
    /// Whole milliseconds, rounded down, saturating at Int64.max.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        return ms &+ attoseconds / 1_000_000_000_000_000
    }
}
