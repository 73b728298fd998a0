import Logging
import Storage
import Synchronization

/// A background look at the database every `period` until `stop()` (the watchers of failing
/// bots and of cases waiting for an agent). A closed database ends it; other errors are logged.
final class PeriodicSweep: Sendable {
    private let task = Mutex<Task<Void, Never>?>(nil)

    /// The period for a watcher whose shortest wait is `shortest`: a quarter of it, 250 ms to 5 s.
    static func period(forShortestWait shortest: Duration) -> Duration {
        min(max(shortest / 4, .milliseconds(250)), .seconds(5))
    }

    func start(every period: Duration, logger: Logger, failure: String, _ body: @escaping @Sendable () async throws -> Void) {
        task.withLock { task in
            guard task == nil else { return }
            task = Task {
                while !Task.isCancelled {
                    do { try await body() } catch {
                        if let error = error as? StorageError, error == .closed { return }
                        logger.error("\(failure): \(error)")
                    }
                    try? await Task.sleep(for: period)
                }
            }
        }
    }

    func stop() async {
        let running = task.withLock { task in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }
}
