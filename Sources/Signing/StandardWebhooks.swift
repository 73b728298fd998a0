import Foundation

/// Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over
/// `"{webhook-id}.{webhook-timestamp}.{body}"`, sent as `webhook-signature: v1,<base64>`.
///
/// Use `Signer` to produce headers for an outgoing webhook and `Verifier` to check an incoming one.
public enum StandardWebhooks {
    /// The header carrying the message id, unique per message and stable across retries.
    public static let idHeader = "webhook-id"
    /// The header carrying the send time in integer Unix seconds.
    public static let timestampHeader = "webhook-timestamp"
    /// The header carrying space-separated `version,signature` pairs.
    public static let signatureHeader = "webhook-signature"
    /// The signature scheme this module implements: symmetric HMAC-SHA256.
    public static let version = "v1"
    /// How far a timestamp may be from the receiver's clock, either way.
    public static let defaultTolerance: Duration = .seconds(5 * 60)

    /// The raw HMAC-SHA256 of the signed content under `key`.
    static func signature(key: [UInt8], id: String, timestamp: String, body: some Sequence<UInt8>) -> [UInt8] {
        var mac = HMAC<SHA256>(key: key)
        mac.update(id)
        mac.update(".")
        mac.update(timestamp)
        mac.update(".")
        mac.update(body)
        return mac.finalize()
    }

    /// Whole Unix seconds of `date`, rounded down and clamped to `Int64`.
    static func unixSeconds(_ date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        guard seconds.isFinite else { return seconds > 0 ? .max : .min }
        return Int64(exactly: seconds) ?? (seconds > 0 ? .max : .min)
    }
}
