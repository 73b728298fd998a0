/// Public ids for rows shown outside (conversations, messages, cases): a prefix and 20 random
/// base-32 characters (100 bits), so ids cannot be guessed or enumerated.
enum PublicID {
    private static let alphabet = Array("0123456789abcdefghjkmnpqrstvwxyz".utf8)

    static func make(_ prefix: String) -> String {
        var generator = SystemRandomNumberGenerator()
        var text = Array(prefix.utf8)
        text.append(UInt8(ascii: "_"))
        for _ in 0..<20 { text.append(alphabet[Int(generator.next() % 32)]) }
        return String(decoding: text, as: UTF8.self)
    }
}
