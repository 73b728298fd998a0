import Foundation
import Templates

/// A rule that reads attributes out of what users write: a regular expression whose named
/// groups are attribute names (`(?<order_id>\d{6,10})`). Writes carry the source `rule:<id>`.
public struct ExtractionRule: Sendable {
    /// What the rule reads.
    public enum Input: String, Sendable {
        /// The text of a user message.
        case message
        /// The payload of a button or quick reply the user pressed.
        case postback
    }

    /// What the captured text becomes.
    public enum ValueType: String, Sendable {
        case string, number, boolean
    }

    public let id: String
    public let input: Input
    public let type: ValueType
    /// ICU does not allow `_` in group names, so groups are renamed `g0`, `g1`... and mapped back.
    private let expression: NSRegularExpression
    private let groups: [(group: String, attribute: String)]

    /// The attribute names the rule can write.
    public var attributes: [String] { groups.map(\.attribute) }

    public init(id: String, input: Input = .message, pattern: String, type: ValueType = .string,
                caseSensitive: Bool = false) throws(ConfigurationError) {
        let (rewritten, names) = Self.renameGroups(pattern)
        guard !names.isEmpty else {
            throw ConfigurationError(field: "pattern", "needs at least one named group, such as (?<order_id>\\d{6,10}): its name is the attribute")
        }
        for name in names where name.count > UsersTrack.maxStringLength || name.hasPrefix("alias:") {
            throw ConfigurationError(field: "pattern", "group '\(name)' is not a usable attribute name")
        }
        do {
            expression = try NSRegularExpression(pattern: rewritten, options: caseSensitive ? [] : [.caseInsensitive])
        } catch {
            throw ConfigurationError(field: "pattern", "is not a valid regular expression (ICU syntax)")
        }
        self.id = id
        self.input = input
        self.type = type
        groups = names.enumerated().map { ("g\($0.offset)", $0.element) }
    }

    /// The attributes the first match in `text` gives (groups that did not take part are left out).
    public func extract(from text: String) -> [(name: String, value: TemplateValue)] {
        let whole = text as NSString
        guard let match = expression.firstMatch(in: text, range: NSRange(location: 0, length: whole.length)) else { return [] }
        var found: [(String, TemplateValue)] = []
        for (group, attribute) in groups {
            let range = match.range(withName: group)
            guard range.location != NSNotFound else { continue }
            let captured = whole.substring(with: range).trimmingCharacters(in: .whitespaces)
            guard let value = convert(captured) else { continue }
            found.append((attribute, value))
        }
        return found
    }

    private func convert(_ text: String) -> TemplateValue? {
        switch type {
        case .string:
            return text.isEmpty ? nil : .string(String(text.prefix(UsersTrack.maxStringLength)))
        case .number:
            let normalized = text.replacingOccurrences(of: ",", with: ".")
            if let int = Int64(normalized) { return .int(int) }
            return Double(normalized).flatMap { $0.isFinite ? .double($0) : nil }
        case .boolean:
            switch text.lowercased() {
            case "true", "yes", "y", "1", "oui", "sí", "si", "ja", "sim": return .bool(true)
            case "false", "no", "n", "0", "non", "nein", "não", "nao": return .bool(false)
            default: return nil
            }
        }
    }

    /// `(?<name>` → `(?<gN>`, with the names in order. Escapes and lookbehinds (`(?<=`, `(?<!`)
    /// are left alone.
    static func renameGroups(_ pattern: String) -> (String, [String]) {
        var output = ""
        var names: [String] = []
        var characters = Array(pattern)[...]
        while let character = characters.popFirst() {
            if character == "\\", let next = characters.popFirst() {
                output.append(character)
                output.append(next)
                continue
            }
            if character == "(", characters.starts(with: ["?", "<"]) {
                let rest = characters.dropFirst(2)
                let name = rest.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                if let first = name.first, first.isLetter || first == "_", rest.dropFirst(name.count).first == ">" {
                    output += "(?<g\(names.count)>"
                    names.append(String(name))
                    characters = rest.dropFirst(name.count + 1)
                    continue
                }
            }
            output.append(character)
        }
        return (output, names)
    }
}
