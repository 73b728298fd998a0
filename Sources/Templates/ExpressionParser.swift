/// Recursive descent over the tokens of one tag's or output's markup.
struct ExpressionParser {
    private let bytes: [UInt8]
    private let tokens: [MarkupScanner.Token]
    private var index = 0

    init(_ bytes: [UInt8], _ markup: Range<Int>) throws(TemplateError) {
        self.bytes = bytes
        self.tokens = try MarkupScanner.tokens(bytes, markup)
    }

    // MARK: - Tokens

    private var current: MarkupScanner.Token { tokens[index] }

    /// Whether the markup has been read to its end.
    var isAtEnd: Bool { current.kind == .end }

    private mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    private func isKeyword(_ word: String) -> Bool {
        current.kind == .identifier(word)
    }

    private func unexpected(_ expectation: String? = nil) -> TemplateError {
        let found = current.kind.spelling
        let message = expectation.map { "expected \($0), found \(found)" } ?? "unexpected \(found)"
        return TemplateError(message, at: current.offset, in: bytes)
    }

    mutating func expect(_ kind: MarkupScanner.Kind) throws(TemplateError) {
        guard current.kind == kind else { throw unexpected(kind.spelling) }
        advance()
    }

    func expectEnd() throws(TemplateError) {
        guard current.kind == .end else { throw unexpected() }
    }

    /// Skips a `,` if there is one.
    private mutating func skipComma() {
        if current.kind == .comma { advance() }
    }

    /// The source text from the token at `start` to the last token read.
    private func text(from start: Int) -> String {
        guard index > start else { return "" }
        return String(decoding: bytes[tokens[start].offset..<tokens[index - 1].end], as: UTF8.self)
    }

    /// A plain name, as `assign`, `capture`, `for` and the counters take; digits alone are a
    /// name too (`{% assign 123 = … %}`), as Liquid allows.
    mutating func variableName(for tag: String) throws(TemplateError) -> String {
        switch current.kind {
        case .identifier(let name) where tag == "assign" && name.hasSuffix("?"):
            throw TemplateError("a variable assigned to cannot end with '?'", at: current.offset, in: bytes)
        case .identifier(let name), .bracedName(let name), .string(let name):
            advance()
            return name
        case .integer(let value) where value >= 0 && bytes[current.offset].isDigit:
            advance()
            return String(value)
        default:
            throw unexpected("a variable name after '\(tag)'")
        }
    }

    // MARK: - Expressions

    /// A literal, a variable path or a range.
    mutating func expression() throws(TemplateError) -> TemplateExpression {
        let token = current
        switch token.kind {
        case .string(let value):
            advance()
            return .literal(.string(value))
        case .integer(let value):
            advance()
            return .literal(.int(value))
        case .double(let value):
            advance()
            return .literal(.double(value))
        case .openParen:
            advance()
            let first = try expression()
            try expect(.dotDot)
            let last = try expression()
            try expect(.closeParen)
            return .range(first, last)
        case .identifier(let name):
            advance()
            switch name {
            case "true": return .literal(true)
            case "false": return .literal(false)
            case "nil", "null": return .literal(nil)
            case "empty": return .empty
            case "blank": return .blank
            default: return .path(root: name, steps: try steps())
            }
        case .bracedName(let name):
            advance()
            return .path(root: name, steps: try steps())
        case .openBracket:
            let open = current.offset
            advance()
            guard current.kind != .closeBracket, current.kind != .end else {
                throw unexpected("a key or index inside '[]'")
            }
            let root = try expression()
            try closeBracket(openedAt: open)
            if case .literal(.string(let name)) = root {
                return .path(root: name, steps: try steps())
            }
            return .indirectPath(root: root, steps: try steps())
        default:
            throw unexpected("a value")
        }
    }

    private mutating func closeBracket(openedAt open: Int) throws(TemplateError) {
        guard current.kind == .closeBracket else {
            if current.kind == .end {
                throw TemplateError("unclosed '['", at: open, in: bytes)
            }
            throw unexpected("']'")
        }
        advance()
    }

    /// The steps after a variable's name: `.key`, `.${key}`, `[0]`, `["key"]`, `[variable]`.
    private mutating func steps() throws(TemplateError) -> [PathStep] {
        var steps: [PathStep] = []
        while true {
            switch current.kind {
            case .dot:
                advance()
                switch current.kind {
                case .identifier(let name), .bracedName(let name):
                    steps.append(.key(name))
                    advance()
                case .integer(let value) where value >= 0:
                    steps.append(.index(Int(value)))
                    advance()
                default:
                    throw unexpected("a name after '.'")
                }
            case .openBracket:
                let open = current.offset
                advance()
                guard current.kind != .closeBracket, current.kind != .end else {
                    throw unexpected("a key or index inside '[]'")
                }
                let key = try expression()
                try closeBracket(openedAt: open)
                switch key {
                case .literal(.int(let value)): steps.append(.index(Int(clamping: value)))
                case .literal(.string(let name)): steps.append(.key(name))
                default: steps.append(.dynamic(key))
                }
            default:
                return steps
            }
        }
    }

    /// An expression and its `| filter: arguments` chain; empty markup is `nil`.
    mutating func filteredExpression() throws(TemplateError) -> FilteredExpression {
        let expression: TemplateExpression = current.kind == .end ? .literal(nil) : try self.expression()
        var filters: [FilterCall] = []
        while current.kind == .pipe {
            advance()
            filters.append(try filterCall())
        }
        return FilteredExpression(expression: expression, filters: filters)
    }

    private mutating func filterCall() throws(TemplateError) -> FilterCall {
        guard case .identifier(let name) = current.kind else { throw unexpected("a filter name after '|'") }
        let nameToken = current
        guard let filter = TemplateFilter(rawValue: name) ?? TemplateFilter.aliases[name] else {
            throw TemplateError("unknown filter '\(name)'", at: nameToken.offset, in: bytes)
        }
        advance()
        var arguments: [TemplateExpression] = []
        var options: [(name: String, value: TemplateExpression)] = []
        if current.kind == .colon {
            advance()
            repeat {
                if case .identifier(let option) = current.kind, tokens[index + 1].kind == .colon {
                    advance()
                    advance()
                    options.append((option, try expression()))
                } else {
                    arguments.append(try expression())
                }
                guard current.kind == .comma else { break }
                advance()
            } while true
        }
        guard filter.arity.contains(arguments.count) else {
            let arity = filter.arity
            let count = arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) to \(arity.upperBound)"
            let noun = arity.upperBound == 1 && arity.lowerBound == 1 ? "argument" : "arguments"
            throw TemplateError("filter '\(name)' takes \(count) \(noun), not \(arguments.count)", at: nameToken.offset, in: bytes)
        }
        var constants: [TemplateValue]? = []
        for argument in arguments {
            guard case .literal(let value) = argument else {
                constants = nil
                break
            }
            constants?.append(value)
        }
        return FilterCall(filter: filter, arguments: arguments, constantArguments: constants, options: options,
                          offset: nameToken.offset)
    }

    // MARK: - Conditions

    /// Comparisons joined by `and`/`or`, grouped from the right: `a or b and c` is `a or (b and c)`
    /// and `a and b or c` is `a and (b or c)`, as Liquid evaluates them.
    mutating func condition() throws(TemplateError) -> TemplateCondition {
        let left = try comparison()
        if isKeyword("and") {
            advance()
            return .and(left, try condition())
        }
        if isKeyword("or") {
            advance()
            return .or(left, try condition())
        }
        return left
    }

    private mutating func comparison() throws(TemplateError) -> TemplateCondition {
        let offset = current.offset
        let left = try expression()
        let comparator: ComparisonOperator
        switch current.kind {
        case .comparison(let op): comparator = op
        case .identifier("contains"): comparator = .contains
        default: return .value(left)
        }
        advance()
        return .comparison(left, comparator, try expression(), offset: offset)
    }

    /// The values of `when`: separated by `,` or `or`.
    mutating func whenValues() throws(TemplateError) -> [TemplateExpression] {
        var values = [try expression()]
        while current.kind == .comma || isKeyword("or") {
            advance()
            values.append(try expression())
        }
        try expectEnd()
        return values
    }

    // MARK: - Loops

    /// `item in collection` and its attributes, in any order, with or without commas.
    mutating func forHeader(start: Int) throws(TemplateError) -> ForLoop {
        let variable = try variableName(for: "for")
        guard isKeyword("in") else { throw unexpected("'in'") }
        advance()
        let collectionStart = index
        let collection = try expression()
        var loop = ForLoop(variable: variable, collection: collection, name: "\(variable)-\(text(from: collectionStart))",
                           limit: nil, offset: nil, reversed: false, body: [], otherwise: [], start: start)
        skipComma()
        while current.kind != .end {
            if isKeyword("reversed") {
                loop.reversed = true
                advance()
            } else if isKeyword("limit") {
                advance()
                try expect(.colon)
                loop.limit = try expression()
            } else if isKeyword("offset") {
                advance()
                try expect(.colon)
                if isKeyword("continue") {
                    advance()
                    loop.offset = .continuing
                } else {
                    loop.offset = .value(try expression())
                }
            } else {
                throw unexpected("'limit:', 'offset:' or 'reversed'")
            }
            skipComma()
        }
        return loop
    }

    /// `item in collection` and `cols:`, `limit:`, `offset:`, in any order.
    mutating func tableRowHeader(start: Int) throws(TemplateError) -> TableRow {
        let variable = try variableName(for: "tablerow")
        guard isKeyword("in") else { throw unexpected("'in'") }
        advance()
        var row = TableRow(variable: variable, collection: try expression(), columns: nil, limit: nil, offset: nil,
                           body: [], start: start)
        skipComma()
        while current.kind != .end {
            guard case .identifier(let attribute) = current.kind, ["cols", "limit", "offset"].contains(attribute) else {
                throw unexpected("'cols:', 'limit:' or 'offset:'")
            }
            advance()
            try expect(.colon)
            let value = try expression()
            switch attribute {
            case "cols": row.columns = value
            case "limit": row.limit = value
            default: row.offset = value
            }
            skipComma()
        }
        return row
    }

    // MARK: - Other tags

    /// `cycle 'a', 'b'` or `cycle group: 'a', 'b'`.
    mutating func cycle() throws(TemplateError) -> Cycle {
        let start = index
        let first = try expression()
        if current.kind == .colon {
            advance()
            let values = try expressionList()
            return Cycle(group: .named(first), values: values)
        }
        var values = [first]
        if current.kind == .comma {
            advance()
            values += try expressionList()
        }
        try expectEnd()
        return Cycle(group: .unnamed(text(from: start)), values: values)
    }

    private mutating func expressionList() throws(TemplateError) -> [TemplateExpression] {
        var values = [try expression()]
        while current.kind == .comma {
            advance()
            values.append(try expression())
        }
        try expectEnd()
        return values
    }

    /// `'name' with value as alias, key: value, …` after `include` or `render`; `render` wants
    /// its name quoted, `include` may compute it.
    mutating func partialCall(isolated: Bool, start: Int) throws(TemplateError) -> PartialCall {
        if isolated, case .string = current.kind {} else if isolated { throw unexpected("a quoted partial name") }
        var call = PartialCall(isolated: isolated, name: try expression(), binding: nil, bindsEach: false, alias: nil,
                               arguments: [], library: nil, start: start)
        if isKeyword("with") || isKeyword("for") {
            call.bindsEach = isKeyword("for")
            advance()
            call.binding = try expression()
            if isKeyword("as") {
                advance()
                call.alias = try variableName(for: "as")
            }
        }
        skipComma()
        while case .identifier(let name) = current.kind {
            advance()
            try expect(.colon)
            call.arguments.append((name, try expression()))
            skipComma()
        }
        try expectEnd()
        return call
    }

    /// Braze's `abort_message("reason")` (filters allowed), `abort_message()` or `abort_message`: the
    /// reason, if any.
    mutating func abortReason() throws(TemplateError) -> FilteredExpression? {
        guard current.kind == .openParen else {
            try expectEnd()
            return nil
        }
        advance()
        var reason: FilteredExpression?
        if current.kind != .closeParen { reason = try filteredExpression() }
        try expect(.closeParen)
        try expectEnd()
        return reason
    }
}
