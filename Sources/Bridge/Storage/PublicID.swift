import Signing

/// Public ids for rows shown outside (conversations, messages, cases, webhook-ids): a prefix and 20 random
/// base-32 characters (100 bits), so ids cannot be guessed or enumerated.
enum PublicID {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = Array(prefix.utf8)
        text.reserveCapacity(text.count + 21)
        text.append(UInt8(ascii: "_"))
        // Two 64-bit reads give 20 five-bit characters (one getrandom call each, not one per character).
        for word in [generator.next() as UInt64, generator.next() as UInt64] {
            for shift in stride(from: 0, to: 50, by: 5) { text.append(alphabet[Int((word >> UInt64(shift)) & 31)]) }
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// A secret for a credential (web-chat session tokens, API keys): 256 random bits, base64url.
    static func secret() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<4).flatMap { _ in withUnsafeBytes(of: generator.next() as UInt64) { Array($0) } })
    }
}
