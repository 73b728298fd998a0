import Foundation
import Glibc
@testable import HTTP

/// A blocking loopback TCP client for tests: writes raw bytes, reads raw responses.
final class RawConnection: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []

    struct Response {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]
        var bodyText: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    enum Failure: Error { case connect(Int32), closed, timeout, malformed(String) }

    init(port: Int, host: String = "127.0.0.1", timeout: Double = 5) throws {
        // The socket is only stored once connected: a class whose init throws after initializing
        // every property still runs deinit, which would close the descriptor a second time, and by
        // then its number may belong to someone else (an epoll instance, a dispatch timer...).
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host)
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(socketFD)
            throw Failure.connect(code)
        }
        fd = socketFD
        setTimeout(timeout)
    }

    deinit { Glibc.close(fd) }

    func setTimeout(_ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes everything; false when the peer has gone.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Reads more bytes into the buffer.
    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n == 0 { throw Failure.closed }
        if n < 0 { throw errno == EAGAIN || errno == EWOULDBLOCK ? Failure.timeout : Failure.closed }
        buffer.append(contentsOf: chunk[0..<n])
    }

    /// True when the server closes the connection (EOF) before `timeout`, with no more bytes.
    func readsEOF() -> Bool {
        do {
            while true { try fill() }
        } catch Failure.closed {
            return true
        } catch {
            return false
        }
    }

    /// Reads one response (Content-Length or chunked; `expectBody: false` for HEAD).
    func readResponse(expectBody: Bool = true) throws -> Response {
        var headEnd: Int?
        while headEnd == nil {
            if let range = findCRLFCRLF() { headEnd = range } else { try fill() }
        }
        let headText = String(decoding: buffer[0..<headEnd!], as: UTF8.self)
        buffer.removeFirst(headEnd! + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw Failure.malformed(headText) }
        let headers = lines.map { line -> (String, String) in
            let colon = line.firstIndex(of: ":")!
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var response = Response(status: status, headers: headers, body: [])
        if !expectBody || status == 204 || status == 304 || (100..<200).contains(status) { return response }
        if let length = response.header("Content-Length").flatMap(Int.init) {
            while buffer.count < length { try fill() }
            response.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
        } else if response.header("Transfer-Encoding")?.lowercased() == "chunked" {
            while true {
                var lineEnd: Int?
                while lineEnd == nil {
                    if let i = findCRLF() { lineEnd = i } else { try fill() }
                }
                let size = Int(String(decoding: buffer[0..<lineEnd!], as: UTF8.self), radix: 16) ?? 0
                buffer.removeFirst(lineEnd! + 2)
                while buffer.count < size + 2 { try fill() }
                response.body.append(contentsOf: buffer[0..<size])
                buffer.removeFirst(size + 2)
                if size == 0 { break }
            }
        }
        return response
    }

    private func findCRLFCRLF() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 { return i }
        return nil
    }

    private func findCRLF() -> Int? {
        guard buffer.count >= 2 else { return nil }
        for i in 0...(buffer.count - 2) where buffer[i] == 13 && buffer[i + 1] == 10 { return i }
        return nil
    }
}

/// Starts a server on port 0 for the duration of `body`, then shuts it down.
func withServer<T>(_ configure: (inout HTTPServerConfiguration) -> Void = { _ in },
                   router: Router,
                   _ body: (HTTPServer, Int) async throws -> T) async throws -> T {
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
    configuration.eventLoopCount = 2
    configure(&configuration)
    let server = HTTPServer(configuration: configuration, responder: router)
    let port = try server.start()
    do {
        let result = try await body(server, port)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}

/// Runs blocking socket work off the cooperative pool.
func blocking<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread {
            continuation.resume(with: Result { try work() })
        }
    }
}

/// A router with the small set of routes the live tests use.
func testRouter() -> Router {
    var router = Router()
    router.get("/hello") { _, _ in .text("hello") }
    router.get("/path/{name}") { _, context in .text(context.parameters["name"] ?? "?") }
    router.post("/echo") { request, _ in HTTPResponse(status: .ok, body: request.body) }
    router.post("/small", bodyLimit: 16) { request, _ in HTTPResponse(status: .ok, body: request.body) }
    router.get("/slow") { request, _ in
        let ms = Int(request.query["ms"] ?? "200") ?? 200
        try await Task.sleep(for: .milliseconds(ms))
        return .text("slow done")
    }
    router.get("/stream") { _, _ in
        HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream"]) { writer in
            for i in 0..<3 {
                try await writer.write(Array("data: \(i)\n\n".utf8))
                try await Task.sleep(for: .milliseconds(10))
            }
        }
    }
    router.get("/stream-fail") { _, _ in
        HTTPResponse(status: .ok) { writer in
            try await writer.write(Array("partial".utf8))
            struct Broken: Error {}
            throw Broken()
        }
    }
    router.get("/request-id") { _, context in .text(context.requestID) }
    router.post("/json") { request, _ in
        struct Body: Codable { var name: String; var count: Int }
        let body = try request.decodeJSON(Body.self)
        return .json(body)
    }
    router.get("/fail") { _, _ in
        struct Secret: Error {}
        throw Secret()
    }
    return router
}
