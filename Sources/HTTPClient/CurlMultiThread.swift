import CCurl
import Foundation
import Synchronization

/// One libcurl multi handle driven by a dedicated thread, so that no libcurl work ever runs on the
/// Swift cooperative pool. Tasks hand transfers in through a locked inbox and `curl_multi_wakeup`; the
/// thread adds them, runs `curl_multi_perform`, completes finished ones from `curl_multi_info_read`,
/// and sleeps in `curl_multi_poll`. The multi handle's connection cache gives keep-alive reuse, and
/// finished easy handles are reset and kept on a small free list.
///
/// `@unchecked Sendable` because of confinement: `multi` is used only by the run-loop thread, except
/// `curl_multi_wakeup`, which libcurl allows from any thread and which is only called under the inbox
/// lock while the loop is running (so never after `curl_multi_cleanup`); `active` and `idleHandles`
/// are touched only by the run-loop thread.
final class CurlMultiThread: @unchecked Sendable {
    private enum RunState { case running, stopping, stopped }

    /// Everything other threads hand to the run loop.
    private struct Inbox {
        var additions: [CurlTransfer] = []
        var removals: [CurlTransfer] = []
        var runState = RunState.running
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var isEmpty: Bool { additions.isEmpty && removals.isEmpty }
    }

    private let multi: UnsafeMutableRawPointer
    private let maxIdleHandles: Int
    private let inbox = Mutex(Inbox())

    // Run-loop thread only.
    private var active: [ObjectIdentifier: CurlTransfer] = [:]
    private var idleHandles: [UnsafeMutableRawPointer] = []

    /// Longest sleep in curl_multi_poll with nothing to do; wakeups and libcurl's own timers cut it short.
    private static let idlePollMilliseconds: Int32 = 1000
    /// How often transfers are checked against their deadlines while any are active.
    private static let deadlineSweepInterval = Duration.milliseconds(50)

    /// curl_global_init runs once per process, before the first handle; Swift runs this initializer once.
    private static let globalInitialization: Int32 = Int32(curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue)

    /// Creates the multi handle with the configured connection limits; `start` launches the thread.
    init(configuration: HTTPClientConfiguration) {
        precondition(Self.globalInitialization == Int32(CURLE_OK.rawValue), "curl_global_init failed")
        guard let multi = curl_multi_init() else { preconditionFailure("curl_multi_init failed (out of memory)") }
        self.multi = multi
        maxIdleHandles = configuration.maxIdleHandles
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(0, configuration.maxConnectionsPerHost))
        _ = ccurl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(0, configuration.maxCachedConnections))
    }

    /// Launches the run-loop thread.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "botbridge.http-client"
        thread.start()
    }

    // MARK: - Any thread

    /// Hands a transfer to the run loop, or fails it with `.shutdown` when the loop has stopped.
    func submit(_ transfer: CurlTransfer) {
        let accepted = inbox.withLock { inbox in
            guard inbox.runState == .running else { return false }
            wakeIfIdle(inbox)
            inbox.additions.append(transfer)
            return true
        }
        if !accepted { transfer.completion.settle(.failure(.shutdown)) }
    }

    /// Asks the run loop to remove a cancelled transfer (whose task has already been resumed).
    func abandon(_ transfer: CurlTransfer) {
        inbox.withLock { inbox in
            guard inbox.runState == .running else { return }
            wakeIfIdle(inbox)
            inbox.removals.append(transfer)
        }
    }

    /// Asks the run loop to stop without waiting for it.
    func requestStop() {
        inbox.withLock { inbox in
            guard inbox.runState == .running else { return }
            inbox.runState = .stopping
            curl_multi_wakeup(multi)
        }
    }

    /// Stops the run loop, failing pending transfers with `.shutdown`, and returns once libcurl is cleaned up.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let alreadyStopped = inbox.withLock { inbox in
                switch inbox.runState {
                case .stopped:
                    return true
                case .running:
                    inbox.runState = .stopping
                    curl_multi_wakeup(multi)
                case .stopping:
                    break
                }
                inbox.stopWaiters.append(continuation)
                return false
            }
            if alreadyStopped { continuation.resume() }
        }
    }

    /// One wakeup per batch: the loop drains the whole inbox at once, so a non-empty inbox already has one pending.
    private func wakeIfIdle(_ inbox: borrowing Inbox) {
        if inbox.isEmpty { curl_multi_wakeup(multi) }
    }

    // MARK: - Run loop

    private func run() {
        var running: Int32 = 0
        var nextSweep = ContinuousClock.now
        while true {
            let (additions, removals, stopping) = inbox.withLock { inbox in
                defer { (inbox.additions, inbox.removals) = ([], []) }
                return (inbox.additions, inbox.removals, inbox.runState != .running)
            }
            if stopping { break }
            for transfer in additions { add(transfer) }
            for transfer in removals { remove(transfer) }
            _ = curl_multi_perform(multi, &running)
            completeFinishedTransfers()
            if !active.isEmpty, ContinuousClock.now >= nextSweep {
                failExpiredTransfers()
                nextSweep = .now + Self.deadlineSweepInterval
            }
            let pollMilliseconds = active.isEmpty ? Self.idlePollMilliseconds : Int32(Self.deadlineSweepInterval.curlMilliseconds)
            if curl_multi_poll(multi, nil, 0, pollMilliseconds, nil) != CURLM_OK {
                usleep(1000)  // never spin if polling itself fails
            }
        }
        shutDown()
    }

    private func add(_ transfer: CurlTransfer) {
        // Cancelled between submission and now: never started, nothing to undo.
        guard !transfer.completion.isSettled else { return }
        guard let easy = idleHandles.popLast() ?? curl_easy_init() else {
            transfer.completion.settle(.failure(.transport(code: Int(CURLE_OUT_OF_MEMORY.rawValue),
                                                           message: "curl_easy_init failed")))
            return
        }
        let code = transfer.attach(to: easy)
        guard code == CURLE_OK else {
            recycle(transfer.detach())
            transfer.completion.settle(.failure(.transport(code: Int(code.rawValue),
                                                           message: String(cString: curl_easy_strerror(code)))))
            return
        }
        let multiCode = curl_multi_add_handle(multi, easy)
        guard multiCode == CURLM_OK else {
            recycle(transfer.detach())
            transfer.completion.settle(.failure(.transport(code: Int(multiCode.rawValue),
                                                           message: String(cString: curl_multi_strerror(multiCode)))))
            return
        }
        active[ObjectIdentifier(transfer)] = transfer
    }

    /// Removes a cancelled transfer; libcurl closes its connection if it was mid-response.
    private func remove(_ transfer: CurlTransfer) {
        guard active.removeValue(forKey: ObjectIdentifier(transfer)) != nil, let easy = transfer.detach() else { return }
        _ = curl_multi_remove_handle(multi, easy)
        recycle(easy)
    }

    private func completeFinishedTransfers() {
        var queued: Int32 = 0
        while let message = curl_multi_info_read(multi, &queued) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            // Read the result before removing the handle, which invalidates the message.
            let code = message.pointee.data.result
            var context: UnsafeMutableRawPointer?
            guard ccurl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &context) == CURLE_OK, let context else { continue }
            let transfer = Unmanaged<CurlTransfer>.fromOpaque(context).takeUnretainedValue()
            let outcome = transfer.outcome(for: code)
            _ = curl_multi_remove_handle(multi, easy)
            active.removeValue(forKey: ObjectIdentifier(transfer))
            recycle(transfer.detach())
            transfer.completion.settle(outcome)
        }
    }

    /// Fails transfers past their deadline. libcurl enforces CURLOPT_TIMEOUT_MS only once a transfer has a
    /// connection: one queued behind CURLMOPT_MAX_HOST_CONNECTIONS would otherwise wait for a free slot.
    private func failExpiredTransfers() {
        let now = ContinuousClock.now
        for transfer in active.values where transfer.deadline <= now {
            remove(transfer)
            transfer.completion.settle(.failure(.timeout))
        }
    }

    /// Resets an easy handle (dropping its pointers into the finished transfer) and keeps it for reuse.
    private func recycle(_ easy: UnsafeMutableRawPointer?) {
        guard let easy else { return }
        if idleHandles.count < maxIdleHandles {
            curl_easy_reset(easy)
            idleHandles.append(easy)
        } else {
            curl_easy_cleanup(easy)
        }
    }

    private func shutDown() {
        // runState is .stopping, so no other thread calls curl_multi_wakeup or adds to the inbox any more.
        let (additions, removals) = inbox.withLock { inbox in (inbox.additions, inbox.removals) }
        for transfer in removals { remove(transfer) }
        for transfer in additions { transfer.completion.settle(.failure(.shutdown)) }
        for transfer in active.values {
            if let easy = transfer.detach() {
                _ = curl_multi_remove_handle(multi, easy)
                curl_easy_cleanup(easy)
            }
            transfer.completion.settle(.failure(.shutdown))
        }
        active.removeAll()
        for easy in idleHandles { curl_easy_cleanup(easy) }
        idleHandles.removeAll()
        _ = curl_multi_cleanup(multi)
        let waiters = inbox.withLock { inbox in
            inbox.runState = .stopped
            inbox.additions.removeAll()
            inbox.removals.removeAll()
            defer { inbox.stopWaiters.removeAll() }
            return inbox.stopWaiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
