import CLinux
import Glibc
import Logging

/// One accepted socket: reads and parses requests, runs one handler at a time, writes responses
/// in request order (so pipelined requests are answered in order), and enforces every timeout.
///
/// Confined to its event loop's thread; it is `@unchecked Sendable` only so a handler task can
/// carry it back to that thread, and every entry point checks it is there.
final class HTTPConnection: @unchecked Sendable {
    enum State {
        /// Reading and parsing the next request.
        case reading
        /// A handler task is running for the current request.
        case handling
        /// A streamed body is being produced.
        case streaming
        /// Writing a response; then keep reading, or close.
        case writing(thenClose: Bool)
        /// Write side shut; draining client bytes until EOF or the linger timeout.
        case lingering
        case closed
    }

    let fd: Int32
    unowned let loop: EventLoop
    let server: ServerCore
    private var parser: HTTPRequestParser
    private var state: State = .reading
    private var output: [UInt8] = []
    private var outputOffset = 0
    private var deadline: UInt64
    private var writeBlockedSince: UInt64?
    private var inputClosed = false
    private var readPaused = false
    /// EPOLLRDHUP was seen: the client shut its write side, so read on to the EOF.
    private var peerShutWrite = false
    private var draining = false
    private var requestsServed = 0
    private var exchange: UInt64 = 0
    private var current: CurrentExchange?
    private var handlerTask: Task<Void, Never>?
    private var streamWaiter: CheckedContinuation<Void, any Error>?
    /// Whether the body being streamed uses chunked coding (HTTP/1.1) or ends at the close (1.0).
    private var streamChunked = true

    /// What the connection knows about the request being answered.
    struct CurrentExchange {
        var head: HTTPRequestHead
        var requestID: String
        var startedAt: UInt64
        var keepAlive: Bool
    }

    /// Most bytes buffered from a client while a handler runs before reads pause.
    private var readCap: Int { server.configuration.parserLimits.maxHeaderBytes + 64 * 1024 }

    /// True when the client connected from a loopback address (127.0.0.0/8 or ::1).
    private let peerIsLoopback: Bool

    init(fd: Int32, loop: EventLoop, server: ServerCore, acceptedAt: UInt64, peerIsLoopback: Bool) {
        self.fd = fd
        self.peerIsLoopback = peerIsLoopback
        self.loop = loop
        self.server = server
        self.parser = HTTPRequestParser(limits: server.configuration.parserLimits)
        // Slow-loris protection: the first head must arrive within the header timeout of the accept.
        self.deadline = acceptedAt + server.configuration.headerTimeout.nanoseconds
    }

    var isClosed: Bool { if case .closed = state { true } else { false } }

    // MARK: - Events

    func handle(events: UInt32) {
        if events & (clinux_EPOLLERR | clinux_EPOLLHUP) != 0 && events & clinux_EPOLLIN == 0 {
            close()
            return
        }
        if events & clinux_EPOLLRDHUP != 0 { peerShutWrite = true }
        if events & (clinux_EPOLLIN | clinux_EPOLLRDHUP | clinux_EPOLLHUP) != 0 { readAvailable() }
        if events & clinux_EPOLLOUT != 0, !isClosed, outputOffset < output.count { flush() }
    }

    /// Reads until the socket is drained (edge-triggered epoll), parsing after every read so that
    /// the parser's limits bound what is buffered. While a handler runs, reading pauses once
    /// `readCap` bytes of later (pipelined) requests are buffered, and resumes after the response.
    private func readAvailable() {
        switch state {
        case .closed:
            return
        case .lingering:
            discardInput()
            return
        default:
            break
        }
        reading: while true {
            if case .reading = state {} else if parser.bufferedByteCount >= readCap {
                readPaused = true
                return
            }
            let wasIdle = parser.phase == .idle
            let result: Syscall.IOResult
            do {
                result = try Syscall.read(fd, into: loop.readBuffer)
            } catch {
                close()
                return
            }
            switch result {
            case .processed(let n):
                parser.append(UnsafeRawBufferPointer(rebasing: loop.readBuffer[0..<n]))
                if case .reading = state {
                    if wasIdle && requestsServed > 0 {
                        deadline = loop.now + server.configuration.headerTimeout.nanoseconds
                    } else if parser.phase == .body {
                        deadline = loop.now + server.configuration.bodyIdleTimeout.nanoseconds
                    }
                    process()
                }
                if isClosed { return }
                // A short read drained the socket; with edge triggering the next byte brings a new event.
                if n < loop.readBuffer.count && !peerShutWrite { break reading }
            case .wouldBlock:
                break reading
            case .endOfFile:
                inputClosed = true
                break reading
            }
        }
        if case .reading = state { process() }
    }

    // MARK: - Requests

    /// Parses buffered bytes and starts the next handler, or answers a framing error.
    private func process() {
        while case .reading = state {
            do {
                switch try parser.next() {
                case .needMoreData:
                    // The client stopped sending: nothing more can arrive for a partial request.
                    if inputClosed { close() }
                    return
                case .head(let head):
                    beginExchange(head)
                    let limit = server.responder.bodyLimit(for: head) ?? server.configuration.maxBodyBytes
                    try parser.startBody(limit: limit)
                    if parser.isAwaitingBodyBytes {
                        // RFC 9110 §10.1.1: tell a waiting client to send the body it announced.
                        if head.expectsContinue { queue(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)); flush() }
                        deadline = loop.now + server.configuration.bodyIdleTimeout.nanoseconds
                    }
                case .end(let body):
                    guard let exchange = current else { return }
                    dispatch(HTTPRequest(head: exchange.head, body: body, id: exchange.requestID))
                    return
                }
            } catch {
                reject(error)
                return
            }
        }
    }

    private func beginExchange(_ head: HTTPRequestHead) {
        let incoming = head.headers["X-Request-Id"]
        let requestID = incoming.flatMap { RequestID.isAcceptable($0) ? $0 : nil } ?? RequestID.make()
        let keepAlive = head.keepAlive && !draining && requestsServed + 1 < server.configuration.maxRequestsPerConnection
        current = CurrentExchange(head: head, requestID: requestID, startedAt: loop.now, keepAlive: keepAlive)
        exchange &+= 1
    }

    private func dispatch(_ request: HTTPRequest) {
        state = .handling
        deadline = loop.now + server.configuration.handlerTimeout.nanoseconds
        let serial = exchange
        let responder = server.responder
        var context = RequestContext(requestID: request.id, logger: server.logger)
        context.peerIsLoopback = peerIsLoopback
        handlerTask = Task(executorPreference: loop) { [self] in
            let response = await responder.respond(to: request, context: context)
            if self.loop.inLoop {
                self.complete(serial: serial, response: response)
            } else {
                _ = self.loop.execute { self.complete(serial: serial, response: response) }
            }
        }
    }

    /// A handler finished: write its response unless the exchange already ended (timeout, close).
    private func complete(serial: UInt64, response: HTTPResponse) {
        guard case .handling = state, serial == exchange, let exchange = current else { return }
        handlerTask = nil
        let isHead = exchange.head.method == "HEAD"
        switch response.body {
        case .bytes(let body):
            var bytes = ResponseSerializer.head(response, bodyLength: body.count, requestID: exchange.requestID,
                                                keepAlive: exchange.keepAlive, date: loop.currentDate(),
                                                announceKeepAlive: exchange.head.version == .http1_0)
            if !isHead && !response.status.forbidsBody { bytes.append(contentsOf: body) }
            queue(bytes)
            finish(response, exchange)
        case .stream(let produce):
            // RFC 9112 §6.1: no chunked coding to an HTTP/1.0 client; its body ends at the close.
            let chunked = exchange.head.version == .http1_1
            if !chunked { current?.keepAlive = false }
            queue(ResponseSerializer.head(response, bodyLength: nil, requestID: exchange.requestID,
                                          keepAlive: chunked && exchange.keepAlive, date: loop.currentDate(),
                                          chunked: chunked))
            if isHead || response.status.forbidsBody {
                finish(response, current ?? exchange)
                return
            }
            state = .streaming
            streamChunked = chunked
            flush()
            let writer = ConnectionStreamWriter(connection: self, serial: serial)
            handlerTask = Task(executorPreference: loop) { [self] in
                let failed: Bool
                do { try await produce(writer); failed = false } catch { failed = true }
                _ = self.loop.execute { self.endStream(serial: serial, response: response, failed: failed) }
            }
        }
    }

    private func finish(_ response: HTTPResponse, _ exchange: CurrentExchange) {
        requestsServed += 1
        let seconds = Double(monotonicNanoseconds() &- exchange.startedAt) / 1e9
        server.metrics.record(route: response.routeLabel ?? "unmatched", method: exchange.head.method,
                              status: response.status.code, seconds: seconds, loop: loop.index)
        if server.logger.isEnabled(.debug) {
            server.logger.debug("request", [("request_id", exchange.requestID), ("method", exchange.head.method),
                                             ("path", String(exchange.head.path.prefix(256))), ("status", String(response.status.code)),
                                             ("duration_ms", String(Int(seconds * 1000)))])
        }
        current = nil
        state = .writing(thenClose: !exchange.keepAlive)
        flush()
    }

    /// Answers a framing or limit error and closes, as RFC 9112 requires after a framing error.
    private func reject(_ error: any Error) {
        let parseError = error as? HTTPParseError ?? HTTPParseError(.badRequest, "malformed request")
        server.metrics.recordParseError(status: parseError.status.code, loop: loop.index)
        server.logger.debug("rejected request", [("status", String(parseError.status.code)), ("reason", parseError.reason)])
        writeErrorAndClose(parseError.status, code: Self.errorCode(parseError.status), message: parseError.reason)
    }

    private func writeErrorAndClose(_ status: HTTPStatus, code: String, message: String) {
        let requestID = current?.requestID ?? RequestID.make()
        let response = HTTPError(status, code: code, message: message).response
        queue(ResponseSerializer.head(response, bodyLength: response.bodyBytes?.count ?? 0, requestID: requestID,
                                      keepAlive: false, date: loop.currentDate()))
        if current?.head.method != "HEAD" { queue(response.bodyBytes ?? []) }
        current = nil
        handlerTask?.cancel()
        handlerTask = nil
        state = .writing(thenClose: true)
        flush()
    }

    static func errorCode(_ status: HTTPStatus) -> String {
        switch status.code {
        case 408: "request_timeout"
        case 413: "body_too_large"
        case 414: "uri_too_long"
        case 417: "expectation_failed"
        case 431: "headers_too_large"
        case 501: "not_implemented"
        case 503: "handler_timeout"
        case 505: "http_version_not_supported"
        default: "bad_request"
        }
    }

    // MARK: - Streaming

    /// Queues one chunk of a streamed body; resumes the producer when the socket has room.
    func writeChunk(_ bytes: [UInt8], serial: UInt64, continuation: CheckedContinuation<Void, any Error>) {
        guard case .streaming = state, serial == exchange else {
            continuation.resume(throwing: HTTPError(.serviceUnavailable, code: "connection_closed", message: "client went away"))
            return
        }
        if bytes.isEmpty { continuation.resume(); return }
        if streamChunked {
            queue(Array(String(bytes.count, radix: 16).utf8) + [0x0D, 0x0A])
            queue(bytes)
            queue([0x0D, 0x0A])
        } else {
            queue(bytes)
        }
        flush()
        if case .closed = state {
            continuation.resume(throwing: HTTPError(.serviceUnavailable, code: "connection_closed", message: "client went away"))
        } else if output.count - outputOffset > 256 * 1024 {
            streamWaiter = continuation
        } else {
            continuation.resume()
        }
    }

    private func endStream(serial: UInt64, response: HTTPResponse, failed: Bool) {
        guard case .streaming = state, serial == exchange, let exchange = current else { return }
        handlerTask = nil
        if failed {
            // Without the last chunk the client sees a truncated body, not a complete one.
            server.logger.warning("streamed response failed", [("request_id", exchange.requestID)])
            close()
            return
        }
        if streamChunked { queue(Array("0\r\n\r\n".utf8)) }
        finish(response, exchange)
    }

    // MARK: - Writing

    private func queue(_ bytes: [UInt8]) {
        if output.isEmpty { output = bytes } else { output.append(contentsOf: bytes) }
    }

    /// Writes as much as the socket takes; moves on when everything is written.
    private func flush() {
        while outputOffset < output.count {
            let result: Syscall.IOResult
            do {
                result = try output.withUnsafeBytes { raw throws(SystemError) in
                    try Syscall.send(fd, UnsafeRawBufferPointer(rebasing: raw[outputOffset...]))
                }
            } catch {
                close()
                return
            }
            switch result {
            case .processed(let n):
                outputOffset += n
                writeBlockedSince = nil // the write timeout measures stalls, not slow progress
            case .wouldBlock, .endOfFile:
                if writeBlockedSince == nil { writeBlockedSince = loop.now }
                return
            }
        }
        writeBlockedSince = nil
        output.removeAll(keepingCapacity: output.capacity <= 64 * 1024)
        outputOffset = 0
        if let waiter = streamWaiter {
            streamWaiter = nil
            waiter.resume()
        }
        if case .writing(let thenClose) = state {
            if thenClose || (draining && parser.phase == .idle) {
                startLingeringClose()
            } else {
                state = .reading
                deadline = loop.now + (parser.phase == .idle ? server.configuration.keepAliveTimeout : server.configuration.headerTimeout).nanoseconds
                if readPaused {
                    readPaused = false
                    readAvailable()
                } else {
                    process()
                }
            }
        }
    }

    // MARK: - Closing

    /// Shuts the write side and drains the client until EOF, so the final response is not lost to a reset.
    private func startLingeringClose() {
        state = .lingering
        shutdown(fd, Int32(SHUT_WR))
        deadline = loop.now + server.configuration.lingerTimeout.nanoseconds
        discardInput()
    }

    private func discardInput() {
        while true {
            guard let result = try? Syscall.read(fd, into: loop.readBuffer) else { close(); return }
            switch result {
            case .processed: continue
            case .wouldBlock: return
            case .endOfFile: close(); return
            }
        }
    }

    /// Closes the socket now.
    func close() {
        if case .closed = state { return }
        state = .closed
        handlerTask?.cancel()
        handlerTask = nil
        if let waiter = streamWaiter {
            streamWaiter = nil
            waiter.resume(throwing: HTTPError(.serviceUnavailable, code: "connection_closed", message: "client went away"))
        }
        Syscall.close(fd)
        output = []
        loop.connectionClosed(fd)
    }

    /// Graceful shutdown: idle connections close now, busy ones after their current response.
    /// A streamed response (server-sent events) has no natural end, so its producer is cancelled
    /// and may finish the body cleanly.
    func beginShutdown() {
        draining = true
        current?.keepAlive = false
        switch state {
        case .reading where parser.phase == .idle: close()
        case .streaming: handlerTask?.cancel()
        default: break
        }
    }

    /// Enforces the header, body, keep-alive, handler, write and linger timeouts.
    func checkTimeout(now: UInt64) {
        if let since = writeBlockedSince, now &- since > server.configuration.writeTimeout.nanoseconds {
            close()
            return
        }
        guard now >= deadline else { return }
        switch state {
        case .reading:
            switch parser.phase {
            case .idle:
                close()
            case .head, .body, .awaitingBodyDecision:
                server.metrics.recordParseError(status: 408, loop: loop.index)
                writeErrorAndClose(.requestTimeout, code: "request_timeout",
                                   message: parser.phase == .head ? "the request head was not received in time" : "the request body stalled")
            case .failed:
                close()
            }
        case .handling:
            guard let exchange = current else { close(); return }
            server.metrics.record(route: "timeout", method: exchange.head.method, status: 503,
                                  seconds: Double(now &- exchange.startedAt) / 1e9, loop: loop.index)
            server.logger.warning("handler timed out", [("request_id", exchange.requestID), ("path", String(exchange.head.path.prefix(256)))])
            writeErrorAndClose(.serviceUnavailable, code: "handler_timeout", message: "the request took too long to handle")
        case .lingering:
            close()
        case .streaming, .writing, .closed:
            break
        }
    }
}

/// Hands chunks from a streaming handler to its connection's loop.
struct ConnectionStreamWriter: HTTPBodyStreamWriter {
    let connection: HTTPConnection
    let serial: UInt64

    func write(_ bytes: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let connection = self.connection
            let serial = self.serial
            let queued = connection.loop.execute { connection.writeChunk(bytes, serial: serial, continuation: continuation) }
            if !queued {
                continuation.resume(throwing: HTTPError(.serviceUnavailable, code: "connection_closed", message: "server stopped"))
            }
        }
    }
}
