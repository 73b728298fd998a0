// outbox-load: measures the durable core (bench/outbox.sh runs it).
//
//   outbox-load deliveries COUNT KEYS RECEIVER_URL SYNC
//       Writes COUNT deliveries (spread over KEYS ordering keys; 0 = unordered) into a fresh
//       database, then times the dispatcher sending them all to RECEIVER_URL.
//   outbox-load commits COUNT WRITERS BATCH SYNC
//       COUNT small write transactions from WRITERS concurrent tasks, with group commit up to
//       BATCH writes per transaction (1 = one transaction per write).
// SYNC is normal or full. Prints one line of key=value results.
import Bridge
import Foundation
import HTTPClient
import Signing
import Storage

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("outbox-load: \(message)\n".utf8))
    exit(64)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count == 5, let count = Int(arguments[1]), count > 0, let third = Int(arguments[2]), third >= 0,
      let synchronous = DatabaseConfiguration.Synchronous(rawValue: arguments[4].uppercased()) else {
    fail("usage: outbox-load deliveries COUNT KEYS URL SYNC | commits COUNT WRITERS BATCH SYNC")
}
let directory = NSTemporaryDirectory() + "botbridge-outbox-load-" + UUID().uuidString
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: directory) }

func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

switch arguments[0] {
case "deliveries":
    let keys = third
    let url = arguments[3]
    var configuration = DatabaseConfiguration(path: directory + "/outbox.sqlite", migrations: BridgeSchema.migrations)
    configuration.synchronous = synchronous
    let pool = try await DatabasePool.open(configuration)
    let clock = SystemDeliveryClock()
    let body = Array(#"{"type":"message","text":"hello from the outbox benchmark","conversation":"c-1"}"#.utf8)
    let fillStart = ContinuousClock.now
    for chunk in stride(from: 0, to: count, by: 1000) {
        let now = clock.now()
        try await pool.write { db in
            for index in chunk..<min(count, chunk + 1000) {
                try Outbox.enqueue(NewDelivery(kind: .webhook, target: "receiver", orderingKey: keys > 0 ? "k\(index % keys)" : nil,
                                               url: url, headers: [DeliveryHeader("Content-Type", "application/json")], body: body),
                                   in: db, now: now)
            }
        }
    }
    let fillSeconds = seconds(since: fillStart)
    let client = HTTPClient()
    let secret = StandardWebhooks.Secret.random()  // the benchmark pays for HMAC like a real target
    let dispatcher = DeliveryDispatcher(pool: pool, client: client,
                                        targets: DeliveryTargets([DeliveryTarget(id: "receiver", kind: .webhook, signingSecret: secret)]),
                                        clock: clock)
    let start = ContinuousClock.now
    try await dispatcher.start()
    while true {
        let left = try await pool.read { db in try db.scalar("SELECT count(*) FROM deliveries WHERE status <> 'done'").int ?? 0 }
        if left == 0 { break }
        try await Task.sleep(for: .milliseconds(20))
    }
    let sendSeconds = seconds(since: start)
    await dispatcher.stop()
    let failed = dispatcher.metrics.attemptCount(kind: "webhook", result: "failed")
    await client.shutdown()
    await pool.close()
    print(String(format: "mode=deliveries count=%d keys=%d synchronous=%@ deliveries_per_s=%.0f seconds=%.2f failed_attempts=%d enqueue_per_s=%.0f",
                 count, keys, synchronous.rawValue.lowercased(), Double(count) / sendSeconds, sendSeconds, failed, Double(count) / fillSeconds))

case "commits":
    let writers = third
    guard writers > 0, let batch = Int(arguments[3]), batch > 0 else { fail("commits needs WRITERS > 0 and BATCH > 0") }
    var configuration = DatabaseConfiguration(path: directory + "/commits.sqlite", migrations: [
        Migration(version: 1, name: "bench", sql: "CREATE TABLE bench (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, payload TEXT NOT NULL)"),
    ])
    configuration.synchronous = synchronous
    configuration.maxBatchSize = batch
    let pool = try await DatabasePool.open(configuration)
    let perWriter = count / writers
    let start = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                for index in 0..<perWriter {
                    try await pool.write { db in
                        try db.run("INSERT INTO bench (writer, payload) VALUES (?, ?)", writer, "message \(index) from writer \(writer)")
                    }
                }
            }
        }
        try await group.waitForAll()
    }
    let elapsed = seconds(since: start)
    let (writes, transactions) = pool.statistics
    await pool.close()
    print(String(format: "mode=commits writers=%d batch=%d synchronous=%@ writes_per_s=%.0f transactions_per_s=%.0f writes_per_transaction=%.1f",
                 writers, batch, synchronous.rawValue.lowercased(), Double(writes) / elapsed, Double(transactions) / elapsed,
                 Double(writes) / Double(max(1, transactions))))

default:
    fail("unknown mode '\(arguments[0])'")
}

