import Foundation

/// Renders events as logfmt or JSON lines, redacting values whose keys look like secrets.
public enum LogFormatter {
    /// Metadata keys whose values are never written (compared case-insensitively, as substrings).
    public static let secretKeyFragments = ["authorization", "password", "secret", "token", "signature", "api_key", "apikey", "cookie"]

    /// True when a metadata key names something that must not reach a log.
    public static func isSecret(key: String) -> Bool {
        let lower = key.lowercased()
        return secretKeyFragments.contains { lower.contains($0) }
    }

    /// One line, without the trailing newline.
    public static func format(_ event: LogEvent, as format: LogFormat) -> String {
        let ts = timestamp(event.timestamp)
        var pairs: [(String, String)] = [("ts", ts), ("level", event.level.description), ("logger", event.label), ("msg", event.message)]
        for (key, value) in event.metadata {
            pairs.append((key, isSecret(key: key) ? "[redacted]" : value))
        }
        switch format {
        case .logfmt:
            return pairs.map { "\($0.0)=\(logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            return "{" + pairs.map { "\(JSONString.quote($0.0)):\(JSONString.quote($0.1))" }.joined(separator: ",") + "}"
        }
    }

    /// RFC 3339 UTC timestamp with milliseconds.
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        let millis = Int((date.timeIntervalSince1970 - Double(seconds)) * 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(millis), 3))Z"
    }

    /// A logfmt value: bare when it is a simple word, else quoted with escapes.
    static func logfmtValue(_ value: String) -> String {
        if !value.isEmpty, value.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && $0 != "\"" && $0 != "=" && $0 != "\\" }) {
            return value
        }
        return JSONString.quote(value)
    }
}
