import Signing

// Two schemes contact centers use for the events they send back.
//
// Chatwoot (v4.11.2+ for account webhooks, v4.13.0+ for API-inbox and agent-bot webhooks):
// `X-Chatwoot-Signature: sha256=<hex>` over `"<X-Chatwoot-Timestamp>.<raw body>"` with the
// webhook's secret, and a timestamp within five minutes (chatwoot/chatwoot PRs #13573, #13892).
//
// A shared bearer token (`Authorization: Bearer <token>`), for hubs that authenticate with a
// token they were given, such as a relay in front of the Bot Framework (whose own JWTs are not
// verified here).
extension WebhookVerification {
    static let chatwootSignatureHeader = "X-Chatwoot-Signature"
    static let chatwootTimestampHeader = "X-Chatwoot-Timestamp"
    /// How far the timestamp may be from now, in seconds.
    static let chatwootTolerance: Int64 = 300

    static func verifyChatwoot(_ request: Request, keys: [[UInt8]], now: Int64) throws(WebhookVerificationError) {
        let header = chatwootSignatureHeader
        guard let value = request.headers[header], !value.isEmpty else { throw .signatureMissing(header: header) }
        guard let stamp = request.headers[chatwootTimestampHeader], !stamp.isEmpty else {
            throw .signatureMissing(header: chatwootTimestampHeader)
        }
        guard let seconds = Int64(stamp), stamp.allSatisfy(\.isASCII) else { throw .signatureMalformed(header: chatwootTimestampHeader) }
        guard abs(now - seconds) <= chatwootTolerance else { throw .timestampOutOfTolerance(header: chatwootTimestampHeader) }
        guard value.hasPrefix(metaSignaturePrefix),
              let presented = Hex.decode(String(value.dropFirst(metaSignaturePrefix.count))),
              presented.count == SHA256.digestSize else {
            throw .signatureMalformed(header: header)
        }
        let signed = Array((stamp + ".").utf8) + request.body
        for key in keys where ConstantTime.equals(HMAC<SHA256>.authenticationCode(for: signed, key: key), presented) {
            return
        }
        throw .signatureMismatch(header: header)
    }

    static func verifyBearer(_ request: Request, keys: [[UInt8]]) throws(WebhookVerificationError) {
        let header = "Authorization"
        guard let value = request.headers[header], !value.isEmpty else { throw .signatureMissing(header: header) }
        let parts = value.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw .signatureMalformed(header: header) }
        let presented = Array(parts[1].utf8)
        for key in keys where ConstantTime.equals(key, presented) { return }
        throw .signatureMismatch(header: header)
    }
}
