import Foundation

// MARK: - Reading JSON

extension TemplateValue {
    /// The value of a JSON document (any JSON value at the top, not only objects and arrays).
    ///
    /// Integers that fit in `Int64` stay integers, other numbers become doubles, and `true` and
    /// `false` stay booleans rather than turning into `1` and `0`.
    public init(jsonData: Data) throws {
        let object = try JSONSerialization.jsonObject(with: jsonData, options: [.fragmentsAllowed])
        self.init(jsonObject: object)
    }

    /// The value of an object tree as `JSONSerialization` (or Swift code) builds it: `String`,
    /// `NSNumber` or Swift numbers and `Bool`, `NSNull`, arrays and `[String: Any]` dictionaries.
    /// Anything else becomes `null`.
    public init(jsonObject: Any) {
        // Containers before NSNumber: asking a Swift dictionary or array whether it is an
        // NSNumber bridges it (and everything in it) to Foundation first, which made reading a
        // large body several times slower.
        switch jsonObject {
        case let string as String:
            self = .string(string)
        case let dictionary as [String: Any]:
            self = .object(dictionary.mapValues(TemplateValue.init(jsonObject:)))
        case let array as [Any]:
            self = .array(array.map(TemplateValue.init(jsonObject:)))
        case let value as TemplateValue:
            self = value
        case let number as NSNumber:
            self = Self(number: number)
        default:
            self = .null
        }
    }

    /// A Foundation number by its storage type: `NSNumber(value: true)` is stored as a C `char`,
    /// which JSON never produces for a number, so that is how a boolean is told from `1`.
    private init(number: NSNumber) {
        switch number.objCType.pointee {
        case 0x63, 0x42:  // "c", "B"
            self = .bool(number.boolValue)
        case 0x66, 0x64:  // "f", "d"
            let value = number.doubleValue
            if number is NSDecimalNumber, let int = Int64(exactly: value) {
                self = .int(int)
            } else {
                self = .double(value)
            }
        case 0x51, 0x4c, 0x49:  // "Q", "L", "I": unsigned, may not fit
            let value = number.uint64Value
            self = value <= UInt64(Int64.max) ? .int(Int64(value)) : .double(number.doubleValue)
        default:
            self = .int(number.int64Value)
        }
    }
}

// MARK: - Writing JSON

extension TemplateValue {
    /// Compact JSON text: no whitespace, object keys sorted, strings escaped so the text is also
    /// safe inside a JavaScript string (U+2028 and U+2029 escaped). Non-finite doubles become `null`.
    public var json: String {
        var text = ""
        writeJSON(to: &text)
        return text
    }

    func writeJSON(to output: inout String) {
        switch self {
        case .null: output.append("null")
        case .bool(let value): output.append(value ? "true" : "false")
        case .int(let value): output.append(String(value))
        case .double(let value): output.append(value.isFinite ? value.description : "null")
        case .string(let string):
            output.append("\"")
            JSONEscaping.append(string, to: &output)
            output.append("\"")
        case .array(let elements):
            output.append("[")
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(",") }
                element.writeJSON(to: &output)
            }
            output.append("]")
        case .object(let members):
            output.append("{")
            // Pairs sorted by key: no second lookup per member.
            for (index, member) in members.sorted(by: { $0.key < $1.key }).enumerated() {
                if index > 0 { output.append(",") }
                output.append("\"")
                JSONEscaping.append(member.key, to: &output)
                output.append("\":")
                member.value.writeJSON(to: &output)
            }
            output.append("}")
        }
    }
}

// MARK: - Escaping

/// The body of a JSON string literal (RFC 8259 §7), without the quotes.
enum JSONEscaping {
    /// Appends `string` escaped: `"` and `\` by backslash, control characters as `\n`, `\r`,
    /// `\t`, `\b`, `\f` or `\u00XX`, U+2028 and U+2029 as `\u2028`, `\u2029` (JavaScript
    /// reads them as line breaks), and U+FEFF as `\ufeff` (some decoders drop it when raw).
    static func append(_ string: String, to output: inout String) {
        var contiguous = string
        contiguous.withUTF8 { bytes in
            guard let first = firstEscapeIndex(bytes) else {
                output.append(string)
                return
            }
            var escaped: [UInt8] = []
            escaped.reserveCapacity(bytes.count + 16)
            escaped.append(contentsOf: bytes[..<first])
            var index = first
            while index < bytes.count {
                let byte = bytes[index]
                switch byte {
                case 0x22: escaped.append(contentsOf: [0x5c, 0x22])
                case 0x5c: escaped.append(contentsOf: [0x5c, 0x5c])
                case 0x0a: escaped.append(contentsOf: [0x5c, 0x6e])
                case 0x0d: escaped.append(contentsOf: [0x5c, 0x72])
                case 0x09: escaped.append(contentsOf: [0x5c, 0x74])
                case 0x08: escaped.append(contentsOf: [0x5c, 0x62])
                case 0x0c: escaped.append(contentsOf: [0x5c, 0x66])
                case ..<0x20:
                    escaped.append(contentsOf: Array("\\u00".utf8))
                    escaped.append(hexDigits[Int(byte >> 4)])
                    escaped.append(hexDigits[Int(byte & 0x0f)])
                case 0xe2 where isLineOrParagraphSeparator(bytes, at: index):
                    escaped.append(contentsOf: Array(bytes[index + 2] == 0xa8 ? "\\u2028".utf8 : "\\u2029".utf8))
                    index += 2
                case 0xef where isByteOrderMark(bytes, at: index):
                    escaped.append(contentsOf: Array("\\ufeff".utf8))
                    index += 2
                default:
                    escaped.append(byte)
                }
                index += 1
            }
            output.append(String(decoding: escaped, as: UTF8.self))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private static func firstEscapeIndex(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        for index in bytes.indices {
            let byte = bytes[index]
            if byte < 0x20 || byte == 0x22 || byte == 0x5c { return index }
            if byte == 0xe2 && isLineOrParagraphSeparator(bytes, at: index) { return index }
            if byte == 0xef && isByteOrderMark(bytes, at: index) { return index }
        }
        return nil
    }

    /// Whether U+FEFF (UTF-8 `EF BB BF`) starts at `index`.
    private static func isByteOrderMark(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        index + 2 < bytes.count && bytes[index + 1] == 0xbb && bytes[index + 2] == 0xbf
    }

    /// Whether U+2028 or U+2029 (UTF-8 `E2 80 A8` / `E2 80 A9`) starts at `index`.
    private static func isLineOrParagraphSeparator(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> Bool {
        index + 2 < bytes.count && bytes[index + 1] == 0x80 && (bytes[index + 2] == 0xa8 || bytes[index + 2] == 0xa9)
    }
}
