/// Splits the markup inside `{{ }}` or `{% %}` into tokens, each with its byte offset.
struct MarkupScanner {
    struct Token {
        var kind: Kind
        var offset: Int
        /// Just past the token's last byte.
        var end: Int
    }

    enum Kind: Equatable {
        /// A name: `user`, `first_name`, `has_items?`, `data-id`.
        case identifier(String)
        /// Braze's `${name}`: a name that may hold spaces, never a keyword.
        case bracedName(String)
        case string(String)
        case integer(Int64)
        case double(Double)
        case comparison(ComparisonOperator)
        case dot, dotDot, comma, colon, pipe, equals
        case openBracket, closeBracket, openParen, closeParen
        case end

        /// How an error message names this token.
        var spelling: String {
            switch self {
            case .identifier(let name): "'\(name)'"
            case .bracedName(let name): "'${\(name)}'"
            case .string(let value): "string \"\(value)\""
            case .integer(let value): "'\(value)'"
            case .double(let value): "'\(value)'"
            case .comparison(let op): "'\(op.rawValue)'"
            case .dot: "'.'"
            case .dotDot: "'..'"
            case .comma: "','"
            case .colon: "':'"
            case .pipe: "'|'"
            case .equals: "'='"
            case .openBracket: "'['"
            case .closeBracket: "']'"
            case .openParen: "'('"
            case .closeParen: "')'"
            case .end: "end of markup"
            }
        }
    }

    /// The tokens of `bytes[range]`, ending with `.end` at `range.upperBound`.
    static func tokens(_ bytes: [UInt8], _ range: Range<Int>) throws(TemplateError) -> [Token] {
        var tokens: [Token] = []
        var index = range.lowerBound
        let end = range.upperBound

        func peek(_ offset: Int) -> UInt8? { offset < end ? bytes[offset] : nil }

        while index < end {
            let byte = bytes[index]
            let start = index
            if byte.isASCIIWhitespace {
                index += 1
                continue
            }
            let kind: Kind
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                guard let close = bytes[(index + 1)..<end].firstIndex(of: byte) else {
                    throw TemplateError("unterminated string", at: start, in: bytes)
                }
                kind = .string(String(decoding: bytes[(index + 1)..<close], as: UTF8.self))
                index = close + 1
            case UInt8(ascii: "$") where peek(index + 1) == UInt8(ascii: "{"):
                guard let close = bytes[(index + 2)..<end].firstIndex(of: UInt8(ascii: "}")) else {
                    throw TemplateError("unclosed '${'", at: start, in: bytes)
                }
                var nameStart = index + 2
                var nameEnd = close
                while nameStart < nameEnd && bytes[nameStart].isASCIIWhitespace { nameStart += 1 }
                while nameEnd > nameStart && bytes[nameEnd - 1].isASCIIWhitespace { nameEnd -= 1 }
                guard nameStart < nameEnd else {
                    throw TemplateError("empty '${}'", at: start, in: bytes)
                }
                kind = .bracedName(String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self))
                index = close + 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                var cursor = index + 1
                while let digit = peek(cursor), digit.isDigit { cursor += 1 }
                guard cursor > index + 1 || (peek(index)?.isDigit ?? false) else {
                    throw TemplateError("unexpected character '-'", at: start, in: bytes)
                }
                var isDouble = false
                if peek(cursor) == UInt8(ascii: "."), let next = peek(cursor + 1), next.isDigit {
                    isDouble = true
                    cursor += 2
                    while let digit = peek(cursor), digit.isDigit { cursor += 1 }
                }
                let text = String(decoding: bytes[index..<cursor], as: UTF8.self)
                if !isDouble, let value = Int64(text) {
                    kind = .integer(value)
                } else {
                    kind = .double(Double(text) ?? 0)
                }
                index = cursor
            case UInt8(ascii: "."):
                if peek(index + 1) == UInt8(ascii: ".") {
                    kind = .dotDot
                    index += 2
                } else {
                    kind = .dot
                    index += 1
                }
            case UInt8(ascii: "="), UInt8(ascii: "!"), UInt8(ascii: "<"), UInt8(ascii: ">"):
                let next = peek(index + 1)
                switch (byte, next) {
                case (UInt8(ascii: "="), UInt8(ascii: "=")): kind = .comparison(.equal); index += 2
                case (UInt8(ascii: "!"), UInt8(ascii: "=")), (UInt8(ascii: "<"), UInt8(ascii: ">")):
                    kind = .comparison(.notEqual); index += 2
                case (UInt8(ascii: "<"), UInt8(ascii: "=")): kind = .comparison(.lessOrEqual); index += 2
                case (UInt8(ascii: ">"), UInt8(ascii: "=")): kind = .comparison(.greaterOrEqual); index += 2
                case (UInt8(ascii: "<"), _): kind = .comparison(.less); index += 1
                case (UInt8(ascii: ">"), _): kind = .comparison(.greater); index += 1
                case (UInt8(ascii: "="), _): kind = .equals; index += 1
                default: throw TemplateError("unexpected character '!'", at: start, in: bytes)
                }
            case UInt8(ascii: ","): kind = .comma; index += 1
            case UInt8(ascii: ":"): kind = .colon; index += 1
            case UInt8(ascii: "|"): kind = .pipe; index += 1
            case UInt8(ascii: "["): kind = .openBracket; index += 1
            case UInt8(ascii: "]"): kind = .closeBracket; index += 1
            case UInt8(ascii: "("): kind = .openParen; index += 1
            case UInt8(ascii: ")"): kind = .closeParen; index += 1
            default:
                guard byte.isIdentifierByte else {
                    let character = String(decoding: [byte], as: UTF8.self)
                    throw TemplateError("unexpected character '\(character)'", at: start, in: bytes)
                }
                var cursor = index + 1
                while let next = peek(cursor), next.isIdentifierByte { cursor += 1 }
                if peek(cursor) == UInt8(ascii: "?") { cursor += 1 }
                kind = .identifier(String(decoding: bytes[index..<cursor], as: UTF8.self))
                index = cursor
            }
            tokens.append(Token(kind: kind, offset: start, end: index))
        }
        tokens.append(Token(kind: .end, offset: end, end: end))
        return tokens
    }
}

extension UInt8 {
    var isDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
}
