/// One piece of a parsed template, rendered in order.
indirect enum TemplateNode: Sendable {
    /// Literal text, written as is.
    case text(String)
    /// `{{ expression | filters }}` and `{% echo %}`.
    case output(FilteredExpression)
    /// `if`/`elsif`/`else` and `unless`: the first branch whose condition holds renders.
    case conditional(branches: [ConditionalBranch], otherwise: [TemplateNode])
    /// `case`/`when`/`else`: every matching `when` renders; `else` only when none matched.
    case switchCase(subject: TemplateExpression, whens: [WhenBranch], otherwise: [TemplateNode])
    /// `for name in collection`.
    case loop(ForLoop)
    /// `assign name = expression | filters`.
    case assign(name: String, value: FilteredExpression)
    /// `capture name` … `endcapture`.
    case capture(name: String, body: [TemplateNode])
    /// `break` inside a loop.
    case breakLoop
    /// `continue` inside a loop.
    case continueLoop
}

struct ConditionalBranch: Sendable {
    var condition: TemplateCondition
    var body: [TemplateNode]
}

struct WhenBranch: Sendable {
    var values: [TemplateExpression]
    var body: [TemplateNode]
}

struct ForLoop: Sendable {
    var variable: String
    var collection: TemplateExpression
    var limit: TemplateExpression?
    var offset: TemplateExpression?
    var reversed: Bool
    var body: [TemplateNode]
    var otherwise: [TemplateNode]
}

/// A value to compute: a literal, a variable path, a range.
indirect enum TemplateExpression: Sendable {
    case literal(TemplateValue)
    /// A variable and the steps into it: `a.b[0]["c"][d]`.
    case path(root: String, steps: [PathStep])
    /// `(first..last)`, inclusive, of integers.
    case range(TemplateExpression, TemplateExpression)
    /// The `empty` keyword: equal to `""`, `[]` and `{}`.
    case empty
    /// The `blank` keyword: equal to nil, false, empty and whitespace-only strings.
    case blank
}

/// One step of a variable path.
enum PathStep: Sendable {
    /// `.name` or `["name"]`; `size`, `first` and `last` fall back to properties.
    case key(String)
    /// `[2]` or `[-1]`.
    case index(Int)
    /// `[variable]`: the key or index is computed.
    case dynamic(TemplateExpression)
}

/// A condition of `if`, `elsif` and `unless`; `and`/`or` group from the right, as in Liquid.
indirect enum TemplateCondition: Sendable {
    case value(TemplateExpression)
    case comparison(TemplateExpression, ComparisonOperator, TemplateExpression)
    case and(TemplateCondition, TemplateCondition)
    case or(TemplateCondition, TemplateCondition)
    case not(TemplateCondition)
}

enum ComparisonOperator: String, Sendable {
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case greater = ">"
    case lessOrEqual = "<="
    case greaterOrEqual = ">="
    case contains
}

/// An expression followed by its filters, applied left to right.
struct FilteredExpression: Sendable {
    var expression: TemplateExpression
    var filters: [FilterCall]
}

/// One `| name: arguments` step.
struct FilterCall: Sendable {
    var filter: TemplateFilter
    var arguments: [TemplateExpression]
    /// The arguments already computed when they are all literals, the usual case.
    var constantArguments: [TemplateValue]?
    /// `name: value` arguments, such as `default`'s `allow_false: true`.
    var options: [(name: String, value: TemplateExpression)]
}
