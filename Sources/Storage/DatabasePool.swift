import Foundation
import Synchronization

/// The database as the rest of the gateway sees it: one writer connection on its own thread with
/// group commit, and read-only connections on their own threads. Everything is async and no
/// SQLite call ever runs on Swift's cooperative pool.
///
/// Group commit: `write` calls that arrive while a transaction is being committed queue up and
/// are then run together in one `BEGIN IMMEDIATE ... COMMIT`, each in its own savepoint, so one
/// write's failure rolls back only that write. Every caller returns only after the transaction
/// holding its write has committed (or with the error that stopped it).
public final class DatabasePool: Sendable {
    /// The configuration the pool was opened with.
    public let configuration: DatabaseConfiguration
    private let writeQueue = JobQueue()
    private let readQueue = JobQueue()
    private let migrateQueue = JobQueue()
    private let threads: Mutex<[DatabaseThread]> = Mutex([])
    private let listeners: Mutex<[JobQueue.Signal]> = Mutex([])
    private let isClosing = Flag()
    private let counters = Counters()

    /// Opens (creating when missing) the database, applies pending migrations, starts the threads.
    public static func open(_ configuration: DatabaseConfiguration) async throws -> DatabasePool {
        let pool = DatabasePool(configuration: configuration)
        do {
            try await pool.start()
        } catch {
            await pool.close()
            throw error
        }
        return pool
    }

    private init(configuration: DatabaseConfiguration) {
        self.configuration = configuration
    }

    /// A pool dropped without `close()` still lets its threads finish and exit.
    deinit {
        writeQueue.close()
        readQueue.close()
    }

    private func start() async throws {
        let configuration = self.configuration
        let counters = self.counters
        switch configuration.location {
        case .sqlite:
            try await startThread(name: "botbridge-db-writer", queue: writeQueue, batchSize: max(1, configuration.maxBatchSize),
                                  open: { try DatabasePool.openWriter(configuration) },
                                  process: { db, jobs in DatabasePool.commit(jobs, on: db, counters: counters); return [] })
            for index in 0..<max(1, configuration.readerCount) {
                try await startThread(name: "botbridge-db-reader-\(index)", queue: readQueue, batchSize: 1,
                                      open: { try DatabasePool.openReader(configuration) },
                                      process: { db, jobs in DatabasePool.read(jobs, on: db) })
            }
        case .postgres(let address):
            // Migrate once, on a connection of its own, before any worker starts.
            try await startThread(name: "botbridge-pg-migrate", queue: migrateQueue, batchSize: 1,
                                  open: { try DatabasePool.openPostgres(address, configuration, migrate: true) },
                                  process: { _, _ in [] })
            migrateQueue.close()
            let settings = configuration.postgres
            for index in 0..<max(1, settings.writers) {
                try await startThread(name: "botbridge-pg-writer-\(index)", queue: writeQueue, batchSize: 1,
                                      open: { try DatabasePool.openPostgres(address, configuration, migrate: false) },
                                      process: { db, jobs in DatabasePool.commitEach(jobs, on: db, settings: settings, counters: counters) })
            }
            for index in 0..<max(1, settings.readers) {
                try await startThread(name: "botbridge-pg-reader-\(index)", queue: readQueue, batchSize: 1,
                                      open: { try DatabasePool.openPostgres(address, configuration, migrate: false) },
                                      process: { db, jobs in DatabasePool.read(jobs, on: db) })
            }
        }
    }

    private func startThread(name: String, queue: JobQueue, batchSize: Int,
                             open: @escaping @Sendable () throws -> Database,
                             process: @escaping @Sendable (Database, [any DatabaseJob]) -> [any DatabaseJob]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let thread = DatabaseThread(name: name, queue: queue, batchSize: batchSize,
                                        reconnectDelay: configuration.postgres.reconnectDelay, open: open, opened: { error in
                if let error { continuation.resume(throwing: error) } else { continuation.resume() }
            }, process: process)
            threads.withLock { $0.append(thread) }
        }
    }

    // MARK: - Public API

    /// Runs `body` in a write transaction (shared with concurrent writers, isolated by a
    /// savepoint) and returns once that transaction has committed. If `body` throws, its changes
    /// are rolled back and the error is rethrown; other writers in the batch are unaffected.
    /// `body` must not BEGIN or COMMIT itself; use `db.savepoint` for nested undo.
    ///
    /// On PostgreSQL each write is its own transaction on one of several connections, at
    /// `isolation` (serializable by default, so code written for SQLite's one writer stays
    /// correct); one that loses a serialization conflict or a unique-key race runs again, so
    /// `body` may run more than once and must only touch the database.
    public func write<T: Sendable>(isolation: WriteIsolation = .serializable,
                                   _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await submit(body, to: writeQueue, isolation: isolation)
    }

    /// Which SQL the pool's connections speak.
    public var dialect: SQLDialect {
        if case .postgres = configuration.location { return .postgres }
        return .sqlite
    }

    /// Runs `body` on a read-only connection inside one read transaction (a consistent snapshot).
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await submit(body, to: readQueue)
    }

    /// Finishes the queued work, closes every connection and stops the threads. Later calls fail
    /// with `StorageError.closed`.
    public func close() async {
        isClosing.value.store(true, ordering: .relaxed)
        for exited in listeners.withLock({ $0 }) { await exited.wait() }
        writeQueue.close()
        readQueue.close()
        migrateQueue.close()
        for thread in threads.withLock({ $0 }) { await thread.join() }
    }

    /// Calls `handler` (on a thread of its own) for each PostgreSQL notification on `channels`
    /// (`db.notify` in any gateway's committed transaction): channel and payload. After its
    /// connection was lost and opened again, calls it once with channel "" (notifications may have
    /// been missed meanwhile). Does nothing on SQLite, where one process holds the database.
    /// Stops when the pool closes.
    public func listen(channels: [String], handler: @escaping @Sendable (String, String) -> Void) {
        guard case .postgres(let address) = configuration.location, !channels.isEmpty else { return }
        let settings = configuration.postgres
        let exited = JobQueue.Signal()
        listeners.withLock { $0.append(exited) }
        let closing = isClosing
        let thread = Thread {
            var connectedBefore = false
            while !closing.value.load(ordering: .relaxed) {
                do {
                    let connection = try PostgresConnection(address: address, connectTimeout: settings.connectTimeout,
                                                            queryTimeout: settings.queryTimeout)
                    defer { connection.close() }
                    try connection.execute(channels.map { "LISTEN \"\($0)\"" }.joined(separator: "; "))
                    if connectedBefore { handler("", "") }
                    connectedBefore = true
                    connection.onNotification = handler
                    while !closing.value.load(ordering: .relaxed) {
                        try connection.awaitNotifications(timeout: .milliseconds(200))
                    }
                } catch {
                    Thread.sleep(forTimeInterval: Double(settings.reconnectDelay.components.seconds)
                                 + Double(settings.reconnectDelay.components.attoseconds) / 1e18)
                }
            }
            exited.fire()
        }
        thread.name = "botbridge-pg-listen"
        thread.start()
    }

    /// Writes committed and the transactions that held them, since open.
    public var statistics: (writes: Int, transactions: Int) {
        (counters.writes.load(ordering: .relaxed), counters.transactions.load(ordering: .relaxed))
    }

    /// Writes queued behind the one being committed (for tests of group commit).
    var queuedWrites: Int { writeQueue.count }

    private func submit<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T, to queue: JobQueue,
                                     isolation: WriteIsolation = .serializable) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let job = TypedDatabaseJob(body: body, continuation: continuation, isolation: isolation)
            if !queue.put(job) { job.complete(overridingError: StorageError.closed) }
        }
    }

    // MARK: - On the database threads

    private final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    private final class Counters: Sendable {
        let writes = Atomic<Int>(0)
        let transactions = Atomic<Int>(0)
    }

    private static func openWriter(_ configuration: DatabaseConfiguration) throws -> Database {
        let db = try Database(path: configuration.path, readOnly: false, busyTimeout: configuration.busyTimeout)
        let mode = try db.scalar("PRAGMA journal_mode=WAL").string?.lowercased() ?? ""
        guard mode == "wal" else { throw StorageError.walUnavailable(path: configuration.path, mode: mode) }
        try db.execute("PRAGMA synchronous=\(configuration.synchronous.rawValue)")
        try db.execute("PRAGMA foreign_keys=ON")
        guard try db.scalar("PRAGMA foreign_keys").int == 1 else { throw StorageError.pragmaRejected("foreign_keys=ON") }
        let expectedSync = configuration.synchronous == .full ? 2 : 1
        guard try db.scalar("PRAGMA synchronous").int == expectedSync else {
            throw StorageError.pragmaRejected("synchronous=\(configuration.synchronous.rawValue)")
        }
        try Migrator.migrate(db, migrations: configuration.migrations, policy: configuration.migrationPolicy)
        return db
    }

    private static func openPostgres(_ address: PostgresAddress, _ configuration: DatabaseConfiguration,
                                     migrate: Bool) throws -> Database {
        let connection = try PostgresConnection(address: address, connectTimeout: configuration.postgres.connectTimeout,
                                                queryTimeout: configuration.postgres.queryTimeout)
        let db = Database(postgres: connection)
        if migrate {
            try Migrator.migrate(db, migrations: configuration.migrations, policy: configuration.migrationPolicy)
        }
        return db
    }

    private static func openReader(_ configuration: DatabaseConfiguration) throws -> Database {
        let db = try Database(path: configuration.path, readOnly: true, busyTimeout: configuration.busyTimeout)
        try db.execute("PRAGMA foreign_keys=ON")
        return db
    }

    /// One group commit: all jobs in one transaction, each in a savepoint when there are several.
    /// If a job's error makes SQLite roll back the whole transaction (disk full, I/O error,
    /// RAISE(ROLLBACK)), that job gets its error and the others, whose work went with it, run
    /// again in a fresh transaction: no caller is told "failed" for a write that committed, and
    /// no job body ever runs outside a transaction.
    private static func commit(_ jobs: [any DatabaseJob], on db: Database, counters: Counters) {
        guard !jobs.isEmpty else { return }
        do {
            try db.begin(.write(.serializable))
        } catch {
            for job in jobs { job.complete(overridingError: error) }
            return
        }
        db.expectsTransaction = true
        let isolated = jobs.count > 1
        for (index, job) in jobs.enumerated() {
            job.perform(db, savepoint: isolated)
            if !db.isInTransaction {
                db.expectsTransaction = false
                job.complete(overridingError: job.failed ? nil : StorageError.transactionLost)
                var others = jobs
                others.remove(at: index)
                commit(others, on: db, counters: counters)
                return
            }
        }
        db.expectsTransaction = false
        if !isolated, jobs[0].failed {
            db.rollbackQuietly()
            jobs[0].complete(overridingError: nil)
            return
        }
        do {
            try db.commit()
        } catch {
            db.rollbackQuietly()
            for job in jobs { job.complete(overridingError: error) }
            return
        }
        counters.transactions.add(1, ordering: .relaxed)
        counters.writes.add(jobs.count { !$0.failed }, ordering: .relaxed)
        for job in jobs { job.complete(overridingError: nil) }
    }

    /// PostgreSQL writes: each job in its own transaction at its isolation. A job that loses a
    /// serialization conflict or deadlock (at any statement or at COMMIT), or a unique-key race
    /// of a find-or-create, runs again in a fresh transaction after a short jittered pause, up to
    /// `maxWriteAttempts` in all; its caller hears only the final outcome. Jobs whose BEGIN found
    /// the connection gone (nothing ran) are handed back to run on a new connection.
    private static func commitEach(_ jobs: [any DatabaseJob], on db: Database,
                                   settings: DatabaseConfiguration.PostgresSettings, counters: Counters) -> [any DatabaseJob] {
        var again: [any DatabaseJob] = []
        for job in jobs {
            if db.isBroken {
                again.append(job)
                continue
            }
            var attempt = 1
            var uniqueRetries = 0
            while true {
                let outcome = attemptWrite(job, on: db)
                if case .notBegun = outcome {
                    again.append(job)
                    break
                }
                let error: (any Error)? = if case .failed(let error) = outcome { error } else { nil }
                let conflict = (error ?? job.failure).flatMap { $0 as? StorageError }
                var retry = false
                if let conflict, conflict.isSerializationConflict {
                    retry = attempt < settings.maxWriteAttempts
                } else if let conflict, conflict.isUniqueViolation, uniqueRetries < 2 {
                    uniqueRetries += 1
                    retry = attempt < settings.maxWriteAttempts
                }
                if retry && !db.isBroken {
                    attempt += 1
                    Thread.sleep(forTimeInterval: Double.random(in: 0.001...0.005) * Double(attempt))
                    continue
                }
                if error == nil && !job.failed {
                    counters.transactions.add(1, ordering: .relaxed)
                    counters.writes.add(1, ordering: .relaxed)
                }
                job.complete(overridingError: error)
                break
            }
        }
        return again
    }

    private enum WriteOutcome {
        /// BEGIN found the connection lost: nothing ran.
        case notBegun
        /// The job ran: committed, or rolled back because its body threw (`job.failure` says).
        case ran
        /// The transaction failed around the body (BEGIN or COMMIT).
        case failed(any Error)
    }

    private static func attemptWrite(_ job: any DatabaseJob, on db: Database) -> WriteOutcome {
        do {
            try db.begin(.write(job.isolation))
        } catch {
            if error.isUnavailable { return .notBegun }
            return .failed(error)
        }
        job.perform(db, savepoint: false)
        if job.failed {
            db.rollbackQuietly()
            return .ran
        }
        do {
            try db.commit()
        } catch {
            db.rollbackQuietly()
            return .failed(error)
        }
        return .ran
    }

    /// Read jobs, each in its own read transaction so multi-statement reads see one snapshot.
    /// Jobs whose BEGIN found the connection gone are handed back to run on a new connection.
    private static func read(_ jobs: [any DatabaseJob], on db: Database) -> [any DatabaseJob] {
        var again: [any DatabaseJob] = []
        for job in jobs {
            do { try db.begin(.read) } catch {
                if error.isUnavailable { again.append(job) } else { job.complete(overridingError: error) }
                continue
            }
            job.perform(db, savepoint: false)
            db.rollbackQuietly()
            job.complete(overridingError: nil)
        }
        return again
    }
}
