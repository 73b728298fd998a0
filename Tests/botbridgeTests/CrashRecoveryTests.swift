import Bridge
import Foundation
import HTTP
import HTTPClient
import Storage
import Synchronization
import Testing
import TestSupport

/// The outbox promise under `kill -9`: a real `botbridge serve` takes work that creates
/// deliveries to a local receiver, is killed with SIGKILL at random moments and restarted; in
/// the end every acknowledged delivery arrived at least once, duplicates share their webhook-id,
/// each key's deliveries arrived in order, and (SQLite) the database passes `PRAGMA integrity_check`.
/// On both backends: PostgreSQL's half of the promise is its own commit, but the gateway's
/// (acknowledge only what committed, re-send what was in flight) is the same code path.
/// (bench/crash.sh runs a longer version.)
@Suite struct CrashRecoveryTests {
    static let keys = 4
    /// Kill rounds: 4 in the suite; bench/crash.sh sets BOTBRIDGE_CRASH_KILLS for a longer run.
    static let kills = ProcessInfo.processInfo.environment["BOTBRIDGE_CRASH_KILLS"].flatMap(Int.init).map { max(1, $0) } ?? 4

    /// What the receiver saw: body ("key:seq") and webhook-id, in arrival order.
    final class Arrivals: Sendable {
        let log = Mutex<[(body: String, webhookID: String)]>([])
        var all: [(body: String, webhookID: String)] { log.withLock { $0 } }
    }

    @Test(arguments: TestBackend.allCases) func acknowledgedDeliveriesSurviveKillNine(_ backend: TestBackend) async throws {
        let arrivals = Arrivals()
        var router = Router()
        router.post("/hook") { request, _ in
            arrivals.log.withLock { $0.append((String(decoding: request.body, as: UTF8.self), request.headers["webhook-id"] ?? "")) }
            return HTTPResponse(status: .noContent)
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        let receiver = HTTPServer(configuration: configuration, responder: router)
        let receiverPort = try receiver.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-crash-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let client = HTTPClient()
        let database = try await backend.databaseArgument(directory: directory.path, name: "crash.sqlite")
        var arguments = ["serve", "--listen", "127.0.0.1:0", "--db", database, "--log-level", "warning",
                         "--dev-outbox-url", "http://127.0.0.1:\(receiverPort)/hook"]
        if backend == .postgres {
            // On port 0 each restart is another gateway to the outbox (a new claimant), so what the
            // killed one held is taken over when its lease ends: the shortest lease, not 2 minutes.
            try Data(#"{"database": {"delivery_lease_seconds": 5}}"#.utf8).write(to: directory.appendingPathComponent("botbridge.json"))
            arguments += ["--config", "botbridge.json"]
        }

        var acknowledged: Set<String> = []
        var nextSequence = [Int](repeating: 0, count: Self.keys)
        for _ in 0..<Self.kills {
            let gateway = try BinaryRunner(arguments, directory: directory)
            let port = try await gateway.waitForListeningPort()
            // One sender per key, each waiting for its 202 before sending the next, until the kill.
            let killAfter = Duration.milliseconds(Int.random(in: 150...600))
            let round = try await withThrowingTaskGroup(of: ([String], Int, Int).self) { group in
                for key in 0..<Self.keys {
                    let start = nextSequence[key]
                    group.addTask {
                        var acked: [String] = []
                        var sequence = start
                        let deadline = ContinuousClock.now + killAfter
                        while ContinuousClock.now < deadline {
                            let body = "k\(key):\(sequence)"
                            sequence += 1
                            let request = HTTPClientRequest(method: "POST", url: "http://127.0.0.1:\(port)/dev/outbox?key=k\(key)",
                                                            headers: [("Content-Type", "text/plain")], body: Array(body.utf8),
                                                            timeout: .seconds(5))
                            guard let response = try? await client.send(request) else { break }
                            if response.status == 202 { acked.append(body) }
                        }
                        return (acked, key, sequence)
                    }
                }
                // The kill lands while senders are mid-request and deliveries are mid-flight.
                try await Task.sleep(for: killAfter)
                gateway.signal(SIGKILL)
                var all: [([String], Int, Int)] = []
                for try await result in group { all.append(result) }
                return all
            }
            _ = try await gateway.waitForExit()
            for (acked, key, sequence) in round {
                acknowledged.formUnion(acked)
                nextSequence[key] = sequence
            }
        }
        #expect(acknowledged.count > Self.kills * Self.keys)

        // A last, clean run delivers whatever is left, then stops on SIGTERM.
        let gateway = try BinaryRunner(arguments, directory: directory)
        _ = try await gateway.waitForListeningPort()
        let deadline = ContinuousClock.now + .seconds(30)
        while !acknowledged.isSubset(of: Set(arrivals.all.map(\.body))), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        gateway.signal(SIGTERM)
        #expect(try await gateway.waitForExit() == 0)
        await receiver.shutdown()
        await client.shutdown()

        let received = arrivals.all
        let missing = acknowledged.subtracting(received.map(\.body))
        #expect(missing.isEmpty, "acknowledged but never delivered: \(missing.sorted().prefix(10))")
        // Every copy of one body carries the same webhook-id.
        let idsByBody = Dictionary(grouping: received, by: \.body).mapValues { Set($0.map(\.webhookID)) }
        #expect(idsByBody.values.allSatisfy { $0.count == 1 && !$0.first!.isEmpty })
        // Per key, first arrivals are in send order.
        var seen: Set<String> = []
        var lastSequence = [Int](repeating: -1, count: Self.keys)
        for arrival in received where seen.insert(arrival.body).inserted {
            let parts = arrival.body.dropFirst().split(separator: ":")
            let key = Int(parts[0])!, sequence = Int(parts[1])!
            #expect(sequence > lastSequence[key], "key k\(key): \(sequence) arrived after \(lastSequence[key])")
            lastSequence[key] = sequence
        }

        let pool = try await GatewayUnderTest.openDatabase(database, in: directory)
        if backend == .sqlite {
            // The file itself after the kills (PostgreSQL has no equivalent without extensions).
            let integrity = try await pool.read { db in try db.scalar("PRAGMA integrity_check").string }
            #expect(integrity == "ok")
        }
        let open = try await pool.read { db in try db.scalar("SELECT count(*) FROM deliveries WHERE status <> 'done'").int }
        await pool.close()
        #expect(open == 0)
    }
}
