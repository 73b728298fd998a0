import Signing

// Standard Webhooks: HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, sent as
// `webhook-signature: v1,<base64>`, with the timestamp within five minutes of the server clock.
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
extension WebhookVerification {
    /// How far `webhook-timestamp` may be from `now`, either way.
    public static let standardWebhooksTolerance: Duration = .seconds(5 * 60)

    static func verifyStandardWebhooks(_ request: Request, secrets: [StandardWebhooks.Secret],
                                       now: Int64) throws(WebhookVerificationError) {
        let verifier = StandardWebhooks.Verifier(secrets: secrets, tolerance: standardWebhooksTolerance)
        do {
            try verifier.verify(id: request.headers[StandardWebhooks.idHeader],
                                timestamp: request.headers[StandardWebhooks.timestampHeader],
                                signature: request.headers[StandardWebhooks.signatureHeader],
                                body: request.body, now: now)
        } catch {
            switch error {
            case .missingHeader(let name):
                throw .signatureMissing(header: name)
            case .invalidTimestamp:
                throw .signatureMalformed(header: StandardWebhooks.timestampHeader)
            case .timestampTooOld, .timestampTooNew:
                throw .timestampOutOfTolerance(header: StandardWebhooks.timestampHeader)
            case .noMatchingSignature:
                throw .signatureMismatch(header: StandardWebhooks.signatureHeader)
            case .invalidSecret:
                throw .secretInvalid(scheme: WebhookVerification.standardWebhooks.name)
            }
        }
    }
}
