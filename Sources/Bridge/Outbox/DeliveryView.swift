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
    ///
    /// Formatted by hand (a proleptic Gregorian calendar in UTC, days to civil date as in
    /// Hinnant's `civil_from_days`): an `ISO8601DateFormatter` per call cost ~80 µs, which made
    /// the timestamps most of a 500-message handoff packet's build time.
    public static func time(_ milliseconds: Int64) -> String {
        let millis = ((milliseconds % 1000) + 1000) % 1000
        let seconds = (milliseconds - millis) / 1000
        let secondOfDay = ((seconds % 86_400) + 86_400) % 86_400
        let z = (seconds - secondOfDay) / 86_400 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(millis, 3))Z"
    }
}
