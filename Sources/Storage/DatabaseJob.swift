/// A unit of work queued for a database thread, and how its caller is answered.
protocol DatabaseJob: AnyObject, Sendable {
    /// Runs the body on the connection; `savepoint` isolates it from the other jobs of a batch.
    func perform(_ db: Database, savepoint: Bool)
    /// True when the body threw (its changes are already undone when it ran in a savepoint).
    var failed: Bool { get }
    /// What the body threw, when it did.
    var failure: (any Error)? { get }
    /// How a PostgreSQL write transaction for this job is isolated.
    var isolation: WriteIsolation { get }
    /// Answers the caller: with the body's result, or with `error` when the transaction failed.
    func complete(overridingError error: (any Error)?)
}

/// A job whose body returns `T`. Unchecked Sendable: `result` is written and read only by the
/// one database thread that runs the job, before `complete` hands it to the caller.
final class TypedDatabaseJob<T: Sendable>: DatabaseJob, @unchecked Sendable {
    private let body: @Sendable (Database) throws -> T
    private let continuation: CheckedContinuation<T, any Error>
    private var result: Result<T, any Error>?

    let isolation: WriteIsolation

    init(body: @escaping @Sendable (Database) throws -> T, continuation: CheckedContinuation<T, any Error>,
         isolation: WriteIsolation = .serializable) {
        self.body = body
        self.continuation = continuation
        self.isolation = isolation
    }

    func perform(_ db: Database, savepoint: Bool) {
        result = Result { savepoint ? try db.savepoint(body) : try body(db) }
    }

    var failed: Bool {
        if case .failure = result { return true }
        return false
    }

    var failure: (any Error)? {
        if case .failure(let error) = result { return error }
        return nil
    }

    func complete(overridingError error: (any Error)?) {
        if let error {
            continuation.resume(throwing: error)
        } else {
            continuation.resume(with: result ?? .failure(StorageError.closed))
        }
    }
}
