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

    /// A plain name, as `assign`, `capture` and `for` take.
    mutating func variableName(for tag: String) throws(TemplateError) -> String {
        switch current.kind {
        case .identifier(let name), .bracedName(let name), .string(let name):
            advance()
            return name
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
            default: return try path(root: name)
            }
        case .bracedName(let name):
            advance()
            return try path(root: name)
        case .openBracket:
            advance()
            guard case .string(let name) = current.kind else { throw unexpected("a quoted name") }
            advance()
            try expect(.closeBracket)
            return try path(root: name)
        default:
            throw unexpected("a value")
        }
    }

    /// The steps after a variable's name: `.key`, `.${key}`, `[0]`, `["key"]`, `[variable]`.
    private mutating func path(root: String) throws(TemplateError) -> TemplateExpression {
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
                guard current.kind == .closeBracket else {
                    if current.kind == .end {
                        throw TemplateError("unclosed '['", at: open, in: bytes)
                    }
                    throw unexpected("']'")
                }
                advance()
                switch key {
                case .literal(.int(let value)): steps.append(.index(Int(value)))
                case .literal(.string(let name)): steps.append(.key(name))
                default: steps.append(.dynamic(key))
                }
            default:
                return .path(root: root, steps: steps)
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
        guard let filter = TemplateFilter(rawValue: name) else {
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
        return FilterCall(filter: filter, arguments: arguments, constantArguments: constants, options: options)
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
        let left = try expression()
        let comparator: ComparisonOperator
        switch current.kind {
        case .comparison(let op): comparator = op
        case .identifier("contains"): comparator = .contains
        default: return .value(left)
        }
        advance()
        return .comparison(left, comparator, try expression())
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

    /// `item in collection` and its attributes, in any order.
    mutating func forHeader() throws(TemplateError) -> ForLoop {
        let variable = try variableName(for: "for")
        guard isKeyword("in") else { throw unexpected("'in'") }
        advance()
        var loop = ForLoop(variable: variable, collection: try expression(), limit: nil, offset: nil,
                           reversed: false, body: [], otherwise: [])
        while current.kind != .end {
            if isKeyword("reversed") {
                loop.reversed = true
                advance()
            } else if isKeyword("limit") || isKeyword("offset") {
                let isLimit = isKeyword("limit")
                advance()
                try expect(.colon)
                let value = try expression()
                if isLimit { loop.limit = value } else { loop.offset = value }
            } else {
                throw unexpected("'limit:', 'offset:' or 'reversed'")
            }
            if current.kind == .comma { advance() }
        }
        return loop
    }
}
