import Foundation
import Storage

/// What a delivery is for; picks its retry policy and shows in metrics.
public struct DeliveryKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    /// A webhook to a bot.
    public static let bot = DeliveryKind(rawValue: "bot")
    /// An API call to a channel provider (a message to a user).
    public static let channel = DeliveryKind(rawValue: "channel")
    /// A handoff packet or event to a contact center.
    public static let contactCenter = DeliveryKind(rawValue: "contact_center")
    /// Profile changes to a customer-engagement platform.
    public static let profileSink = DeliveryKind(rawValue: "profile_sink")
    /// Any other signed webhook.
    public static let webhook = DeliveryKind(rawValue: "webhook")
}

/// Where a delivery is in its life.
public enum DeliveryStatus: String, Sendable, CaseIterable, Codable {
    /// Waiting for its next attempt (the first, or a retry).
    case pending
    /// Claimed by a worker; an attempt is in flight. Reset to pending on start-up.
    case sending
    /// The receiver answered 2xx.
    case done
    /// Out of attempts, or the receiver is gone (410), or the request can never succeed.
    case dead
}

/// A delivery to write into the outbox, in the same transaction as whatever caused it.
public struct NewDelivery: Sendable {
    public var kind: DeliveryKind
    /// The configured target that sends it (supplies signing secret, auth and timeout at send time).
    public var target: String
    /// Deliveries with the same key leave one at a time, in the order they were written.
    public var orderingKey: String?
    public var conversationID: Int64?
    public var messageID: Int64?
    public var method: String
    public var url: String
    /// Headers stored with the row. Never secrets: those come from the target when sending.
    public var headers: [DeliveryHeader]
    public var body: [UInt8]
    /// Set when the template that made the request said `abort_message`: the delivery is stored
    /// dead, never sent, with this reason (operators see it in `deliveries --status dead`).
    public var abortReason: String?

    public init(kind: DeliveryKind, target: String, orderingKey: String? = nil, conversationID: Int64? = nil,
                messageID: Int64? = nil, method: String = "POST", url: String,
                headers: [DeliveryHeader] = [], body: [UInt8], abortReason: String? = nil) {
        self.kind = kind
        self.target = target
        self.orderingKey = orderingKey
        self.conversationID = conversationID
        self.messageID = messageID
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.abortReason = abortReason
    }
}

/// One stored request header.
public struct DeliveryHeader: Sendable, Equatable, Codable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A delivery as stored.
public struct Delivery: Sendable, Equatable, Codable {
    public var id: Int64
    /// Stable across attempts: receivers dedupe on it (`webhook-id`).
    public var webhookID: String
    public var kind: String
    public var target: String
    public var orderingKey: String?
    public var conversationID: Int64?
    public var messageID: Int64?
    public var method: String
    public var url: String
    public var headers: [DeliveryHeader]
    public var body: [UInt8]
    public var status: DeliveryStatus
    /// Attempts started so far (a claimed attempt counts even if the process died during it).
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastAttemptAt: Int64?
    /// The receiver's last HTTP status, when it answered.
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var doneAt: Int64?

    /// The columns `init(row:)` reads, in a form for SELECT and RETURNING.
    static let columns = """
    id, webhook_id, kind, target, ordering_key, conversation_id, message_id, method, url, headers, body, status,
    attempts, next_attempt_at, last_attempt_at, last_status, last_error, created_at, updated_at, done_at
    """

    /// The same columns of the table known as `alias` in a join.
    static func columns(_ alias: String) -> String {
        columns.split(separator: ",").map { "\(alias).\($0.trimmingCharacters(in: .whitespacesAndNewlines))" }.joined(separator: ", ")
    }

    init(id: Int64, webhookID: String, kind: String, target: String, orderingKey: String?, conversationID: Int64?,
         messageID: Int64?, method: String, url: String, headers: [DeliveryHeader], body: [UInt8], status: DeliveryStatus,
         attempts: Int, nextAttemptAt: Int64, lastAttemptAt: Int64?, lastStatus: Int?, lastError: String?,
         createdAt: Int64, updatedAt: Int64, doneAt: Int64?) {
        self.id = id
        self.webhookID = webhookID
        self.kind = kind
        self.target = target
        self.orderingKey = orderingKey
        self.conversationID = conversationID
        self.messageID = messageID
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastAttemptAt = lastAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.doneAt = doneAt
    }

    init(row: Row) {
        id = row.int64("id") ?? 0
        webhookID = row.string("webhook_id") ?? ""
        kind = row.string("kind") ?? ""
        target = row.string("target") ?? ""
        orderingKey = row.string("ordering_key")
        conversationID = row.int64("conversation_id")
        messageID = row.int64("message_id")
        method = row.string("method") ?? "POST"
        url = row.string("url") ?? ""
        headers = DeliveryHeader.decode(row.string("headers") ?? "")
        body = row.bytes("body") ?? []
        status = row.string("status").flatMap(DeliveryStatus.init(rawValue:)) ?? .pending
        attempts = row.int("attempts") ?? 0
        nextAttemptAt = row.int64("next_attempt_at") ?? 0
        lastAttemptAt = row.int64("last_attempt_at")
        lastStatus = row.int("last_status")
        lastError = row.string("last_error")
        createdAt = row.int64("created_at") ?? 0
        updatedAt = row.int64("updated_at") ?? 0
        doneAt = row.int64("done_at")
    }
}

extension DeliveryHeader {
    /// Stored headers: one `Name: value` per line. Header names and values never hold line
    /// breaks (the HTTP client refuses them), so this needs no escaping and reads back cheaply.
    static func encode(_ headers: [DeliveryHeader]) -> String {
        headers.map { $0.name + ": " + $0.value }.joined(separator: "\n")
    }

    static func decode(_ text: String) -> [DeliveryHeader] {
        text.split(separator: "\n").compactMap { line in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let value = line[line.index(after: colon)...].drop(while: { $0 == " " })
            return DeliveryHeader(String(line[..<colon]), String(value))
        }
    }
}
