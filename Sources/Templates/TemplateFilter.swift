import Signing

/// The filters a template may name after `|`. An unknown name is a parse error.
///
/// Filters never fail. They convert their input the way Liquid does (numbers from text, text from
/// anything, arrays from single values); where Liquid would stop with an error (`divided_by: 0`,
/// `slice: "x"`, sorting numbers with strings) they report a problem, which the render records,
/// and return something harmless: the input unchanged, or `nil`, so `| default:` can supply one.
enum TemplateFilter: String, Sendable, CaseIterable {
    // MARK: Values
    case `default`
    case size, first, last
    case propertyAccessor = "property_accessor"

    // MARK: Strings
    case append, prepend, capitalize, downcase, upcase, strip, lstrip, rstrip
    case replace
    case replaceFirst = "replace_first"
    case replaceLast = "replace_last"
    case remove
    case removeFirst = "remove_first"
    case removeLast = "remove_last"
    case truncate, truncatewords, split, slice
    case stripNewlines = "strip_newlines"
    case newlineToBr = "newline_to_br"
    case stripHTML = "strip_html"

    // MARK: Escaping and encoding
    case json
    case jsonEscape = "json_escape"
    case escape
    case escapeOnce = "escape_once"
    case urlEncode = "url_encode"
    case urlDecode = "url_decode"
    case urlEscape = "url_escape"
    case urlParamEscape = "url_param_escape"
    case base64Encode = "base64_encode"
    case base64Decode = "base64_decode"
    case base64URLSafeEncode = "base64_url_safe_encode"
    case base64URLSafeDecode = "base64_url_safe_decode"
    case sha1, sha2
    case hmacSHA1 = "hmac_sha1"
    case hmacSHA1Base64 = "hmac_sha1_base64"
    case hmacSHA256 = "hmac_sha256"
    case hmacSHA256Base64 = "hmac_sha256_base64"

    // MARK: Numbers
    case plus, minus, times
    case dividedBy = "divided_by"
    case modulo, abs, round, ceil, floor
    case atLeast = "at_least"
    case atMost = "at_most"

    // MARK: Arrays
    case join, sort
    case sortNatural = "sort_natural"
    case uniq, reverse, compact, map, `where`, reject, has, find
    case findIndex = "find_index"
    case sum, concat

    // MARK: Dates
    case date

    /// Other names of filters: `h` is `escape`.
    static let aliases: [String: TemplateFilter] = ["h": .escape]

    /// How many positional arguments the filter takes.
    var arity: ClosedRange<Int> {
        switch self {
        case .default, .join, .round, .sort, .sortNatural, .uniq, .compact, .sum: 0...1
        case .truncate, .truncatewords: 0...2
        case .replace, .replaceFirst: 1...2
        case .replaceLast: 2...2
        case .slice, .where, .reject, .has, .find, .findIndex: 1...2
        case .append, .prepend, .remove, .removeFirst, .removeLast, .split, .plus, .minus, .times,
            .dividedBy, .modulo, .atLeast, .atMost, .map, .concat, .date, .hmacSHA1, .hmacSHA1Base64,
            .hmacSHA256, .hmacSHA256Base64, .propertyAccessor:
            1...1
        default: 0...0
        }
    }

    /// The filter applied to `input` with its positional `arguments` (as many as `arity` allows)
    /// and named `options`, problems ignored.
    func apply(to input: TemplateValue, _ arguments: [TemplateValue], options: [String: TemplateValue]) -> TemplateValue {
        var problem: String?
        return apply(to: input, arguments, options: options, problem: &problem)
    }

    /// The filter applied to `input`; `problem` is set when Liquid would have stopped with an error.
    func apply(to input: TemplateValue, _ arguments: [TemplateValue], options: [String: TemplateValue],
               problem: inout String?) -> TemplateValue {
        let first = arguments.first ?? .null
        let second = arguments.count > 1 ? arguments[1] : .null
        switch self {
        case .default: return Self.defaultValue(input, first, allowFalse: options["allow_false"]?.isTruthy ?? false)
        case .size: return Self.size(input)
        case .first: return Self.first(input)
        case .last: return TemplateRenderer.member(of: input.arrayOnly, "last")
        case .propertyAccessor: return Self.property(of: input, first)

        case .append: return .string(input.description + first.description)
        case .prepend: return .string(first.description + input.description)
        case .capitalize: return Self.capitalize(input)
        case .downcase: return Self.mapString(input) { $0.lowercased() }
        case .upcase: return Self.mapString(input) { $0.uppercased() }
        case .strip: return Self.mapString(input) { Self.trim($0, leading: true, trailing: true) }
        case .lstrip: return Self.mapString(input) { Self.trim($0, leading: true, trailing: false) }
        case .rstrip: return Self.mapString(input) { Self.trim($0, leading: false, trailing: true) }
        case .replace: return Self.replace(input, first, second, .all)
        case .replaceFirst: return Self.replace(input, first, second, .first)
        case .replaceLast: return Self.replace(input, first, second, .last)
        case .remove: return Self.replace(input, first, "", .all)
        case .removeFirst: return Self.replace(input, first, "", .first)
        case .removeLast: return Self.replace(input, first, "", .last)
        case .truncate:
            // A missing argument and a nil one differ here: optionals.
            return Self.truncate(input, length: arguments.first, ellipsis: arguments.count > 1 ? second : Optional.none, problem: &problem)
        case .truncatewords:
            return Self.truncateWords(input, count: arguments.first, ellipsis: arguments.count > 1 ? second : Optional.none, problem: &problem)
        case .split: return Self.split(input, first)
        case .slice: return Self.slice(input, first, second == .null ? Optional<TemplateValue>.none : second, problem: &problem)
        case .stripNewlines: return Self.stripNewlines(input)
        case .newlineToBr: return Self.newlineToBr(input)
        case .stripHTML: return Self.stripHTML(input)

        case .json: return .string(input.json)
        case .jsonEscape: return Self.jsonEscape(input)
        case .escape: return Self.escapeHTML(input, once: false)
        case .escapeOnce: return Self.escapeHTML(input, once: true)
        case .urlEncode: return Self.percentEncode(input, keeping: .unreserved, spaceAsPlus: true)
        case .urlParamEscape: return Self.percentEncode(input, keeping: .unreserved, spaceAsPlus: false)
        case .urlEscape: return Self.percentEncode(input, keeping: .unreservedAndReserved, spaceAsPlus: false)
        case .urlDecode: return Self.urlDecode(input)
        case .base64Encode: return Self.base64Encode(input)
        case .base64Decode: return Self.base64Decode(input, urlSafe: false, problem: &problem)
        case .base64URLSafeEncode: return Self.base64URLSafeEncode(input)
        case .base64URLSafeDecode: return Self.base64Decode(input, urlSafe: true, problem: &problem)
        case .sha1: return Self.digest(input, SHA1.self)
        case .sha2: return Self.digest(input, SHA256.self)
        case .hmacSHA1: return Self.hmac(input, key: first, SHA1.self, base64: false)
        case .hmacSHA1Base64: return Self.hmac(input, key: first, SHA1.self, base64: true)
        case .hmacSHA256: return Self.hmac(input, key: first, SHA256.self, base64: false)
        case .hmacSHA256Base64: return Self.hmac(input, key: first, SHA256.self, base64: true)

        case .plus: return Self.arithmetic(input, first, .plus, problem: &problem)
        case .minus: return Self.arithmetic(input, first, .minus, problem: &problem)
        case .times: return Self.arithmetic(input, first, .times, problem: &problem)
        case .dividedBy: return Self.arithmetic(input, first, .dividedBy, problem: &problem)
        case .modulo: return Self.arithmetic(input, first, .modulo, problem: &problem)
        case .atLeast: return Self.bound(input, first, keepLarger: true)
        case .atMost: return Self.bound(input, first, keepLarger: false)
        case .abs: return Self.absolute(input)
        case .round: return Self.round(input, digits: first)
        case .ceil: return Self.rounded(input, .up)
        case .floor: return Self.rounded(input, .down)

        case .join: return Self.join(input, separator: arguments.isEmpty ? " " : first.description)
        case .sort: return Self.sort(input, by: first, problem: &problem)
        case .sortNatural: return Self.sortNatural(input, by: first)
        case .uniq: return Self.uniq(input, by: first)
        case .reverse: return .array(Self.flattened(input).reversed())
        case .compact: return Self.compact(input, by: first)
        case .map: return Self.map(input, first, problem: &problem)
        case .where: return Self.select(input, first, second, .keep, problem: &problem)
        case .reject: return Self.select(input, first, second, .drop, problem: &problem)
        case .has: return Self.select(input, first, second, .any, problem: &problem)
        case .find: return Self.select(input, first, second, .first, problem: &problem)
        case .findIndex: return Self.select(input, first, second, .firstIndex, problem: &problem)
        case .sum: return Self.sum(input, property: first, problem: &problem)
        case .concat: return Self.concat(input, first, problem: &problem)

        case .date: return Self.date(input, format: first)
        }
    }
}
