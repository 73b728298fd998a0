import Foundation

/// A dedicated OS thread that owns one `Database` and runs the jobs queued for it, so blocking
/// database calls never run on Swift's cooperative pool. Several threads may share one `JobQueue`.
/// A connection that breaks (PostgreSQL restarted) is opened again before the next jobs; while
/// that fails, jobs fail at once with the reason, and a new attempt waits `reconnectDelay`. Jobs
/// that `process` hands back (they found the connection already gone before running anything)
/// run once more on a new connection.
final class DatabaseThread: Sendable {
    private let exited: JobQueue.Signal

    /// Starts the thread: it opens its connection with `open`, reports the outcome to `opened`,
    /// then takes up to `batchSize` jobs at a time from `queue` and hands them to `process`.
    init(name: String, queue: JobQueue, batchSize: Int, reconnectDelay: Duration = .seconds(1),
         open: @escaping @Sendable () throws -> Database,
         opened: @escaping @Sendable ((any Error)?) -> Void,
         process: @escaping @Sendable (Database, [any DatabaseJob]) -> [any DatabaseJob]) {
        let exited = JobQueue.Signal()
        self.exited = exited
        let thread = Thread {
            var current: Database?
            do {
                current = try open()
            } catch {
                opened(error)
                exited.fire()
                return
            }
            opened(nil)
            var lastError: any Error = StorageError.closed
            var nextAttempt = ContinuousClock.now
            while let jobs = queue.take(max: batchSize) {
                if current?.isBroken ?? true {
                    current?.close()
                    current = nil
                    if ContinuousClock.now >= nextAttempt {
                        do { current = try open() } catch {
                            lastError = error
                            nextAttempt = ContinuousClock.now + reconnectDelay
                        }
                    }
                }
                guard let db = current else {
                    for job in jobs { job.complete(overridingError: lastError) }
                    continue
                }
                let again = process(db, jobs)
                guard !again.isEmpty else { continue }
                db.close()
                current = nil
                do {
                    let fresh = try open()
                    current = fresh
                    for job in process(fresh, again) { job.complete(overridingError: StorageError.unavailable(address: fresh.path, reason: "the connection was lost twice")) }
                } catch {
                    lastError = error
                    nextAttempt = ContinuousClock.now + reconnectDelay
                    for job in again { job.complete(overridingError: error) }
                }
            }
            current?.close()
            exited.fire()
        }
        thread.name = name
        thread.start()
    }

    /// Waits (without blocking a cooperative thread) until the thread has closed its connection.
    func join() async { await exited.wait() }
}

/// The FIFO queue of jobs between callers and database threads.
final class JobQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [any DatabaseJob] = []
    private var head = 0
    private var closed = false

    /// Queues a job; false when the queue is closed (the caller must answer the job itself).
    func put(_ job: any DatabaseJob) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Blocks until jobs are queued, then takes up to `max` of them in order; nil once the queue is
    /// closed and empty.
    func take(max: Int) -> [any DatabaseJob]? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count {
            if closed { return nil }
            condition.wait()
        }
        let end = min(jobs.count, head + max)
        let batch = Array(jobs[head..<end])
        head = end
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 1024, head * 2 > jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        // Wake another consumer if work remains (reader threads share one queue).
        if head < jobs.count { condition.signal() }
        return batch
    }

    /// Jobs waiting for a thread.
    var count: Int {
        condition.lock()
        defer { condition.unlock() }
        return jobs.count - head
    }

    /// Stops accepting jobs; the threads finish what is queued, then exit.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// A one-shot event that async code can wait for.
    final class Signal: @unchecked Sendable {
        private let lock = NSLock()
        private var fired = false
        private var waiters: [CheckedContinuation<Void, Never>] = []

        func fire() {
            lock.lock()
            fired = true
            let waiting = waiters
            waiters = []
            lock.unlock()
            for waiter in waiting { waiter.resume() }
        }

        func wait() async {
            await withCheckedContinuation { continuation in
                lock.lock()
                if fired {
                    lock.unlock()
                    continuation.resume()
                } else {
                    waiters.append(continuation)
                    lock.unlock()
                }
            }
        }
    }
}
