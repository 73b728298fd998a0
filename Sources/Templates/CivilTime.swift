import Foundation

/// A moment broken into UTC calendar fields, and the parsing and formatting around it.
struct CivilTime {
    var year: Int64
    var month: Int  // 1...12
    var day: Int  // 1...31
    var hour: Int
    var minute: Int
    var second: Int
    var nanosecond: Int
    var unixSeconds: Int64
    /// Days since 1970-01-01.
    var days: Int64

    /// Seconds either side of 1970 beyond which a number is not taken as a moment (year ±300000).
    static let secondsLimit: Double = 9_000_000_000_000

    init(unixSeconds seconds: Double) {
        let whole = seconds.rounded(.down)
        unixSeconds = Int64(whole)
        nanosecond = min(Int(((seconds - whole) * 1e9).rounded()), 999_999_999)
        days = Self.floorDivide(unixSeconds, 86_400)
        let secondOfDay = Int(unixSeconds - days * 86_400)
        hour = secondOfDay / 3600
        minute = secondOfDay / 60 % 60
        second = secondOfDay % 60
        (year, month, day) = Self.civil(fromDays: days)
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }

    // MARK: - Calendar arithmetic (proleptic Gregorian, 400-year eras)

    /// Days since 1970-01-01 of a calendar date.
    static func days(year: Int64, month: Int, day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400  // 0...399
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)  // March = 0
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1  // 0...365
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468  // 719468: days from 0000-03-01 to 1970-01-01
    }

    /// The calendar date `days` after 1970-01-01.
    static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let shifted = days + 719_468
        let era = floorDivide(shifted, 146_097)
        let dayOfEra = shifted - era * 146_097  // 0...146096
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    // MARK: - Parsing

    /// Unix seconds for a `date` input, or nil if it is not a moment.
    static func seconds(from value: TemplateValue) -> Double? {
        let seconds: Double?
        switch value {
        case .int(let int): seconds = Double(int)
        case .double(let double): seconds = double
        case .string(let string): seconds = parse(TemplateFilter.trim(string, leading: true, trailing: true))
        default: seconds = nil
        }
        guard let seconds, seconds.isFinite, Swift.abs(seconds) < secondsLimit else { return nil }
        return seconds
    }

    /// Unix seconds of an ISO 8601 date or date-time (no `now`, no bare numbers); nil otherwise.
    static func seconds(iso8601 text: String) -> Double? {
        var reader = DateReader(Array(text.utf8))
        guard let seconds = reader.moment(), seconds.isFinite, Swift.abs(seconds) < secondsLimit else { return nil }
        return seconds
    }

    /// A string's moment: `now`/`today`, Unix seconds as digits (no sign: `"-5"` is not a
    /// moment, as in Liquid), ISO 8601, or a written date such as `March 14, 2016`.
    private static func parse(_ text: String) -> Double? {
        let length = text.utf8.count
        if length == 3 || length == 5 {
            switch text.lowercased() {
            case "now", "today": return Date().timeIntervalSince1970
            default: break
            }
        }
        if let int = Int64(text), text.utf8.first?.isDigit == true { return Double(int) }
        var reader = DateReader(Array(text.utf8))
        return reader.moment() ?? writtenDate(text)
    }

    private static let monthAbbreviations = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// `March 14, 2016`, `14 Mar 2016`, `Monday, March 14, 2016 10:30 pm UTC`: an optional
    /// weekday, the month by name before or after the day, the year, then optionally `HH:MM`,
    /// `:SS`, `am`/`pm` and a zone (`UTC`, `GMT`, `Z`, `±HHMM`, `±HH:MM`). UTC unless a zone says
    /// otherwise.
    private static func writtenDate(_ text: String) -> Double? {
        var words = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })[...]
        func month(_ word: Substring) -> Int? {
            guard word.count >= 3, let index = monthAbbreviations.firstIndex(of: String(word.prefix(3))) else { return nil }
            let name = monthNames[index].lowercased()
            return name.hasPrefix(word) || word == "sept" ? index + 1 : nil
        }
        func number(_ word: Substring) -> Int? {
            var digits = word
            for suffix in ["st", "nd", "rd", "th"] where digits.hasSuffix(suffix) { digits = digits.dropLast(2) }
            return digits.allSatisfy(\.isNumber) ? Int(digits) : nil
        }
        if let first = words.first, first.count >= 3, dayNames.contains(where: { $0.lowercased().hasPrefix(first) }) {
            words = words.dropFirst()
        }
        guard words.count >= 3 else { return nil }
        let parts = Array(words.prefix(3))
        words = words.dropFirst(3)
        let date: (month: Int, day: Int)
        if let m = month(parts[0]), let d = number(parts[1]) {
            date = (m, d)
        } else if let d = number(parts[0]), let m = month(parts[1]) {
            date = (m, d)
        } else {
            return nil
        }
        guard let year = Int64(parts[2]), (1...31).contains(date.day) else { return nil }
        var seconds = Double(days(year: year, month: date.month, day: date.day)) * 86_400
        if let time = words.first, time.contains(":") {
            words = words.dropFirst()
            let fields = time.split(separator: ":", omittingEmptySubsequences: false).map { Int($0) }
            guard fields.count == 2 || fields.count == 3, fields.allSatisfy({ $0 != nil }) else { return nil }
            var hour = fields[0]!
            let minute = fields[1]!, second = fields.count == 3 ? fields[2]! : 0
            if let meridiem = words.first, meridiem == "am" || meridiem == "pm" {
                words = words.dropFirst()
                guard (1...12).contains(hour) else { return nil }
                hour = hour % 12 + (meridiem == "pm" ? 12 : 0)
            }
            guard hour < 24, minute < 60, second <= 60 else { return nil }
            seconds += Double(hour * 3600 + minute * 60 + second)
        }
        if let zone = words.first {
            words = words.dropFirst()
            var reader = DateReader(Array(zone.uppercased().utf8))
            guard let offset = reader.zoneOnly() else { return nil }
            seconds -= Double(offset)
        }
        return words.isEmpty ? seconds : nil
    }

    // MARK: - Formatting

    private static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                                     "August", "September", "October", "November", "December"]
    private static let dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]

    /// 0 for Sunday; 1970-01-01 was a Thursday.
    var weekday: Int { Int(((days % 7) + 11) % 7) }

    var dayOfYear: Int { Int(days - Self.days(year: year, month: 1, day: 1)) + 1 }

    /// `format` with strftime directives replaced: `%Y %C %y %m %d %e %j %H %k %I %l %M %S %L %N
    /// %p %P %A %a %B %b %h %u %w %Z %z %s %F %T %D %R %r %c %x %X %n %t %%`, each optionally
    /// after `-` (no padding), `_` (space padding), `0` (zero padding) or `^` (upper case).
    /// An unknown directive is written as is.
    func format(_ format: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(format.utf8.count + 16)
        var format = format
        format.withUTF8 { write($0, to: &output) }
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends `format` with its directives replaced, byte by byte (no intermediate strings:
    /// this runs for every date a template writes).
    private func write(_ format: UnsafeBufferPointer<UInt8>, to output: inout [UInt8]) {
        var index = 0
        while index < format.count {
            let byte = format[index]
            guard byte == UInt8(ascii: "%"), index + 1 < format.count else {
                output.append(byte)
                index += 1
                continue
            }
            var cursor = index + 1
            var flag: UInt8?
            switch format[cursor] {
            case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "0"), UInt8(ascii: "^"):
                if cursor + 1 < format.count {
                    flag = format[cursor]
                    cursor += 1
                }
            default:
                break
            }
            if !writeField(format[cursor], flag: flag, to: &output) {
                output.append(contentsOf: format[index...cursor])
            }
            index = cursor + 1
        }
    }

    /// Appends the field of one directive; false for a directive that is not one.
    private func writeField(_ directive: UInt8, flag: UInt8?, to output: inout [UInt8]) -> Bool {
        func number(_ value: Int64, width: Int, pad: UInt8 = UInt8(ascii: "0")) {
            let padding: UInt8? = switch flag {
            case UInt8(ascii: "-"): nil
            case UInt8(ascii: "_"): UInt8(ascii: " ")
            case UInt8(ascii: "0"): UInt8(ascii: "0")
            default: pad
            }
            if value < 0 { output.append(UInt8(ascii: "-")) }
            let magnitude = value.magnitude
            var divisor: UInt64 = 1
            var count = 1
            while magnitude / divisor >= 10 {
                divisor *= 10
                count += 1
            }
            if let padding, count < width {
                output.append(contentsOf: repeatElement(padding, count: width - count))
            }
            while divisor > 0 {
                output.append(UInt8(ascii: "0") + UInt8(magnitude / divisor % 10))
                divisor /= 10
            }
        }
        func text(_ value: String) {
            if flag == UInt8(ascii: "^") {
                output.append(contentsOf: value.utf8.map { $0 >= 0x61 && $0 <= 0x7a ? $0 - 0x20 : $0 })
            } else {
                output.append(contentsOf: value.utf8)
            }
        }
        func composite(_ format: StaticString) {
            format.withUTF8Buffer { write($0, to: &output) }
        }
        let hour12 = hour % 12 == 0 ? 12 : hour % 12
        switch directive {
        case UInt8(ascii: "Y"): number(year, width: 4)
        case UInt8(ascii: "C"): number(year / 100, width: 2)
        case UInt8(ascii: "y"): number((year % 100 + 100) % 100, width: 2)
        case UInt8(ascii: "m"): number(Int64(month), width: 2)
        case UInt8(ascii: "d"): number(Int64(day), width: 2)
        case UInt8(ascii: "e"): number(Int64(day), width: 2, pad: UInt8(ascii: " "))
        case UInt8(ascii: "j"): number(Int64(dayOfYear), width: 3)
        case UInt8(ascii: "H"): number(Int64(hour), width: 2)
        case UInt8(ascii: "k"): number(Int64(hour), width: 2, pad: UInt8(ascii: " "))
        case UInt8(ascii: "I"): number(Int64(hour12), width: 2)
        case UInt8(ascii: "l"): number(Int64(hour12), width: 2, pad: UInt8(ascii: " "))
        case UInt8(ascii: "M"): number(Int64(minute), width: 2)
        case UInt8(ascii: "S"): number(Int64(second), width: 2)
        case UInt8(ascii: "L"): number(Int64(nanosecond / 1_000_000), width: 3)
        case UInt8(ascii: "N"): number(Int64(nanosecond), width: 9)
        case UInt8(ascii: "p"): text(hour < 12 ? "AM" : "PM")
        case UInt8(ascii: "P"): text(hour < 12 ? "am" : "pm")
        case UInt8(ascii: "A"): text(Self.dayNames[weekday])
        case UInt8(ascii: "a"): text(String(Self.dayNames[weekday].prefix(3)))
        case UInt8(ascii: "B"): text(Self.monthNames[month - 1])
        case UInt8(ascii: "b"), UInt8(ascii: "h"): text(String(Self.monthNames[month - 1].prefix(3)))
        case UInt8(ascii: "u"): number(Int64(weekday == 0 ? 7 : weekday), width: 1)
        case UInt8(ascii: "w"): number(Int64(weekday), width: 1)
        case UInt8(ascii: "Z"): text("UTC")
        case UInt8(ascii: "z"): text("+0000")
        case UInt8(ascii: "s"): number(unixSeconds, width: 1)
        case UInt8(ascii: "F"): composite("%Y-%m-%d")
        case UInt8(ascii: "T"), UInt8(ascii: "X"): composite("%H:%M:%S")
        case UInt8(ascii: "D"), UInt8(ascii: "x"): composite("%m/%d/%y")
        case UInt8(ascii: "R"): composite("%H:%M")
        case UInt8(ascii: "r"): composite("%I:%M:%S %p")
        case UInt8(ascii: "c"): composite("%a %b %e %H:%M:%S %Y")
        case UInt8(ascii: "n"): output.append(0x0a)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "%"): output.append(UInt8(ascii: "%"))
        default: return false
        }
        return true
    }
}

/// Reads `YYYY-MM-DD`, then optionally `T` or a space, `HH:MM`, `:SS`, `.fraction`, and a zone:
/// `Z`, `UTC`, `GMT`, `±HH`, `±HHMM` or `±HH:MM` (a space before the zone is allowed).
private struct DateReader {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func moment() -> Double? {
        guard let year = digits(4), accept("-") || accept("/"), let month = digits(2) ?? digits(1),
            accept("-") || accept("/"), let day = digits(2) ?? digits(1),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        var seconds = Double(CivilTime.days(year: Int64(year), month: month, day: day)) * 86_400
        if accept("T") || accept("t") || accept(" ") {
            guard let hour = digits(2), accept(":"), let minute = digits(2), hour < 24, minute < 60 else { return nil }
            seconds += Double(hour * 3600 + minute * 60)
            if accept(":") {
                guard let second = digits(2), second <= 60 else { return nil }
                seconds += Double(second)
                // `.fraction`, or Braze's `:SSS` milliseconds (`yyyy-MM-dd'T'HH:mm:ss:SSSZ`).
                if accept(".") || accept(",") || accept(":") {
                    let start = index
                    while index < bytes.count && bytes[index].isDigit { index += 1 }
                    guard index > start else { return nil }
                    let fraction = "0." + String(decoding: bytes[start..<index], as: UTF8.self)
                    seconds += Double(fraction) ?? 0
                }
            }
            _ = accept(" ")
            guard let offset = zone() else { return nil }
            seconds -= Double(offset)
        }
        return index == bytes.count ? seconds : nil
    }

    /// A whole text that is only a zone: its offset east of UTC in seconds.
    mutating func zoneOnly() -> Int? {
        guard let offset = zone(), index == bytes.count else { return nil }
        return offset
    }

    /// The zone's offset east of UTC in seconds; 0 when there is none.
    private mutating func zone() -> Int? {
        if index == bytes.count || accept("Z") || accept("z") || accept("UTC") || accept("GMT") { return 0 }
        let sign: Int
        if accept("+") {
            sign = 1
        } else if accept("-") {
            sign = -1
        } else {
            return nil
        }
        guard let hours = digits(2) ?? digits(1) else { return nil }
        _ = accept(":")
        let minutes = digits(2) ?? 0
        return sign * (hours * 3600 + minutes * 60)
    }

    /// Consumes `literal` if it comes next (compared in place: this runs for every date).
    private mutating func accept(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        if matches { index += count }
        return matches
    }

    /// Exactly `count` digits, or nil (consuming nothing).
    private mutating func digits(_ count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<(index + count)] {
            guard byte.isDigit else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        if count == 1, index + 1 < bytes.count, bytes[index + 1].isDigit { return nil }
        index += count
        return value
    }
}

/// Dates and times written as ISO 8601 (`2026-11-21`, `2026-11-21T10:15:00Z`,
/// `2026-11-21T10:15:00.250+01:00`, and Braze's `yyyy-MM-dd'T'HH:mm:ss:SSSZ`).
public enum ISOTime {
    /// Milliseconds since 1970 (UTC when the text has no zone), or nil when it is not such a moment.
    public static func milliseconds(_ text: String) -> Int64? {
        guard let seconds = CivilTime.seconds(iso8601: text) else { return nil }
        return Int64((seconds * 1000).rounded())
    }
}
