/// Splits a template's UTF-8 bytes into text, `{{ output }}` and `{% tag %}` segments.
///
/// Whitespace control is applied here: a `-` just inside a delimiter (`{{-`, `-%}`) strips all
/// whitespace, newlines included, from the neighbouring text on that side. The bodies of `raw`,
/// `comment`, `doc` and `{% # … %}` are consumed here too, so the parser never sees their
/// contents, and the lines of a `{% liquid %}` tag become tags of their own.
struct TemplateLexer {
    enum Segment {
        case text(String)
        /// The body of `{% raw %}`: text, but never the whitespace a blank block drops.
        case raw(String)
        /// The markup between `{{` and `}}`; `start` is the offset of `{{`.
        case output(markup: Range<Int>, start: Int)
        /// A tag: its name, and the markup after the name; `start` is the offset of `{%`.
        case tag(name: String, markup: Range<Int>, start: Int)
        /// The lines of one `{% liquid %}` tag, each a tag; they open and close their own blocks.
        case liquid([Segment], start: Int)
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
                // An inline comment ends at the first `%}`: its quotes are prose, not strings.
                let isComment = firstNonWhitespace(from: contentStart) == UInt8(ascii: "#")
                guard let close = isComment ? plainClose(UInt8(ascii: "%"), from: contentStart)
                    : closingDelimiter(UInt8(ascii: "%"), from: contentStart)
                else {
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
            try Self.checkInlineComment(bytes, nameStart..<markup.upperBound)
            finish(close)
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
            guard let end = findTag(from: position, .everyOpening, where: { name, _ in name == "endraw" }) else {
                throw TemplateError("unclosed tag 'raw'", at: open, in: bytes)
            }
            appendText(position..<end.open, trimEnd: end.trimsBefore, raw: true)
            finish(end.close)
        case "comment":
            finish(close)
            try skipComment(opened: open)
        case "doc":
            try expectNoArguments("doc", nameEnd..<markup.upperBound)
            finish(close)
            var nested: Int?
            guard let end = findTag(from: position, .everyOpening, where: { name, open in
                if name == "doc" { nested = open }
                return name == "enddoc" || name == "doc"
            }) else {
                throw TemplateError("unclosed tag 'doc'", at: open, in: bytes)
            }
            if let nested { throw TemplateError("'doc' inside 'doc'", at: nested, in: bytes) }
            finish(end.close)
        case "liquid":
            segments.append(.liquid(try Self.liquidLines(bytes, nameEnd..<markup.upperBound), start: open))
            finish(close)
        default:
            segments.append(.tag(name: name, markup: nameEnd..<markup.upperBound, start: open))
            finish(close)
        }
    }

    /// Skips a comment body: nested `comment` tags count, and `raw` bodies are not looked into.
    private mutating func skipComment(opened open: Int) throws(TemplateError) {
        var depth = 1
        while depth > 0 {
            guard let next = findTag(from: position, .tokens, where: { _, _ in true }) else {
                throw TemplateError("unclosed tag 'comment'", at: open, in: bytes)
            }
            finish(next.close)
            switch next.name {
            case "comment": depth += 1
            case "endcomment": depth -= 1
            case "raw":
                guard let end = findTag(from: position, .everyOpening, where: { name, _ in name == "endraw" }) else {
                    throw TemplateError("unclosed tag 'raw'", at: next.open, in: bytes)
                }
                finish(end.close)
            default: break
            }
        }
    }

    private func expectNoArguments(_ name: String, _ markup: Range<Int>) throws(TemplateError) {
        if let extra = markup.first(where: { !bytes[$0].isASCIIWhitespace }) {
            throw TemplateError("'\(name)' takes no arguments", at: extra, in: bytes)
        }
    }

    /// Every line of an inline comment is a comment: it starts with `#`.
    private static func checkInlineComment(_ bytes: [UInt8], _ markup: Range<Int>) throws(TemplateError) {
        var lineStart = true
        for index in markup {
            let byte = bytes[index]
            if byte == 0x0a {
                lineStart = true
            } else if lineStart && !byte.isASCIIWhitespace {
                guard byte == UInt8(ascii: "#") else {
                    throw TemplateError("every line of an inline comment starts with '#'", at: index, in: bytes)
                }
                lineStart = false
            }
        }
    }

    private mutating func appendText(_ range: Range<Int>, trimEnd: Bool, raw: Bool = false) {
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
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            segments.append(raw ? .raw(text) : .text(text))
        }
    }

    private mutating func finish(_ close: Close) {
        position = close.end
        trimNextText = close.trimsAfter
    }

    // MARK: - The liquid tag

    /// The tags of a `{% liquid %}` tag's markup, one per line (`\n`); blank lines and `#` lines
    /// are skipped, `comment` … `endcomment` lines too, and a `liquid` line nests.
    private static func liquidLines(_ bytes: [UInt8], _ markup: Range<Int>) throws(TemplateError) -> [Segment] {
        var segments: [Segment] = []
        var commentDepth = 0
        var commentStart = 0
        var lineStart = markup.lowerBound
        while lineStart < markup.upperBound {
            var lineEnd = lineStart
            while lineEnd < markup.upperBound && bytes[lineEnd] != 0x0a { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var nameStart = lineStart
            while nameStart < lineEnd && bytes[nameStart].isASCIIWhitespace { nameStart += 1 }
            guard nameStart < lineEnd, bytes[nameStart] != UInt8(ascii: "#") else { continue }
            var nameEnd = nameStart
            while nameEnd < lineEnd && bytes[nameEnd].isTagNameByte { nameEnd += 1 }
            guard nameEnd > nameStart else {
                throw TemplateError("missing tag name", at: nameStart, in: bytes)
            }
            let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
            if commentDepth > 0 || name == "comment" {
                if name == "comment" {
                    if commentDepth == 0 { commentStart = nameStart }
                    commentDepth += 1
                }
                if name == "endcomment" { commentDepth -= 1 }
                continue
            }
            switch name {
            case "liquid":
                segments.append(.liquid(try liquidLines(bytes, nameEnd..<lineEnd), start: nameStart))
            case "raw", "doc":
                throw TemplateError("'\(name)' cannot be used inside 'liquid'", at: nameStart, in: bytes)
            default:
                segments.append(.tag(name: name, markup: nameEnd..<lineEnd, start: nameStart))
            }
        }
        if commentDepth > 0 {
            throw TemplateError("unclosed tag 'comment'", at: commentStart, in: bytes)
        }
        return segments
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

    private func firstNonWhitespace(from start: Int) -> UInt8? {
        var index = start
        while index < bytes.count && bytes[index].isASCIIWhitespace { index += 1 }
        return index < bytes.count ? bytes[index] : nil
    }

    /// The closing `}}` (first byte `}`) or `%}` (first byte `%`), skipping quoted strings and
    /// Braze's `${name}`, whose `}` belongs to the name: `{{${user_id}}}` closes at the last two.
    private func closingDelimiter(_ first: UInt8, from start: Int) -> Close? {
        closingDelimiter(first, from: start, skippingQuotes: true) ?? plainClose(first, from: start)
    }

    /// The first closing delimiter, quotes or not: where a stray quote or `${` still closes, so
    /// the markup parser names the real problem.
    private func plainClose(_ first: UInt8, from start: Int) -> Close? {
        closingDelimiter(first, from: start, skippingQuotes: false)
    }

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

    /// How `findTag` walks a body it does not interpret.
    private enum TagScan {
        /// Every `{%` may start the tag looked for (`raw`, `doc`): a stray `{%` before it is text.
        case everyOpening
        /// Tag by tag (`comment`), each running to its first `%}`, so a half-written tag swallows
        /// what follows it, as Liquid's tokenizer reads it.
        case tokens
    }

    /// The next `{% tag %}` at or after `start` that `accept`s its name and offset; `{{` is plain
    /// text here.
    private func findTag(from start: Int, _ scan: TagScan, where accept: (String, Int) -> Bool) -> (name: String, open: Int, trimsBefore: Bool, close: Close)? {
        var index = start
        while index + 1 < bytes.count {
            guard bytes[index] == UInt8(ascii: "{"), bytes[index + 1] == UInt8(ascii: "%") else {
                index += 1
                continue
            }
            let open = index
            let trimsBefore = open + 2 < bytes.count && bytes[open + 2] == UInt8(ascii: "-")
            var nameStart = trimsBefore ? open + 3 : open + 2
            while nameStart < bytes.count && bytes[nameStart].isASCIIWhitespace { nameStart += 1 }
            var nameEnd = nameStart
            while nameEnd < bytes.count && bytes[nameEnd].isTagNameByte { nameEnd += 1 }
            guard let close = plainClose(UInt8(ascii: "%"), from: nameEnd) else { return nil }
            let name = String(decoding: bytes[nameStart..<nameEnd], as: UTF8.self)
            if accept(name, open) { return (name, open, trimsBefore, close) }
            index = scan == .tokens ? close.end : open + 2
        }
        return nil
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
