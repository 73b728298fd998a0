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

    /// `sort` and `sort_natural` (case-insensitive), optionally by a property. Numbers come before
    /// strings, and nil (or a missing property) goes last; equal keys keep their order.
    static func sort(_ input: TemplateValue, by property: TemplateValue, caseInsensitive: Bool) -> TemplateValue {
        let keyed = flattened(input).map { element -> (TemplateValue, TemplateValue) in
            var sortKey = key(element, property)
            if caseInsensitive, case .string(let string) = sortKey { sortKey = .string(string.lowercased()) }
            return (sortKey, element)
        }
        let sorted = keyed.enumerated().sorted { left, right in
            let order = sortOrder(left.element.0, right.element.0)
            return order != 0 ? order < 0 : left.offset < right.offset
        }
        return .array(sorted.map(\.element.1))
    }

    /// A total order over values for `sort`: by kind (numbers, strings, booleans, others, nil),
    /// then by value.
    private static func sortOrder(_ left: TemplateValue, _ right: TemplateValue) -> Int {
        func rank(_ value: TemplateValue) -> Int {
            switch value {
            case .int, .double: 0
            case .string: 1
            case .bool: 2
            case .array, .object: 3
            case .null: 4
            }
        }
        let (leftRank, rightRank) = (rank(left), rank(right))
        if leftRank != rightRank { return leftRank < rightRank ? -1 : 1 }
        if let order = TemplateRenderer.order(left, right) { return order }
        if case .bool(let a) = left, case .bool(let b) = right { return a == b ? 0 : (a ? 1 : -1) }
        return 0
    }

    /// `uniq`, optionally by a property: the first element of each distinct key.
    static func uniq(_ input: TemplateValue, by property: TemplateValue) -> TemplateValue {
        var seen = Set<TemplateValue>()
        return .array(flattened(input).filter { seen.insert(key($0, property)).inserted })
    }

    /// `compact`, optionally by a property: nil elements (or those whose property is nil) removed.
    static func compact(_ input: TemplateValue, by property: TemplateValue) -> TemplateValue {
        .array(flattened(input).filter { key($0, property) != .null })
    }

    /// `map: property`: each element's property (nil for elements without it).
    static func map(_ input: TemplateValue, _ property: TemplateValue) -> TemplateValue {
        let name = property.description
        return .array(flattened(input).map { TemplateRenderer.member(of: $0, name) })
    }

    /// `where: property` (elements whose property is truthy) and `where: property, value`
    /// (elements whose property equals the value).
    static func filter(_ input: TemplateValue, property: TemplateValue, equals value: TemplateValue?) -> TemplateValue {
        let name = property.description
        return .array(flattened(input).filter { element in
            let member = TemplateRenderer.member(of: element, name)
            guard let value else { return member.isTruthy }
            return TemplateRenderer.equals(member, value)
        })
    }
}
