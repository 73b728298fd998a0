import CLinux
import Dispatch
import Foundation
import Glibc
import Synchronization

/// One thread running epoll: it accepts on its own `SO_REUSEPORT` listener, owns its connections,
/// and is the task executor handlers start on, so a handler that does not suspend elsewhere runs
/// on the same thread that parsed its request and writes its response, without a thread hop.
///
/// Everything but `enqueue`, `execute` and `wake` is confined to the loop thread.
final class EventLoop: TaskExecutor, @unchecked Sendable {
    let index: Int
    private let epoll: Epoll
    private unowned let server: ServerCore
    private let pending = Mutex(PendingWork())
    private let wakePending = Atomic<Bool>(false)
    private let stopped = Atomic<Bool>(false)
    private var threadID = pthread_t()
    private var thread: Thread?
    private let started = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)

    private struct PendingWork {
        var jobs: [UnownedJob] = []
        var closures: [@Sendable () -> Void] = []
        var isEmpty: Bool { jobs.isEmpty && closures.isEmpty }
    }

    // MARK: Loop-confined state

    private(set) var listenerFD: Int32 = -1
    private var listenerRegistered = false
    private var acceptPausedUntil: UInt64 = 0
    private(set) var connections: [Int32: HTTPConnection] = [:]
    /// Monotonic time of the current loop iteration.
    private(set) var now: UInt64 = monotonicNanoseconds()
    private var nextSweep: UInt64 = 0
    private let sweepInterval: UInt64
    /// Scratch buffer every read on this loop goes through.
    let readBuffer: UnsafeMutableRawBufferPointer
    /// Cached IMF-fixdate for the Date header, refreshed once per second.
    private var dateSecond: time_t = 0
    private(set) var dateHeader: String = ""
    private(set) var isDraining = false

    init(index: Int, server: ServerCore, sweepInterval: UInt64) throws(SystemError) {
        self.index = index
        self.server = server
        self.epoll = try Epoll()
        self.sweepInterval = sweepInterval
        self.readBuffer = .allocate(byteCount: 64 * 1024, alignment: 16)
    }

    deinit {
        readBuffer.deallocate()
    }

    /// True when called on this loop's thread.
    var inLoop: Bool { pthread_equal(pthread_self(), threadID) != 0 }

    // MARK: - Executor

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        if stopped.load(ordering: .acquiring) {
            // The loop is gone (after shutdown); let late tasks finish elsewhere rather than leak.
            let executor = asUnownedTaskExecutor()
            DispatchQueue.global().async { job.runSynchronously(on: executor) }
            return
        }
        pending.withLock { $0.jobs.append(job) }
        wakeIfNeeded()
    }

    /// Runs `work` on the loop thread; false (and `work` dropped) once the loop has stopped.
    @discardableResult
    func execute(_ work: @escaping @Sendable () -> Void) -> Bool {
        if stopped.load(ordering: .acquiring) { return false }
        pending.withLock { $0.closures.append(work) }
        wakeIfNeeded()
        return true
    }

    private func wakeIfNeeded() {
        if inLoop { return }
        if !wakePending.exchange(true, ordering: .acquiringAndReleasing) { epoll.wake() }
    }

    // MARK: - Lifecycle

    /// Adopts a bound, listening, non-blocking socket and starts the thread.
    func start(listenerFD: Int32) throws(SystemError) {
        self.listenerFD = listenerFD
        try epoll.add(listenerFD, events: clinux_EPOLLIN)
        listenerRegistered = true
        let thread = Thread { [self] in
            self.threadID = pthread_self()
            self.started.signal()
            self.run()
            self.finished.signal()
        }
        thread.name = "botbridge-loop-\(index)"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
        started.wait()
    }

    /// Stops the thread after its current iteration and waits for it (blocking: for start-up failures).
    func stopAndJoin() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        epoll.wake()
        finished.wait()
    }

    /// Stops the thread and suspends until it has exited, without blocking a cooperative thread.
    func stop() async {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        epoll.wake()
        let finished = self.finished
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                finished.wait()
                continuation.resume()
            }
        }
    }

    private func run() {
        let capacity = 256
        let events = UnsafeMutableBufferPointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        nextSweep = monotonicNanoseconds() + sweepInterval
        while !stopped.load(ordering: .acquiring) {
            let hasWork = pending.withLock { !$0.isEmpty }
            let timeout: Int32 = hasWork ? 0 : Int32(clamping: (nextSweep &- min(nextSweep, monotonicNanoseconds())) / 1_000_000 + 1)
            let count = epoll.wait(into: events, timeoutMilliseconds: timeout)
            now = monotonicNanoseconds()
            for i in 0..<count {
                let event = events[i]
                let fd = event.data.fd
                if fd == epoll.wakeFD {
                    epoll.drainWakeups()
                    wakePending.store(false, ordering: .releasing)
                } else if fd == listenerFD {
                    acceptConnections()
                } else if let connection = connections[fd] {
                    connection.handle(events: event.events)
                }
            }
            runPendingWork()
            if now >= nextSweep {
                sweep()
                nextSweep = now + sweepInterval
            }
        }
        // Stopped: close whatever is left.
        for connection in Array(connections.values) { connection.close() }
        closeListener()
        runPendingWork()
    }

    private func runPendingWork() {
        // Bounded so that a storm of task jobs cannot starve socket I/O.
        for _ in 0..<64 {
            let work = pending.withLock { work -> PendingWork in
                let taken = work
                work = PendingWork()
                return taken
            }
            if work.isEmpty { return }
            let executor = asUnownedTaskExecutor()
            for job in work.jobs { job.runSynchronously(on: executor) }
            for closure in work.closures { closure() }
        }
    }

    // MARK: - Accepting

    private func acceptConnections() {
        for _ in 0..<128 {
            var peer = sockaddr_storage()
            let fd = clinux_accept4(listenerFD, &peer, Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue))
            if fd < 0 {
                let code = errno
                switch code {
                case EAGAIN, EWOULDBLOCK, EINTR, ECONNABORTED, EPROTO:
                    return
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: stop accepting briefly instead of spinning on a ready listener.
                    server.logger.error("accept paused: \(SystemError("accept4", errno: code))")
                    epoll.remove(listenerFD)
                    listenerRegistered = false
                    acceptPausedUntil = now + 100_000_000
                    return
                default:
                    server.logger.error("accept failed: \(SystemError("accept4", errno: code))")
                    return
                }
            }
            guard server.reserveConnectionSlot() else {
                rejectOverCapacity(fd)
                continue
            }
            _ = try? Syscall.setOption(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let connection = HTTPConnection(fd: fd, loop: self, server: server, acceptedAt: now,
                                            peerIsLoopback: SocketAddress(storage: peer, length: 0).isLoopback)
            do {
                try epoll.add(fd, events: clinux_EPOLLIN | clinux_EPOLLOUT | clinux_EPOLLRDHUP | clinux_EPOLLET)
            } catch {
                Syscall.close(fd)
                server.releaseConnectionSlot()
                continue
            }
            connections[fd] = connection
            server.metrics.connectionOpened()
            if isDraining { connection.beginShutdown() }
        }
    }

    /// Answers a connection beyond `maxConnections` with a 503 and closes it, best effort.
    private func rejectOverCapacity(_ fd: Int32) {
        server.metrics.connectionRejected()
        let body = #"{"error":{"code":"over_capacity","message":"the server is at its connection limit; retry later"}}"#
        let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nRetry-After: 1\r\nConnection: close\r\n\r\n\(body)"
        var bytes = Array(response.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        shutdown(fd, Int32(SHUT_WR))
        Syscall.close(fd)
        bytes.removeAll()
    }

    private func closeListener() {
        guard listenerFD >= 0 else { return }
        if listenerRegistered { epoll.remove(listenerFD) }
        Syscall.close(listenerFD)
        listenerFD = -1
        listenerRegistered = false
    }

    // MARK: - Connections

    /// Forgets a connection that closed itself.
    func connectionClosed(_ fd: Int32) {
        if connections.removeValue(forKey: fd) != nil {
            server.releaseConnectionSlot()
            server.metrics.connectionClosed()
        }
        if isDraining && connections.isEmpty { server.loopDrained(index) }
    }

    /// Stops accepting and asks every connection to close once its current exchange is done.
    func beginShutdown() {
        isDraining = true
        closeListener()
        for connection in Array(connections.values) { connection.beginShutdown() }
        if connections.isEmpty { server.loopDrained(index) }
    }

    /// Closes every connection now (grace period over).
    func closeAll() {
        for connection in Array(connections.values) { connection.close() }
    }

    private func sweep() {
        if !listenerRegistered, listenerFD >= 0, now >= acceptPausedUntil {
            if (try? epoll.add(listenerFD, events: clinux_EPOLLIN)) != nil { listenerRegistered = true }
        }
        for connection in Array(connections.values) { connection.checkTimeout(now: now) }
    }

    /// The current `Date` header value (RFC 9110 §5.6.7 IMF-fixdate).
    func currentDate() -> String {
        var seconds = time(nil)
        if seconds != dateSecond {
            dateSecond = seconds
            var parts = tm()
            gmtime_r(&seconds, &parts)
            let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
            let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
            func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
            dateHeader = "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
        }
        return dateHeader
    }
}
