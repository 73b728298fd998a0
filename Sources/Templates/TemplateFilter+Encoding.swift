import Signing

extension TemplateFilter {
    // MARK: - JSON and HTML

    /// Braze's `json_escape`: the text made safe inside a JSON string literal, without adding
    /// quotes, so `"{{ x | json_escape }}"` is always a valid JSON string.
    static func jsonEscape(_ input: TemplateValue) -> TemplateValue {
        var output = ""
        JSONEscaping.append(input.description, to: &output)
        return .string(output)
    }

    /// `escape` (`&`, `<`, `>`, `"`, `'` as entities) and `escape_once`, which leaves existing
    /// entities such as `&amp;` or `&#39;` alone. Nil stays nil.
    static func escapeHTML(_ input: TemplateValue, once: Bool) -> TemplateValue {
        if case .null = input { return input }
        let bytes = Array(input.description.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + bytes.count / 8)
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: "&"):
                result.append(contentsOf: once && isEntity(bytes, at: index) ? [byte] : Array("&amp;".utf8))
            case UInt8(ascii: "<"): result.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): result.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): result.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): result.append(contentsOf: "&#39;".utf8)
            default: result.append(byte)
            }
        }
        return .string(String(decoding: result, as: UTF8.self))
    }

    /// Whether `&name;`, `&#123;` or `&#x1F;` starts at `index`.
    private static func isEntity(_ bytes: [UInt8], at index: Int) -> Bool {
        var cursor = index + 1
        var hex = false
        if cursor < bytes.count && bytes[cursor] == UInt8(ascii: "#") {
            cursor += 1
            if cursor < bytes.count && (bytes[cursor] | 0x20) == UInt8(ascii: "x") {
                hex = true
                cursor += 1
            }
        }
        let start = cursor
        while cursor < bytes.count {
            let byte = bytes[cursor]
            let letter = (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z")
            guard byte.isDigit || (letter && (hex ? (byte | 0x20) <= UInt8(ascii: "f") : true)) else { break }
            cursor += 1
        }
        return cursor > start && cursor < bytes.count && bytes[cursor] == UInt8(ascii: ";")
    }

    // MARK: - URLs

    enum URLCharacters {
        /// RFC 3986 unreserved: letters, digits, `-`, `.`, `_`, `~`.
        case unreserved
        /// Unreserved plus the reserved delimiters `!*'();:@&=+$,/?#[]`, as `url_escape` keeps.
        case unreservedAndReserved

        func keeps(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                return true
            case UInt8(ascii: "!"), UInt8(ascii: "*"), UInt8(ascii: "'"), UInt8(ascii: "("), UInt8(ascii: ")"),
                UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "@"), UInt8(ascii: "&"), UInt8(ascii: "="),
                UInt8(ascii: "+"), UInt8(ascii: "$"), UInt8(ascii: ","), UInt8(ascii: "/"), UInt8(ascii: "?"),
                UInt8(ascii: "#"), UInt8(ascii: "["), UInt8(ascii: "]"):
                return self == .unreservedAndReserved
            default:
                return false
            }
        }
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    /// `url_encode` (form style, space as `+`), `url_param_escape` (space as `%20`) and
    /// `url_escape` (keeps URL delimiters): every other byte of the UTF-8 text as `%XX`.
    static func percentEncode(_ input: TemplateValue, keeping characters: URLCharacters, spaceAsPlus: Bool) -> TemplateValue {
        if case .null = input { return input }
        var result: [UInt8] = []
        for byte in input.description.utf8 {
            if characters.keeps(byte) {
                result.append(byte)
            } else if byte == UInt8(ascii: " ") && spaceAsPlus {
                result.append(UInt8(ascii: "+"))
            } else {
                result.append(contentsOf: [UInt8(ascii: "%"), upperHexDigits[Int(byte >> 4)], upperHexDigits[Int(byte & 0x0f)]])
            }
        }
        return .string(String(decoding: result, as: UTF8.self))
    }

    /// `url_decode`: `+` as space and `%XX` as its byte; a malformed escape stays as written.
    static func urlDecode(_ input: TemplateValue) -> TemplateValue {
        if case .null = input { return input }
        let bytes = Array(input.description.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2])
            {
                result.append(high << 4 | low)
                index += 3
                continue
            }
            result.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            index += 1
        }
        return .string(String(decoding: result, as: UTF8.self))
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    // MARK: - Base64 and digests

    /// `base64_encode` of the UTF-8 text.
    static func base64Encode(_ input: TemplateValue) -> TemplateValue {
        .string(Base64.encode(input.description.utf8))
    }

    /// `base64_url_safe_encode`: the URL-safe alphabet (`-` and `_`), padded with `=`.
    static func base64URLSafeEncode(_ input: TemplateValue) -> TemplateValue {
        var text = Base64URL.encode(input.description.utf8)
        let remainder = text.utf8.count % 4
        if remainder != 0 { text += String(repeating: "=", count: 4 - remainder) }
        return .string(text)
    }

    /// `base64_decode` (standard alphabet) and `base64_url_safe_decode` to text, missing padding
    /// tolerated; text that is not base64 is a problem and gives nil.
    static func base64Decode(_ input: TemplateValue, urlSafe: Bool, problem: inout String?) -> TemplateValue {
        var text = trim(input.description, leading: true, trailing: true)
        let bytes: [UInt8]?
        if urlSafe {
            bytes = Base64URL.decode(text)
        } else {
            let remainder = text.utf8.count % 4
            if remainder != 0 { text += String(repeating: "=", count: 4 - remainder) }
            bytes = Base64.decode(text)
        }
        guard let bytes else {
            problem = "invalid base64"
            return .null
        }
        return .string(String(decoding: bytes, as: UTF8.self))
    }

    /// `sha1` and Braze's `sha2` (SHA-256): the lowercase hex digest of the UTF-8 text.
    static func digest<H: HashFunction>(_ input: TemplateValue, _: H.Type) -> TemplateValue {
        .string(Hex.encode(H.hash(input.description)))
    }

    /// `hmac_sha1`, `hmac_sha256` (hex) and their `_base64` forms, keyed with the argument's text.
    static func hmac<H: HashFunction>(_ input: TemplateValue, key: TemplateValue, _: H.Type, base64: Bool) -> TemplateValue {
        let code = HMAC<H>.authenticationCode(for: input.description, key: Array(key.description.utf8))
        return .string(base64 ? Base64.encode(code) : Hex.encode(code))
    }
}
