/// How a log event is written as one line.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `ts=... level=info msg="..." request_id=...` (https://brandur.org/logfmt).
    case logfmt
    /// One JSON object per line.
    case json
}
