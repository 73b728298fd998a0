import Foundation
import Glibc

/// Reads a server-sent event stream over a plain loopback socket, as a browser's EventSource
/// would: one GET, then chunks as they arrive. Blocking; run it through `offPool`.
final class EventStreamClient: @unchecked Sendable {
    struct Event: Equatable {
        var id: String?
        var event: String?
        var data: String
    }

    enum Failure: Error { case connect(Int32), closed, timeout, status(String) }

    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Decoded body text not yet split into events.
    private var text = ""
    private(set) var comments: [String] = []

    init(port: Int, path: String, headers: [String: String] = [:]) throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(socketFD)
            throw Failure.connect(code)
        }
        fd = socketFD
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        request += "\r\n"
        _ = Array(request.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    deinit { Glibc.close(fd) }

    /// Reads the response head; returns the status line and headers (lower-cased names).
    func readHead() throws -> (status: Int, headers: [String: String]) {
        while true {
            if let end = find([13, 10, 13, 10]) {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                buffer.removeFirst(end + 4)
                var lines = head.components(separatedBy: "\r\n")
                let status = Int(lines.removeFirst().split(separator: " ")[1]) ?? 0
                var headers: [String: String] = [:]
                for line in lines {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                return (status, headers)
            }
            try fill()
        }
    }

    /// Reads until `count` events have arrived (chunked body); keep-alive comments are collected.
    func readEvents(_ count: Int) throws -> [Event] {
        var events: [Event] = []
        while events.count < count {
            if let separator = text.range(of: "\n\n") {
                let block = String(text[..<separator.lowerBound])
                text = String(text[separator.upperBound...])
                var event = Event(data: "")
                var hasData = false
                for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
                    if line.hasPrefix(":") { comments.append(String(line.dropFirst())); continue }
                    let parts = line.split(separator: ":", maxSplits: 1).map { $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0) }
                    guard parts.count == 2 else { continue }
                    switch parts[0] {
                    case "id": event.id = parts[1]
                    case "event": event.event = parts[1]
                    case "data": event.data += (hasData ? "\n" : "") + parts[1]; hasData = true
                    default: break
                    }
                }
                if hasData { events.append(event) }
                continue
            }
            try readChunk()
        }
        return events
    }

    /// True when the server ends the body (last chunk) within the timeout.
    func readsEnd() -> Bool {
        do {
            while true { if try readChunk() == 0 { return true } }
        } catch { return false }
    }

    @discardableResult
    private func readChunk() throws -> Int {
        var lineEnd = find([13, 10])
        while lineEnd == nil { try fill(); lineEnd = find([13, 10]) }
        let size = Int(String(decoding: buffer[0..<lineEnd!], as: UTF8.self), radix: 16) ?? 0
        buffer.removeFirst(lineEnd! + 2)
        while buffer.count < size + 2 { try fill() }
        text += String(decoding: buffer[0..<size], as: UTF8.self)
        buffer.removeFirst(size + 2)
        return size
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16384)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw Failure.closed }
        if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timeout : Failure.closed }
        buffer.append(contentsOf: chunk[0..<n])
    }

    private func find(_ pattern: [UInt8]) -> Int? {
        guard buffer.count >= pattern.count else { return nil }
        for i in 0...(buffer.count - pattern.count) where Array(buffer[i..<(i + pattern.count)]) == pattern { return i }
        return nil
    }
}

/// Runs blocking socket work on a thread of its own, never on the cooperative pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
