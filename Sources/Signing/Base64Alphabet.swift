/// One of the two RFC 4648 base64 alphabets, with the codec both share.
///
/// Decoding is strict: only alphabet characters, `=` only as the final one or two characters of a
/// length that is a multiple of four, and the unused low bits of the last character must be zero
/// (RFC 4648 §3.5), so every byte string has exactly one accepted spelling per padding choice.
struct Base64Alphabet: Sendable {
    /// Whether `=` padding must appear when decoding, or may be left out.
    enum Padding: Sendable {
        case required
        case optional
    }

    /// The 64 characters, by value.
    let characters: [UInt8]
    /// Character to value, or `0xff` for characters outside the alphabet.
    let values: [UInt8]

    init(_ characters: String) {
        self.characters = Array(characters.utf8)
        var values = [UInt8](repeating: 0xff, count: 256)
        for (value, character) in self.characters.enumerated() {
            values[Int(character)] = UInt8(value)
        }
        self.values = values
    }

    /// RFC 4648 §4.
    static let standard = Base64Alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    /// RFC 4648 §5: URL and filename safe.
    static let url = Base64Alphabet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    // MARK: - Encoding

    func encode(_ bytes: some Sequence<UInt8>, padded: Bool) -> String {
        let input = Array(bytes)
        var out: [UInt8] = []
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= input.count {
            let group = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
            out.append(characters[Int(group >> 18 & 0x3f)])
            out.append(characters[Int(group >> 12 & 0x3f)])
            out.append(characters[Int(group >> 6 & 0x3f)])
            out.append(characters[Int(group & 0x3f)])
            i += 3
        }
        switch input.count - i {
        case 1:
            let group = UInt32(input[i]) << 16
            out.append(characters[Int(group >> 18 & 0x3f)])
            out.append(characters[Int(group >> 12 & 0x3f)])
            if padded { out += [UInt8(ascii: "="), UInt8(ascii: "=")] }
        case 2:
            let group = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8
            out.append(characters[Int(group >> 18 & 0x3f)])
            out.append(characters[Int(group >> 12 & 0x3f)])
            out.append(characters[Int(group >> 6 & 0x3f)])
            if padded { out.append(UInt8(ascii: "=")) }
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: - Decoding

    func decode(_ string: String, padding: Padding) -> [UInt8]? {
        let input = Array(string.utf8)
        var padCount = 0
        while padCount < input.count, input[input.count - 1 - padCount] == UInt8(ascii: "=") {
            padCount += 1
        }
        if padCount > 0 || padding == .required {
            guard input.count.isMultiple(of: 4), padCount <= 2 else { return nil }
        }
        let dataCount = input.count - padCount
        guard dataCount % 4 != 1 else { return nil }

        var out: [UInt8] = []
        out.reserveCapacity(dataCount / 4 * 3 + 2)
        var group: UInt32 = 0
        for (index, character) in input[0..<dataCount].enumerated() {
            let value = values[Int(character)]
            guard value != 0xff else { return nil }
            group = group << 6 | UInt32(value)
            if index % 4 == 3 {
                out.append(UInt8(truncatingIfNeeded: group >> 16))
                out.append(UInt8(truncatingIfNeeded: group >> 8))
                out.append(UInt8(truncatingIfNeeded: group))
                group = 0
            }
        }
        switch dataCount % 4 {
        case 2:
            // 12 bits: one byte and four bits that must be zero.
            guard group & 0x0f == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: group >> 4))
        case 3:
            // 18 bits: two bytes and two bits that must be zero.
            guard group & 0x03 == 0 else { return nil }
            out.append(UInt8(truncatingIfNeeded: group >> 10))
            out.append(UInt8(truncatingIfNeeded: group >> 2))
        default:
            break
        }
        return out
    }
}
