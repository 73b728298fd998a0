/// Builds the node tree from the lexer's segments: tags into blocks, markup into expressions.
struct TemplateParser {
    private let bytes: [UInt8]
    private let segments: [TemplateLexer.Segment]
    private var next = 0
    private var loopDepth: Int
    private let partials: PartialSupport
    /// Whether a `for` has `offset: continue`.
    private var resumesLoops = false

    /// The nodes of the template `bytes`, and whether a loop in it resumes with `offset: continue`.
    static func parse(_ bytes: [UInt8], partials: PartialSupport = .none) throws(TemplateError) -> (nodes: [TemplateNode], resumesLoops: Bool) {
        var depth = 0
        if case .insideLibrary = partials { depth = 1 }
        var parser = TemplateParser(bytes: bytes, segments: try TemplateLexer.segments(of: bytes), loopDepth: depth, partials: partials)
        let nodes = try parser.body(until: [], in: nil).nodes
        return (nodes, parser.resumesLoops)
    }

    private init(bytes: [UInt8], segments: [TemplateLexer.Segment], loopDepth: Int, partials: PartialSupport) {
        self.bytes = bytes
        self.segments = segments
        self.loopDepth = loopDepth
        self.partials = partials
    }

    // MARK: - Blocks

    /// The tag that ended a body: its name, markup and the offset of its `{%`.
    private struct Terminator {
        var name: String
        var markup: Range<Int>
        var start: Int
    }

    /// The block a body belongs to, for error messages.
    private struct Opener {
        var name: String
        var start: Int
    }

    private static let blockTags: [String: String] = [
        "endif": "if", "endunless": "unless", "endcase": "case", "endfor": "for", "endtablerow": "tablerow",
        "endcapture": "capture", "endraw": "raw", "endcomment": "comment", "enddoc": "doc",
        "endifchanged": "ifchanged", "elsif": "if", "else": "if", "when": "case",
    ]

    /// Nodes up to one of `terminators` (returned) or the end of the template.
    private mutating func body(until terminators: Set<String>, in opener: Opener?) throws(TemplateError) -> (nodes: [TemplateNode], terminator: Terminator?) {
        var nodes: [TemplateNode] = []
        while next < segments.count {
            let segment = segments[next]
            next += 1
            switch segment {
            case .text(let text):
                nodes.append(.text(text))
            case .raw(let text):
                // Raw text is never the whitespace a blank block drops: it renders as a literal.
                let isWhitespace = text.utf8.allSatisfy(\.isASCIIWhitespace)
                nodes.append(isWhitespace ? .output(FilteredExpression(expression: .literal(.string(text)), filters: [])) : .text(text))
            case .output(let markup, _):
                nodes.append(try output(markup))
            case .liquid(let lines, _):
                var inner = TemplateParser(bytes: bytes, segments: lines, loopDepth: loopDepth, partials: partials)
                nodes += try inner.body(until: [], in: nil).nodes
                resumesLoops = resumesLoops || inner.resumesLoops
            case .tag(let name, let markup, let start):
                if terminators.contains(name) {
                    return (nodes, Terminator(name: name, markup: markup, start: start))
                }
                if let node = try tag(name, markup, start, in: opener) { nodes.append(node) }
            }
        }
        if let opener {
            throw TemplateError("unclosed tag '\(opener.name)'", at: opener.start, in: bytes)
        }
        return (nodes, nil)
    }

    private mutating func tag(_ name: String, _ markup: Range<Int>, _ start: Int, in opener: Opener?) throws(TemplateError) -> TemplateNode? {
        let nameOffset = markup.lowerBound - name.utf8.count
        switch name {
        case "if": return try conditional(markup, start, negated: false)
        case "unless": return try conditional(markup, start, negated: true)
        case "case": return try switchCase(markup, start)
        case "for": return try loop(markup, start)
        case "tablerow": return try tableRow(markup, start)
        case "assign": return try assign(markup)
        case "capture": return try capture(markup, start)
        case "echo": return try output(markup)
        case "increment", "decrement":
            var parser = try ExpressionParser(bytes, markup)
            let variable = try parser.variableName(for: name)
            try parser.expectEnd()
            return .counter(name: variable, increment: name == "increment")
        case "cycle":
            var parser = try ExpressionParser(bytes, markup)
            return .cycle(try parser.cycle())
        case "ifchanged":
            try ExpressionParser(bytes, markup).expectEnd()
            let nodes = try body(until: ["endifchanged"], in: Opener(name: name, start: start)).nodes
            return .ifChanged(nodes)
        case "include", "render":
            var library: TemplatePartials?
            switch partials {
            case .none: throw TemplateError("unknown tag '\(name)'", at: nameOffset, in: bytes)
            case .library(let partials): library = partials
            case .insideLibrary: library = nil
            }
            var parser = try ExpressionParser(bytes, markup)
            var call = try parser.partialCall(isolated: name == "render", start: start)
            call.library = library
            return .partial(call)
        case "abort_message":
            var parser = try ExpressionParser(bytes, markup)
            return .abort(try parser.abortReason())
        case "break", "continue":
            guard loopDepth > 0 else {
                throw TemplateError("'\(name)' outside 'for'", at: nameOffset, in: bytes)
            }
            try ExpressionParser(bytes, markup).expectEnd()
            return name == "break" ? .breakLoop : .continueLoop
        default:
            guard let block = Self.blockTags[name] else {
                throw TemplateError("unknown tag '\(name)'", at: nameOffset, in: bytes)
            }
            if let opener {
                throw TemplateError("unexpected '\(name)' inside '\(opener.name)'", at: nameOffset, in: bytes)
            }
            if name.hasPrefix("end") {
                throw TemplateError("'\(name)' without '\(block)'", at: nameOffset, in: bytes)
            }
            throw TemplateError("'\(name)' outside a block", at: nameOffset, in: bytes)
        }
    }

    /// `{{ expression | filters }}` or `{% echo expression | filters %}`.
    private func output(_ markup: Range<Int>) throws(TemplateError) -> TemplateNode {
        var parser = try ExpressionParser(bytes, markup)
        let value = try parser.filteredExpression()
        try parser.expectEnd()
        return .output(value)
    }

    /// `if`/`unless` … `elsif` … `else` … `end`. Blocks after the first `else` are read and never
    /// rendered, as Liquid does; the markup of `else` is ignored.
    private mutating func conditional(_ markup: Range<Int>, _ start: Int, negated: Bool) throws(TemplateError) -> TemplateNode {
        let name = negated ? "unless" : "if"
        let opener = Opener(name: name, start: start)
        var branches: [ConditionalBranch] = []
        var otherwise: [TemplateNode]?
        var unreachable: [[TemplateNode]] = []
        var condition: TemplateCondition? = try Self.condition(bytes, markup)
        if negated { condition = condition.map(TemplateCondition.not) }
        while true {
            let (nodes, terminator) = try body(until: ["elsif", "else", "end\(name)"], in: opener)
            if otherwise != nil {
                unreachable.append(nodes)
            } else if let current = condition {
                branches.append(ConditionalBranch(condition: current, body: nodes))
            } else {
                otherwise = nodes
            }
            switch terminator!.name {
            case "elsif":
                condition = try Self.condition(bytes, terminator!.markup)
            case "else":
                condition = nil
            default:
                var blank = branches.allSatisfy(\.body.isBlank) && (otherwise ?? []).isBlank
                blank = blank && unreachable.allSatisfy(\.isBlank)
                if blank {
                    for index in branches.indices { branches[index].body = branches[index].body.withoutBlankText }
                    otherwise = otherwise?.withoutBlankText
                }
                return .conditional(branches: branches, otherwise: otherwise ?? [])
            }
        }
    }

    /// `case subject`, then `when a, b` and `else` blocks in any order and number, `endcase`;
    /// anything before the first block is ignored.
    private mutating func switchCase(_ markup: Range<Int>, _ start: Int) throws(TemplateError) -> TemplateNode {
        let opener = Opener(name: "case", start: start)
        var parser = try ExpressionParser(bytes, markup)
        let subject = try parser.expression()
        try parser.expectEnd()
        var blocks: [CaseBlock] = []
        var terminator = try body(until: ["when", "else", "endcase"], in: opener).terminator!
        while terminator.name != "endcase" {
            var values: [TemplateExpression]?
            if terminator.name == "when" {
                var parser = try ExpressionParser(bytes, terminator.markup)
                values = try parser.whenValues()
            }
            let (nodes, end) = try body(until: ["when", "else", "endcase"], in: opener)
            blocks.append(values.map { .when(values: $0, body: nodes) } ?? .otherwise(nodes))
            terminator = end!
        }
        if blocks.allSatisfy(\.body.isBlank) {
            blocks = blocks.map { block in
                switch block {
                case .when(let values, let body): .when(values: values, body: body.withoutBlankText)
                case .otherwise(let body): .otherwise(body.withoutBlankText)
                }
            }
        }
        return .switchCase(subject: subject, blocks: blocks)
    }

    /// `for item in collection limit: n offset: n reversed` … `else` … `endfor`.
    private mutating func loop(_ markup: Range<Int>, _ start: Int) throws(TemplateError) -> TemplateNode {
        var parser = try ExpressionParser(bytes, markup)
        var loop = try parser.forHeader(start: start)
        if case .continuing? = loop.offset { resumesLoops = true }
        let opener = Opener(name: "for", start: start)
        loopDepth += 1
        let (nodes, terminator) = try body(until: ["else", "endfor"], in: opener)
        loopDepth -= 1
        loop.body = nodes
        if terminator!.name == "else" {
            loop.otherwise = try body(until: ["endfor"], in: opener).nodes
        }
        if loop.body.isBlank && loop.otherwise.isBlank {
            loop.body = loop.body.withoutBlankText
            loop.otherwise = loop.otherwise.withoutBlankText
        }
        return .loop(loop)
    }

    /// `tablerow item in collection cols: n limit: n offset: n` … `endtablerow`.
    private mutating func tableRow(_ markup: Range<Int>, _ start: Int) throws(TemplateError) -> TemplateNode {
        var parser = try ExpressionParser(bytes, markup)
        var row = try parser.tableRowHeader(start: start)
        loopDepth += 1
        row.body = try body(until: ["endtablerow"], in: Opener(name: "tablerow", start: start)).nodes
        loopDepth -= 1
        return .tableRow(row)
    }

    /// `assign name = expression | filters`.
    private func assign(_ markup: Range<Int>) throws(TemplateError) -> TemplateNode {
        var parser = try ExpressionParser(bytes, markup)
        let name = try parser.variableName(for: "assign")
        try parser.expect(.equals)
        let value = try parser.filteredExpression()
        try parser.expectEnd()
        return .assign(name: name, value: value)
    }

    /// `capture name` … `endcapture`.
    private mutating func capture(_ markup: Range<Int>, _ start: Int) throws(TemplateError) -> TemplateNode {
        var parser = try ExpressionParser(bytes, markup)
        let name = try parser.variableName(for: "capture")
        try parser.expectEnd()
        let nodes = try body(until: ["endcapture"], in: Opener(name: "capture", start: start)).nodes
        return .capture(name: name, body: nodes)
    }

    private static func condition(_ bytes: [UInt8], _ markup: Range<Int>) throws(TemplateError) -> TemplateCondition {
        var parser = try ExpressionParser(bytes, markup)
        let condition = try parser.condition()
        try parser.expectEnd()
        return condition
    }
}
