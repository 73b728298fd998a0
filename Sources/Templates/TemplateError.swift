/// Why a template could not be parsed, or what went wrong while rendering it, and where:
/// `line 3, column 14: unclosed tag 'if'`.
public struct TemplateError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 1-based line of the offending token.
    public let line: Int
    /// 1-based column of the offending token, counted in characters.
    public let column: Int
    /// What is wrong, naming the tag, filter or character involved.
    public let message: String

    /// An error at `line` and `column` (both 1-based).
    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    /// `line 3, column 14: unclosed tag 'if'`.
    public var description: String { "line \(line), column \(column): \(message)" }
}

extension TemplateError {
    /// The error `message` at byte `offset` of the UTF-8 `source`.
    init(_ message: String, at offset: Int, in source: [UInt8]) {
        let end = min(max(offset, 0), source.count)
        var line = 1
        var lineStart = 0
        for index in 0..<end where source[index] == 0x0a {
            line += 1
            lineStart = index + 1
        }
        let column = String(decoding: source[lineStart..<end], as: UTF8.self).count + 1
        self.init(line: line, column: column, message: message)
    }
}
