/// Byte classes from RFC 9110 §5.6.2 (tokens) and §5.5 (field values).
enum HTTPTokens {
    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static let tokenTable: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { table[Int(c)] = true }
        return table
    }()

    @inline(__always) static func isTokenByte(_ b: UInt8) -> Bool { tokenTable[Int(b)] }

    /// field-vchar / SP / HTAB, obs-text allowed; every other control byte is not.
    @inline(__always) static func isFieldValueByte(_ b: UInt8) -> Bool { b == 0x09 || (b >= 0x20 && b != 0x7F) }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always) static func isAlphaNumeric(_ b: UInt8) -> Bool {
        isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A)
    }
}

/// The header names the parser itself interprets.
enum HeaderName {
    case contentLength, transferEncoding, host, connection, expect, other

    private static let known: [([UInt8], HeaderName)] = [
        (Array("content-length".utf8), .contentLength),
        (Array("transfer-encoding".utf8), .transferEncoding),
        (Array("host".utf8), .host),
        (Array("connection".utf8), .connection),
        (Array("expect".utf8), .expect),
    ]

    /// Classifies `buffer[range]` case-insensitively.
    static func classify(_ buffer: [UInt8], _ range: Range<Int>) -> HeaderName {
        for (name, kind) in known where name.count == range.count {
            var equal = true
            var j = range.lowerBound
            for b in name {
                if buffer[j] | 0x20 != b { equal = false; break }
                j += 1
            }
            if equal { return kind }
        }
        return .other
    }
}
