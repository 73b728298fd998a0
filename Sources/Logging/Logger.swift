import Foundation

/// A small value-type logger: a label, a minimum level, ordered metadata and a shared sink.
///
/// Messages are autoclosures, so nothing is formatted below the logger's level. Copy a logger and
/// add metadata (`logger[metadataKey: "request_id"] = id`) to give every line of one request its id.
public struct Logger: Sendable {
    public var label: String
    public var level: LogLevel
    public var sink: any LogSink
    public private(set) var metadata: [(key: String, value: String)] = []

    public init(label: String, level: LogLevel = .info, sink: any LogSink = StreamLogSink()) {
        self.label = label
        self.level = level
        self.sink = sink
    }

    /// A logger that writes nothing.
    public static var silent: Logger { Logger(label: "silent", level: .critical, sink: SilentLogSink()) }

    /// Reads or sets one metadata value; setting nil removes it.
    public subscript(metadataKey key: String) -> String? {
        get { metadata.first { $0.key == key }?.value }
        set {
            if let index = metadata.firstIndex(where: { $0.key == key }) {
                if let newValue { metadata[index].value = newValue } else { metadata.remove(at: index) }
            } else if let newValue {
                metadata.append((key, newValue))
            }
        }
    }

    /// A copy with these extra metadata pairs.
    public func with(_ pairs: (String, String)...) -> Logger {
        var copy = self
        for (key, value) in pairs { copy[metadataKey: key] = value }
        return copy
    }

    /// True when an event at `level` would be written.
    @inlinable public func isEnabled(_ level: LogLevel) -> Bool { level >= self.level }

    /// Logs one event; the message and the extra metadata are only evaluated when the level is enabled.
    public func log(_ level: LogLevel, _ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) {
        guard isEnabled(level) else { return }
        var pairs = metadata
        for (key, value) in extra() { pairs.append((key, value)) }
        sink.write(LogEvent(level: level, label: label, message: message(), metadata: pairs))
    }

    public func trace(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) { log(.trace, message(), extra()) }
    public func debug(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) { log(.debug, message(), extra()) }
    public func info(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) { log(.info, message(), extra()) }
    public func notice(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) { log(.notice, message(), extra()) }
    public func warning(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) { log(.warning, message(), extra()) }
    public func error(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) { log(.error, message(), extra()) }
    public func critical(_ message: @autoclosure () -> String, _ extra: @autoclosure () -> [(String, String)] = []) { log(.critical, message(), extra()) }
}
