import Foundation

extension StandardWebhooks {
    /// Signs outgoing webhooks with one secret.
    public struct Signer: Sendable {
        /// The secret every signature is made with.
        public let secret: Secret

        /// A signer using `secret`.
        public init(secret: Secret) {
            self.secret = secret
        }

        /// The `webhook-signature` value (`v1,<base64>`) for `body` sent as message `id` at
        /// `timestamp` Unix seconds.
        public func signature(id: String, timestamp: Int64, body: some Sequence<UInt8>) -> String {
            let mac = StandardWebhooks.signature(key: secret.key, id: id, timestamp: String(timestamp), body: body)
            return "\(StandardWebhooks.version),\(Base64.encode(mac))"
        }

        /// The three headers for `body` sent as message `id` at `timestamp` Unix seconds.
        public func sign(id: String, timestamp: Int64, body: some Sequence<UInt8>) -> Headers {
            Headers(id: id, timestamp: String(timestamp), signature: signature(id: id, timestamp: timestamp, body: body))
        }

        /// The three headers for `body` sent as message `id` at `timestamp`, rounded down to whole
        /// seconds.
        public func sign(id: String, timestamp: Date, body: some Sequence<UInt8>) -> Headers {
            sign(id: id, timestamp: StandardWebhooks.unixSeconds(timestamp), body: body)
        }
    }
}
