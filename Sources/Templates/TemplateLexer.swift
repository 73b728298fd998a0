/// Splits a template's UTF-8 bytes into text, `{{ output }}` and `{% tag %}` segments.
///
/// Whitespace control is applied here: a `-` just inside a delimiter (`{{-`, `-%}`) strips all
/// whitespace, newlines included, from the neighbouring text on that side. `raw` and `comment`
/// bodies are consumed here too, so the parser never sees their contents.
struct TemplateLexer {
    enum Segment {
        case text(String)
        /// The markup between `{{` and `}}`; `start` is the offset of `{{`.
        case output(markup: Range<Int>, start: Int)
        /// A tag: its name, and the markup after the name; `start` is the offset of `{%`.
        case tag(name: String, markup: Range<Int>, start: Int)
    }

    private let bytes: [UInt8]
    private var position = 0
    private var trimNextText = false
    private var segments: [Segment] = []

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The segments of `bytes`, in order.
    static func segments(of bytes: [UInt8]) throws(TemplateError) -> [Segment] {
        var lexer = TemplateLexer(bytes: bytes)
        try lexer.run()
        return lexer.segments
    }

    // MARK: - Scanning

    private mutating func run() throws(TemplateError) {
        while position < bytes.count {
            let open = nextDelimiter(from: position)
            let trimsBefore = open + 2 < bytes.count && bytes[open + 2] == UInt8(ascii: "-")
            appendText(position..<open, trimEnd: trimsBefore)
            guard open < bytes.count else { break }
            let contentStart = open + (trimsBefore ? 3 : 2)
            if bytes[open + 1] == UInt8(ascii: "{") {
                guard let close = closingDelimiter(UInt8(ascii: "}"), from: contentStart) else {
                    throw TemplateError("unclosed output, expected '}}'", at: open, in: bytes)
                }
                segments.append(.output(markup: contentStart..<close.markupEnd, start: open))
                finish(close)
            } else {
                guard let close = closingDelimiter(UInt8(ascii: "%"), from: contentStart) else {
                    throw TemplateError("unclosed tag, expected '%}'", at: open, in: bytes)
                }
                try tag(open: open, markup: contentStart..<close.markupEnd, close: close)
            }
        }
    }

    private mutating func tag(open: Int, markup: Range<Int>, close: Close) throws(TemplateError) {
        var nameStart = markup.lowerBound
        while nameStart < markup.upperBound && bytes[nameStart].isASCIIWhitespace { nameStart += 1 }
        if nameStart < markup.upperBound && bytes[nameStart] == UInt8(ascii: "#") {
            finish(close)  // {% # inline comment %}
            return
        }
        var nameEnd = nameStart
        while nameEnd < markup.upperBound && bytes[nameEnd].isTagNameByte { nameEnd += 1 }
        guard nameEnd > nameStart else {
            throw TemplateError("missing tag name", at: nameStart, in: bytes)
        }
        let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
        switch name {
        case "raw":
            finish(close)
            guard let end = findTag(named: "endraw", from: position) else {
                throw TemplateError("unclosed tag 'raw'", at: open, in: bytes)
            }
            appendText(position..<end.open, trimEnd: end.trimsBefore)
            finish(end.close)
        case "comment":
            finish(close)
            var depth = 1
            while depth > 0 {
                guard let next = findTag(named: nil, from: position) else {
                    throw TemplateError("unclosed tag 'comment'", at: open, in: bytes)
                }
                if next.name == "comment" { depth += 1 }
                if next.name == "endcomment" { depth -= 1 }
                finish(next.close)
            }
        default:
            segments.append(.tag(name: name, markup: nameEnd..<markup.upperBound, start: open))
            finish(close)
        }
    }

    private mutating func appendText(_ range: Range<Int>, trimEnd: Bool) {
        var start = range.lowerBound
        var end = range.upperBound
        if trimNextText {
            while start < end && bytes[start].isASCIIWhitespace { start += 1 }
        }
        if trimEnd {
            while end > start && bytes[end - 1].isASCIIWhitespace { end -= 1 }
        }
        trimNextText = false
        if start < end {
            segments.append(.text(String(decoding: bytes[start..<end], as: UTF8.self)))
        }
    }

    private mutating func finish(_ close: Close) {
        position = close.end
        trimNextText = close.trimsAfter
    }

    // MARK: - Delimiters

    /// Where a closing `}}` or `%}` was found.
    private struct Close {
        /// Where the markup ends: before the `-` of `-}}`, or before `}}`.
        var markupEnd: Int
        /// Just past the delimiter.
        var end: Int
        var trimsAfter: Bool
    }

    /// The offset of the next `{{` or `{%` at or after `start`, or `bytes.count`.
    private func nextDelimiter(from start: Int) -> Int {
        var index = start
        while index + 1 < bytes.count {
            if bytes[index] == UInt8(ascii: "{") {
                let next = bytes[index + 1]
                if next == UInt8(ascii: "{") || next == UInt8(ascii: "%") { return index }
            }
            index += 1
        }
        return bytes.count
    }

    /// The closing `}}` (first byte `}`) or `%}` (first byte `%`), skipping quoted strings and
    /// Braze's `${name}`, whose `}` belongs to the name: `{{${user_id}}}` closes at the last two.
    private func closingDelimiter(_ first: UInt8, from start: Int) -> Close? {
        closingDelimiter(first, from: start, skippingQuotes: true) ?? closingDelimiter(first, from: start, skippingQuotes: false)
    }

    /// The closing delimiter, skipping quotes and `${…}` if asked; without skipping, a stray quote
    /// or `${` still closes where it should and the markup parser names the real problem.
    private func closingDelimiter(_ first: UInt8, from start: Int, skippingQuotes: Bool) -> Close? {
        var index = start
        while index + 1 < bytes.count {
            let byte = bytes[index]
            if skippingQuotes, byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'"),
                let quote = bytes[(index + 1)...].firstIndex(of: byte)
            {
                index = quote + 1
                continue
            }
            if skippingQuotes, byte == UInt8(ascii: "$") && bytes[index + 1] == UInt8(ascii: "{"),
                let brace = bytes[(index + 2)...].firstIndex(of: UInt8(ascii: "}"))
            {
                index = brace + 1
                continue
            }
            if byte == first && bytes[index + 1] == UInt8(ascii: "}") {
                let trims = index > start && bytes[index - 1] == UInt8(ascii: "-")
                return Close(markupEnd: trims ? index - 1 : index, end: index + 2, trimsAfter: trims)
            }
            index += 1
        }
        return nil
    }

    /// The next tag at or after `start` (named `name`, or any when `name` is nil), without
    /// interpreting anything in between.
    private func findTag(named name: String?, from start: Int) -> (name: String, open: Int, trimsBefore: Bool, close: Close)? {
        var index = start
        while true {
            let open = nextDelimiter(from: index)
            guard open < bytes.count else { return nil }
            index = open + 2
            guard bytes[open + 1] == UInt8(ascii: "%") else { continue }
            let trimsBefore = index < bytes.count && bytes[index] == UInt8(ascii: "-")
            var nameStart = trimsBefore ? index + 1 : index
            while nameStart < bytes.count && bytes[nameStart].isASCIIWhitespace { nameStart += 1 }
            var nameEnd = nameStart
            while nameEnd < bytes.count && bytes[nameEnd].isTagNameByte { nameEnd += 1 }
            let found = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
            guard name == nil || found == name, let close = closingDelimiter(UInt8(ascii: "%"), from: nameEnd) else {
                continue
            }
            return (found, open, trimsBefore, close)
        }
    }
}

extension UInt8 {
    /// A byte of an identifier: ASCII letter, digit, `_`, `-`, or any non-ASCII byte.
    var isIdentifierByte: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), 0x80...:
            true
        default:
            false
        }
    }

    /// A byte of a tag name: ASCII letter, digit or `_`.
    var isTagNameByte: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}
