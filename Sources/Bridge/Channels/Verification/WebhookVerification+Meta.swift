import Signing

// Meta webhooks (WhatsApp Cloud API, Messenger, Instagram): event notifications are signed with
// HMAC-SHA256 of the payload under the app secret, sent as `X-Hub-Signature-256: sha256=<hex>`.
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#event-notifications
//
// Meta computes the MAC over the payload as sent, whose JSON escapes non-ASCII characters as
// `\uXXXX` with lowercase hex digits: only the raw bytes verify, never a re-serialised body.
extension WebhookVerification {
    /// The header Meta signs with.
    static let metaSignatureHeader = "X-Hub-Signature-256"
    /// What precedes the hex digest in the header.
    static let metaSignaturePrefix = "sha256="

    static func verifyMeta(_ request: Request, keys: [[UInt8]]) throws(WebhookVerificationError) {
        let header = metaSignatureHeader
        guard let value = request.headers[header], !value.isEmpty else { throw .signatureMissing(header: header) }
        // The algorithm prefix is compared exactly; the hex digits in either case.
        guard value.hasPrefix(metaSignaturePrefix),
              let presented = Hex.decode(String(value.dropFirst(metaSignaturePrefix.count))),
              presented.count == SHA256.digestSize else {
            throw .signatureMalformed(header: header)
        }
        for key in keys where ConstantTime.equals(HMAC<SHA256>.authenticationCode(for: request.body, key: key), presented) {
            return
        }
        throw .signatureMismatch(header: header)
    }
}
