import Synchronization

/// Wakes web-chat readers (long-polls and event streams) when their identity's conversation
/// gains a message. Writers call `notify` after their transaction committed; readers re-query
/// the database when woken, so a wake-up carries no data and a spurious one costs one read.
///
/// A reader registers (`watch`) *before* it reads, so a message committed between its read and
/// its wait is not missed: the notification is remembered and the next wait returns at once.
public final class WebChatHub: Sendable {
    private typealias Continuation = CheckedContinuation<Bool, Never>

    private struct Watcher {
        /// Notified since the last wait returned.
        var pending = false
        /// The current wait's number; a timer for an older wait does nothing.
        var generation: UInt64 = 0
        /// The current wait's timer fired before the wait began.
        var expired = false
        var continuation: Continuation?
    }

    private struct State {
        var watchers: [Int64: [UInt64: Watcher]] = [:]
        var nextTicket: UInt64 = 0
        var count = 0
        var closed = false
    }

    private let state = Mutex(State())
    private let relayHook = Mutex<(@Sendable (Int64) -> Void)?>(nil)

    public init() {}

    /// The PostgreSQL notification channel that carries wake-ups between gateways (payload: the identity).
    public static let notificationChannel = "botbridge_webchat"

    /// Called with each notified identity so other gateways sharing the database wake their
    /// readers too (set by `serve` on PostgreSQL: a `NOTIFY`). Nil: this process only.
    public var relay: (@Sendable (Int64) -> Void)? {
        get { relayHook.withLock { $0 } }
        set { relayHook.withLock { $0 = newValue } }
    }

    /// Wakes every reader of every identity (after a lost notification connection: anything
    /// may have been missed, and a spurious wake-up costs one read).
    public func notifyAll() {
        let identities = state.withLock { Array($0.watchers.keys) }
        for identity in identities { notify(identity: identity, relay: false) }
    }

    /// One reader's registration; end it with `cancel()` when the reader is done.
    public struct Watch: Sendable {
        let hub: WebChatHub
        let identity: Int64
        let ticket: UInt64

        /// Returns true at once if the identity was notified since the last wait, else waits
        /// until it is (true), or `timeout` passes, the task is cancelled or the hub closes (false).
        public func wait(timeout: Duration) async -> Bool {
            await hub.wait(self, timeout: timeout)
        }

        public func cancel() {
            let continuation = hub.state.withLock { state -> Continuation? in
                guard let watcher = state.watchers[identity]?.removeValue(forKey: ticket) else { return nil }
                if state.watchers[identity]?.isEmpty == true { state.watchers[identity] = nil }
                state.count -= 1
                return watcher.continuation
            }
            continuation?.resume(returning: false)
        }
    }

    /// Registers a reader of `identity`.
    public func watch(identity: Int64) -> Watch {
        let ticket = state.withLock { state -> UInt64 in
            state.nextTicket += 1
            state.watchers[identity, default: [:]][state.nextTicket] = Watcher()
            state.count += 1
            return state.nextTicket
        }
        return Watch(hub: self, identity: identity, ticket: ticket)
    }

    /// Wakes every reader of `identity` (or marks it, if it is between waits), and, unless
    /// `relay` is false (a wake-up that came from another gateway), tells the other gateways.
    public func notify(identity: Int64, relay: Bool = true) {
        if relay, let hook = relayHook.withLock({ $0 }) { hook(identity) }
        let woken = state.withLock { state -> [Continuation] in
            guard var watchers = state.watchers[identity] else { return [] }
            var woken: [Continuation] = []
            for (ticket, var watcher) in watchers {
                if let continuation = watcher.continuation {
                    woken.append(continuation)
                    watcher.continuation = nil
                } else {
                    watcher.pending = true
                }
                watchers[ticket] = watcher
            }
            state.watchers[identity] = watchers
            return woken
        }
        for continuation in woken { continuation.resume(returning: true) }
    }

    /// Ends every wait and makes later ones return false at once (shutdown: streams end,
    /// long-polls answer now).
    public func close() {
        let woken = state.withLock { state -> [Continuation] in
            state.closed = true
            var woken: [Continuation] = []
            for (identity, watchers) in state.watchers {
                for (ticket, watcher) in watchers {
                    if let continuation = watcher.continuation { woken.append(continuation) }
                    state.watchers[identity]?[ticket]?.continuation = nil
                }
            }
            return woken
        }
        for continuation in woken { continuation.resume(returning: false) }
    }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// How many readers are registered (for metrics and tests).
    public var watching: Int { state.withLock { $0.count } }

    private func wait(_ watch: Watch, timeout: Duration) async -> Bool {
        enum Start { case returnNow(Bool), wait(UInt64) }
        let start = state.withLock { state -> Start in
            guard !state.closed, var watcher = state.watchers[watch.identity]?[watch.ticket] else { return .returnNow(false) }
            if watcher.pending {
                watcher.pending = false
                state.watchers[watch.identity]?[watch.ticket] = watcher
                return .returnNow(true)
            }
            watcher.generation += 1
            watcher.expired = false
            state.watchers[watch.identity]?[watch.ticket] = watcher
            return .wait(watcher.generation)
        }
        guard case .wait(let generation) = start else {
            if case .returnNow(let value) = start { return value }
            return false
        }
        let timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            self?.expire(watch, generation: generation)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let resumeWith = state.withLock { state -> Bool? in
                    guard !state.closed, var watcher = state.watchers[watch.identity]?[watch.ticket],
                          !watcher.expired, !Task.isCancelled else { return false }
                    if watcher.pending {
                        // Notified since the wait began.
                        watcher.pending = false
                        state.watchers[watch.identity]?[watch.ticket] = watcher
                        return true
                    }
                    watcher.continuation = continuation
                    state.watchers[watch.identity]?[watch.ticket] = watcher
                    return nil
                }
                if let resumeWith { continuation.resume(returning: resumeWith) }
            }
        } onCancel: {
            expire(watch, generation: generation)
        }
    }

    /// Ends the wait `generation` of `watch` with false; remembered if that wait has not begun.
    private func expire(_ watch: Watch, generation: UInt64) {
        let continuation = state.withLock { state -> Continuation? in
            guard var watcher = state.watchers[watch.identity]?[watch.ticket], watcher.generation == generation else { return nil }
            let continuation = watcher.continuation
            watcher.continuation = nil
            if continuation == nil { watcher.expired = true }
            state.watchers[watch.identity]?[watch.ticket] = watcher
            return continuation
        }
        continuation?.resume(returning: false)
    }
}
