/// The state of one render: the output so far, assigned variables and the loops being run.
struct TemplateRenderer {
    /// What a body asks of the loop around it.
    enum Flow {
        case normal, breakLoop, continueLoop
    }

    /// One running `for`, for the `forloop` variable.
    private struct LoopFrame {
        var index0: Int
        let length: Int
    }

    private let root: TemplateValue
    private(set) var output = ""
    private var assigns: [String: TemplateValue] = [:]
    private var locals: [(name: String, value: TemplateValue)] = []
    private var loops: [LoopFrame] = []

    init(root: TemplateValue, capacity: Int) {
        self.root = root
        output.reserveCapacity(capacity)
    }

    // MARK: - Nodes

    mutating func render(_ nodes: [TemplateNode]) -> Flow {
        for node in nodes {
            switch node {
            case .text(let text):
                output.append(text)
            case .output(let value):
                evaluate(value).write(to: &output)
            case .conditional(let branches, let otherwise):
                let branch = branches.first { test($0.condition) }
                let flow = render(branch?.body ?? otherwise)
                if flow != .normal { return flow }
            case .switchCase(let subject, let whens, let otherwise):
                let flow = renderCase(subject, whens, otherwise)
                if flow != .normal { return flow }
            case .loop(let loop):
                renderLoop(loop)
            case .assign(let name, let value):
                assigns[name] = evaluate(value)
            case .capture(let name, let body):
                let outer = output
                output = ""
                let flow = render(body)
                assigns[name] = .string(output)
                output = outer
                if flow != .normal { return flow }
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    private mutating func renderCase(_ subject: TemplateExpression, _ whens: [WhenBranch], _ otherwise: [TemplateNode]) -> Flow {
        let value = evaluate(subject)
        var matched = false
        for branch in whens where branch.values.contains(where: { matches(value, $0) }) {
            matched = true
            let flow = render(branch.body)
            if flow != .normal { return flow }
        }
        return matched ? .normal : render(otherwise)
    }

    private mutating func renderLoop(_ loop: ForLoop) {
        let items: LoopItems
        if case .range(let first, let last) = loop.collection {
            let (lower, count) = bounds(first, last)
            items = .range(lower: lower, count: count)
        } else {
            items = LoopItems(evaluate(loop.collection))
        }
        var lower = 0
        var upper = items.count
        if let offset = loop.offset, let value = integer(evaluate(offset)) {
            lower = min(max(value, 0), upper)
        }
        if let limit = loop.limit, let value = integer(evaluate(limit)) {
            upper = min(lower + max(value, 0), upper)
        }
        guard lower < upper else {
            _ = render(loop.otherwise)
            return
        }
        let length = upper - lower
        locals.append((loop.variable, .null))
        loops.append(LoopFrame(index0: 0, length: length))
        defer {
            locals.removeLast()
            loops.removeLast()
        }
        for index0 in 0..<length {
            let position = loop.reversed ? upper - 1 - index0 : lower + index0
            locals[locals.count - 1].value = items[position]
            loops[loops.count - 1].index0 = index0
            if render(loop.body) == .breakLoop { break }
        }
    }

    // MARK: - Expressions

    func evaluate(_ value: FilteredExpression) -> TemplateValue {
        var result = evaluate(value.expression)
        for call in value.filters {
            let arguments = call.constantArguments ?? call.arguments.map { evaluate($0) }
            var options: [String: TemplateValue] = [:]
            for option in call.options { options[option.name] = evaluate(option.value) }
            result = call.filter.apply(to: result, arguments, options: options)
        }
        return result
    }

    func evaluate(_ expression: TemplateExpression) -> TemplateValue {
        switch expression {
        case .literal(let value):
            return value
        case .path(let root, let steps):
            return resolve(root, steps)
        case .range(let first, let last):
            let (lower, count) = bounds(first, last)
            return .array((0..<count).map { .int(Int64(lower + $0)) })
        case .empty, .blank:
            return .string("")
        }
    }

    private func resolve(_ root: String, _ steps: [PathStep]) -> TemplateValue {
        var value: TemplateValue
        var remaining = steps[...]
        if let local = locals.last(where: { $0.name == root }) {
            value = local.value
        } else if root == "forloop", !loops.isEmpty {
            guard case .key(let key) = remaining.first else { return forloopObject(loops.count - 1) }
            value = forloopMember(key, loops.count - 1)
            remaining = remaining.dropFirst()
        } else if !assigns.isEmpty, let assigned = assigns[root] {
            value = assigned
        } else if case .object(let members) = self.root, let member = members[root] {
            value = member
        } else {
            return .null
        }
        for step in remaining {
            switch step {
            case .key(let key): value = Self.member(of: value, key)
            case .index(let index): value = Self.element(of: value, index)
            case .dynamic(let expression):
                switch evaluate(expression) {
                case .string(let key): value = Self.member(of: value, key)
                case .int(let index): value = Self.element(of: value, Int(clamping: index))
                default: return .null
                }
            }
            if case .null = value { return .null }
        }
        return value
    }

    /// `value.key`: an object's member, or the `size`, `first` and `last` properties.
    static func member(of value: TemplateValue, _ key: String) -> TemplateValue {
        switch value {
        case .object(let members):
            if let member = members[key] { return member }
            return key == "size" ? .int(Int64(members.count)) : .null
        case .array(let elements):
            switch key {
            case "size": return .int(Int64(elements.count))
            case "first": return elements.first ?? .null
            case "last": return elements.last ?? .null
            default: return .null
            }
        case .string(let string):
            return key == "size" ? .int(Int64(string.count)) : .null
        default:
            return .null
        }
    }

    /// `value[index]`; a negative index counts from the end.
    static func element(of value: TemplateValue, _ index: Int) -> TemplateValue {
        guard case .array(let elements) = value else { return .null }
        let position = index < 0 ? elements.count + index : index
        return elements.indices.contains(position) ? elements[position] : .null
    }

    private func forloopMember(_ key: String, _ level: Int) -> TemplateValue {
        let frame = loops[level]
        switch key {
        case "index": return .int(Int64(frame.index0 + 1))
        case "index0": return .int(Int64(frame.index0))
        case "rindex": return .int(Int64(frame.length - frame.index0))
        case "rindex0": return .int(Int64(frame.length - frame.index0 - 1))
        case "first": return .bool(frame.index0 == 0)
        case "last": return .bool(frame.index0 == frame.length - 1)
        case "length": return .int(Int64(frame.length))
        case "parentloop": return level > 0 ? forloopObject(level - 1) : .null
        default: return .null
        }
    }

    private func forloopObject(_ level: Int) -> TemplateValue {
        var members: [String: TemplateValue] = [:]
        for key in ["index", "index0", "rindex", "rindex0", "first", "last", "length", "parentloop"] {
            let value = forloopMember(key, level)
            if value != .null { members[key] = value }
        }
        return .object(members)
    }

    /// The first integer and length of `(first..last)`; empty if either end is not a number.
    private func bounds(_ first: TemplateExpression, _ last: TemplateExpression) -> (lower: Int, count: Int) {
        guard let lower = rangeBound(evaluate(first)), let upper = rangeBound(evaluate(last)), upper >= lower else {
            return (0, 0)
        }
        let span = upper.subtractingReportingOverflow(lower)
        return (lower, span.overflow ? Template.maximumRangeLength : min(span.partialValue, Template.maximumRangeLength - 1) + 1)
    }

    private func integer(_ value: TemplateValue) -> Int? {
        TemplateFilter.integer(value)
    }

    /// An end of a range: any integer (a double rounds down).
    private func rangeBound(_ value: TemplateValue) -> Int? {
        switch TemplateFilter.number(value) {
        case .int(let value)?: Int(clamping: value)
        case .double(let value)? where value.isFinite && Swift.abs(value) < 9e18: Int(value.rounded(.down))
        default: nil
        }
    }

    // MARK: - Conditions

    func test(_ condition: TemplateCondition) -> Bool {
        switch condition {
        case .value(let expression):
            return evaluate(expression).isTruthy
        case .comparison(let left, let comparator, let right):
            return compare(left, comparator, right)
        case .and(let left, let right):
            return test(left) && test(right)
        case .or(let left, let right):
            return test(left) || test(right)
        case .not(let inner):
            return !test(inner)
        }
    }

    private func compare(_ left: TemplateExpression, _ comparator: ComparisonOperator, _ right: TemplateExpression) -> Bool {
        switch comparator {
        case .equal: return matches(evaluate(left), right, reversed: left)
        case .notEqual: return !matches(evaluate(left), right, reversed: left)
        case .contains: return Self.contains(evaluate(left), evaluate(right))
        case .less, .greater, .lessOrEqual, .greaterOrEqual:
            guard let order = Self.order(evaluate(left), evaluate(right)) else { return false }
            switch comparator {
            case .less: return order < 0
            case .greater: return order > 0
            case .lessOrEqual: return order <= 0
            default: return order >= 0
            }
        }
    }

    /// Whether `value == expression`, with `empty` and `blank` on either side meaning the test.
    private func matches(_ value: TemplateValue, _ expression: TemplateExpression, reversed other: TemplateExpression? = nil) -> Bool {
        switch (expression, other) {
        case (.empty, _): return value.isEmpty
        case (.blank, _): return value.isBlank
        case (_, .empty?): return evaluate(expression).isEmpty
        case (_, .blank?): return evaluate(expression).isBlank
        default: return Self.equals(value, evaluate(expression))
        }
    }

    /// Liquid's `==`: integers and doubles compare by value.
    static func equals(_ left: TemplateValue, _ right: TemplateValue) -> Bool {
        switch (left, right) {
        case (.int(let a), .double(let b)): Double(a) == b
        case (.double(let a), .int(let b)): a == Double(b)
        default: left == right
        }
    }

    /// The sign of `left - right` for two numbers or two strings; `nil` for anything else.
    static func order(_ left: TemplateValue, _ right: TemplateValue) -> Int? {
        switch (left, right) {
        case (.int(let a), .int(let b)): return a < b ? -1 : a == b ? 0 : 1
        case (.string(let a), .string(let b)): return a < b ? -1 : a == b ? 0 : 1
        case (.int, .double), (.double, .int), (.double, .double):
            guard let a = left.doubleValue, let b = right.doubleValue, !a.isNaN, !b.isNaN else { return nil }
            return a < b ? -1 : a == b ? 0 : 1
        default:
            return nil
        }
    }

    /// `contains`: a substring of a string, an element of an array, a key of an object.
    static func contains(_ container: TemplateValue, _ item: TemplateValue) -> Bool {
        switch container {
        case .string(let string):
            if case .null = item { return false }
            let needle = item.description
            return needle.isEmpty || string.contains(needle)
        case .array(let elements):
            return elements.contains { equals($0, item) }
        case .object(let members):
            guard case .string(let key) = item else { return false }
            return members[key] != nil
        default:
            return false
        }
    }
}

extension TemplateValue {
    /// The value of a number as a double.
    var doubleValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}

/// What a `for` walks: the elements of an array, an object's `[key, value]` pairs in key order,
/// or a range's integers without building an array.
private enum LoopItems {
    case values([TemplateValue])
    case range(lower: Int, count: Int)

    init(_ collection: TemplateValue) {
        switch collection {
        case .array(let elements):
            self = .values(elements)
        case .object(let members):
            self = .values(members.keys.sorted().map { .array([.string($0), members[$0]!]) })
        case .null:
            self = .values([])
        case .string(let string) where string.isEmpty:
            self = .values([])
        default:
            self = .values([collection])
        }
    }

    var count: Int {
        switch self {
        case .values(let values): values.count
        case .range(_, let count): count
        }
    }

    subscript(position: Int) -> TemplateValue {
        switch self {
        case .values(let values): values[position]
        case .range(let lower, _): .int(Int64(lower + position))
        }
    }
}
