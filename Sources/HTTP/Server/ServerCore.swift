import Logging
import Synchronization

/// What every loop and connection of one server shares: configuration, responder, counters.
final class ServerCore: Sendable {
    let configuration: HTTPServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    let metrics: HTTPServerMetrics
    private let openConnections = Atomic<Int>(0)
    private let drain = Mutex(DrainState())

    struct DrainState {
        var drainedLoops: Set<Int> = []
        var loopCount = 0
        var waiter: CheckedContinuation<Void, Never>?
        var done = false
    }

    init(configuration: HTTPServerConfiguration, responder: any HTTPResponder, logger: Logger, metrics: HTTPServerMetrics) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.metrics = metrics
    }

    /// Counts a new connection unless the server is at `maxConnections`.
    func reserveConnectionSlot() -> Bool {
        var current = openConnections.load(ordering: .relaxed)
        while current < configuration.maxConnections {
            let (exchanged, original) = openConnections.compareExchange(expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    func releaseConnectionSlot() {
        openConnections.subtract(1, ordering: .relaxed)
    }

    var openConnectionCount: Int { openConnections.load(ordering: .relaxed) }

    // MARK: - Drain coordination

    func prepareDrain(loopCount: Int) {
        drain.withLock { $0.loopCount = loopCount }
    }

    /// Called by a draining loop once it has no connections left.
    func loopDrained(_ index: Int) {
        let waiter = drain.withLock { state -> CheckedContinuation<Void, Never>? in
            state.drainedLoops.insert(index)
            guard state.drainedLoops.count >= state.loopCount, !state.done else { return nil }
            state.done = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Suspends until every loop has drained (or `giveUp` resolves it first).
    func waitUntilDrained() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = drain.withLock { state -> Bool in
                if state.done { return true }
                state.waiter = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// Ends the wait when the grace period runs out.
    func giveUpDraining() {
        let waiter = drain.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.done else { return nil }
            state.done = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
