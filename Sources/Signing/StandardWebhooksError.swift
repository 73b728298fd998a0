/// Why a Standard Webhooks secret or message was rejected.
public enum StandardWebhooksError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The named header was absent or empty.
    case missingHeader(String)
    /// `webhook-timestamp` was not decimal Unix seconds; carries the value received.
    case invalidTimestamp(String)
    /// The timestamp is further in the past than the tolerance allows.
    case timestampTooOld(timestamp: Int64, now: Int64)
    /// The timestamp is further in the future than the tolerance allows.
    case timestampTooNew(timestamp: Int64, now: Int64)
    /// No `v1` signature in the header matches any secret.
    case noMatchingSignature
    /// A secret was not `whsec_` plus non-empty base64.
    case invalidSecret

    /// A one-line explanation for logs.
    public var description: String {
        switch self {
        case .missingHeader(let name): "missing header \(name)"
        case .invalidTimestamp(let value): "invalid webhook-timestamp \(value.prefix(32).debugDescription)"
        case .timestampTooOld(let timestamp, let now): "webhook-timestamp \(timestamp) is too old (now \(now))"
        case .timestampTooNew(let timestamp, let now): "webhook-timestamp \(timestamp) is too new (now \(now))"
        case .noMatchingSignature: "no matching signature"
        case .invalidSecret: "invalid webhook secret"
        }
    }
}
