/// A number a filter computes with: Liquid keeps integers and floats apart.
enum TemplateNumber: Equatable {
    case int(Int64)
    case double(Double)

    var double: Double {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        }
    }

    var value: TemplateValue {
        switch self {
        case .int(let value): .int(value)
        case .double(let value): .double(value)
        }
    }
}

extension TemplateFilter {
    /// A value as Liquid's arithmetic reads it: numbers as they are; text that is a decimal
    /// (`"2.5"`, `" -1.25 "`) as a double, other text by its leading integer (`"12abc"` is 12,
    /// `"abc"` is 0); anything else, nil included, 0.
    static func number(_ value: TemplateValue) -> TemplateNumber {
        switch value {
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .string(let string):
            let text = trim(string, leading: true, trailing: true)
            if isDecimal(text), let double = Double(text), double.isFinite { return .double(double) }
            return leadingNumber(text)
        default:
            return .int(0)
        }
    }

    /// `-?digits.digits`, the only text Liquid reads as a decimal.
    private static func isDecimal(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        guard let dot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return false }
        let whole = bytes[..<dot], fraction = bytes[bytes.index(after: dot)...]
        return !whole.isEmpty && !fraction.isEmpty && whole.allSatisfy(\.isDigit) && fraction.allSatisfy(\.isDigit)
    }

    /// The integer at the start of `text` (after whitespace and a sign), as Ruby's `to_i` reads
    /// it; 0 when there is none, a double when it does not fit.
    private static func leadingNumber(_ text: String) -> TemplateNumber {
        var bytes = text.utf8.drop(while: \.isASCIIWhitespace)
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        let digits = bytes.prefix(while: \.isDigit)
        guard !digits.isEmpty else { return .int(0) }
        let spelled = (negative ? "-" : "") + String(decoding: digits, as: UTF8.self)
        if let int = Int64(spelled) { return .int(int) }
        return .double(Double(spelled) ?? 0)
    }

    /// `leadingNumber` as an integer, clamped.
    static func leadingInteger(_ text: String) -> Int64 {
        switch leadingNumber(text) {
        case .int(let value): value
        case .double(let value): value < 0 ? .min : .max
        }
    }

    enum Operation {
        case plus, minus, times, dividedBy, modulo
    }

    /// `plus`, `minus`, `times`, `divided_by`, `modulo`, on the operands as `number` reads them.
    /// Two integers give an integer (division and modulo round toward negative infinity, as
    /// Ruby's do); otherwise a double, computed on the decimal spellings where they allow it, as
    /// Liquid does with `BigDecimal`, so `0.1 | plus: 0.2` is `0.3`. Dividing by zero is a
    /// problem and gives nil.
    static func arithmetic(_ input: TemplateValue, _ operand: TemplateValue, _ operation: Operation,
                           problem: inout String?) -> TemplateValue {
        let left = number(input), right = number(operand)
        if operation == .dividedBy || operation == .modulo, right.double == 0 {
            problem = "divided by 0"
            return .null
        }
        if case .int(let a) = left, case .int(let b) = right {
            switch operation {
            case .plus: if let sum = checked(a.addingReportingOverflow(b)) { return .int(sum) }
            case .minus: if let difference = checked(a.subtractingReportingOverflow(b)) { return .int(difference) }
            case .times: if let product = checked(a.multipliedReportingOverflow(by: b)) { return .int(product) }
            case .dividedBy:
                if let quotient = checked(a.dividedReportingOverflow(by: b)) {
                    let floored = (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
                    return .int(floored)
                }
            case .modulo:
                if let remainder = checked(a.remainderReportingOverflow(dividingBy: b)) {
                    return .int(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
                }
            }
        }
        if operation != .dividedBy, let exact = decimalArithmetic(left, right, operation) {
            return .double(exact)
        }
        let a = left.double
        let b = right.double
        switch operation {
        case .plus: return .double(a + b)
        case .minus: return .double(a - b)
        case .times: return .double(a * b)
        case .dividedBy: return .double(a / b)
        case .modulo: return .double(a - b * (a / b).rounded(.down))
        }
    }

    /// `left op right` computed exactly on `mantissa / 10^scale` decimals, or nil when either
    /// operand is spelled with an exponent or the integers would overflow.
    private static func decimalArithmetic(_ left: TemplateNumber, _ right: TemplateNumber, _ operation: Operation) -> Double? {
        guard let a = ExactDecimal(left), let b = ExactDecimal(right) else { return nil }
        if operation == .times {
            guard let product = checked(a.mantissa.multipliedReportingOverflow(by: b.mantissa)) else { return nil }
            return ExactDecimal(mantissa: product, scale: a.scale + b.scale)?.double
        }
        let scale = max(a.scale, b.scale)
        guard let x = a.mantissa(atScale: scale), let y = b.mantissa(atScale: scale) else { return nil }
        let result: Int64?
        switch operation {
        case .plus: result = checked(x.addingReportingOverflow(y))
        case .minus: result = checked(x.subtractingReportingOverflow(y))
        case .modulo:
            guard y != 0, let remainder = checked(x.remainderReportingOverflow(dividingBy: y)) else { return nil }
            result = remainder != 0 && (remainder < 0) != (y < 0) ? remainder + y : remainder
        default: result = nil
        }
        return result.flatMap { ExactDecimal(mantissa: $0, scale: scale)?.double }
    }

    private static func checked(_ result: (partialValue: Int64, overflow: Bool)) -> Int64? {
        result.overflow ? nil : result.partialValue
    }

    /// `at_least` (the larger) and `at_most` (the smaller).
    static func bound(_ input: TemplateValue, _ limit: TemplateValue, keepLarger: Bool) -> TemplateValue {
        let value = number(input), limit = number(limit)
        let inputIsLarger = value.double > limit.double
        return (inputIsLarger == keepLarger ? value : limit).value
    }

    /// `abs`.
    static func absolute(_ input: TemplateValue) -> TemplateValue {
        switch number(input) {
        case .int(let value): value == .min ? .double(-Double(value)) : .int(Swift.abs(value))
        case .double(let value): .double(Swift.abs(value))
        }
    }

    /// `round: digits`: to an integer without digits (or with 0, or with something that is not a
    /// number), half away from zero; to a double with them.
    static func round(_ input: TemplateValue, digits: TemplateValue) -> TemplateValue {
        let value = number(input), digits = clamped(number(digits))
        guard case .double(let double) = value else {
            guard digits < 0, case .int(let int) = value, digits > -19 else { return value.value }
            let scale = (0..<(-digits)).reduce(Int64(1)) { result, _ in result * 10 }
            let product = Int64((Double(int) / Double(scale)).rounded()).multipliedReportingOverflow(by: scale)
            return product.overflow ? input : .int(product.partialValue)
        }
        guard digits > 0 else {
            let scale = digits < 0 ? pow10(-digits) : 1
            return whole((double / scale).rounded() * scale)
        }
        let scale = pow10(digits)
        let scaled = double * scale
        guard scaled.isFinite else { return .double(double) }
        return .double(scaled.rounded() / scale)
    }

    /// `ceil` and `floor`: an integer.
    static func rounded(_ input: TemplateValue, _ rule: FloatingPointRoundingRule) -> TemplateValue {
        switch number(input) {
        case .int(let value): .int(value)
        case .double(let value): whole(value.rounded(rule))
        }
    }

    /// A number as a whole number toward zero, clamped to ±2^53 so that lengths and offsets built
    /// from it cannot overflow.
    static func clamped(_ number: TemplateNumber) -> Int {
        let limit: Int64 = 1 << 53
        switch number {
        case .int(let value): return Int(min(max(value, -limit), limit))
        case .double(let value):
            guard value.isFinite else { return value.isNaN ? 0 : (value < 0 ? -Int(limit) : Int(limit)) }
            return Int(min(max(value.rounded(.towardZero), -Double(limit)), Double(limit)))
        }
    }

    /// An integral double as an integer when it fits.
    private static func whole(_ value: Double) -> TemplateValue {
        if let int = Int64(exactly: value) { return .int(int) }
        return .double(value)
    }

    private static func pow10(_ exponent: Int) -> Double {
        (0..<min(exponent, 308)).reduce(1.0) { result, _ in result * 10 }
    }
}

/// A number as `mantissa / 10^scale` with the smallest scale that gives back the same double:
/// `183.357` is `183357 / 10^3`. Mantissas stay below 2^53, where doubles are exact integers, so
/// `Double(mantissa) / 10^scale` is the correctly rounded value of the decimal.
private struct ExactDecimal {
    var mantissa: Int64
    var scale: Int

    private static let exactLimit: Double = 9_007_199_254_740_992  // 2^53
    /// 10^0 … 10^22, each exact in a double.
    private static let powersOfTen: [Double] = (0...22).reduce(into: []) { powers, k in
        powers.append(k == 0 ? 1 : powers[k - 1] * 10)
    }

    init?(mantissa: Int64, scale: Int) {
        guard Swift.abs(Double(mantissa)) < Self.exactLimit, scale < Self.powersOfTen.count else { return nil }
        self.mantissa = mantissa
        self.scale = scale
    }

    init?(_ number: TemplateNumber) {
        switch number {
        case .int(let value):
            self.init(mantissa: value, scale: 0)
        case .double(let value):
            guard value.isFinite, Swift.abs(value) < Self.exactLimit else { return nil }
            for scale in 0...15 {
                let power = Self.powersOfTen[scale]
                let mantissa = (value * power).rounded()
                guard Swift.abs(mantissa) < Self.exactLimit else { return nil }
                if mantissa / power == value {
                    self.init(mantissa: Int64(mantissa), scale: scale)
                    return
                }
            }
            return nil
        }
    }

    /// The mantissa for a larger `scale`, or nil on overflow.
    func mantissa(atScale target: Int) -> Int64? {
        var result = mantissa
        for _ in scale..<target {
            let next = result.multipliedReportingOverflow(by: 10)
            guard !next.overflow else { return nil }
            result = next.partialValue
        }
        return result
    }

    /// The nearest double.
    var double: Double {
        Double(mantissa) / Self.powersOfTen[scale]
    }
}
