extension StandardWebhooks {
    /// The three header values that accompany a signed webhook.
    public struct Headers: Sendable, Equatable {
        /// The `webhook-id` value.
        public let id: String
        /// The `webhook-timestamp` value: integer Unix seconds.
        public let timestamp: String
        /// The `webhook-signature` value: `v1,<base64>`.
        public let signature: String

        /// A header set from its three values.
        public init(id: String, timestamp: String, signature: String) {
            self.id = id
            self.timestamp = timestamp
            self.signature = signature
        }

        /// The headers keyed by their lowercase names.
        public var fields: [String: String] {
            [
                StandardWebhooks.idHeader: id,
                StandardWebhooks.timestampHeader: timestamp,
                StandardWebhooks.signatureHeader: signature,
            ]
        }
    }
}
