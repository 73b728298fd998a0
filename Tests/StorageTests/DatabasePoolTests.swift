import Dispatch
import Foundation
import Synchronization
import Testing
@testable import Storage

@Suite struct DatabasePoolTests {
    static let notes = Migration(version: 1, name: "notes", sql: """
        CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE, weight REAL, data BLOB, extra TEXT, anything);
        CREATE TABLE tags (id INTEGER PRIMARY KEY, note_id INTEGER NOT NULL REFERENCES notes(id), name TEXT NOT NULL);
        """)

    static func open(_ dir: TemporaryDirectory, _ configure: (inout DatabaseConfiguration) -> Void = { _ in }) async throws -> DatabasePool {
        var configuration = DatabaseConfiguration(path: dir.file("test.sqlite"), migrations: [notes])
        configure(&configuration)
        return try await DatabasePool.open(configuration)
    }

    /// Runs `body` with a fresh pool in its own directory, then closes the pool and removes the directory.
    static func withPool(_ configure: (inout DatabaseConfiguration) -> Void = { _ in },
                         _ body: (DatabasePool) async throws -> Void) async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let pool = try await open(dir, configure)
        do {
            try await body(pool)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }

    @Test func opensInWALWithForeignKeysAndChosenSynchronous() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        for (mode, expected) in [(DatabaseConfiguration.Synchronous.normal, 1), (.full, 2)] {
            let pool = try await Self.open(dir) { $0.synchronous = mode }
            let settings = try await pool.write { db in
                (try db.scalar("PRAGMA journal_mode").string, try db.scalar("PRAGMA foreign_keys").int,
                 try db.scalar("PRAGMA synchronous").int)
            }
            #expect(settings.0 == "wal")
            #expect(settings.1 == 1)
            #expect(settings.2 == expected)
            await pool.close()
        }
        #expect(FileManager.default.fileExists(atPath: dir.file("test.sqlite")))
    }

    @Test func typedValuesRoundTrip() async throws {
        try await Self.withPool { pool in
            let bodies = ["", "plain", "émoji 🚀 and RTL עברית", "quote ' and \"double\"", "nul\u{0}inside"]
            for (index, body) in bodies.enumerated() {
                try await pool.write { db in
                    try db.run("INSERT INTO notes (body, weight, data, extra) VALUES (?, ?, ?, ?)",
                               body, Double(index) + 0.5, [UInt8](), index.isMultiple(of: 2) ? Optional<String>.none : "x")
                }
            }
            let rows = try await pool.read { db in try db.query("SELECT body, weight, data, extra, typeof(data) AS t FROM notes ORDER BY id") }
            #expect(rows.map { $0.string("body") } == bodies)
            #expect(rows.map { $0.double("weight") } == [0.5, 1.5, 2.5, 3.5, 4.5])
            #expect(rows.allSatisfy { $0["data"] == .blob([]) && $0.string("t") == "blob" })
            #expect(rows.map { $0["extra"].isNull } == [true, false, true, false, true])

            let data = Data([0, 1, 2, 255])
            let big = Int64.max
            let json = try SQLValue.json(["order": ["id": 42]])
            let back = try await pool.write { db in
                try db.run("INSERT INTO notes (body, anything, data, extra) VALUES (?, ?, ?, ?)", "typed", big, data, json)
                return try db.queryRow("SELECT anything, data, json_extract(extra, '$.order.id') AS order_id FROM notes WHERE id = ?",
                                       db.lastInsertRowID)
            }
            #expect(back?.int64("anything") == big)
            #expect(back?.bytes("data") == [0, 1, 2, 255])
            #expect(back?.int("order_id") == 42)
        }
    }

    @Test func wrongArgumentCountIsAnError() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let pool = try await Self.open(dir)
        await #expect(throws: StorageError.self) {
            try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", "a", "b") }
        }
        await pool.close()
    }

    @Test func failedWriteRollsBackAndKeepsTheFirstError() async throws {
        struct Boom: Error {}
        try await Self.withPool { pool in
            await #expect(throws: Boom.self) {
                try await pool.write { db in
                    try db.run("INSERT INTO notes (body) VALUES ('half done')")
                    throw Boom()
                }
            }
            // A constraint failure mid-way undoes the rows written before it.
            let error = await #expect(throws: StorageError.self) {
                try await pool.write { db in
                    try db.run("INSERT INTO notes (body) VALUES ('first')")
                    try db.run("INSERT INTO tags (note_id, name) VALUES (999, 'dangling')")
                }
            }
            #expect(error?.isConstraintViolation == true)
            let count = try await pool.read { db in try db.scalar("SELECT count(*) FROM notes").int }
            #expect(count == 0)
        }
    }

    @Test func errorsCarrySQLButNeverBoundValues() async throws {
        try await Self.withPool { pool in
            let secret = "tok_FAKE_1234567890"
            try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", secret) }
            let error = await #expect(throws: StorageError.self) {
                try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", secret) }
            }
            let text = error.map { String(describing: $0) } ?? ""
            #expect(text.contains("INSERT INTO notes"))
            #expect(text.contains("UNIQUE"))
            #expect(!text.contains(secret))
        }
    }

    @Test func nestedTransactionsAreSavepoints() async throws {
        struct Inner: Error {}
        try await Self.withPool { pool in
            try await pool.write { db in
                try db.run("INSERT INTO notes (body) VALUES ('kept')")
                _ = try? db.transaction { db in
                    try db.run("INSERT INTO notes (body) VALUES ('undone')")
                    throw Inner()
                }
            }
            let bodies = try await pool.read { db in try db.query("SELECT body FROM notes").map { $0.string("body") } }
            #expect(bodies == ["kept"])
        }
    }

    @Test func concurrentWritersShareOneCommit() async throws {
        try await Self.withPool { pool in
            // Hold the writer thread in a first write until 100 more writes are queued behind it.
            let gate = DispatchSemaphore(value: 0)
            let started = Atomic<Bool>(false)
            let first = Task { try await pool.write { db in
                started.store(true, ordering: .sequentiallyConsistent)
                gate.wait()
                try db.run("INSERT INTO notes (body) VALUES ('first')")
            } }
            try await waitUntil { started.load(ordering: .sequentiallyConsistent) }
            let writers = (0..<100).map { index in
                Task { () async -> Bool in
                    do {
                        try await pool.write { db in
                            try db.run("INSERT INTO notes (body) VALUES (?)", index == 50 ? "first" : "note \(index)")
                        }
                        return true
                    } catch { return false }
                }
            }
            try await waitUntil { pool.queuedWrites == 100 }
            gate.signal()
            try await first.value
            var outcomes: [Bool] = []
            for writer in writers { outcomes.append(await writer.value) }
            // The duplicate failed alone; the 99 others committed, all in one transaction.
            #expect(outcomes.filter { !$0 }.count == 1)
            #expect(outcomes[50] == false)
            let count = try await pool.read { db in try db.scalar("SELECT count(*) FROM notes").int }
            #expect(count == 100)
            #expect(pool.statistics.writes == 100)
            #expect(pool.statistics.transactions == 2)
        }
    }

    @Test func oneTransactionPerWriteWhenBatchingIsOff() async throws {
        try await Self.withPool({ $0.maxBatchSize = 1 }) { pool in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask { try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", "n\(index)") } }
                }
                try await group.waitForAll()
            }
            #expect(pool.statistics.writes == 50)
            #expect(pool.statistics.transactions == 50)
        }
    }

    @Test func readersAreReadOnlyAndSeeCommittedData() async throws {
        try await Self.withPool { pool in
            try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES ('visible')") }
            let body = try await pool.read { db in try db.scalar("SELECT body FROM notes").string }
            #expect(body == "visible")
            let error = await #expect(throws: StorageError.self) {
                try await pool.read { db in try db.run("INSERT INTO notes (body) VALUES ('nope')") }
            }
            #expect(String(describing: error).contains("readonly"))
        }
    }

    @Test func twoProcessesStyleConnectionsWaitForTheLock() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let a = try await Self.open(dir)
        let b = try await Self.open(dir)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                let pool = index.isMultiple(of: 2) ? a : b
                group.addTask { try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", "n\(index)") } }
            }
            try await group.waitForAll()
        }
        let count = try await a.read { db in try db.scalar("SELECT count(*) FROM notes").int }
        #expect(count == 40)
        await a.close()
        await b.close()
    }

    @Test func closedPoolRefusesWork() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let pool = try await Self.open(dir)
        await pool.close()
        await #expect(throws: StorageError.closed) { try await pool.write { _ in } }
        await #expect(throws: StorageError.closed) { try await pool.read { _ in } }
    }

    @Test func unopenableFileIsAClearError() async throws {
        let configuration = DatabaseConfiguration(path: "/nonexistent-dir-\(UUID().uuidString)/x.sqlite")
        let error = await #expect(throws: StorageError.self) { try await DatabasePool.open(configuration) }
        #expect(String(describing: error).contains("cannot open"))
    }

    @Test func aWriteThatRollsBackTheWholeTransactionDoesNotTakeItsNeighboursDown() async throws {
        let dir = TemporaryDirectory()
        defer { dir.remove() }
        let pool = try await Self.open(dir)
        try await pool.write { db in
            try db.execute("CREATE TRIGGER poison BEFORE INSERT ON notes WHEN new.body = 'poison' BEGIN SELECT RAISE(ROLLBACK, 'poisoned'); END")
        }
        let gate = DispatchSemaphore(value: 0)
        let started = Atomic<Bool>(false)
        let first = Task { try await pool.write { db in
            started.store(true, ordering: .sequentiallyConsistent)
            gate.wait()
            try db.run("INSERT INTO notes (body) VALUES ('first')")
        } }
        try await waitUntil { started.load(ordering: .sequentiallyConsistent) }
        // Three writes queue behind the first and share one batch; the middle one makes SQLite
        // roll back the whole transaction, taking 'a' with it.
        let writes = ["a", "poison", "c"].map { body in
            Task { () async -> String in
                do {
                    try await pool.write { db in try db.run("INSERT INTO notes (body) VALUES (?)", body) }
                    return "ok"
                } catch { return String(describing: error) }
            }
        }
        try await waitUntil { pool.queuedWrites == 3 }
        gate.signal()
        try await first.value
        var outcomes: [String] = []
        for write in writes { outcomes.append(await write.value) }
        #expect(outcomes[0] == "ok")
        #expect(outcomes[1].contains("poisoned"))
        #expect(outcomes[2] == "ok")
        let bodies = try await pool.read { db in try db.query("SELECT body FROM notes ORDER BY body").compactMap { $0.string("body") } }
        #expect(bodies == ["a", "c", "first"])
        await pool.close()
    }
}

/// Polls `condition` every millisecond for up to 10 seconds.
func waitUntil(_ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(10)
    while !condition() {
        guard ContinuousClock.now < deadline else { throw CancellationError() }
        try await Task.sleep(for: .milliseconds(1))
    }
}
