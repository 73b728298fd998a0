import HTTP
import Signing

/// A subscription handshake a provider performs before it sends webhooks, named in adapter JSON
/// (`"handshake": "meta-hub-challenge"`).
public enum WebhookHandshake: String, Sendable, CaseIterable {
    /// Meta's verification request: `GET ?hub.mode=subscribe&hub.verify_token=...&hub.challenge=...`,
    /// answered `200` with the challenge as the body when the verify token is the configured one.
    /// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
    case metaHubChallenge = "meta-hub-challenge"

    /// The handshake called `name` in adapter JSON, or `nil` for a name this build does not know.
    public init?(name: String) {
        self.init(rawValue: name)
    }

    /// The name adapter JSON uses for this handshake.
    public var name: String { rawValue }

    /// The body to answer `query` with, status `200` (send it as `text/plain`). Throws
    /// `.handshakeRejected` (`403`) unless the mode is `subscribe`, a challenge is present and the
    /// verify token equals one of `verifyTokens` (compared in constant time), and `.secretMissing`
    /// (`500`) when no verify token is configured.
    public func challengeResponse(query: QueryParameters, verifyTokens: [String]) throws(WebhookVerificationError) -> String {
        switch self {
        case .metaHubChallenge:
            let tokens = verifyTokens.filter { !$0.isEmpty }
            guard !tokens.isEmpty else { throw .secretMissing(scheme: name) }
            guard query["hub.mode"] == "subscribe",
                  let presented = query["hub.verify_token"],
                  let challenge = query["hub.challenge"], !challenge.isEmpty else {
                throw .handshakeRejected
            }
            var matched = false
            for token in tokens {
                matched = ConstantTime.equals(Array(presented.utf8), Array(token.utf8)) || matched
            }
            guard matched else { throw .handshakeRejected }
            return challenge
        }
    }
}
