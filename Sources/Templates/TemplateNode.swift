/// One piece of a parsed template, rendered in order.
indirect enum TemplateNode: Sendable {
    /// Literal text, written as is.
    case text(String)
    /// `{{ expression | filters }}` and `{% echo %}`.
    case output(FilteredExpression)
    /// `if`/`elsif`/`else` and `unless`: the first branch whose condition holds renders.
    case conditional(branches: [ConditionalBranch], otherwise: [TemplateNode])
    /// `case`/`when`/`else`, block by block: a `when` renders once for each of its values that
    /// matches, an `else` renders when no `when` before it matched.
    case switchCase(subject: TemplateExpression, blocks: [CaseBlock])
    /// `for name in collection`.
    case loop(ForLoop)
    /// `tablerow name in collection`: the body in HTML table cells, `cols` to a row.
    case tableRow(TableRow)
    /// `assign name = expression | filters`.
    case assign(name: String, value: FilteredExpression)
    /// `capture name` … `endcapture`.
    case capture(name: String, body: [TemplateNode])
    /// `increment name` (writes the counter, then adds 1) and `decrement name` (subtracts 1,
    /// then writes it).
    case counter(name: String, increment: Bool)
    /// `cycle group: a, b, c`.
    case cycle(Cycle)
    /// `ifchanged` … `endifchanged`: the body, unless it renders what the last one rendered.
    case ifChanged([TemplateNode])
    /// `include` and `render` of a partial template.
    case partial(PartialCall)
    /// Braze's `abort_message("reason")`: rendering stops and the message is not to be sent.
    case abort(FilteredExpression?)
    /// `break` inside a loop.
    case breakLoop
    /// `continue` inside a loop.
    case continueLoop
}

struct ConditionalBranch: Sendable {
    var condition: TemplateCondition
    var body: [TemplateNode]
}

/// One block of a `case`.
enum CaseBlock: Sendable {
    case when(values: [TemplateExpression], body: [TemplateNode])
    case otherwise([TemplateNode])
}

struct ForLoop: Sendable {
    var variable: String
    var collection: TemplateExpression
    /// `forloop.name`: the variable and the collection as written, `item-product.tags`; also
    /// the key `offset: continue` resumes from.
    var name: String
    var limit: TemplateExpression?
    var offset: LoopOffset?
    var reversed: Bool
    var body: [TemplateNode]
    var otherwise: [TemplateNode]
    /// Where the tag starts, for render problems.
    var start: Int
}

/// `offset:` of a `for`: a number, or `continue` from where the last loop of that name stopped.
enum LoopOffset: Sendable {
    case value(TemplateExpression)
    case continuing
}

struct TableRow: Sendable {
    var variable: String
    var collection: TemplateExpression
    var columns: TemplateExpression?
    var limit: TemplateExpression?
    var offset: TemplateExpression?
    var body: [TemplateNode]
    var start: Int
}

/// `include 'name' with value as alias, key: value` or `render …` (`isolated`).
struct PartialCall: Sendable {
    /// `render`: the partial gets a scope of its own.
    var isolated: Bool
    var name: TemplateExpression
    /// `with value` or `for values`.
    var binding: TemplateExpression?
    /// `for values`: the partial renders once per element.
    var bindsEach: Bool
    /// `as name`: what the bound value is called (else the partial's name).
    var alias: String?
    var arguments: [(name: String, value: TemplateExpression)]
    /// The partials, in a template's own calls; nil in the partials' calls of each other, which
    /// use the library the render started from (so the library holds no reference to itself).
    var library: TemplatePartials?
    var start: Int
}

/// Which partials a parse may name.
enum PartialSupport {
    /// None: `include` and `render` are unknown tags.
    case none
    /// A template's, from this library.
    case library(TemplatePartials)
    /// A partial's own source, parsed into the library: calls resolve when rendering, and
    /// `break` may end a loop in the including template.
    case insideLibrary
}

struct Cycle: Sendable {
    /// The group: `name:` evaluated at render time, else the values as written.
    var group: CycleGroup
    var values: [TemplateExpression]
}

enum CycleGroup: Sendable {
    case named(TemplateExpression)
    case unnamed(String)
}

/// A value to compute: a literal, a variable path, a range.
indirect enum TemplateExpression: Sendable {
    case literal(TemplateValue)
    /// A variable and the steps into it: `a.b[0]["c"][d]`.
    case path(root: String, steps: [PathStep])
    /// A variable whose name is computed, and the steps into it: `[name].b`.
    case indirectPath(root: TemplateExpression, steps: [PathStep])
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
    /// A comparison; `offset` is where its left side starts, for render problems.
    case comparison(TemplateExpression, ComparisonOperator, TemplateExpression, offset: Int)
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
    /// Where the filter's name is, for render problems.
    var offset: Int
}

// MARK: - Blank blocks

extension [TemplateNode] {
    /// Whether these nodes write nothing but whitespace, as Liquid judges a block: text of only
    /// whitespace, `assign`, `capture`, and blocks whose bodies are all blank themselves.
    var isBlank: Bool {
        allSatisfy { node in
            switch node {
            case .text(let text): text.utf8.allSatisfy(\.isASCIIWhitespace)
            case .assign, .capture: true
            case .conditional(let branches, let otherwise): branches.allSatisfy(\.body.isBlank) && otherwise.isBlank
            case .switchCase(_, let blocks): blocks.allSatisfy(\.body.isBlank)
            case .loop(let loop): loop.body.isBlank && loop.otherwise.isBlank
            case .ifChanged(let body): body.isBlank
            default: false
            }
        }
    }

    /// These nodes without their whitespace-only text, for a block that is blank.
    var withoutBlankText: [TemplateNode] {
        filter { node in
            if case .text(let text) = node { return !text.utf8.allSatisfy(\.isASCIIWhitespace) }
            return true
        }
    }
}

extension CaseBlock {
    var body: [TemplateNode] {
        switch self {
        case .when(_, let body), .otherwise(let body): body
        }
    }
}
