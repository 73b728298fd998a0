/// A Liquid template, parsed once and rendered many times.
///
/// The language is standard Liquid, measured against the golden-liquid conformance suite
/// (`Tests/TemplatesTests/GoldenLiquidTests.swift` lists where it deliberately differs), plus
/// what Braze adds, so webhook bodies written for Braze work unchanged: `{{ path | filter:
/// argument }}` outputs, Braze's `{{${user_id}}}` and `{{custom_attribute.${name}}}` names, the
/// tags `if`/`elsif`/`else`, `unless`, `case`/`when`, `for` (with `limit:`, `offset:` and
/// `offset: continue`, `reversed`, ranges, `else`, `forloop`, `break`, `continue`), `tablerow`,
/// `cycle`, `increment`, `decrement`, `ifchanged`, `assign`, `capture`, `echo`, `liquid`, `raw`,
/// `comment`, `doc` and `{% # … %}`, Braze's `abort_message`, whitespace control with `-`, and the
/// filters in `TemplateFilter`. Partials (`include`, `render`) only when a template folder is
/// given (`TemplatePartials`).
///
/// ```swift
/// let body = try Template(parsing: #"{"user_id":"{{${user_id}}}","text":"{{ text | json_escape }}"}"#)
/// let json = body.render(["user_id": "u-1", "text": "say \"hi\""])
/// ```
///
/// Parsing reports the first problem with its line and column. Rendering never fails: a missing
/// value renders as nothing, and where Liquid would stop with an error (a filter given a value
/// it cannot use, a division by zero) the render writes something harmless and, through
/// `rendering(_:)`, reports the problem with its line and column.
public struct Template: Sendable {
    /// The text the template was parsed from.
    public let source: String
    let nodes: [TemplateNode]
    // These two fit in one word, so a Template stays four words and is passed in registers.
    /// Bytes of literal text, to size the output buffer.
    private let textLength: Int32
    /// Whether a loop resumes with `offset: continue`.
    private let resumesLoops: Bool

    /// Ranges such as `(1..n)` stop after this many elements, so a value from a message cannot
    /// make one render loop for ever.
    public static let maximumRangeLength = 100_000

    /// Parses `source`, or throws the first problem found with its line and column. With
    /// `partials` (a template folder), `include` and `render` may name them; without, they are
    /// unknown tags.
    public init(parsing source: String, partials: TemplatePartials? = nil) throws(TemplateError) {
        self.source = source
        (nodes, resumesLoops) = try TemplateParser.parse(Array(source.utf8), partials: partials.map(PartialSupport.library) ?? .none)
        textLength = Int32(clamping: Self.textLength(of: nodes))
    }

    /// The template rendered against `context`, usually an object whose members are the
    /// template's top-level variables. A template that calls `abort_message` renders nothing
    /// here, so no half-written message goes out; `rendering(_:)` tells why.
    public func render(_ context: TemplateValue) -> String {
        var renderer = TemplateRenderer(root: context, resumesLoops: resumesLoops, capacity: Int(textLength) + 128)
        return renderer.render(nodes) == .abort ? "" : renderer.output
    }

    /// The template rendered against `context`, with the problems met along the way and whether
    /// it called `abort_message`.
    public func rendering(_ context: TemplateValue) -> TemplateRendering {
        var renderer = TemplateRenderer(root: context, resumesLoops: resumesLoops, capacity: Int(textLength) + 128)
        _ = renderer.render(nodes)
        let problems = renderer.problems
        let bytes = problems.isEmpty ? [] : Array(source.utf8)
        return TemplateRendering(output: renderer.output, problems: problems.map { problem in
            TemplateError(problem.message, at: problem.offset, in: problem.source.map { Array($0.utf8) } ?? bytes)
        }, abortReason: renderer.abortReason)
    }

    private static func textLength(of nodes: [TemplateNode]) -> Int {
        nodes.reduce(0) { total, node in
            if case .text(let text) = node { total + text.utf8.count } else { total + 16 }
        }
    }
}

/// One render's output, the problems it met (rendering never stops for them), and whether the
/// template called Braze's `abort_message`.
public struct TemplateRendering: Sendable, Equatable {
    /// The rendered text; after an abort, what was rendered before it.
    public var output: String
    /// Where Liquid would have stopped with an error, in order, each with its line and column:
    /// `divided_by: 0`, `slice: "x"`, comparing a string with a number. Each rendered something
    /// harmless instead (nil, or the value unchanged).
    public var problems: [TemplateError]
    /// The reason given to `abort_message("…")`, `""` when it gave none; nil when the template did
    /// not abort. An aborted message is not to be sent.
    public var abortReason: String?

    /// Whether the template called `abort_message`.
    public var isAborted: Bool { abortReason != nil }
}
