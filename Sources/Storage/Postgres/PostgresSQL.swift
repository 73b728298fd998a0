/// The rewrites SQL needs on its way to PostgreSQL: SQLite-style placeholders (`?`, `?NNN`)
/// become PostgreSQL's `$N`, and SQLite's planner hint `INDEXED BY name` is dropped (PostgreSQL
/// plans without hints). String literals, quoted identifiers and comments are left alone.
enum PostgresSQL {
    /// The rewritten text and the number of parameters it takes.
    static func numberingPlaceholders(_ sql: String) -> (text: String, parameterCount: Int) {
        let bytes = Array(sql.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var highest = 0
        var index = 0
        func copy(until end: Int) {
            let stop = min(end, bytes.count)
            out.append(contentsOf: bytes[index..<stop])
            index = stop
        }
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "'"), UInt8(ascii: "\""):
                // A quoted literal or identifier; a doubled quote inside it is an escaped quote.
                var end = index + 1
                while end < bytes.count {
                    if bytes[end] == byte {
                        if end + 1 < bytes.count, bytes[end + 1] == byte { end += 2; continue }
                        break
                    }
                    end += 1
                }
                copy(until: end + 1)
            case UInt8(ascii: "-") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "-"):
                var end = index
                while end < bytes.count, bytes[end] != UInt8(ascii: "\n") { end += 1 }
                copy(until: end)
            case UInt8(ascii: "/") where index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "*"):
                var end = index + 2
                while end + 1 < bytes.count, !(bytes[end] == UInt8(ascii: "*") && bytes[end + 1] == UInt8(ascii: "/")) { end += 1 }
                copy(until: end + 2)
            case UInt8(ascii: "?"):
                var end = index + 1
                var number = 0
                while end < bytes.count, let digit = Self.digit(bytes[end]) {
                    number = number * 10 + digit
                    end += 1
                }
                // As in SQLite, a bare `?` takes the number after the largest one assigned so far.
                if end == index + 1 { number = highest + 1 }
                highest = max(highest, number)
                out.append(UInt8(ascii: "$"))
                out.append(contentsOf: Array(String(number).utf8))
                index = end
            case UInt8(ascii: "I") where Self.hasPrefix(bytes, at: index, "INDEXED BY "):
                // Drop the hint and the index name after it.
                var end = index + "INDEXED BY ".utf8.count
                while end < bytes.count, bytes[end] == UInt8(ascii: " ") { end += 1 }
                while end < bytes.count, Self.isIdentifier(bytes[end]) { end += 1 }
                index = end
            default:
                out.append(byte)
                index += 1
            }
        }
        return (String(decoding: out, as: UTF8.self), highest)
    }

    private static func hasPrefix(_ bytes: [UInt8], at index: Int, _ prefix: String) -> Bool {
        let word = Array(prefix.utf8)
        guard index + word.count <= bytes.count, index == 0 || !isIdentifier(bytes[index - 1]) else { return false }
        return Array(bytes[index..<(index + word.count)]) == word
    }

    private static func isIdentifier(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") ? Int(byte - UInt8(ascii: "0")) : nil
    }
}
