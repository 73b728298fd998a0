@testable import Bridge
import Foundation
import HTTP
import Signing
import Storage
import Testing
import TestSupport

/// Deliveries against a real local receiver, with the clock moved by hand instead of sleeping.
@Suite struct DeliveryDispatcherTests {
    @Test(arguments: TestBackend.allCases) func failureThenSuccessKeepsTheWebhookIDAndResigns(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            f.receiver.script("/hook", .status(500))
            let dispatcher = f.dispatcher()
            let delivery = try await f.enqueue("/hook", body: #"{"n":1}"#)

            #expect(try await dispatcher.runUntilIdle() == 1)
            var stored = try await f.delivery(delivery.id)
            #expect(stored.status == .pending)
            #expect(stored.attempts == 1)
            #expect(stored.lastStatus == 500)
            #expect(stored.lastError == "HTTP 500")
            #expect(stored.nextAttemptAt == f.clock.now() + 5_000)

            // Not due yet: nothing is sent.
            f.clock.advance(by: .seconds(4))
            #expect(try await dispatcher.runUntilIdle() == 0)
            f.clock.advance(by: .seconds(1))
            #expect(try await dispatcher.runUntilIdle() == 1)
            stored = try await f.delivery(delivery.id)
            #expect(stored.status == .done)
            #expect(stored.lastStatus == 200)
            #expect(stored.doneAt == f.clock.now())

            let received = f.receiver.received(at: "/hook")
            #expect(received.count == 2)
            #expect(received.map { $0.headers["webhook-id"] } == [delivery.webhookID, delivery.webhookID])
            #expect(received[0].headers["webhook-timestamp"] != received[1].headers["webhook-timestamp"])
            #expect(received.allSatisfy { $0.text == #"{"n":1}"# && $0.headers["content-type"] == "application/json" })
            // Each attempt's signature verifies with the target's secret at the time it was sent.
            let verifier = StandardWebhooks.Verifier(secret: OutboxFixture.secret)
            for request in received {
                let timestamp = Int64(request.headers["webhook-timestamp"] ?? "") ?? 0
                try verifier.verify(headers: request.headers, body: request.body, now: timestamp)
            }
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func goneStopsTheTargetAndMarksItsDeliveriesDead(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            f.receiver.script("/gone", .status(410))
            let dispatcher = f.dispatcher()
            let first = try await f.enqueue("/gone", key: "conv-1")
            let second = try await f.enqueue("/gone", key: "conv-1")
            let elsewhere = try await f.enqueue("/fine", target: "other")

            try await dispatcher.runUntilIdle()
            #expect(try await f.delivery(first.id).status == .dead)
            #expect(try await f.delivery(first.id).lastStatus == 410)
            let stopped = try await f.delivery(second.id)
            #expect(stopped.status == .dead)
            #expect(stopped.attempts == 0)
            #expect(try await f.delivery(elsewhere.id).status == .done)
            #expect(f.receiver.received(at: "/gone").count == 1)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func retryAfterLengthensButNeverShortensTheSchedule(_ backend: TestBackend) async throws {
        try await OutboxFixture.with(backend) { f in
            f.receiver.script("/busy", .status(429, headers: ["Retry-After": "120"]), .status(503, headers: ["Retry-After": "2"]))
            let dispatcher = f.dispatcher()
            let delivery = try await f.enqueue("/busy")

            // 120 s asked for, longer than the schedule's 5 s: honoured.
            try await dispatcher.runUntilIdle()
            #expect(try await f.delivery(delivery.id).nextAttemptAt == f.clock.now() + 120_000)
            f.clock.advance(by: .seconds(119))
            #expect(try await dispatcher.runUntilIdle() == 0)
            f.clock.advance(by: .seconds(1))
            #expect(try await dispatcher.runUntilIdle() == 1)
            // 2 s asked for, shorter than the schedule's 5 min: the schedule stands.
            #expect(try await f.delivery(delivery.id).nextAttemptAt == f.clock.now() + 300_000)
            f.clock.advance(by: .seconds(300))
            try await dispatcher.runUntilIdle()
            #expect(try await f.delivery(delivery.id).status == .done)
        }
    }

    @Test(arguments: TestBackend.allCases) func aLateAnswerAfterTheTimeoutNeverCountsAsDone(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            f.receiver.script("/slow", .status(200, delay: .seconds(1)))
            let dispatcher = f.dispatcher(timeout: .milliseconds(200))
            let delivery = try await f.enqueue("/slow")

            try await dispatcher.runUntilIdle()
            // Let the receiver finish its late 200; the delivery must still be a timed-out attempt.
            try await Task.sleep(for: .seconds(1.2))
            let stored = try await f.delivery(delivery.id)
            #expect(stored.status == .pending)
            #expect(stored.lastError == "request timed out")
            #expect(stored.lastStatus == nil)
            #expect(f.receiver.received(at: "/slow").count == 1)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func redirectsAreNotFollowed(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            f.receiver.script("/moved", .status(302, headers: ["Location": f.receiver.url("/new-home")]))
            let dispatcher = f.dispatcher()
            let delivery = try await f.enqueue("/moved")

            try await dispatcher.runUntilIdle()
            let stored = try await f.delivery(delivery.id)
            #expect(stored.status == .pending)
            #expect(stored.lastStatus == 302)
            #expect(stored.lastError?.contains("not followed") == true)
            #expect(f.receiver.received(at: "/new-home").isEmpty)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func deadAfterTheLastAttemptThenReplayed(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            f.receiver.script("/down", .status(500), .status(502), .status(504))
            let dispatcher = f.dispatcher(schedule: RetrySchedule(delays: [.seconds(1), .seconds(1)], jitter: 0))
            let delivery = try await f.enqueue("/down")
            for _ in 0..<3 {
                try await dispatcher.runUntilIdle()
                f.clock.advance(by: .seconds(1))
            }
            var stored = try await f.delivery(delivery.id)
            #expect(stored.status == .dead)
            #expect(stored.attempts == 3)
            #expect(stored.lastStatus == 504)
            #expect(stored.lastError == "HTTP 504 (gave up after 3 attempts)")
            #expect(try await dispatcher.runUntilIdle() == 0)

            let dead = try await f.pool.read { db in try Outbox.list(Outbox.Filter(status: .dead), in: db) }
            #expect(dead.map(\.id) == [delivery.id])
            let now = f.clock.now()
            _ = try await f.pool.write { db in try Outbox.replay(delivery.id, in: db, now: now) }
            try await dispatcher.runUntilIdle()
            stored = try await f.delivery(delivery.id)
            #expect(stored.status == .done)
            #expect(stored.attempts == 1)
            #expect(Set(f.receiver.received(at: "/down").map { $0.headers["webhook-id"] }) == [delivery.webhookID])
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func replayRefusesUnfinishedAndUnknownDeliveries(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            let delivery = try await f.enqueue("/x")
            let now = f.clock.now()
            await #expect(throws: Outbox.ReplayError.notFinished(delivery.id, .pending)) {
                try await f.pool.write { db in try Outbox.replay(delivery.id, in: db, now: now) }
            }
            await #expect(throws: Outbox.ReplayError.notFound(999)) {
                try await f.pool.write { db in try Outbox.replay(999, in: db, now: now) }
            }
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func aFailingDeliveryHoldsOnlyItsOwnConversation(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            f.receiver.script("/a", .status(500))
            let dispatcher = f.dispatcher()
            let a1 = try await f.enqueue("/a", body: "a1", key: "conv-a")
            let a2 = try await f.enqueue("/a", body: "a2", key: "conv-a")
            let b1 = try await f.enqueue("/b", body: "b1", key: "conv-b")
            let b2 = try await f.enqueue("/b", body: "b2", key: "conv-b")
            let b3 = try await f.enqueue("/b", body: "b3", key: "conv-b")

            try await dispatcher.runUntilIdle()
            #expect(f.receiver.received(at: "/b").map(\.text) == ["b1", "b2", "b3"])
            #expect(f.receiver.received(at: "/a").map(\.text) == ["a1"])
            for id in [b1.id, b2.id, b3.id] { #expect(try await f.delivery(id).status == .done) }
            #expect(try await f.delivery(a2.id).attempts == 0)

            f.clock.advance(by: .seconds(6))
            try await dispatcher.runUntilIdle()
            #expect(f.receiver.received(at: "/a").map(\.text) == ["a1", "a1", "a2"])
            #expect(try await f.delivery(a1.id).status == .done)
            #expect(try await f.delivery(a2.id).status == .done)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func unconfiguredTargetIsRetriedNotSentUnsigned(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            let dispatcher = f.dispatcher()
            let delivery = try await f.enqueue("/x", target: "removed-from-config")
            try await dispatcher.runUntilIdle()
            let stored = try await f.delivery(delivery.id)
            #expect(stored.status == .pending)
            #expect(stored.lastError == "target 'removed-from-config' is not configured")
            #expect(f.receiver.received.isEmpty)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func forbiddenSchemeIsDeadAtOnce(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            let dispatcher = f.dispatcher()
            let now = f.clock.now()
            let delivery = try await f.pool.write { db in
                try Outbox.enqueue(NewDelivery(kind: .webhook, target: "receiver", url: "file:///etc/passwd", body: []), in: db, now: now)
            }
            try await dispatcher.runUntilIdle()
            let stored = try await f.delivery(delivery.id)
            #expect(stored.status == .dead)
            #expect(stored.lastError?.contains("unsupported URL scheme") == true)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    /// A delivery whose template said `abort_message` is stored dead with the reason and never sent.
    @Test(arguments: TestBackend.allCases) func anAbortedDeliveryIsRecordedDeadAndNeverSent(_ backend: TestBackend) async throws {
        try await OutboxFixture.with(backend) { f in
            let new = NewDelivery(kind: .webhook, target: "receiver", url: f.receiver.url("/aborted"), body: Array("{}".utf8),
                                  abortReason: "no order yet")
            let now = f.clock.now()
            let stored = try await f.pool.write { db in try Outbox.enqueue(new, in: db, now: now) }
            #expect(stored.status == .dead)
            #expect(try await f.dispatcher().runUntilIdle() == 0)
            let read = try await f.delivery(stored.id)
            #expect(read.status == .dead)
            #expect(read.lastError == "not sent: its template said abort_message: no order yet")
            #expect(read.attempts == 0)
            #expect(f.receiver.received(at: "/aborted").isEmpty)
        }
    }

    @Test(arguments: TestBackend.allCases) func interruptedAttemptsAreResentOnStart(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            let delivery = try await f.enqueue("/resume")
            // A worker claimed it, then the process died before recording anything.
            let claimed = try await f.pool.write { db in
                try db.query("UPDATE deliveries SET status = 'sending', attempts = 1 WHERE id = ? RETURNING id", delivery.id)
            }
            #expect(claimed.count == 1)
            let dispatcher = f.dispatcher()
            try await dispatcher.start()
            try await waitUntil { try await f.delivery(delivery.id).status == .done }
            await dispatcher.stop()
            let received = f.receiver.received(at: "/resume")
            #expect(received.count == 1)
            #expect(received.first?.headers["webhook-id"] == delivery.webhookID)
            #expect(try await f.delivery(delivery.id).attempts == 2)
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func backgroundLoopSendsNewWorkWhenNotified(_ backend: TestBackend) async throws {
        let f = try await OutboxFixture.make(backend)
        do {
            let dispatcher = DeliveryDispatcher(pool: f.pool, client: f.client,
                                                targets: DeliveryTargets([DeliveryTarget(id: "receiver", kind: .webhook)]),
                                                configuration: { var c = DeliveryDispatcher.Configuration(); c.idlePoll = .seconds(30); return c }())
            try await dispatcher.start()
            var ids: [Int64] = []
            for index in 0..<20 {
                ids.append(try await f.enqueue("/live", body: "\(index)", key: "conv-\(index % 3)").id)
                dispatcher.notify()
            }
            // A 30 s poll would time this out: only notify() and completions can wake the loop.
            try await waitUntil(timeout: .seconds(10)) { f.receiver.received(at: "/live").count == 20 }
            await dispatcher.stop()
            for key in 0..<3 {
                let bodies = f.receiver.received(at: "/live").map(\.text).filter { Int($0)! % 3 == key }
                #expect(bodies == bodies.sorted { Int($0)! < Int($1)! })
            }
            #expect(dispatcher.metrics.attemptCount(kind: "webhook", result: "delivered") == 20)
            // Unsigned target: the id and timestamp are still sent, no signature.
            #expect(f.receiver.received.allSatisfy { $0.headers["webhook-id"] != nil && $0.headers["webhook-signature"] == nil })
        } catch {
            await f.tearDown()
            throw error
        }
        await f.tearDown()
    }

    @Test(arguments: TestBackend.allCases) func deliveriesQueuedAfterA410AreDeadUntilAnOperatorReplays(_ backend: TestBackend) async throws {
        try await OutboxFixture.with(backend) { f in
            f.receiver.script("/gone", .status(410))
            let dispatcher = f.dispatcher()
            try await f.enqueue("/gone")
            try await dispatcher.runUntilIdle()
            let later = try await f.enqueue("/gone")
            #expect(later.status == .dead)
            #expect(later.lastStatus == 410)
            #expect(try await dispatcher.runUntilIdle() == 0)
            #expect(f.receiver.received(at: "/gone").count == 1)

            // The operator says the target is back: replaying clears the mark.
            let now = f.clock.now()
            _ = try await f.pool.write { db in try Outbox.replay(later.id, in: db, now: now) }
            try await dispatcher.runUntilIdle()
            #expect(try await f.delivery(later.id).status == .done)
            #expect(try await f.enqueue("/gone").status == .pending)
        }
    }

    @Test(arguments: TestBackend.allCases) func aReplayedDeliveryNeverLeavesBesideOneInFlightOfItsKey(_ backend: TestBackend) async throws {
        try await OutboxFixture.with(backend) { f in
            let first = try await f.enqueue("/k", key: "k")
            let second = try await f.enqueue("/k", key: "k")
            let now = f.clock.now()
            let claims = try await f.pool.write { db -> [[Int64]] in
                var claims: [[Int64]] = []
                claims.append(try Outbox.claimDue(in: db, now: now, limit: 10, claimant: "test", leaseUntil: now + 60_000).map(\.id))
                try Outbox.markDone(first.id, status: 200, claimant: "test", in: db, now: now)
                claims.append(try Outbox.claimDue(in: db, now: now, limit: 10, claimant: "test", leaseUntil: now + 60_000).map(\.id))
                try Outbox.replay(first.id, in: db, now: now)
                claims.append(try Outbox.claimDue(in: db, now: now, limit: 10, claimant: "test", leaseUntil: now + 60_000).map(\.id))
                try Outbox.markDone(second.id, status: 200, claimant: "test", in: db, now: now)
                claims.append(try Outbox.claimDue(in: db, now: now, limit: 10, claimant: "test", leaseUntil: now + 60_000).map(\.id))
                return claims
            }
            #expect(claims == [[first.id], [second.id], [], [first.id]])
        }
    }
}

/// Polls `condition` until it holds or the timeout passes.
func waitUntil(timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Gateways sharing one PostgreSQL outbox: each delivery is sent by one of them, a key's
/// deliveries still leave one at a time and in order, and a dead gateway's claims are taken
/// over when their lease ends.
@Suite struct SharedOutboxTests {
    static func dispatcher(_ f: OutboxFixture, instance: String, lease: Duration = .seconds(120)) -> DeliveryDispatcher {
        var configuration = DeliveryDispatcher.Configuration()
        configuration.instance = instance
        configuration.lease = lease
        let targets = DeliveryTargets([DeliveryTarget(id: "receiver", kind: .webhook, signingSecret: OutboxFixture.secret)],
                                      defaultPolicy: DeliveryPolicy(timeout: .seconds(5), schedule: .standard))
        return DeliveryDispatcher(pool: f.pool, client: f.client, targets: targets, clock: f.clock, random: { 0 },
                                  configuration: configuration)
    }

    @Test func twoGatewaysSendEachDeliveryOnceAndEachKeyInOrder() async throws {
        try await OutboxFixture.with(.postgres) { f in
            var expected: [String: [String]] = [:]
            for n in 0..<60 {
                let key = "conv-\(n % 6)"
                try await f.enqueue("/k/\(key)", body: #"{"n":\#(n)}"#, key: key)
                expected[key, default: []].append(#"{"n":\#(n)}"#)
            }
            let a = Self.dispatcher(f, instance: "gateway-a"), b = Self.dispatcher(f, instance: "gateway-b")
            try await a.start()
            try await b.start()
            try await waitUntil(timeout: .seconds(30)) {
                try await f.pool.read { db in try db.scalar("SELECT count(*) FROM deliveries WHERE status = 'done'").int } == 60
            }
            await a.stop()
            await b.stop()
            for (key, bodies) in expected {
                let received = f.receiver.received(at: "/k/\(key)").map { String(decoding: $0.body, as: UTF8.self) }
                #expect(received == bodies, "key \(key)")
            }
            let senders = try await f.pool.read { db in try db.query("SELECT DISTINCT claimed_by FROM deliveries").compactMap { $0.string("claimed_by") } }
            #expect(Set(senders).isSubset(of: ["gateway-a", "gateway-b"]))
        }
    }

    @Test func aDeadGatewaysClaimIsTakenOverWhenItsLeaseEnds() async throws {
        try await OutboxFixture.with(.postgres) { f in
            let delivery = try await f.enqueue("/lease", key: "conv-1")
            let now = f.clock.now()
            // Gateway "gone" claimed it for 60 s, then died.
            _ = try await f.pool.write(isolation: .readCommitted) { db in
                try Outbox.claimDue(in: db, now: now, limit: 10, claimant: "gone", leaseUntil: now + 60_000)
            }
            let b = Self.dispatcher(f, instance: "gateway-b")
            #expect(try await b.runUntilIdle() == 0)
            f.clock.advance(by: .seconds(61))
            #expect(try await b.runUntilIdle() == 1)
            let stored = try await f.delivery(delivery.id)
            #expect(stored.status == .done)
            #expect(stored.attempts == 2)
            #expect(f.receiver.received(at: "/lease").first?.headers["webhook-id"] == delivery.webhookID)
        }
    }
}
