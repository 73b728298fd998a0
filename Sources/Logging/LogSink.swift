import Foundation
import Synchronization

/// Where formatted log events go. A sink is shared by every logger copy and must be thread-safe.
public protocol LogSink: Sendable {
    func write(_ event: LogEvent)
}

/// Writes one line per event to a file descriptor (standard error by default), never interleaving lines.
public final class StreamLogSink: LogSink {
    private let fd: Int32
    private let format: LogFormat
    private let lock = Mutex(())

    public init(fileDescriptor: Int32 = 2, format: LogFormat = .logfmt) {
        self.fd = fileDescriptor
        self.format = format
    }

    public func write(_ event: LogEvent) {
        var line = LogFormatter.format(event, as: format)
        line.append("\n")
        lock.withLock { _ in
            var utf8 = Array(line.utf8)
            var offset = 0
            while offset < utf8.count {
                let written = utf8.withUnsafeMutableBytes { raw in
                    Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                }
                if written < 0 { if errno == EINTR { continue } else { return } }
                offset += written
            }
            utf8.removeAll()
        }
    }
}

/// Keeps events in memory so a test can read what was logged.
public final class CapturingLogSink: LogSink {
    private let storage = Mutex<[LogEvent]>([])

    public init() {}

    public func write(_ event: LogEvent) { storage.withLock { $0.append(event) } }

    /// Every event captured so far.
    public var events: [LogEvent] { storage.withLock { $0 } }

    /// Every captured event rendered as a line in the given format.
    public func lines(format: LogFormat = .logfmt) -> [String] { events.map { LogFormatter.format($0, as: format) } }
}

/// Drops everything.
public struct SilentLogSink: LogSink {
    public init() {}
    public func write(_ event: LogEvent) {}
}
