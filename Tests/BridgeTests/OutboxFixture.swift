import Bridge
import Foundation
import HTTPClient
import Signing
import Storage
import TestSupport

/// A fresh database (a real SQLite file in its own directory, or a new PostgreSQL database), a manual clock, a real HTTP client
/// and a real receiving server: everything a delivery test needs.
struct OutboxFixture {
    let directory: String
    let pool: DatabasePool
    let clock: ManualDeliveryClock
    let client: HTTPClient
    let receiver: Receiver
    static let secret = try! StandardWebhooks.Secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")

    static func make(_ backend: TestBackend = .sqlite) async throws -> OutboxFixture {
        let directory = NSTemporaryDirectory() + "botbridge-bridge-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: try await backend.location(directory: directory), migrations: BridgeSchema.migrations))
        return OutboxFixture(directory: directory, pool: pool, clock: ManualDeliveryClock(), client: HTTPClient(),
                             receiver: try await Receiver.start())
    }

    /// Runs `body` with a fresh fixture and always tears it down (awaited) afterwards.
    static func with(_ backend: TestBackend = .sqlite, _ body: (OutboxFixture) async throws -> Void) async throws {
        let fixture = try await make(backend)
        do {
            try await body(fixture)
        } catch {
            await fixture.tearDown()
            throw error
        }
        await fixture.tearDown()
    }

    /// A dispatcher whose targets all sign with `secret`; jitter fixed at `random`.
    func dispatcher(timeout: Duration = .seconds(5), schedule: RetrySchedule = .standard, random: Double = 0,
                    targets extra: [DeliveryTarget] = []) -> DeliveryDispatcher {
        let policy = DeliveryPolicy(timeout: timeout, schedule: schedule)
        let targets = DeliveryTargets([
            DeliveryTarget(id: "receiver", kind: .webhook, signingSecret: Self.secret),
            DeliveryTarget(id: "other", kind: .webhook, signingSecret: Self.secret),
        ] + extra, defaultPolicy: policy)
        return DeliveryDispatcher(pool: pool, client: client, targets: targets, clock: clock, random: { random })
    }

    /// Enqueues a delivery to a receiver path.
    @discardableResult
    func enqueue(_ path: String, body: String = "{}", target: String = "receiver", key: String? = nil) async throws -> Delivery {
        let new = NewDelivery(kind: .webhook, target: target, orderingKey: key, url: receiver.url(path),
                              headers: [DeliveryHeader("Content-Type", "application/json")], body: Array(body.utf8))
        let now = clock.now()
        return try await pool.write { db in try Outbox.enqueue(new, in: db, now: now) }
    }

    func delivery(_ id: Int64) async throws -> Delivery {
        try await pool.read { db in try Outbox.find(id, in: db)! }
    }

    func tearDown() async {
        await receiver.stop()
        await client.shutdown()
        await pool.close()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
