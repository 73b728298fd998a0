import Foundation

/// The `Retry-After` response header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date.
public enum RetryAfter {
    /// The longest wait honoured; a later date is treated as this.
    public static let cap: Duration = .seconds(24 * 3600)

    /// The wait the header asks for, relative to `now` (ms since the epoch); nil when absent or
    /// unreadable. Dates in the past mean "now" (zero).
    public static func parse(_ value: String?, now: Int64) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            guard let seconds = Int64(value) else { return cap }
            return min(.seconds(seconds), cap)
        }
        guard let date = httpDate(value) else { return nil }
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded()) - now
        return min(.milliseconds(max(0, milliseconds)), cap)
    }

    /// IMF-fixdate, the only form senders may generate (`Sun, 06 Nov 1994 08:49:37 GMT`), plus
    /// the obsolete RFC 850 and asctime forms recipients must accept.
    static func httpDate(_ text: String) -> Date? {
        for format in ["EEE, dd MMM yyyy HH:mm:ss 'GMT'", "EEEE, dd-MMM-yy HH:mm:ss 'GMT'", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }
}
