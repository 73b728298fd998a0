/// The state of one render: the output so far, assigned variables, counters, the loops being
/// run, and the problems met on the way.
///
/// Every method is `mutating`, even those that only read: a mutating method passes the state by
/// reference, while calling a non-mutating one from a mutating one copies the whole struct first.
struct TemplateRenderer {
    /// What a body asks of the blocks around it.
    enum Flow {
        case normal, breakLoop, continueLoop
        /// `abort_message`: stop everything.
        case abort
    }

    /// One running `for` or `tablerow`, for the `forloop` and `tablerowloop` variables.
    private struct LoopFrame {
        var index0: Int
        let length: Int
        /// `forloop.name`; nil for a `tablerow`.
        let name: String?
        /// Cells per row of a `tablerow`; 0 for a `for`.
        let columns: Int
    }

    /// A `cycle` group: its evaluated name, or the values as written when it has none.
    private enum CycleKey: Hashable {
        case named(TemplateValue)
        case unnamed(String)
    }

    /// What few templates use — counters, cycles, `offset: continue`, `ifchanged`, problems and
    /// aborts — in one box made on first use, so a plain render carries one nil pointer for it.
    private final class Extras {
        var counters: [String: Int64] = [:]
        var cycles: [CycleKey: Int] = [:]
        /// Where each named loop stopped, for `offset: continue`.
        var loopEnds: [String: Int] = [:]
        var lastIfChanged: String?
        var problems: [Problem] = []
        var abortReason: String?
        /// The partials of the `include` or `render` being rendered, for the calls inside them.
        var library: TemplatePartials?
        /// The name of the partial being rendered, if any, and how many deep.
        var partial: String?
        var depth = 0
    }

    /// A problem: its message, and the byte offset in the template's source, or in `source`
    /// when it was met inside a partial.
    struct Problem {
        var message: String
        var offset: Int
        var source: String?
    }

    private let root: TemplateValue
    /// Whether some loop resumes with `offset: continue`, so loops must note where they stop.
    private var resumesLoops: Bool
    private(set) var output = ""
    private var assigns: [String: TemplateValue] = [:]
    private var locals: [(name: String, value: TemplateValue)] = []
    private var loops: [LoopFrame] = []
    private var extrasBox: Extras?

    init(root: TemplateValue, resumesLoops: Bool, capacity: Int) {
        self.root = root
        self.resumesLoops = resumesLoops
        output.reserveCapacity(capacity)
    }

    private mutating func extras() -> Extras {
        if let extrasBox { return extrasBox }
        let made = Extras()
        extrasBox = made
        return made
    }

    /// The problems met, in order.
    var problems: [Problem] { extrasBox?.problems ?? [] }

    /// The reason given to `abort_message`, once it ran (`""` when it gave none).
    var abortReason: String? { extrasBox?.abortReason }

    /// Records a problem at byte `offset` of the source; rendering goes on.
    private mutating func report(_ message: String, at offset: Int) {
        let state = extras()
        let source = state.partial.flatMap { state.library?.sources[$0] }
        state.problems.append(Problem(message: message, offset: offset, source: source))
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
            case .switchCase(let subject, let blocks):
                let flow = renderCase(subject, blocks)
                if flow != .normal { return flow }
            case .loop(let loop):
                if renderLoop(loop) == .abort { return .abort }
            case .tableRow(let row):
                if renderTableRow(row) == .abort { return .abort }
            case .assign(let name, let value):
                assigns[name] = evaluate(value)
            case .capture(let name, let body):
                let (text, flow) = rendered(body)
                assigns[name] = .string(text)
                if flow != .normal { return flow }
            case .counter(let name, let increment):
                let state = extras()
                var value = state.counters[name] ?? { if case .int(let start)? = root[name] { start } else { 0 } }()
                if increment { output.append(String(value)) }
                value = increment ? value &+ 1 : value &- 1
                if !increment { output.append(String(value)) }
                state.counters[name] = value
            case .cycle(let cycle):
                renderCycle(cycle)
            case .ifChanged(let body):
                let (text, flow) = rendered(body)
                let state = extras()
                if text != state.lastIfChanged {
                    output.append(text)
                    state.lastIfChanged = text
                }
                if flow != .normal { return flow }
            case .partial(let call):
                let flow = renderPartial(call)
                if flow != .normal { return flow }
            case .abort(let reason):
                let text = reason.map { evaluate($0).description } ?? ""
                extras().abortReason = text
                return .abort
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    /// `nodes` rendered on their own, for `capture` and `ifchanged`.
    private mutating func rendered(_ nodes: [TemplateNode]) -> (String, Flow) {
        let outer = output
        output = ""
        let flow = render(nodes)
        let text = output
        output = outer
        return (text, flow)
    }

    private mutating func renderCase(_ subject: TemplateExpression, _ blocks: [CaseBlock]) -> Flow {
        let value = evaluate(subject)
        var matched = false
        for block in blocks {
            switch block {
            case .when(let values, let body):
                for candidate in values where matches(value, candidate) {
                    matched = true
                    let flow = render(body)
                    if flow != .normal { return flow }
                }
            case .otherwise(let body):
                guard !matched else { continue }
                let flow = render(body)
                if flow != .normal { return flow }
            }
        }
        return .normal
    }

    private mutating func renderLoop(_ loop: ForLoop) -> Flow {
        let items: LoopItems
        if case .range(let first, let last) = loop.collection {
            let (lower, count) = bounds(first, last)
            items = .range(lower: lower, count: count)
        } else {
            items = LoopItems(evaluate(loop.collection))
        }
        var lower = 0
        var upper = items.count
        switch loop.offset {
        case .continuing?:
            lower = min(extrasBox?.loopEnds[loop.name] ?? 0, upper)
        case .value(let expression)?:
            if let value = loopInteger(expression, "offset", at: loop.start) { lower = min(max(value, 0), upper) }
        case nil:
            break
        }
        if let limit = loop.limit, let value = loopInteger(limit, "limit", at: loop.start) {
            upper = min(lower + max(value, 0), upper)
        }
        if resumesLoops { extras().loopEnds[loop.name] = max(upper, lower) }
        guard lower < upper else {
            return render(loop.otherwise) == .abort ? .abort : .normal
        }
        let length = upper - lower
        locals.append((loop.variable, .null))
        loops.append(LoopFrame(index0: 0, length: length, name: loop.name, columns: 0))
        defer {
            locals.removeLast()
            loops.removeLast()
        }
        for index0 in 0..<length {
            let position = loop.reversed ? upper - 1 - index0 : lower + index0
            locals[locals.count - 1].value = items[position]
            loops[loops.count - 1].index0 = index0
            switch render(loop.body) {
            case .breakLoop: return .normal
            case .abort: return .abort
            default: break
            }
        }
        return .normal
    }

    /// A `for` loop's `limit:` or `offset:` as an integer (clamped to ±2^53): nil when it is nil,
    /// and a problem (then ignored) when it is not a whole number or a string of one.
    private mutating func loopInteger(_ expression: TemplateExpression, _ attribute: String, at offset: Int) -> Int? {
        let value = evaluate(expression)
        switch value {
        case .null: return nil
        case .int(let int): return TemplateFilter.clamped(.int(int))
        case .string(let string):
            if let int = Int64(TemplateFilter.trim(string, leading: true, trailing: true)) { return TemplateFilter.clamped(.int(int)) }
        default: break
        }
        report("'\(attribute)' must be an integer, not \(value.kindName)", at: offset)
        return nil
    }

    private mutating func renderTableRow(_ row: TableRow) -> Flow {
        var elements = LoopItems(evaluate(row.collection)).all
        let offset = row.offset.map { Self.truncatedInteger(evaluate($0)) } ?? 0
        elements = Array(elements.dropFirst(max(offset, 0)))
        if let limit = row.limit.map({ Self.truncatedInteger(evaluate($0)) }) {
            elements = Array(elements.prefix(max(limit, 0)))
        }
        let length = elements.count
        var columns = row.columns.map { Self.truncatedInteger(evaluate($0)) } ?? length
        if columns < 1 { columns = max(length, 1) }
        output.append("<tr class=\"row1\">\n")
        locals.append((row.variable, .null))
        loops.append(LoopFrame(index0: 0, length: length, name: nil, columns: columns))
        defer {
            locals.removeLast()
            loops.removeLast()
        }
        for (index0, element) in elements.enumerated() {
            locals[locals.count - 1].value = element
            loops[loops.count - 1].index0 = index0
            let column = index0 % columns
            output.append("<td class=\"col\(column + 1)\">")
            let flow = render(row.body)
            output.append("</td>")
            if flow == .abort { return .abort }
            if flow == .breakLoop { break }
            if column == columns - 1 && index0 < length - 1 {
                output.append("</tr>\n<tr class=\"row\(index0 / columns + 2)\">")
            }
        }
        output.append("</tr>\n")
        return .normal
    }

    /// An integer the way `tablerow` reads its attributes: numbers toward zero, strings by their
    /// leading digits, anything else 0; clamped to ±2^53.
    private static func truncatedInteger(_ value: TemplateValue) -> Int {
        switch value {
        case .int(let int): TemplateFilter.clamped(.int(int))
        case .double(let double): TemplateFilter.clamped(.double(double))
        case .string(let string): TemplateFilter.clamped(.int(TemplateFilter.leadingInteger(string)))
        default: 0
        }
    }

    private mutating func renderCycle(_ cycle: Cycle) {
        let key: CycleKey
        switch cycle.group {
        case .named(let name): key = .named(evaluate(name))
        case .unnamed(let markup): key = .unnamed(markup)
        }
        let state = extras()
        let iteration = state.cycles[key] ?? 0
        if iteration < cycle.values.count { evaluate(cycle.values[iteration]).write(to: &output) }
        state.cycles[key] = iteration + 1 >= cycle.values.count ? 0 : iteration + 1
    }

    // MARK: - Partials

    private mutating func renderPartial(_ call: PartialCall) -> Flow {
        let state = extras()
        guard let library = call.library ?? state.library else { return .normal }
        guard case .string(let name) = evaluate(call.name), let nodes = library.template(named: name) else {
            report("no partial named '\(evaluate(call.name).description)'", at: call.start)
            return .normal
        }
        guard state.depth < TemplatePartials.maximumDepth else {
            report("partials nested more than \(TemplatePartials.maximumDepth) deep", at: call.start)
            return .normal
        }
        var variables: [(name: String, value: TemplateValue)] = call.arguments.map { ($0.name, evaluate($0.value)) }
        let bound = call.binding.map { evaluate($0) }
        let variable = call.alias ?? String(name.split(separator: "/").last ?? Substring(name))
        var each: [TemplateValue]?
        if call.bindsEach, case .array(let elements)? = bound { each = elements }
        if let bound, each == nil { variables.append((variable, bound)) }

        let (outerLibrary, outerPartial) = (state.library, state.partial)
        state.library = library
        defer { (state.library, state.partial) = (outerLibrary, outerPartial) }
        guard call.isolated else {
            // `include`: the same scope, the arguments and the bound value as locals over it.
            state.partial = name
            state.depth += 1
            resumesLoops = true
            let localCount = locals.count
            locals += variables
            defer {
                locals.removeLast(locals.count - localCount)
                state.depth -= 1
            }
            guard let each else { return render(nodes) }
            locals.append((variable, .null))
            for element in each {
                locals[locals.count - 1].value = element
                let flow = render(nodes)
                if flow != .normal { return flow }
            }
            return .normal
        }
        // `render`: a scope of its own, with only what it was given.
        let passes: [TemplateValue?] = each?.map { Optional.some($0) } ?? [Optional<TemplateValue>.none]
        for (index, element) in passes.enumerated() {
            var members = Dictionary(variables, uniquingKeysWith: { _, last in last })
            if let element, let each {
                members[variable] = element
                members["forloop"] = Self.forloopObject(index0: index, length: each.count, name: "\(variable)-\(name)")
            }
            var inner = TemplateRenderer(root: .object(members), resumesLoops: true, capacity: 0)
            let innerState = inner.extras()
            (innerState.library, innerState.partial, innerState.depth) = (library, name, state.depth + 1)
            let flow = inner.render(nodes)
            output.append(inner.output)
            state.problems += innerState.problems
            if flow == .abort {
                state.abortReason = innerState.abortReason
                return .abort
            }
        }
        return .normal
    }

    /// A `forloop` object for a `render … for` element.
    private static func forloopObject(index0: Int, length: Int, name: String) -> TemplateValue {
        [
            "index": .int(Int64(index0 + 1)), "index0": .int(Int64(index0)), "rindex": .int(Int64(length - index0)),
            "rindex0": .int(Int64(length - index0 - 1)), "first": .bool(index0 == 0), "last": .bool(index0 == length - 1),
            "length": .int(Int64(length)), "name": .string(name),
        ]
    }

    // MARK: - Expressions

    mutating func evaluate(_ value: FilteredExpression) -> TemplateValue {
        var result = evaluate(value.expression)
        for call in value.filters {
            let arguments = call.constantArguments ?? call.arguments.map { evaluate($0) }
            var options: [String: TemplateValue] = [:]
            for option in call.options { options[option.name] = evaluate(option.value) }
            var problem: String?
            result = call.filter.apply(to: result, arguments, options: options, problem: &problem)
            if let problem { report("filter '\(call.filter.rawValue)': \(problem)", at: call.offset) }
        }
        return result
    }

    mutating func evaluate(_ expression: TemplateExpression) -> TemplateValue {
        switch expression {
        case .literal(let value):
            return value
        case .path(let root, let steps):
            return resolve(root, steps)
        case .indirectPath(let root, let steps):
            guard case .string(let name) = evaluate(root) else { return .null }
            return resolve(name, steps)
        case .range(let first, let last):
            let (lower, count) = bounds(first, last)
            return .array((0..<count).map { .int(Int64(lower + $0)) })
        case .empty, .blank:
            return .string("")
        }
    }

    private mutating func resolve(_ root: String, _ steps: [PathStep]) -> TemplateValue {
        var value: TemplateValue
        var remaining = steps[...]
        if let local = locals.last(where: { $0.name == root }) {
            value = local.value
        } else if !loops.isEmpty, let loop = loopVariable(root) {
            guard case .key(let key) = remaining.first else { return loopObject(loop) }
            value = loopMember(key, loop)
            remaining = remaining.dropFirst()
        } else if !assigns.isEmpty, let assigned = assigns[root] {
            value = assigned
        } else if let counter = extrasBox?.counters[root] {
            value = .int(counter)
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
            return property(of: members, key)
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

    /// An object's `size`, or its `first` `[key, value]` pair in key order, when it has no
    /// member of that name.
    @inline(never)
    private static func property(of members: [String: TemplateValue], _ key: String) -> TemplateValue {
        switch key {
        case "size": .int(Int64(members.count))
        case "first": members.keys.min().map { .array([.string($0), members[$0]!]) } ?? .null
        default: .null
        }
    }

    /// `value[index]`; a negative index counts from the end.
    static func element(of value: TemplateValue, _ index: Int) -> TemplateValue {
        guard case .array(let elements) = value else { return .null }
        let position = index < 0 ? elements.count + index : index
        return elements.indices.contains(position) ? elements[position] : .null
    }

    // MARK: - forloop and tablerowloop

    /// The innermost `for` (for `forloop`) or `tablerow` (for `tablerowloop`), if any.
    private mutating func loopVariable(_ name: String) -> Int? {
        let length = name.utf8.count  // most names are neither: skip the comparisons
        guard length == 7 || length == 12 else { return nil }
        switch name {
        case "forloop": return loops.lastIndex { $0.name != nil }
        case "tablerowloop": return loops.lastIndex { $0.name == nil }
        default: return nil
        }
    }

    private mutating func loopMember(_ key: String, _ level: Int) -> TemplateValue {
        // Fields one by one: copying the frame would retain its name.
        let index0 = loops[level].index0, length = loops[level].length
        let isTableRow = loops[level].name == nil
        switch key {
        case "index": return .int(Int64(index0 + 1))
        case "index0": return .int(Int64(index0))
        case "rindex": return .int(Int64(length - index0))
        case "rindex0": return .int(Int64(length - index0 - 1))
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == length - 1)
        case "length": return .int(Int64(length))
        case "name": return loops[level].name.map(TemplateValue.string) ?? .null
        case "parentloop":
            guard !isTableRow, let parent = loops[..<level].lastIndex(where: { $0.name != nil }) else { return .null }
            return loopObject(parent)
        default:
            guard isTableRow else { return .null }
            let columns = loops[level].columns
            let column0 = index0 % columns
            switch key {
            case "col": return .int(Int64(column0 + 1))
            case "col0": return .int(Int64(column0))
            case "col_first": return .bool(column0 == 0)
            case "col_last": return .bool(column0 == columns - 1)
            case "row": return .int(Int64(index0 / columns + 1))
            default: return .null
            }
        }
    }

    private mutating func loopObject(_ level: Int) -> TemplateValue {
        var keys = ["index", "index0", "rindex", "rindex0", "first", "last", "length"]
        keys += loops[level].name == nil ? ["col", "col0", "col_first", "col_last", "row"] : ["parentloop"]
        var members: [String: TemplateValue] = [:]
        for key in keys {
            let value = loopMember(key, level)
            if value != .null { members[key] = value }
        }
        return .object(members)
    }

    /// The first integer and length of `(first..last)`; empty if either end is not a number.
    private mutating func bounds(_ first: TemplateExpression, _ last: TemplateExpression) -> (lower: Int, count: Int) {
        guard let lower = rangeBound(evaluate(first)), let upper = rangeBound(evaluate(last)), upper >= lower else {
            return (0, 0)
        }
        let span = upper.subtractingReportingOverflow(lower)
        return (lower, span.overflow ? Template.maximumRangeLength : min(span.partialValue, Template.maximumRangeLength - 1) + 1)
    }

    /// An end of a range: an integer, a number rounded down, a string by its leading digits
    /// (`"foo"` is 0, as Liquid reads it), nil as 0; nil for anything else.
    private mutating func rangeBound(_ value: TemplateValue) -> Int? {
        switch value {
        case .int(let value): Int(clamping: value)
        case .double(let value) where value.isFinite && Swift.abs(value) < 9e18: Int(value.rounded(.down))
        case .string(let string): Int(clamping: TemplateFilter.leadingInteger(string))
        case .null: 0
        default: nil
        }
    }

    // MARK: - Conditions

    mutating func test(_ condition: TemplateCondition) -> Bool {
        switch condition {
        case .value(let expression):
            return evaluate(expression).isTruthy
        case .comparison(let left, let comparator, let right, let offset):
            return compare(left, comparator, right, at: offset)
        case .and(let left, let right):
            return test(left) && test(right)
        case .or(let left, let right):
            return test(left) || test(right)
        case .not(let inner):
            return !test(inner)
        }
    }

    private mutating func compare(_ left: TemplateExpression, _ comparator: ComparisonOperator, _ right: TemplateExpression,
                                  at offset: Int) -> Bool {
        switch comparator {
        case .equal: return matches(evaluate(left), right, reversed: left)
        case .notEqual: return !matches(evaluate(left), right, reversed: left)
        case .contains: return Self.contains(evaluate(left), evaluate(right))
        case .less, .greater, .lessOrEqual, .greaterOrEqual:
            if left.isKeyword || right.isKeyword { return false }
            let (a, b) = (evaluate(left), evaluate(right))
            guard let order = Self.order(a, b) else {
                if a.isNumber && b.isString || a.isString && b.isNumber {
                    report("cannot compare \(a.kindName) with \(b.kindName) using '\(comparator.rawValue)'", at: offset)
                }
                return false
            }
            switch comparator {
            case .less: return order < 0
            case .greater: return order > 0
            case .lessOrEqual: return order <= 0
            default: return order >= 0
            }
        }
    }

    /// Whether `value == expression`, with `empty` and `blank` on either side meaning the test;
    /// the two keywords are never equal to each other.
    private mutating func matches(_ value: TemplateValue, _ expression: TemplateExpression, reversed other: TemplateExpression? = nil) -> Bool {
        if expression.isKeyword && other?.isKeyword == true { return false }
        switch (expression, other) {
        case (.empty, _): return value.isEmpty
        case (.blank, _): return value.isBlank
        case (_, .empty?): return evaluate(expression).isEmpty
        case (_, .blank?): return evaluate(expression).isBlank
        default: return Self.equals(value, evaluate(expression))
        }
    }

    /// Liquid's `==`: integers and doubles compare by value, in arrays and objects too.
    static func equals(_ left: TemplateValue, _ right: TemplateValue) -> Bool {
        switch left {
        case .int(let a):
            if case .double(let b) = right { return Double(a) == b }
        case .double(let a):
            if case .int(let b) = right { return a == Double(b) }
        case .array(let a):
            if case .array(let b) = right { return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) } }
        case .object(let a):
            if case .object(let b) = right {
                return a.count == b.count && a.allSatisfy { key, value in b[key].map { equals(value, $0) } ?? false }
            }
        default:
            break
        }
        return left == right
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

    /// `contains`: a substring of a string, an element of an array, a key of an object; never
    /// nil or false.
    static func contains(_ container: TemplateValue, _ item: TemplateValue) -> Bool {
        guard item.isTruthy else { return false }
        switch container {
        case .string(let string):
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

extension TemplateExpression {
    /// Whether this is `empty` or `blank`.
    var isKeyword: Bool {
        switch self {
        case .empty, .blank: true
        default: false
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

    var isNumber: Bool { doubleValue != nil }

    var isString: Bool {
        if case .string = self { return true }
        return false
    }

    /// How a problem names the kind of this value.
    var kindName: String {
        switch self {
        case .null: "nil"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// What a `for` walks: the elements of an array, an object's `[key, value]` pairs in key order,
/// a string as one element, or a range's integers without building an array. Anything else has
/// nothing to walk.
private enum LoopItems {
    case values([TemplateValue])
    case range(lower: Int, count: Int)

    init(_ collection: TemplateValue) {
        switch collection {
        case .array(let elements):
            self = .values(elements)
        case .object(let members):
            self = .values(members.keys.sorted().map { .array([.string($0), members[$0]!]) })
        case .string(let string) where !string.isEmpty:
            self = .values([collection])
        default:
            self = .values([])
        }
    }

    var count: Int {
        switch self {
        case .values(let values): values.count
        case .range(_, let count): count
        }
    }

    var all: [TemplateValue] {
        switch self {
        case .values(let values): values
        case .range(let lower, let count): (0..<count).map { .int(Int64(lower + $0)) }
        }
    }

    subscript(position: Int) -> TemplateValue {
        switch self {
        case .values(let values): values[position]
        case .range(let lower, _): .int(Int64(lower + position))
        }
    }
}
