import Signing

// Google Business Messages: `X-Goog-Signature` is the base64 HMAC-SHA512 of the message body
// bytes, keyed with the client token the partner gave when configuring the webhook.
// https://developers.google.com/business-communications/business-messages/guides/how-to/message/receive#verify_that_the_message_came_from_google
extension WebhookVerification {
    /// The header Google signs with.
    static let googleSignatureHeader = "X-Goog-Signature"

    static func verifyGoogle(_ request: Request, keys: [[UInt8]]) throws(WebhookVerificationError) {
        let header = googleSignatureHeader
        guard let value = request.headers[header], !value.isEmpty else { throw .signatureMissing(header: header) }
        guard let presented = Base64.decode(value), presented.count == SHA512.digestSize else {
            throw .signatureMalformed(header: header)
        }
        for key in keys where ConstantTime.equals(HMAC<SHA512>.authenticationCode(for: request.body, key: key), presented) {
            return
        }
        throw .signatureMismatch(header: header)
    }
}
