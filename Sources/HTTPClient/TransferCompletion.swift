import Synchronization

/// The hand-off between a suspended `send` and whatever settles its transfer first: libcurl finishing,
/// task cancellation, or shutdown. The continuation is resumed exactly once.
final class TransferCompletion: Sendable {
    /// What a transfer ends with.
    typealias Outcome = Result<HTTPClientResponse, HTTPClientError>
    /// The continuation of the task waiting in `send`.
    typealias Continuation = CheckedContinuation<Outcome, Never>

    private struct State {
        var continuation: Continuation?
        var isCancelled = false
        var isSettled = false
    }

    private let state = Mutex(State())

    /// Stores the waiting continuation; returns false (having resumed it with `.cancelled`) when the task
    /// was cancelled before it got here, in which case the transfer must not be started.
    func install(_ continuation: Continuation) -> Bool {
        let cancelledEarly = state.withLock { state in
            if state.isCancelled {
                state.isSettled = true
                return true
            }
            state.continuation = continuation
            return false
        }
        if cancelledEarly { continuation.resume(returning: .failure(.cancelled)) }
        return !cancelledEarly
    }

    /// Resumes the waiting task with `outcome`, unless cancellation already did.
    func settle(_ outcome: Outcome) {
        let continuation = state.withLock { state -> Continuation? in
            guard !state.isSettled, let continuation = state.continuation else { return nil }
            state.isSettled = true
            state.continuation = nil
            return continuation
        }
        continuation?.resume(returning: outcome)
    }

    /// Marks the transfer cancelled and resumes the waiting task with `.cancelled`; returns true when the
    /// transfer had already been handed to the run loop and must be removed from it.
    func cancel() -> Bool {
        let continuation = state.withLock { state -> Continuation? in
            guard !state.isSettled else { return nil }
            state.isCancelled = true
            guard let continuation = state.continuation else { return nil }
            state.isSettled = true
            state.continuation = nil
            return continuation
        }
        continuation?.resume(returning: .failure(.cancelled))
        return continuation != nil
    }

    /// True once the waiting task has been resumed, or cancellation was requested.
    var isSettled: Bool { state.withLock { $0.isSettled || $0.isCancelled } }
}
