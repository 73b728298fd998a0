/// Builds the node tree from the lexer's segments: tags into blocks, markup into expressions.
struct TemplateParser {
    private let bytes: [UInt8]
    private let segments: [TemplateLexer.Segment]
    private var next = 0
    private var loopDepth = 0

    /// The nodes of the template `bytes`.
    static func parse(_ bytes: [UInt8]) throws(TemplateError) -> [TemplateNode] {
        var parser = TemplateParser(bytes: bytes, segments: try TemplateLexer.segments(of: bytes))
        return try parser.body(until: [], in: nil).nodes
    }

    private init(bytes: [UInt8], segments: [TemplateLexer.Segment]) {
        self.bytes = bytes
        self.segments = segments
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
        "endif": "if", "endunless": "unless", "endcase": "case", "endfor": "for",
        "endcapture": "capture", "endraw": "raw", "endcomment": "comment",
        "elsif": "if", "else": "if", "when": "case",
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
            case .output(let markup, _):
                nodes.append(try output(markup))
            case .tag(let name, let markup, let start):
                if terminators.contains(name) {
                    return (nodes, Terminator(name: name, markup: markup, start: start))
                }
                try nodes.append(tag(name, markup, start, in: opener))
            }
        }
        if let opener {
            throw TemplateError("unclosed tag '\(opener.name)'", at: opener.start, in: bytes)
        }
        return (nodes, nil)
    }

    private mutating func tag(_ name: String, _ markup: Range<Int>, _ start: Int, in opener: Opener?) throws(TemplateError) -> TemplateNode {
        let nameOffset = markup.lowerBound - name.utf8.count
        switch name {
        case "if": return try conditional(markup, start, negated: false)
        case "unless": return try conditional(markup, start, negated: true)
        case "case": return try switchCase(markup, start)
        case "for": return try loop(markup, start)
        case "assign": return try assign(markup)
        case "capture": return try capture(markup, start)
        case "echo": return try output(markup)
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

    /// `if`/`unless` … `elsif` … `else` … `end`.
    private mutating func conditional(_ markup: Range<Int>, _ start: Int, negated: Bool) throws(TemplateError) -> TemplateNode {
        let name = negated ? "unless" : "if"
        let opener = Opener(name: name, start: start)
        var branches: [ConditionalBranch] = []
        var condition = try Self.condition(bytes, markup)
        if negated { condition = .not(condition) }
        while true {
            let (nodes, terminator) = try body(until: ["elsif", "else", "end\(name)"], in: opener)
            branches.append(ConditionalBranch(condition: condition, body: nodes))
            switch terminator!.name {
            case "elsif":
                condition = try Self.condition(bytes, terminator!.markup)
            case "else":
                let otherwise = try body(until: ["end\(name)"], in: opener).nodes
                return .conditional(branches: branches, otherwise: otherwise)
            default:
                return .conditional(branches: branches, otherwise: [])
            }
        }
    }

    /// `case subject` `when a, b` … `else` … `endcase`; anything before the first `when` is ignored.
    private mutating func switchCase(_ markup: Range<Int>, _ start: Int) throws(TemplateError) -> TemplateNode {
        let opener = Opener(name: "case", start: start)
        var parser = try ExpressionParser(bytes, markup)
        let subject = try parser.expression()
        try parser.expectEnd()
        var whens: [WhenBranch] = []
        var terminator = try body(until: ["when", "else", "endcase"], in: opener).terminator!
        while terminator.name == "when" {
            var values = try ExpressionParser(bytes, terminator.markup)
            let list = try values.whenValues()
            let (nodes, end) = try body(until: ["when", "else", "endcase"], in: opener)
            whens.append(WhenBranch(values: list, body: nodes))
            terminator = end!
        }
        var otherwise: [TemplateNode] = []
        if terminator.name == "else" {
            otherwise = try body(until: ["endcase"], in: opener).nodes
        }
        return .switchCase(subject: subject, whens: whens, otherwise: otherwise)
    }

    /// `for item in collection limit: n offset: n reversed` … `else` … `endfor`.
    private mutating func loop(_ markup: Range<Int>, _ start: Int) throws(TemplateError) -> TemplateNode {
        var parser = try ExpressionParser(bytes, markup)
        var loop = try parser.forHeader()
        let opener = Opener(name: "for", start: start)
        loopDepth += 1
        let (nodes, terminator) = try body(until: ["else", "endfor"], in: opener)
        loopDepth -= 1
        loop.body = nodes
        if terminator!.name == "else" {
            loop.otherwise = try body(until: ["endfor"], in: opener).nodes
        }
        return .loop(loop)
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
