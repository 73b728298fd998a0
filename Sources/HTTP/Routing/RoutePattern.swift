/// A path pattern such as `/channels/{channel}/webhook`: literal segments and `{name}` captures.
public struct RoutePattern: Sendable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    let segments: [Segment]
    public let description: String

    /// Parses a pattern; `{name}` must fill a whole segment.
    public init(_ pattern: String) {
        description = pattern
        segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map { part in
            if part.hasPrefix("{") && part.hasSuffix("}") && part.count > 2 {
                return .parameter(String(part.dropFirst().dropLast()))
            }
            return .literal(String(part))
        }
    }

    /// True when the pattern has no `{name}` segment.
    var isLiteral: Bool { segments.allSatisfy { if case .literal = $0 { true } else { false } } }

    /// The path a literal pattern matches exactly, e.g. `/healthz`.
    var canonicalPath: String {
        "/" + segments.map { if case .literal(let text) = $0 { text } else { "" } }.joined(separator: "/")
    }

    /// Matches already split, percent-decoded path segments; returns captures or nil.
    func match(_ pathSegments: [String]) -> RouteParameters? {
        guard pathSegments.count == segments.count else { return nil }
        var parameters = RouteParameters()
        for (segment, value) in zip(segments, pathSegments) {
            switch segment {
            case .literal(let literal):
                if literal != value { return nil }
            case .parameter(let name):
                if value.isEmpty { return nil }
                parameters.values.append((name, value))
            }
        }
        return parameters
    }
}

/// Values captured from the path by a route pattern.
public struct RouteParameters: Sendable {
    var values: [(name: String, value: String)] = []

    public init() {}

    /// The value captured for `{name}`.
    public subscript(name: String) -> String? { values.first { $0.name == name }?.value }
}
