/// A Liquid template, parsed once and rendered many times.
///
/// The language is the subset of Liquid that Braze documents, so webhook bodies written for Braze
/// work unchanged: `{{ path | filter: argument }}` outputs, Braze's `{{${user_id}}}` and
/// `{{custom_attribute.${name}}}` names, the tags `if`/`elsif`/`else`, `unless`, `case`/`when`,
/// `for` (with `limit:`, `offset:`, `reversed`, ranges, `else`, `forloop`, `break`, `continue`),
/// `assign`, `capture`, `echo`, `raw`, `comment` and `{% # … %}`, whitespace control with `-`,
/// and the filters in `TemplateFilter`.
///
/// ```swift
/// let body = try Template(parsing: #"{"user_id":"{{${user_id}}}","text":"{{ text | json_escape }}"}"#)
/// let json = body.render(["user_id": "u-1", "text": "say \"hi\""])
/// ```
///
/// Parsing reports the first problem with its line and column. Rendering never fails: a missing
/// value renders as nothing, and a filter given a value it cannot use returns something harmless.
public struct Template: Sendable {
    /// The text the template was parsed from.
    public let source: String
    let nodes: [TemplateNode]
    /// Bytes of literal text, to size the output buffer.
    private let textLength: Int

    /// Ranges such as `(1..n)` stop after this many elements, so a value from a message cannot
    /// make one render loop for ever.
    public static let maximumRangeLength = 100_000

    /// Parses `source`, or throws the first problem found with its line and column.
    public init(parsing source: String) throws(TemplateError) {
        self.source = source
        nodes = try TemplateParser.parse(Array(source.utf8))
        textLength = Self.textLength(of: nodes)
    }

    /// The template rendered against `context`, usually an object whose members are the
    /// template's top-level variables.
    public func render(_ context: TemplateValue) -> String {
        var renderer = TemplateRenderer(root: context, capacity: textLength + 128)
        _ = renderer.render(nodes)
        return renderer.output
    }

    private static func textLength(of nodes: [TemplateNode]) -> Int {
        nodes.reduce(0) { total, node in
            if case .text(let text) = node { total + text.utf8.count } else { total + 16 }
        }
    }
}
