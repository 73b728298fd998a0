import HTTPClient
import Signing
import Storage

/// A configured receiver of deliveries: what is added to each attempt at send time and never
/// stored in the outbox (signing secret, auth headers), and what happens on success.
public struct DeliveryTarget: Sendable {
    /// The id stored in `deliveries.target`.
    public var id: String
    public var kind: DeliveryKind
    /// Signs each attempt with Standard Webhooks headers when set.
    public var signingSecret: StandardWebhooks.Secret?
    /// Extra headers for each attempt, such as `Authorization`.
    public var headers: [DeliveryHeader]
    /// Overrides the kind's timeout.
    public var timeout: Duration?
    /// Reads the receiver's answer to a successful attempt (a bot's synchronous reply), off the
    /// database thread, and returns what to write about it in the transaction that marks the
    /// delivery done (nil: nothing). Throwing, or a write that throws, marks the delivery done
    /// with the reason in `last_error`: the receiver did get it.
    public var onDelivered: (@Sendable (Delivery, HTTPClientResponse) throws -> DeliveredWrite?)?
    /// Runs in the transaction that gives up on deliveries (dead after the last retry, refused
    /// as unsendable, or stopped because the target answered 410 Gone, in which case every
    /// delivery the 410 stopped is passed). A bot's unavailable policy starts here. Throwing is
    /// logged and does not keep the deliveries alive.
    public var onGaveUp: (@Sendable (Database, [Delivery]) throws -> Void)?
    /// Runs once the transaction that recorded a delivery done or dead committed (wake readers
    /// of what `onDelivered` or `onGaveUp` wrote).
    public var afterCommit: (@Sendable (Delivery) -> Void)?
    /// Adjusts an attempt's request just before it is sent (fills in values known only now).
    /// Throwing fails the attempt (retried as a transport failure when it is an `HTTPClientError`
    /// of that kind).
    public var prepare: (@Sendable (Delivery, HTTPClientRequest) async throws -> HTTPClientRequest)?
    /// An in-process receiver (a built-in bot or contact center): attempts are answered by it
    /// instead of the network, and everything else (ordering, retries, `onDelivered`) is the same.
    public var handler: (@Sendable (HTTPClientRequest) async throws -> HTTPClientResponse)?

    public init(id: String, kind: DeliveryKind, signingSecret: StandardWebhooks.Secret? = nil, headers: [DeliveryHeader] = [],
                timeout: Duration? = nil,
                onDelivered: (@Sendable (Delivery, HTTPClientResponse) throws -> DeliveredWrite?)? = nil,
                onGaveUp: (@Sendable (Database, [Delivery]) throws -> Void)? = nil,
                afterCommit: (@Sendable (Delivery) -> Void)? = nil) {
        self.id = id
        self.kind = kind
        self.signingSecret = signingSecret
        self.headers = headers
        self.timeout = timeout
        self.onDelivered = onDelivered
        self.onGaveUp = onGaveUp
        self.afterCommit = afterCommit
    }
}

/// A write that follows a successful delivery, run in the transaction that marks it done.
public typealias DeliveredWrite = @Sendable (Database) throws -> Void

/// Timeout and retry schedule for one kind of delivery.
public struct DeliveryPolicy: Sendable, Equatable {
    /// An attempt that has no complete answer by then has failed. Default 15 s.
    public var timeout: Duration
    public var schedule: RetrySchedule

    public init(timeout: Duration = .seconds(15), schedule: RetrySchedule = .standard) {
        self.timeout = timeout
        self.schedule = schedule
    }
}

/// Every target the dispatcher can send to, and the policy per kind.
public struct DeliveryTargets: Sendable {
    public var targets: [String: DeliveryTarget]
    public var policies: [DeliveryKind: DeliveryPolicy]
    public var defaultPolicy: DeliveryPolicy

    public init(_ targets: [DeliveryTarget] = [], policies: [DeliveryKind: DeliveryPolicy] = [:],
                defaultPolicy: DeliveryPolicy = DeliveryPolicy()) {
        self.targets = Dictionary(targets.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
        self.policies = policies
        self.defaultPolicy = defaultPolicy
    }

    /// The policy for a stored kind.
    public func policy(for kind: String) -> DeliveryPolicy {
        policies[DeliveryKind(rawValue: kind)] ?? defaultPolicy
    }
}
