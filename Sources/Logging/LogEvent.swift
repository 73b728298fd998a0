import Foundation

/// One thing that happened, as handed to a `LogSink`.
public struct LogEvent: Sendable {
    public var timestamp: Date
    public var level: LogLevel
    public var label: String
    public var message: String
    /// Ordered key/value context (request id first when present). Secret-looking keys are redacted on output.
    public var metadata: [(key: String, value: String)]

    public init(timestamp: Date = Date(), level: LogLevel, label: String, message: String, metadata: [(key: String, value: String)]) {
        self.timestamp = timestamp
        self.level = level
        self.label = label
        self.message = message
        self.metadata = metadata
    }
}
