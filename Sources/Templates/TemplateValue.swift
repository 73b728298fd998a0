/// A value a template reads or computes: the render context, a variable, a filter's result.
///
/// Objects are unordered dictionaries; wherever their keys are listed (`json`, `for` over an
/// object) they come out sorted, so output never depends on hashing.
public enum TemplateValue: Sendable, Hashable {
    /// Nothing: a missing value, JSON `null`, Liquid `nil`. Renders as nothing.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A whole number; renders without a decimal point.
    case int(Int64)
    /// A floating-point number; renders in its shortest form, `2.5` or `3.0`.
    case double(Double)
    /// Text.
    case string(String)
    /// An ordered list.
    case array([TemplateValue])
    /// Named members; variables at the top of a render context.
    case object([String: TemplateValue])
}

// MARK: - Literals

extension TemplateValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
    ExpressibleByDictionaryLiteral
{
    /// `nil` is `.null`.
    public init(nilLiteral: ()) { self = .null }
    /// `true` is `.bool(true)`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// `3` is `.int(3)`.
    public init(integerLiteral value: Int64) { self = .int(value) }
    /// `2.5` is `.double(2.5)`.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// `"text"` is `.string("text")`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// `[1, "a"]` is an array.
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }

    /// An object; a repeated key keeps its last value.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

// MARK: - Access

extension TemplateValue {
    /// The member `key` of an object, or `nil` for anything else.
    public subscript(key: String) -> TemplateValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// Liquid truthiness: only `nil` and `false` are false; `""`, `0` and `[]` are true.
    public var isTruthy: Bool {
        switch self {
        case .null, .bool(false): false
        default: true
        }
    }

    /// Whether this is `""`, `[]` or `{}` (Liquid's `empty`).
    var isEmpty: Bool {
        switch self {
        case .string(let string): string.isEmpty
        case .array(let elements): elements.isEmpty
        case .object(let members): members.isEmpty
        default: false
        }
    }

    /// Liquid's `blank`: nil, false, empty, or a string of only whitespace.
    var isBlank: Bool {
        switch self {
        case .null, .bool(false): true
        case .string(let string): string.utf8.allSatisfy(\.isASCIIWhitespace)
        default: isEmpty
        }
    }

    /// This value if it is an array, else `nil`: `first` and `last` see nothing else.
    var arrayOnly: TemplateValue {
        if case .array = self { return self }
        return .null
    }

    /// The elements a filter or loop sees: an array as is, `nil` as none, anything else as one.
    var elements: [TemplateValue] {
        switch self {
        case .array(let elements): elements
        case .null: []
        default: [self]
        }
    }
}

// MARK: - Rendering

extension TemplateValue: CustomStringConvertible {
    /// The text `{{ value }}` writes: nil as nothing, numbers in their shortest form (an integral
    /// double keeps its `.0`, as Liquid's Ruby floats do), arrays as their elements run together,
    /// objects as compact JSON.
    public var description: String {
        switch self {
        case .string(let string): return string
        default:
            var text = ""
            write(to: &text)
            return text
        }
    }

    /// Appends `description` to `output` without an intermediate string where it can.
    func write(to output: inout String) {
        switch self {
        case .null: break
        case .bool(let value): output.append(value ? "true" : "false")
        case .int(let value): output.append(String(value))
        case .double(let value): output.append(Self.format(value))
        case .string(let string): output.append(string)
        case .array(let elements):
            for element in elements { element.write(to: &output) }
        case .object: writeJSON(to: &output)
        }
    }

    /// A double as Liquid prints it: `2.5`, `3.0`, `1e+20`; `Infinity` and `NaN` spelled out.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Infinity" : "Infinity" }
        return value.description
    }
}

extension UInt8 {
    /// Space, tab, newline, vertical tab, form feed or carriage return.
    var isASCIIWhitespace: Bool {
        self == 0x20 || (self >= 0x09 && self <= 0x0d)
    }
}
