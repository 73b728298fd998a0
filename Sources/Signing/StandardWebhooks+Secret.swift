extension StandardWebhooks {
    /// An HMAC key, written as `whsec_` followed by standard base64 of the key bytes.
    public struct Secret: Sendable, Equatable, CustomStringConvertible {
        /// The prefix that marks a Standard Webhooks secret.
        public static let prefix = "whsec_"

        /// The raw key bytes.
        public let key: [UInt8]

        /// A secret from raw key bytes.
        public init(key: [UInt8]) {
            self.key = key
        }

        /// Parses `whsec_<base64>`, or bare base64, padded or not, as the reference libraries also
        /// accept; throws `.invalidSecret` unless the base64 is valid and not empty.
        public init(_ encoded: String) throws(StandardWebhooksError) {
            let body = encoded.hasPrefix(Self.prefix) ? String(encoded.dropFirst(Self.prefix.count)) : encoded
            guard let key = Base64Alphabet.standard.decode(body, padding: .optional), !key.isEmpty else {
                throw .invalidSecret
            }
            self.key = key
        }

        /// A fresh secret of `byteCount` random bytes (the specification asks for 24 to 64).
        public static func random(byteCount: Int = 32) -> Secret {
            var generator = SystemRandomNumberGenerator()
            return Secret(key: (0..<byteCount).map { _ in generator.next() })
        }

        /// The secret as `whsec_<base64>`, the form to show the user once and store.
        public var encoded: String {
            Self.prefix + Base64.encode(key)
        }

        /// Redacted: the key never reaches logs through string interpolation.
        public var description: String {
            "StandardWebhooks.Secret(\(key.count) bytes)"
        }
    }
}
