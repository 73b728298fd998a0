import Foundation

/// A delivery as the operator API and CLI show it: no body (it may hold personal data) and no
/// query string in the URL (some providers put tokens there).
public struct DeliveryView: Encodable, Sendable {
    public var id: Int64
    public var webhookID: String
    public var kind: String
    public var target: String
    public var orderingKey: String?
    public var conversationID: Int64?
    public var method: String
    public var url: String
    public var bodyBytes: Int
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: String?
    public var lastAttemptAt: String?
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: String
    public var doneAt: String?

    enum CodingKeys: String, CodingKey {
        case id, kind, target, method, url, status, attempts
        case webhookID = "webhook_id", orderingKey = "ordering_key", conversationID = "conversation_id"
        case bodyBytes = "body_bytes", nextAttemptAt = "next_attempt_at", lastAttemptAt = "last_attempt_at"
        case lastStatus = "last_status", lastError = "last_error", createdAt = "created_at", doneAt = "done_at"
    }

    public init(_ delivery: Delivery) {
        id = delivery.id
        webhookID = delivery.webhookID
        kind = delivery.kind
        target = delivery.target
        orderingKey = delivery.orderingKey
        conversationID = delivery.conversationID
        method = delivery.method
        url = Self.redacted(delivery.url)
        bodyBytes = delivery.body.count
        status = delivery.status.rawValue
        attempts = delivery.attempts
        nextAttemptAt = delivery.status == .pending ? Self.time(delivery.nextAttemptAt) : nil
        lastAttemptAt = delivery.lastAttemptAt.map(Self.time)
        lastStatus = delivery.lastStatus
        lastError = delivery.lastError
        createdAt = Self.time(delivery.createdAt)
        doneAt = delivery.doneAt.map(Self.time)
    }

    /// The URL without its query and without `user:password@`.
    static func redacted(_ url: String) -> String {
        var text = url.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        if let scheme = text.range(of: "://") {
            let rest = text[scheme.upperBound...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                text = String(text[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
            }
        }
        return text
    }

    /// RFC 3339 UTC with milliseconds.
    public static func time(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
