import HTTPClient
import Logging
import Signing
import Storage
import Synchronization

/// Sends the outbox: claims due deliveries, sends each with the HTTP client, and records the
/// outcome (done, retry at the scheduled time, or dead). Runs in the background after `start()`;
/// tests drive it step by step with `runUntilIdle()` and an injected clock.
///
/// Guarantees, with the outbox queries: every attempt of a delivery carries the same
/// `webhook-id` and a fresh timestamp and signature; deliveries sharing an ordering key leave
/// one at a time in order; a delivery in flight when the process dies is sent again on restart.
public final class DeliveryDispatcher: Sendable {
    /// How much the dispatcher does at once.
    public struct Configuration: Sendable {
        /// Attempts in flight at most. Default 256.
        public var maxInFlight = 256
        /// Deliveries claimed per transaction. Default 128.
        public var claimBatch = 128
        /// Longest sleep between looks at the outbox when nothing wakes the dispatcher. Default 1 s.
        public var idlePoll: Duration = .seconds(1)
        /// This gateway's name in the outbox (`claimed_by`): stable across its restarts (the serve
        /// command uses host name and port) so it takes its own interrupted deliveries back at
        /// once; distinct between gateways sharing a PostgreSQL database. Default: random.
        public var instance = "gw-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        /// How long a claim holds a delivery. Longer than any attempt's timeout: a gateway that dies
        /// mid-attempt leaves its deliveries to the others once it ends. Default 2 minutes.
        public var lease: Duration = .seconds(120)
        public init() {}
    }

    private let pool: DatabasePool
    private let client: HTTPClient
    private let targets: DeliveryTargets
    private let clock: any DeliveryClock
    private let random: @Sendable () -> Double
    private let logger: Logger
    /// Counters by kind and outcome, for `/metrics`.
    public let metrics: DeliveryMetrics
    private let configuration: Configuration
    private let state = Mutex(State())

    private struct State {
        var running = false
        var inFlight = 0
        var woken = false
        var sleeper: Task<Void, Never>?
        var loop: Task<Void, Never>?
    }

    public init(pool: DatabasePool, client: HTTPClient, targets: DeliveryTargets, clock: any DeliveryClock = SystemDeliveryClock(),
                random: @escaping @Sendable () -> Double = { Double.random(in: -1...1) }, logger: Logger = .silent,
                metrics: DeliveryMetrics = DeliveryMetrics(), configuration: Configuration = Configuration()) {
        self.pool = pool
        self.client = client
        self.targets = targets
        self.clock = clock
        self.random = random
        self.logger = logger
        self.metrics = metrics
        self.configuration = configuration
    }

    // MARK: - Running in the background

    /// Puts deliveries interrupted by a previous stop or crash back in the queue, then starts
    /// sending in the background.
    /// Call once per process and database: rows still `sending` are taken to be from an
    /// earlier process (the gateway holds a lock file so no other one shares the database).
    public func start() async throws {
        let alreadyStarted = state.withLock { state -> Bool in
            if state.running || state.loop != nil { return true }
            state.running = true
            return false
        }
        guard !alreadyStarted else { return }
        let now = clock.now()
        do {
            let instance = configuration.instance
            let resumed = try await pool.write { db in try Outbox.resumeInterrupted(in: db, now: now, claimant: instance) }
            if resumed > 0 { logger.notice("resuming deliveries interrupted by the last stop", [("count", String(resumed))]) }
        } catch {
            state.withLock { $0.running = false }
            throw error
        }
        state.withLock { state in state.loop = Task { await self.loop() } }
    }

    /// Stops claiming, waits up to `grace` for attempts in flight, then abandons the rest (they
    /// stay claimed and are sent again, same `webhook-id`, on the next start).
    public func stop(grace: Duration = .seconds(5)) async {
        let loop = state.withLock { state -> Task<Void, Never>? in
            state.running = false
            state.sleeper?.cancel()
            return state.loop
        }
        await loop?.value
        let deadline = ContinuousClock.now + grace
        while state.withLock({ $0.inFlight }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Wakes the dispatcher: call after committing new deliveries so they leave at once.
    public func notify() {
        state.withLock { state in
            state.woken = true
            state.sleeper?.cancel()
        }
    }

    private var isRunning: Bool { state.withLock { $0.running } }

    private func loop() async {
        while isRunning {
            let capacity = configuration.maxInFlight - state.withLock { $0.inFlight }
            let limit = min(capacity, configuration.claimBatch)
            var claimed: [Delivery] = []
            if limit > 0 {
                do { claimed = try await claim(limit: limit) } catch {
                    logger.error("cannot claim deliveries: \(error)")
                }
            }
            for delivery in claimed {
                state.withLock { $0.inFlight += 1 }
                Task {
                    await self.attempt(delivery)
                    self.state.withLock { $0.inFlight -= 1 }
                    self.notify()
                }
            }
            if limit > 0 && claimed.count == limit { continue }
            await idle(for: await sleepTime(atCapacity: limit == 0))
        }
    }

    /// Until the next pending delivery is due, capped at `idlePoll`. When due work exists but
    /// none could be claimed (capacity full, or held behind in-flight deliveries of the same
    /// ordering key), only a completion's `notify()` or the poll wakes the loop.
    private func sleepTime(atCapacity: Bool) async -> Duration {
        if atCapacity { return configuration.idlePoll }
        guard let next = try? await pool.read({ db in try Outbox.nextDueTime(in: db) }) else { return configuration.idlePoll }
        let wait = next - clock.now()
        if wait <= 0 { return configuration.idlePoll }
        return min(.milliseconds(wait), configuration.idlePoll)
    }

    private func idle(for duration: Duration) async {
        let sleeper = Task { _ = try? await Task.sleep(for: duration) }
        let skip = state.withLock { state -> Bool in
            if state.woken || !state.running {
                state.woken = false
                return true
            }
            state.sleeper = sleeper
            return false
        }
        if skip { sleeper.cancel() }
        await sleeper.value
        state.withLock { state in
            state.sleeper = nil
            state.woken = false
        }
    }

    // MARK: - Step by step

    /// Sends everything due now, including deliveries that become eligible when an earlier one
    /// of their ordering key is done, and returns the number of attempts made. For tests and
    /// tools; do not call while the background loop runs.
    @discardableResult
    public func runUntilIdle() async throws -> Int {
        var attempts = 0
        while true {
            let claimed = try await claim(limit: configuration.maxInFlight)
            if claimed.isEmpty { return attempts }
            attempts += claimed.count
            await withTaskGroup(of: Void.self) { group in
                for delivery in claimed { group.addTask { await self.attempt(delivery) } }
            }
        }
    }

    // MARK: - One attempt

    private func claim(limit: Int) async throws -> [Delivery] {
        let now = clock.now()
        let (instance, leaseUntil) = (configuration.instance, now + configuration.lease.milliseconds)
        return try await pool.write(isolation: .readCommitted) { db in
            try Outbox.claimDue(in: db, now: now, limit: limit, claimant: instance, leaseUntil: leaseUntil)
        }
    }

    /// Sends one claimed delivery and records what happened.
    private func attempt(_ delivery: Delivery) async {
        let policy = targets.policy(for: delivery.kind)
        guard let target = targets.targets[delivery.target] else {
            await record(.retry(status: nil, error: "target '\(delivery.target)' is not configured", retryAfter: nil),
                         for: delivery, target: nil, policy: policy, response: nil)
            return
        }
        var request = makeRequest(delivery, target: target, policy: policy)
        let result: Result<HTTPClientResponse, HTTPClientError>
        if let prepare = target.prepare {
            do { request = try await prepare(delivery, request) } catch {
                let failure = error as? HTTPClientError ?? .transport(code: 0, message: "\(error)")
                await record(DeliveryOutcome.classify(.failure(failure), now: clock.now()), for: delivery, target: target, policy: policy,
                             response: nil)
                return
            }
        }
        if let handler = target.handler {
            do { result = .success(try await handler(request)) } catch {
                result = .failure(error as? HTTPClientError ?? .transport(code: 0, message: "\(error)"))
            }
        } else {
            do { result = .success(try await client.send(request)) } catch { result = .failure(error) }
        }
        if case .failure(let error) = result, error == .cancelled || error == .shutdown {
            // Stopping: leave it claimed; the next start sends it again with the same webhook-id.
            return
        }
        let outcome = DeliveryOutcome.classify(result, now: clock.now())
        await record(outcome, for: delivery, target: target, policy: policy, response: try? result.get())
    }

    /// The HTTP request for an attempt: stored headers, the target's headers, and Standard
    /// Webhooks headers with a fresh timestamp (and signature when the target has a secret).
    func makeRequest(_ delivery: Delivery, target: DeliveryTarget, policy: DeliveryPolicy) -> HTTPClientRequest {
        var headers = (delivery.headers + target.headers).map { (name: $0.name, value: $0.value) }
        let timestamp = clock.now() / 1000
        if let secret = target.signingSecret {
            let signed = StandardWebhooks.Signer(secret: secret).sign(id: delivery.webhookID, timestamp: timestamp, body: delivery.body)
            headers.append((StandardWebhooks.idHeader, signed.id))
            headers.append((StandardWebhooks.timestampHeader, signed.timestamp))
            headers.append((StandardWebhooks.signatureHeader, signed.signature))
        } else {
            headers.append((StandardWebhooks.idHeader, delivery.webhookID))
            headers.append((StandardWebhooks.timestampHeader, String(timestamp)))
        }
        return HTTPClientRequest(method: delivery.method, url: delivery.url, headers: headers, body: delivery.body,
                                 timeout: target.timeout ?? policy.timeout)
    }

    /// Records an attempt's outcome. If the write fails (lock held past the busy timeout, disk
    /// full...), it is retried with backoff for as long as the dispatcher runs: a delivery left
    /// `sending` would hold its conversation until the next restart. Repeating is safe, every
    /// update is guarded by `status = 'sending'`.
    private func record(_ outcome: DeliveryOutcome, for delivery: Delivery, target: DeliveryTarget?, policy: DeliveryPolicy,
                        response: HTTPClientResponse?) async {
        var backoff = Duration.milliseconds(50)
        while true {
            do {
                try await recordOnce(outcome, for: delivery, target: target, policy: policy, response: response)
                return
            } catch {
                if let error = error as? StorageError, error == .closed { return }
                logger.error("cannot record delivery outcome; retrying: \(error)", [("delivery_id", String(delivery.id))])
                // While running, keep trying. Once stopping, give up: the row stays claimed and is
                // resent (same webhook-id) on the next start. Driven step by step (no loop), try briefly.
                let stepping = state.withLock { $0.loop == nil }
                guard isRunning || (stepping && backoff < .seconds(2)) else { return }
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    private func recordOnce(_ outcome: DeliveryOutcome, for delivery: Delivery, target: DeliveryTarget?, policy: DeliveryPolicy,
                            response: HTTPClientResponse?) async throws {
        let now = clock.now()
        let jitter = random()
        let instance = configuration.instance
        // The answer is read here, on the cooperative pool; only its writes go to the database thread.
        let followUp: Result<DeliveredWrite?, any Error>
        if case .delivered = outcome, let onDelivered = target?.onDelivered, let response {
            followUp = Result { try onDelivered(delivery, response) }
        } else {
            followUp = .success(nil)
        }
        do {
            let final = try await pool.write { db -> DeliveryFate in
                switch outcome {
                case .delivered(let status):
                    var error: String?
                    do {
                        if let write = try followUp.get() { try db.savepoint { db in try write(db) } }
                    } catch let failure {
                        error = "receiver answered \(status) but its reply was not processed: \(failure)"
                    }
                    try Outbox.markDone(delivery.id, status: status, claimant: instance, in: db, now: now)
                    if let error { try db.run("UPDATE deliveries SET last_error = ? WHERE id = ?", error, delivery.id) }
                    return .done
                case .retry(let status, let error, let retryAfter):
                    guard let delay = policy.schedule.delay(afterFailedAttempts: delivery.attempts, random: jitter) else {
                        try Outbox.markDead(delivery.id, status: status, error: "\(error) (gave up after \(delivery.attempts) attempts)",
                                            claimant: instance, in: db, now: now)
                        try self.gaveUp([delivery], target: target, in: db)
                        return .dead
                    }
                    // Retry-After may lengthen the wait, never shorten it: a receiver answering
                    // "Retry-After: 0" must not burn through the whole schedule in seconds.
                    let wait = max(retryAfter ?? .zero, delay)
                    try Outbox.scheduleRetry(delivery.id, status: status, error: error, retryAt: now + wait.milliseconds, claimant: instance, in: db, now: now)
                    return .retrying(at: now + wait.milliseconds)
                case .gone:
                    try Outbox.markDead(delivery.id, status: 410, error: "target answered 410 Gone; its deliveries are stopped", claimant: instance, in: db, now: now)
                    let others = try Outbox.markTargetGone(delivery.target, in: db, now: now)
                    try self.gaveUp([delivery] + others, target: target, in: db)
                    return .gone(others: others.count)
                case .permanentFailure(let error):
                    try Outbox.markDead(delivery.id, status: nil, error: error, claimant: instance, in: db, now: now)
                    try self.gaveUp([delivery], target: target, in: db)
                    return .dead
                }
            }
            metrics.recordAttempt(kind: delivery.kind, outcome: outcome, fate: final)
            log(outcome, final, delivery)
            if let afterCommit = target?.afterCommit {
                switch final {
                case .done, .dead, .gone: afterCommit(delivery)
                case .retrying: break
                }
            }
        }
    }

    /// Runs the target's `onGaveUp` in a savepoint: its failure is logged, and the deliveries stay dead.
    private func gaveUp(_ deliveries: [Delivery], target: DeliveryTarget?, in db: Database) throws {
        guard let onGaveUp = target?.onGaveUp else { return }
        do { try db.savepoint { db in try onGaveUp(db, deliveries) } } catch {
            logger.error("cannot apply what follows a dead delivery: \(error)", [("target", deliveries.first?.target ?? "")])
        }
    }

    private func log(_ outcome: DeliveryOutcome, _ fate: DeliveryFate, _ delivery: Delivery) {
        var logger = self.logger
        logger[metadataKey: "delivery_id"] = String(delivery.id)
        logger[metadataKey: "webhook_id"] = delivery.webhookID
        logger[metadataKey: "target"] = delivery.target
        switch (outcome, fate) {
        case (.delivered(let status), _):
            logger.debug("delivered", [("status", String(status)), ("attempt", String(delivery.attempts))])
        case (.retry(_, let error, _), .retrying(let at)):
            logger.warning("delivery failed; will retry", [("error", error), ("attempt", String(delivery.attempts)),
                                                             ("retry_in_ms", String(max(0, at - clock.now())))])
        case (.gone, .gone(let others)):
            logger.warning("target gone (410); its deliveries are dead", [("others_stopped", String(others))])
        default:
            logger.error("delivery dead", [("attempt", String(delivery.attempts))])
        }
    }
}

/// Where a delivery ended up after an attempt.
enum DeliveryFate: Sendable {
    case done
    case retrying(at: Int64)
    case dead
    case gone(others: Int)
}
