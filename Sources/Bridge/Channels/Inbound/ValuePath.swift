import Templates

/// A path into a provider's request, as adapter files write them:
/// `entry[*].changes[*].value.messages[*]` (select items), `text.body`, `contacts[0].profile.name`,
/// `^.metadata.phone_number_id` (`^` steps out to the object enclosing the item; `^^` two levels),
/// `image|video|audio` (the first of these keys that is present).
public struct ValuePath: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case key([String])   // alternatives, first present wins
        case index(Int)
        case each            // [*]
    }

    let parents: Int
    let segments: [Segment]
    public let description: String

    /// Parses a path; nil when it is malformed.
    public init?(_ text: String) {
        description = text
        var rest = Substring(text)
        var parents = 0
        while rest.hasPrefix("^") {
            parents += 1
            rest = rest.dropFirst()
            if rest.hasPrefix(".") { rest = rest.dropFirst() }
        }
        self.parents = parents
        var segments: [Segment] = []
        var key = ""
        func flushKey() -> Bool {
            guard !key.isEmpty else { return true }
            let alternatives = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard alternatives.allSatisfy({ !$0.isEmpty }) else { return false }
            segments.append(.key(alternatives))
            key = ""
            return true
        }
        var index = rest.startIndex
        while index < rest.endIndex {
            let character = rest[index]
            switch character {
            case ".":
                guard !key.isEmpty || segments.last.map({ if case .key = $0 { false } else { true } }) == true else { return nil }
                guard flushKey() else { return nil }
            case "[":
                guard flushKey(), let close = rest[index...].firstIndex(of: "]") else { return nil }
                let inside = rest[rest.index(after: index)..<close]
                if inside == "*" {
                    segments.append(.each)
                } else if let number = Int(inside), number >= 0 {
                    segments.append(.index(number))
                } else {
                    return nil
                }
                index = close
            default:
                key.append(character)
            }
            index = rest.index(after: index)
        }
        guard flushKey(), !segments.isEmpty || parents > 0 else { return nil }
        self.segments = segments
    }

    /// One value found by `select`, with the objects it sits in (outermost first) for `^`.
    public struct Match: Sendable {
        public var value: TemplateValue
        var enclosing: [TemplateValue]
    }

    /// Every value the path reaches from `root`, expanding `[*]`.
    public func select(in root: TemplateValue) -> [Match] {
        var matches = [Match(value: root, enclosing: [])]
        for segment in segments {
            var next: [Match] = []
            for match in matches {
                switch (segment, match.value) {
                case (.key(let alternatives), .object(let members)):
                    if let found = alternatives.lazy.compactMap({ members[$0] }).first {
                        next.append(Match(value: found, enclosing: match.enclosing + [match.value]))
                    }
                case (.index(let position), .array(let elements)) where position < elements.count:
                    next.append(Match(value: elements[position], enclosing: match.enclosing))
                case (.each, .array(let elements)):
                    next += elements.map { Match(value: $0, enclosing: match.enclosing) }
                default:
                    break
                }
            }
            matches = next
        }
        return matches
    }

    /// The first value the path reaches from an item (after stepping out `^` levels), or nil.
    public func value(in match: Match) -> TemplateValue? {
        var start = match
        if parents > 0 {
            guard parents <= match.enclosing.count else { return nil }
            start = Match(value: match.enclosing[match.enclosing.count - parents],
                          enclosing: Array(match.enclosing.dropLast(parents)))
        }
        return select(in: start.value).first?.value
    }

    /// The value as text for a field: strings as they are, numbers and booleans written out,
    /// null and empty as nil.
    public func text(in match: Match) -> String? {
        switch value(in: match) {
        case nil, .null?: return nil
        case .string(let string)?: return string.isEmpty ? nil : string
        case let other?: return other.description
        }
    }
}
