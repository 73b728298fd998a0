// MARK: - Values

extension TemplateFilter {
    /// `default`: `fallback` when the input is nil, false (unless `allow_false: true`), or empty.
    static func defaultValue(_ input: TemplateValue, _ fallback: TemplateValue, allowFalse: Bool) -> TemplateValue {
        switch input {
        case .null: fallback
        case .bool(false): allowFalse ? input : fallback
        default: input.isEmpty ? fallback : input
        }
    }

    /// `size`: characters of a string, elements of an array, members of an object, else 0.
    static func size(_ input: TemplateValue) -> TemplateValue {
        switch input {
        case .string(let string): .int(Int64(string.count))
        case .array(let elements): .int(Int64(elements.count))
        case .object(let members): .int(Int64(members.count))
        default: .int(0)
        }
    }

    /// `first`: an array's first element, or an object's first `[key, value]` pair (in key order).
    static func first(_ input: TemplateValue) -> TemplateValue {
        switch input {
        case .array, .object: TemplateRenderer.member(of: input, "first")
        default: .null
        }
    }

    /// Braze's `property_accessor`: `hash | property_accessor: key`.
    static func property(of input: TemplateValue, _ key: TemplateValue) -> TemplateValue {
        switch key {
        case .int(let index): TemplateRenderer.element(of: input, Int(clamping: index))
        default: TemplateRenderer.member(of: input, key.description)
        }
    }
}

// MARK: - Strings

extension TemplateFilter {
    /// The input as text, changed by `transform`; nil counts as `""`.
    static func mapString(_ input: TemplateValue, _ transform: (String) -> String) -> TemplateValue {
        .string(transform(input.description))
    }

    /// `capitalize`: the first character upper-cased and the rest lower-cased, as Ruby does.
    static func capitalize(_ input: TemplateValue) -> TemplateValue {
        let string = input.description
        guard let first = string.first else { return .string("") }
        return .string(first.uppercased() + string.dropFirst().lowercased())
    }

    /// `string` without ASCII whitespace at the chosen ends.
    static func trim(_ string: String, leading: Bool, trailing: Bool) -> String {
        let utf8 = string.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        if leading {
            while start < end && utf8[start].isASCIIWhitespace { start = utf8.index(after: start) }
        }
        if trailing {
            while end > start && utf8[utf8.index(before: end)].isASCIIWhitespace { end = utf8.index(before: end) }
        }
        return String(string[start..<end])
    }

    enum Occurrence {
        case all, first, last
    }

    /// `replace`, `replace_first`, `replace_last` and the `remove` family. An empty target is
    /// found between every two characters and at both ends, as Ruby finds it.
    static func replace(_ input: TemplateValue, _ target: TemplateValue, _ replacement: TemplateValue, _ which: Occurrence) -> TemplateValue {
        let string = input.description
        let target = target.description
        let replacement = replacement.description
        guard !target.isEmpty else {
            switch which {
            case .all: return .string(replacement + string.map { String($0) + replacement }.joined())
            case .first: return .string(replacement + string)
            case .last: return .string(string + replacement)
            }
        }
        switch which {
        case .all:
            return .string(string.replacing(target, with: replacement))
        case .first:
            guard let range = string.firstRange(of: target) else { return .string(string) }
            return .string(string.replacingCharacters(in: range, with: replacement))
        case .last:
            guard let range = string.ranges(of: target).last else { return .string(string) }
            return .string(string.replacingCharacters(in: range, with: replacement))
        }
    }

    /// `truncate: length, ellipsis`: at most `length` characters (50 when not given) counting the
    /// ellipsis (`...` when not given; a nil one is empty). Characters are whole graphemes, so an
    /// emoji is never split. A length that is not an integer is a problem: the text is returned.
    static func truncate(_ input: TemplateValue, length: TemplateValue?, ellipsis: TemplateValue?, problem: inout String?) -> TemplateValue {
        let string = input.description
        guard let limit = length.map({ strictInteger($0, problem: &problem) }) ?? 50 else { return .string(string) }
        let ellipsis = ellipsis?.description ?? "..."
        guard string.count > limit else { return .string(string) }
        let kept = max(limit - ellipsis.count, 0)
        return .string(String(string.prefix(kept)) + ellipsis)
    }

    /// `truncatewords: count, ellipsis`: the first `count` words (15 when not given, at least 1),
    /// joined by single spaces, then the ellipsis (`...` when not given), if there were more.
    static func truncateWords(_ input: TemplateValue, count: TemplateValue?, ellipsis: TemplateValue?, problem: inout String?) -> TemplateValue {
        let string = input.description
        guard let limit = count.map({ strictInteger($0, problem: &problem) }) ?? 15 else { return .string(string) }
        let words = string.split(whereSeparator: { $0.isWhitespace })
        let kept = max(limit, 1)
        guard words.count > kept else { return .string(string) }
        let ellipsis = ellipsis?.description ?? "..."
        return .string(words.prefix(kept).joined(separator: " ") + ellipsis)
    }

    /// `split: separator`, as Ruby splits: `" "` splits on runs of whitespace, `""` into
    /// characters, and trailing empty pieces are dropped.
    static func split(_ input: TemplateValue, _ separator: TemplateValue) -> TemplateValue {
        let string = input.description
        let separator = separator.description
        let pieces: [Substring]
        switch separator {
        case " ": pieces = string.split(whereSeparator: { $0.isWhitespace })
        case "": pieces = string.map { Substring(String($0)) }
        default: pieces = string.split(separator: separator, omittingEmptySubsequences: false)
        }
        var end = pieces.count
        while end > 0 && pieces[end - 1].isEmpty { end -= 1 }
        return .array(pieces[..<end].map { .string(String($0)) })
    }

    /// `slice: start, length`: characters of a string or elements of an array (length 1 when not
    /// given or nil); a negative start counts from the end; out of range gives `""` or `[]`. A start or
    /// length that is not an integer is a problem: the input is returned.
    static func slice(_ input: TemplateValue, _ start: TemplateValue, _ length: TemplateValue?, problem: inout String?) -> TemplateValue {
        guard let start = strictInteger(start, problem: &problem),
              let length = length.map({ strictInteger($0, problem: &problem) }) ?? 1
        else { return input }
        func bounds(_ count: Int) -> Range<Int>? {
            let lower = start < 0 ? count + start : start
            guard lower >= 0, lower <= count, length >= 0 else { return nil }
            return lower..<(lower + min(length, count - lower))
        }
        if case .array(let elements) = input {
            guard let range = bounds(elements.count) else { return .array([]) }
            return .array(Array(elements[range]))
        }
        let characters = Array(input.description)
        guard let range = bounds(characters.count) else { return .string("") }
        return .string(String(characters[range]))
    }

    /// `strip_newlines`: every `\r` and `\n` removed.
    static func stripNewlines(_ input: TemplateValue) -> TemplateValue {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: input.description.unicodeScalars.lazy.filter { $0 != "\n" && $0 != "\r" })
        return .string(String(scalars))
    }

    /// `newline_to_br`: `<br />` before each line break; `\r\n` counts as one.
    static func newlineToBr(_ input: TemplateValue) -> TemplateValue {
        var result = String.UnicodeScalarView()
        var previousWasCarriageReturn = false
        for scalar in input.description.unicodeScalars {
            if scalar == "\n" {
                if previousWasCarriageReturn { result.removeLast() }
                result.append(contentsOf: "<br />\n".unicodeScalars)
            } else {
                result.append(scalar)
            }
            previousWasCarriageReturn = scalar == "\r"
        }
        return .string(String(result))
    }

    /// `strip_html`: comments, `<script>` and `<style>` elements and every other tag removed.
    static func stripHTML(_ input: TemplateValue) -> TemplateValue {
        let bytes = Array(input.description.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var index = 0
        func hasPrefix(_ prefix: String, at offset: Int) -> Bool {
            let prefix = Array(prefix.utf8)
            guard offset + prefix.count <= bytes.count else { return false }
            return zip(bytes[offset...], prefix).allSatisfy { $0 | 0x20 == $1 | 0x20 }
        }
        func skip(past terminator: String, from offset: Int) -> Int {
            var cursor = offset
            while cursor < bytes.count && !hasPrefix(terminator, at: cursor) { cursor += 1 }
            return min(cursor + terminator.utf8.count, bytes.count)
        }
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "<") else {
                result.append(bytes[index])
                index += 1
                continue
            }
            if hasPrefix("<!--", at: index) {
                index = skip(past: "-->", from: index + 4)
            } else if hasPrefix("<script", at: index) {
                index = skip(past: "</script>", from: index)
            } else if hasPrefix("<style", at: index) {
                index = skip(past: "</style>", from: index)
            } else if let close = bytes[index...].firstIndex(of: UInt8(ascii: ">")) {
                index = close + 1
            } else {
                result.append(contentsOf: bytes[index...])
                break
            }
        }
        return .string(String(decoding: result, as: UTF8.self))
    }

    /// An argument as Liquid's `to_integer` reads it: an integer, or text spelling one (`"3"`),
    /// clamped to ±2^53 so that lengths and offsets built from it cannot overflow. Anything else,
    /// nil and `2.5` included, is a problem and gives nil.
    static func strictInteger(_ value: TemplateValue, problem: inout String?) -> Int? {
        switch value {
        case .int(let value): return clamped(.int(value))
        case .string(let string):
            if let int = Int64(trim(string, leading: true, trailing: true)) { return clamped(.int(int)) }
        default: break
        }
        problem = "expected an integer, not \(value.kindName)"
        return nil
    }
}
