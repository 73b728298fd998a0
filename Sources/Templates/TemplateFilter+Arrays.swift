extension TemplateFilter {
    /// The elements an array filter works on: nested arrays flattened, as Liquid does; nil is
    /// none and any other value is one.
    static func flattened(_ input: TemplateValue) -> [TemplateValue] {
        guard case .array(let elements) = input else { return input.elements }
        guard elements.contains(where: { if case .array = $0 { true } else { false } }) else { return elements }
        return elements.flatMap { flattened($0) }
    }

    /// An element's `property`, or the element itself when no property is named.
    private static func key(_ element: TemplateValue, _ property: TemplateValue) -> TemplateValue {
        if case .null = property { return element }
        return TemplateRenderer.member(of: element, property.description)
    }

    /// `join: separator`, `" "` by default.
    static func join(_ input: TemplateValue, separator: String) -> TemplateValue {
        .string(flattened(input).map(\.description).joined(separator: separator))
    }

    /// `concat: array`: the elements of both; an argument that is not an array is a problem (it
    /// is added as one element).
    static func concat(_ input: TemplateValue, _ other: TemplateValue, problem: inout String?) -> TemplateValue {
        if case .array = other {} else { problem = "expected an array, not \(other.kindName)" }
        return .array(flattened(input) + flattened(other))
    }

    // MARK: - Sorting

    /// `sort`, optionally by a property: numbers before strings, nil (or a missing property)
    /// last, equal keys in their order. Values Liquid cannot compare with each other (a number
    /// and a string) are a problem; they are sorted by kind.
    static func sort(_ input: TemplateValue, by property: TemplateValue, problem: inout String?) -> TemplateValue {
        let keyed = flattened(input).map { (key($0, property), $0) }
        var kinds = Set<Int>()
        for (sortKey, _) in keyed where sortKey != .null { kinds.insert(rank(sortKey)) }
        if kinds.count > 1 { problem = "cannot sort values of different kinds" }
        let sorted = keyed.enumerated().sorted { left, right in
            let order = sortOrder(left.element.0, right.element.0)
            return order != 0 ? order < 0 : left.offset < right.offset
        }
        return .array(sorted.map(\.element.1))
    }

    /// `sort_natural`, optionally by a property: by text, ignoring ASCII case (numbers compare as
    /// their digits), nil last, equal keys in their order.
    static func sortNatural(_ input: TemplateValue, by property: TemplateValue) -> TemplateValue {
        let keyed = flattened(input).map { element -> ([UInt8]?, TemplateValue) in
            let sortKey = key(element, property)
            if case .null = sortKey { return (nil, element) }
            return (sortKey.description.utf8.map { $0 >= 0x41 && $0 <= 0x5a ? $0 | 0x20 : $0 }, element)
        }
        let sorted = keyed.enumerated().sorted { left, right in
            switch (left.element.0, right.element.0) {
            case (let a?, let b?) where a != b: return a.lexicographicallyPrecedes(b)
            case (nil, _?): return false
            case (_?, nil): return true
            default: return left.offset < right.offset
            }
        }
        return .array(sorted.map(\.element.1))
    }

    /// Numbers, strings, booleans, others, nil.
    private static func rank(_ value: TemplateValue) -> Int {
        switch value {
        case .int, .double: 0
        case .string: 1
        case .bool: 2
        case .array, .object: 3
        case .null: 4
        }
    }

    /// A total order over values for `sort`: by kind, then by value.
    private static func sortOrder(_ left: TemplateValue, _ right: TemplateValue) -> Int {
        let (leftRank, rightRank) = (rank(left), rank(right))
        if leftRank != rightRank { return leftRank < rightRank ? -1 : 1 }
        if let order = TemplateRenderer.order(left, right) { return order }
        if case .bool(let a) = left, case .bool(let b) = right { return a == b ? 0 : (a ? 1 : -1) }
        return 0
    }

    // MARK: - Picking elements

    /// `uniq`, optionally by a property: the first element of each distinct key.
    static func uniq(_ input: TemplateValue, by property: TemplateValue) -> TemplateValue {
        var seen = Set<TemplateValue>()
        return .array(flattened(input).filter { seen.insert(key($0, property)).inserted })
    }

    /// `compact`, optionally by a property: nil elements (or those whose property is nil) removed.
    static func compact(_ input: TemplateValue, by property: TemplateValue) -> TemplateValue {
        .array(flattened(input).filter { key($0, property) != .null })
    }

    /// `map: property`: each element's property (nil for elements without it). An integer among
    /// the elements has no properties: a problem.
    static func map(_ input: TemplateValue, _ property: TemplateValue, problem: inout String?) -> TemplateValue {
        let name = property.description
        return .array(flattened(input).map { element in
            if case .int = element { problem = "a number has no property '\(name)'" }
            return TemplateRenderer.member(of: element, name)
        })
    }

    /// What `where`, `reject`, `has`, `find` and `find_index` do with the elements that match.
    enum Selection {
        case keep, drop, any, first, firstIndex
    }

    /// An element `matches` when its `property` is truthy (no value, or a nil one) or equals the
    /// value. Liquid reads the property the way Ruby's `[]` does: an object's member, a string's
    /// substring (the property itself, when the string contains it), an array's element at an
    /// integer. A number or an array asked for a named property is a problem; a nil or boolean
    /// element ends the search with nil. Without a property nothing matches.
    static func select(_ input: TemplateValue, _ property: TemplateValue, _ value: TemplateValue, _ selection: Selection,
                       problem: inout String?) -> TemplateValue {
        let elements = flattened(input)
        guard !elements.isEmpty, property != .null else {
            switch selection {
            case .keep, .drop: return .array([])
            case .any: return .bool(false)
            case .first, .firstIndex: return .null
            }
        }
        var kept: [TemplateValue] = []
        for (index, element) in elements.enumerated() {
            let member: TemplateValue
            switch (element, property) {
            case (.null, _), (.bool, _), (.double, _):
                return .null
            case (.object(let members), .string(let key)):
                member = members[key] ?? .null
            case (.object, _):
                member = .null
            case (.string(let string), .string(let needle)):
                member = string.contains(needle) ? property : .null
            case (.string(let string), .int(let position)):
                let characters = Array(string)
                let at = position < 0 ? Int64(characters.count) + position : position
                member = at >= 0 && at < characters.count ? .string(String(characters[Int(at)])) : .null
            case (.array, .int(let position)):
                member = TemplateRenderer.element(of: element, Int(clamping: position))
            case (.int(let number), .int(let bit)):
                member = .int(bit >= 0 && bit < 64 ? (number >> bit) & 1 : (number < 0 ? 1 : 0))
            default:
                problem = "\(element.kindName) has no property \(property.description.isEmpty ? property.kindName : "'\(property.description)'")"
                return selection == .any ? .bool(false) : selection == .keep || selection == .drop ? .array([]) : .null
            }
            let matches = value == .null ? member.isTruthy : TemplateRenderer.equals(member, value)
            switch selection {
            case .keep: if matches { kept.append(element) }
            case .drop: if !matches { kept.append(element) }
            case .any: if matches { return .bool(true) }
            case .first: if matches { return element }
            case .firstIndex: if matches { return .int(Int64(index)) }
            }
        }
        switch selection {
        case .keep, .drop: return .array(kept)
        case .any: return .bool(false)
        case .first, .firstIndex: return .null
        }
    }

    /// `sum`, optionally of a property: the elements (or their property) as numbers, added.
    static func sum(_ input: TemplateValue, property: TemplateValue, problem: inout String?) -> TemplateValue {
        var total: TemplateValue = .int(0)
        for element in flattened(input) {
            var addend = element
            if property != .null {
                switch element {
                case .object(let members): addend = members[property.description] ?? .null
                case .int, .array:
                    problem = "\(element.kindName) has no property '\(property.description)'"
                    return .null
                default: addend = .null
                }
            }
            var ignored: String?
            total = arithmetic(total, addend, .plus, problem: &ignored)
        }
        return total
    }
}
