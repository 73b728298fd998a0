import Signing

/// How a channel adapter proves that an inbound webhook came from its provider: one scheme from a
/// fixed set, named in the adapter's JSON (`"verification": "meta-hub-sha256"`).
///
/// Every scheme works on the raw body bytes exactly as received, never on a re-serialised body.
/// Several secrets may be configured while one is being rotated; a signature made with any of
/// them is accepted. Signatures are compared in constant time.
public enum WebhookVerification: String, Sendable, CaseIterable {
    /// Twilio: `X-Twilio-Signature`, base64 HMAC-SHA1 of the URL and sorted form parameters.
    case twilioHMACSHA1 = "twilio-hmac-sha1"
    /// Meta (WhatsApp Cloud, Messenger, Instagram): `X-Hub-Signature-256: sha256=<hex>`.
    case metaHubSHA256 = "meta-hub-sha256"
    /// Google Business Messages: `X-Goog-Signature`, base64 HMAC-SHA512 of the body.
    case googleHMACSHA512 = "google-hmac-sha512"
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    case standardWebhooks = "standard-webhooks"
    /// Chatwoot webhooks: `X-Chatwoot-Signature: sha256=<hex>` over `<timestamp>.<body>`.
    case chatwootHMACSHA256 = "chatwoot-hmac-sha256"
    /// A shared token: `Authorization: Bearer <token>`.
    case bearerToken = "bearer-token"
    /// No verification at all; only the built-in web chat may use it (`isAllowed(forAdapter:)`).
    case unsigned = "none"

    /// The only adapter allowed to take requests without verification.
    public static let unsignedAdapter = "webchat"

    /// The scheme called `name` in adapter JSON, or `nil` for a name this build does not know.
    public init?(name: String) {
        self.init(rawValue: name)
    }

    /// The name adapter JSON uses for this scheme.
    public var name: String { rawValue }

    /// The header that carries the signature, for logs and error messages; `nil` for `none`.
    public var signatureHeader: String? {
        switch self {
        case .twilioHMACSHA1: "X-Twilio-Signature"
        case .metaHubSHA256: "X-Hub-Signature-256"
        case .googleHMACSHA512: "X-Goog-Signature"
        case .standardWebhooks: StandardWebhooks.signatureHeader
        case .chatwootHMACSHA256: "X-Chatwoot-Signature"
        case .bearerToken: "Authorization"
        case .unsigned: nil
        }
    }

    /// Whether an adapter called `adapter` may use this scheme: `none` only for `webchat`, every
    /// signed scheme for any adapter.
    public func isAllowed(forAdapter adapter: String) -> Bool {
        self != .unsigned || adapter == Self.unsignedAdapter
    }

    // MARK: - Verifying

    /// Checks `request` against `secrets` at `now` (Unix seconds, used by timestamped schemes
    /// only). Returns normally when the request is authentic; `none` always does.
    public func verify(_ request: Request, secrets: [String], now: Int64) throws(WebhookVerificationError) {
        switch self {
        case .unsigned:
            return
        case .twilioHMACSHA1:
            try Self.verifyTwilio(request, keys: configuredKeys(secrets))
        case .metaHubSHA256:
            try Self.verifyMeta(request, keys: configuredKeys(secrets))
        case .googleHMACSHA512:
            try Self.verifyGoogle(request, keys: configuredKeys(secrets))
        case .standardWebhooks:
            try Self.verifyStandardWebhooks(request, secrets: standardWebhooksSecrets(secrets), now: now)
        case .chatwootHMACSHA256:
            try Self.verifyChatwoot(request, keys: configuredKeys(secrets), now: now)
        case .bearerToken:
            try Self.verifyBearer(request, keys: configuredKeys(secrets))
        }
    }

    /// Throws the configuration error `verify` would throw for `secrets`, without a request: for
    /// checking an adapter's configuration when it is loaded rather than on its first webhook.
    public func validateConfiguration(secrets: [String]) throws(WebhookVerificationError) {
        switch self {
        case .unsigned:
            return
        case .twilioHMACSHA1, .metaHubSHA256, .googleHMACSHA512, .chatwootHMACSHA256, .bearerToken:
            _ = try configuredKeys(secrets)
        case .standardWebhooks:
            _ = try standardWebhooksSecrets(secrets)
        }
    }

    // MARK: - Secrets

    /// The UTF-8 bytes of each non-empty secret; throws `.secretMissing` when there is none.
    func configuredKeys(_ secrets: [String]) throws(WebhookVerificationError) -> [[UInt8]] {
        let keys = secrets.filter { !$0.isEmpty }.map { Array($0.utf8) }
        guard !keys.isEmpty else { throw .secretMissing(scheme: name) }
        return keys
    }

    /// Each non-empty secret parsed as `whsec_<base64>`; throws `.secretMissing` when there is
    /// none and `.secretInvalid` when one does not parse.
    func standardWebhooksSecrets(_ secrets: [String]) throws(WebhookVerificationError) -> [StandardWebhooks.Secret] {
        let configured = secrets.filter { !$0.isEmpty }
        guard !configured.isEmpty else { throw .secretMissing(scheme: name) }
        var parsed: [StandardWebhooks.Secret] = []
        for secret in configured {
            guard let value = try? StandardWebhooks.Secret(secret) else { throw .secretInvalid(scheme: name) }
            parsed.append(value)
        }
        return parsed
    }
}
