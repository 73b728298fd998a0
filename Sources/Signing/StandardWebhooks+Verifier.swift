import Foundation

extension StandardWebhooks {
    /// Verifies incoming webhooks against one or more secrets.
    ///
    /// Checks run in this order, each with its own error: all three headers present and non-empty,
    /// the timestamp is decimal Unix seconds, it is within `tolerance` of `now`, and some `v1`
    /// signature in the header matches some secret (compared in constant time). Entries with
    /// another version, such as `v1a,…`, are ignored.
    public struct Verifier: Sendable {
        /// The secrets to accept; several while a secret is being rotated.
        public let secrets: [Secret]
        /// How far the timestamp may be from `now`, either way.
        public let tolerance: Duration

        /// A verifier accepting a signature made with any of `secrets`.
        public init(secrets: [Secret], tolerance: Duration = StandardWebhooks.defaultTolerance) {
            self.secrets = secrets
            self.tolerance = tolerance
        }

        /// A verifier accepting signatures made with `secret`.
        public init(secret: Secret, tolerance: Duration = StandardWebhooks.defaultTolerance) {
            self.init(secrets: [secret], tolerance: tolerance)
        }

        /// Verifies `body` against the three header values (`nil` when absent), at `now`.
        public func verify(id: String?, timestamp: String?, signature: String?, body: some Sequence<UInt8>,
                           now: Date = Date()) throws(StandardWebhooksError) {
            try verify(id: id, timestamp: timestamp, signature: signature, body: body, now: StandardWebhooks.unixSeconds(now))
        }

        /// Verifies `body` against the three header values (`nil` when absent), at `now` Unix seconds.
        public func verify(id: String?, timestamp: String?, signature: String?, body: some Sequence<UInt8>,
                           now: Int64) throws(StandardWebhooksError) {
            guard let id, !id.isEmpty else { throw .missingHeader(StandardWebhooks.idHeader) }
            guard let timestamp, !timestamp.isEmpty else { throw .missingHeader(StandardWebhooks.timestampHeader) }
            guard let signature, !signature.isEmpty else { throw .missingHeader(StandardWebhooks.signatureHeader) }

            guard let sentAt = Self.parseTimestamp(timestamp) else { throw .invalidTimestamp(timestamp) }
            let slack = tolerance.components.seconds
            let (earliest, earliestOverflow) = now.subtractingReportingOverflow(slack)
            let (latest, latestOverflow) = now.addingReportingOverflow(slack)
            if !earliestOverflow, sentAt < earliest { throw .timestampTooOld(timestamp: sentAt, now: now) }
            if !latestOverflow, sentAt > latest { throw .timestampTooNew(timestamp: sentAt, now: now) }

            let presented = Self.signatures(in: signature)
            for secret in secrets {
                let expected = StandardWebhooks.signature(key: secret.key, id: id, timestamp: timestamp, body: body)
                for candidate in presented where ConstantTime.equals(expected, candidate) {
                    return
                }
            }
            throw .noMatchingSignature
        }

        /// Verifies `body` against headers keyed by name, matched case-insensitively, at `now`.
        public func verify(headers: [String: String], body: some Sequence<UInt8>, now: Date = Date()) throws(StandardWebhooksError) {
            try verify(headers: headers, body: body, now: StandardWebhooks.unixSeconds(now))
        }

        /// Verifies `body` against headers keyed by name, matched case-insensitively, at `now` Unix
        /// seconds.
        public func verify(headers: [String: String], body: some Sequence<UInt8>, now: Int64) throws(StandardWebhooksError) {
            func field(_ name: String) -> String? {
                headers[name] ?? headers.first { $0.key.lowercased() == name }?.value
            }
            try verify(id: field(StandardWebhooks.idHeader), timestamp: field(StandardWebhooks.timestampHeader),
                       signature: field(StandardWebhooks.signatureHeader), body: body, now: now)
        }

        // MARK: - Parsing

        /// Decimal digits only (no sign, no whitespace), fitting in `Int64`.
        static func parseTimestamp(_ text: String) -> Int64? {
            guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return nil }
            return Int64(text)
        }

        /// The decoded `v1` signatures in a `webhook-signature` value; other versions and entries
        /// that are not valid base64 are skipped.
        static func signatures(in header: String) -> [[UInt8]] {
            header.split(separator: " ").compactMap { entry in
                guard let comma = entry.firstIndex(of: ","),
                      entry[..<comma] == StandardWebhooks.version[...] else { return nil }
                return Base64.decode(String(entry[entry.index(after: comma)...]))
            }
        }
    }
}
