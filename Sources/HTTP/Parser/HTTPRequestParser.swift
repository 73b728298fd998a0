import Glibc

/// An incremental, strict HTTP/1.1 request parser: a value type over bytes, with no I/O.
///
/// Feed bytes with `append`, then call `next()` until it answers `.needMoreData`. Each request
/// yields `.head` first; the caller then calls `startBody(limit:)` (which may refuse with 413
/// before any body byte is read), and `next()` yields `.end(body:)` once the body is complete.
/// Every framing violation throws an `HTTPParseError` with the status to answer; after an error
/// the connection must be closed, so the parser stays failed.
public struct HTTPRequestParser: Sendable {
    /// What `next()` found.
    public enum Event: Sendable {
        case needMoreData
        case head(HTTPRequestHead)
        case end(body: [UInt8])
    }

    /// Where the parser is in the current message, for timeouts.
    public enum Phase: Sendable, Equatable {
        /// Between messages with no byte of the next one buffered.
        case idle
        /// Some bytes of a head have arrived.
        case head
        /// The head was returned; `startBody(limit:)` has not been called yet.
        case awaitingBodyDecision
        case body
        case failed
    }

    enum State: Sendable {
        /// Scanning for the end of the head. Offsets are relative to `start`.
        case head(HeadScan)
        case awaitingBodyDecision(HTTPBodyFraming)
        case fixedBody(remaining: Int)
        case chunked(ChunkState)
        case failed(HTTPParseError)
    }

    struct HeadScan: Sendable {
        var scanned = 0
        var lineStart = 0
        var requestLineEnd = 0  // offset just after the request line's LF; 0 while unknown
        var headerCount = 0
        var skippedEmptyLines = 0
        var builder = HeadBuilder()
    }

    /// What the lines of a head said so far; each line is checked as soon as it is complete.
    struct HeadBuilder: Sendable {
        var method = ""
        var target = ""
        var version = HTTPVersion.http1_1
        var headers = HTTPHeaders()
        var contentLength: Int?
        var transferEncodings: [String] = []
        var hostCount = 0
        var connectionClose = false
        var connectionKeepAlive = false
        var expectsContinue = false
        var unsupportedExpectation: String?
    }

    enum ChunkState: Sendable {
        case sizeLine(scanned: Int)
        case data(remaining: Int)
        case dataCRLF
        case trailers(scanned: Int, lineStart: Int)
    }

    public let limits: HTTPParserLimits
    private var buffer: [UInt8] = []
    private var start = 0
    private var state: State = .head(HeadScan())
    private var body: [UInt8] = []
    private var bodyLimit = Int.max

    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
        buffer.reserveCapacity(4096)
    }

    // MARK: - Feeding

    /// Appends received bytes.
    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// Appends received bytes.
    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// Bytes received and not yet consumed by a parsed message.
    public var bufferedByteCount: Int { buffer.count - start }

    /// Where the parser is, for choosing the right timeout.
    public var phase: Phase {
        switch state {
        case .head: bufferedByteCount == 0 ? .idle : .head
        case .awaitingBodyDecision: .awaitingBodyDecision
        case .fixedBody, .chunked: .body
        case .failed: .failed
        }
    }

    /// Whether the body of the current message is still expected from the client.
    public var isAwaitingBodyBytes: Bool {
        switch state {
        case .fixedBody(let remaining): bufferedByteCount < remaining
        case .chunked: true
        default: false
        }
    }

    // MARK: - Parsing

    /// Parses as far as the buffered bytes allow.
    public mutating func next() throws(HTTPParseError) -> Event {
        switch state {
        case .failed(let error):
            throw error
        case .head(var scan):
            do {
                guard let headEnd = try scanHead(&scan) else {
                    state = .head(scan)
                    return .needMoreData
                }
                let head = try Self.finish(scan.builder)
                start = headEnd
                state = .awaitingBodyDecision(head.framing)
                return .head(head)
            } catch {
                state = .failed(error)
                throw error
            }
        case .awaitingBodyDecision:
            try startBody(limit: Int.max)
            return try next()
        case .fixedBody(let remaining):
            let available = buffer.count - start
            if available < remaining { return .needMoreData }
            let bytes = Array(buffer[start..<(start + remaining)])
            start += remaining
            return finishMessage(body: bytes)
        case .chunked(var chunk):
            do {
                let done = try decodeChunks(&chunk)
                if done {
                    let bytes = body
                    body = []
                    return finishMessage(body: bytes)
                }
                state = .chunked(chunk)
                // Drop consumed wire bytes so chunk framing (extensions!) cannot pile up in memory;
                // chunk offsets are relative to `start`, so this is safe mid-message.
                if start >= 64 * 1024 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return .needMoreData
            } catch {
                state = .failed(error)
                throw error
            }
        }
    }

    /// Accepts the current head's body up to `limit` bytes; a declared length above it throws 413
    /// before any body byte is consumed.
    public mutating func startBody(limit: Int) throws(HTTPParseError) {
        guard case .awaitingBodyDecision(let framing) = state else { return }
        bodyLimit = limit
        switch framing {
        case .none, .contentLength(0):
            state = .fixedBody(remaining: 0)
        case .contentLength(let length):
            if length > limit {
                let error = HTTPParseError(.contentTooLarge, "request body of \(length) bytes exceeds the limit of \(limit) bytes")
                state = .failed(error)
                throw error
            }
            state = .fixedBody(remaining: length)
        case .chunked:
            body = []
            state = .chunked(.sizeLine(scanned: 0))
        }
    }

    private mutating func finishMessage(body: [UInt8]) -> Event {
        state = .head(HeadScan())
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            start = 0
        } else if start >= 16 * 1024 {
            buffer.removeFirst(start)
            start = 0
        }
        return .end(body: body)
    }

    // MARK: - Head

    /// Finds the end of the head (the empty line), enforcing limits as bytes arrive so a client
    /// cannot make us buffer more than the limits allow. Returns the absolute index just past it.
    private mutating func scanHead(_ scan: inout HeadScan) throws(HTTPParseError) -> Int? {
        let end = buffer.count
        while true {
            let from = start + scan.scanned
            guard let lf = indexOfLF(from: from, to: end) else {
                // RFC 9112 §2.2: a bare CR is an error; say so now rather than wait for a LF.
                if from < end - 1 {
                    for i in from..<(end - 1) where buffer[i] == 0x0D && buffer[i + 1] != 0x0A {
                        throw HTTPParseError(.badRequest, "bare CR in request head")
                    }
                }
                scan.scanned = max(scan.scanned, end - start - 1)
                let lineLength = end - (start + scan.lineStart)
                if scan.requestLineEnd == 0 {
                    // RFC 9112 §3: a request line longer than we accept is 414.
                    if lineLength > limits.maxRequestLineBytes + 1 {
                        throw HTTPParseError(.uriTooLong, "request line exceeds \(limits.maxRequestLineBytes) bytes")
                    }
                } else if end - (start + scan.requestLineEnd) > limits.maxHeaderBytes {
                    throw HTTPParseError(.headerFieldsTooLarge, "header section exceeds \(limits.maxHeaderBytes) bytes")
                }
                return nil
            }
            // RFC 9112 §2.2: lines end in CRLF; we do not accept a bare LF.
            guard lf > start + scan.lineStart, buffer[lf - 1] == 0x0D else {
                throw HTTPParseError(.badRequest, "line terminated by a bare LF")
            }
            let contentLength = lf - 1 - (start + scan.lineStart)
            if scan.requestLineEnd == 0 {
                if contentLength == 0 {
                    // RFC 9112 §2.2: ignore empty lines received before the request line (bounded).
                    scan.skippedEmptyLines += 1
                    if scan.skippedEmptyLines > 8 { throw HTTPParseError(.badRequest, "too many empty lines before the request line") }
                    start = lf + 1
                    scan.scanned = 0
                    scan.lineStart = 0
                    continue
                }
                if contentLength > limits.maxRequestLineBytes {
                    throw HTTPParseError(.uriTooLong, "request line exceeds \(limits.maxRequestLineBytes) bytes")
                }
                (scan.builder.method, scan.builder.target, scan.builder.version) = try parseRequestLine(start + scan.lineStart, lf - 1)
                scan.requestLineEnd = lf + 1 - start
            } else {
                if contentLength == 0 {
                    return lf + 1
                }
                scan.headerCount += 1
                if scan.headerCount > limits.maxHeaderCount {
                    throw HTTPParseError(.headerFieldsTooLarge, "more than \(limits.maxHeaderCount) header fields")
                }
                if lf + 1 - (start + scan.requestLineEnd) > limits.maxHeaderBytes {
                    throw HTTPParseError(.headerFieldsTooLarge, "header section exceeds \(limits.maxHeaderBytes) bytes")
                }
                try addField(start + scan.lineStart, lf - 1, to: &scan.builder)
            }
            scan.lineStart = lf + 1 - start
            scan.scanned = scan.lineStart
        }
    }

    private func indexOfLF(from: Int, to end: Int) -> Int? {
        guard from < end else { return nil }
        return buffer.withUnsafeBufferPointer { raw -> Int? in
            guard let base = raw.baseAddress,
                  let hit = memchr(base + from, 0x0A, end - from) else { return nil }
            return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
        }
    }

    /// Checks one header line and records what the parser itself needs from it.
    private func addField(_ from: Int, _ to: Int, to builder: inout HeadBuilder) throws(HTTPParseError) {
        let (name, value) = try parseField(from, to)
        switch HeaderName.classify(buffer, name) {
        case .contentLength:
            // RFC 9112 §6.3: a repeated or list-valued Content-Length is a framing error we refuse.
            guard builder.contentLength == nil else { throw HTTPParseError(.badRequest, "more than one Content-Length field") }
            builder.contentLength = try parseContentLength(value)
        case .transferEncoding:
            builder.transferEncodings.append(string(value))
        case .host:
            builder.hostCount += 1
            try validateHost(value)
        case .connection:
            for token in string(value).split(separator: ",") {
                let t = token.trimmingWhitespace().lowercased()
                if t == "close" { builder.connectionClose = true } else if t == "keep-alive" { builder.connectionKeepAlive = true }
            }
        case .expect:
            // RFC 9110 §10.1.1: the only expectation is 100-continue; anything else is 417.
            let text = string(value)
            if text.lowercased() == "100-continue" { builder.expectsContinue = true } else { builder.unsupportedExpectation = text }
        case .other:
            break
        }
        builder.headers.add(name: string(name), value: string(value))
    }

    /// The checks that need the whole header section: framing, Host, expectations, persistence.
    private static func finish(_ b: HeadBuilder) throws(HTTPParseError) -> HTTPRequestHead {
        // RFC 9112 §3.2: an HTTP/1.1 request carries exactly one Host field.
        if b.version == .http1_1 && b.hostCount != 1 {
            throw HTTPParseError(.badRequest, b.hostCount == 0 ? "missing Host header" : "more than one Host header")
        }
        if b.hostCount > 1 { throw HTTPParseError(.badRequest, "more than one Host header") }
        let framing: HTTPBodyFraming
        if !b.transferEncodings.isEmpty {
            // RFC 9112 §6.1: Transfer-Encoding with Content-Length may be smuggling; refuse it.
            if b.contentLength != nil { throw HTTPParseError(.badRequest, "both Content-Length and Transfer-Encoding are present") }
            if b.version == .http1_0 { throw HTTPParseError(.badRequest, "Transfer-Encoding in an HTTP/1.0 request") }
            // RFC 9112 §6.1: we only implement chunked, and only alone.
            guard b.transferEncodings.count == 1, b.transferEncodings[0].lowercased() == "chunked" else {
                throw HTTPParseError(.notImplemented, "only 'Transfer-Encoding: chunked' is supported")
            }
            framing = .chunked
        } else if let contentLength = b.contentLength {
            framing = contentLength == 0 ? .none : .contentLength(contentLength)
        } else {
            framing = .none
        }
        if let unsupported = b.unsupportedExpectation {
            throw HTTPParseError(.expectationFailed, "unsupported expectation '\(unsupported.prefix(64))'")
        }
        // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
        let keepAlive = b.version == .http1_1 ? !b.connectionClose : (b.connectionKeepAlive && !b.connectionClose)
        return HTTPRequestHead(method: b.method, target: b.target, version: b.version, headers: b.headers,
                               framing: framing, keepAlive: keepAlive,
                               // RFC 9110 §10.1.1: a 100-continue from an HTTP/1.0 client is ignored.
                               expectsContinue: b.expectsContinue && framing != .none && b.version == .http1_1)
    }

    /// RFC 9112 §3: request-line = method SP request-target SP HTTP-version.
    private func parseRequestLine(_ from: Int, _ to: Int) throws(HTTPParseError) -> (String, String, HTTPVersion) {
        var i = from
        while i < to, HTTPTokens.isTokenByte(buffer[i]) { i += 1 }
        guard i > from, i < to, buffer[i] == 0x20 else { throw HTTPParseError(.badRequest, "malformed method in request line") }
        let method = string(from..<i)
        i += 1
        let targetStart = i
        while i < to, buffer[i] != 0x20 {
            // RFC 9112 §3.2: the target is visible ASCII; whitespace and controls are not allowed.
            guard buffer[i] > 0x20 && buffer[i] < 0x7F else { throw HTTPParseError(.badRequest, "invalid byte in request target") }
            i += 1
        }
        guard i > targetStart, i < to else { throw HTTPParseError(.badRequest, "malformed request line") }
        let target = string(targetStart..<i)
        i += 1
        // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT, case-sensitive.
        guard to - i == 8,
              buffer[i] == 0x48, buffer[i + 1] == 0x54, buffer[i + 2] == 0x54, buffer[i + 3] == 0x50, buffer[i + 4] == 0x2F,
              HTTPTokens.isDigit(buffer[i + 5]), buffer[i + 6] == 0x2E, HTTPTokens.isDigit(buffer[i + 7]) else {
            throw HTTPParseError(.badRequest, "malformed HTTP version")
        }
        let version = HTTPVersion(major: Int(buffer[i + 5] - 0x30), minor: Int(buffer[i + 7] - 0x30))
        guard version == .http1_1 || version == .http1_0 else {
            throw HTTPParseError(.versionNotSupported, "HTTP version \(version) is not supported")
        }
        if target.utf8.first != UInt8(ascii: "/") {
            // RFC 9112 §3.2: asterisk-form only for OPTIONS, authority-form only for CONNECT,
            // otherwise origin-form or absolute-form.
            // ("*" is accepted for any method, as SSDP's M-SEARCH uses it; routing answers it.)
            if target != "*" && method != "CONNECT" && !target.contains("://") {
                throw HTTPParseError(.badRequest, "malformed request target")
            }
        }
        return (method, target, version)
    }

    /// RFC 9112 §5: field-line = field-name ":" OWS field-value OWS. Returns byte ranges.
    private func parseField(_ from: Int, _ to: Int) throws(HTTPParseError) -> (Range<Int>, Range<Int>) {
        let first = buffer[from]
        // RFC 9112 §5.2: obs-fold is rejected.
        if first == 0x20 || first == 0x09 { throw HTTPParseError(.badRequest, "obsolete line folding in header section") }
        var i = from
        while i < to, HTTPTokens.isTokenByte(buffer[i]) { i += 1 }
        guard i < to, buffer[i] == 0x3A else {
            // RFC 9112 §5.1: no whitespace between field name and colon.
            if i < to, buffer[i] == 0x20 || buffer[i] == 0x09 { throw HTTPParseError(.badRequest, "whitespace between header name and colon") }
            throw HTTPParseError(.badRequest, "malformed header field")
        }
        guard i > from else { throw HTTPParseError(.badRequest, "empty header field name") }
        let name = from..<i
        var valueStart = i + 1
        while valueStart < to, buffer[valueStart] == 0x20 || buffer[valueStart] == 0x09 { valueStart += 1 }
        var valueEnd = to
        while valueEnd > valueStart, buffer[valueEnd - 1] == 0x20 || buffer[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        for j in valueStart..<valueEnd where !HTTPTokens.isFieldValueByte(buffer[j]) {
            // RFC 9110 §5.5: CR, LF and NUL (and other controls) are invalid in field values.
            throw HTTPParseError(.badRequest, "invalid byte 0x\(String(buffer[j], radix: 16)) in header value")
        }
        return (name, valueStart..<valueEnd)
    }

    /// RFC 9110 §8.6: Content-Length = 1*DIGIT, checked for overflow.
    private func parseContentLength(_ range: Range<Int>) throws(HTTPParseError) -> Int {
        guard !range.isEmpty else { throw HTTPParseError(.badRequest, "empty Content-Length") }
        var value = 0
        for i in range {
            let b = buffer[i]
            guard HTTPTokens.isDigit(b) else { throw HTTPParseError(.badRequest, "malformed Content-Length") }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(Int(b - 0x30))
            guard !o1, !o2 else { throw HTTPParseError(.badRequest, "Content-Length overflows") }
            value = sum
        }
        return value
    }

    /// RFC 9110 §7.2 / RFC 3986 §3.2.2: Host = uri-host [ ":" port ], checked for stray characters.
    private func validateHost(_ range: Range<Int>) throws(HTTPParseError) {
        for i in range {
            let b = buffer[i]
            let ok = HTTPTokens.isAlphaNumeric(b) || b == 0x2D || b == 0x2E || b == 0x5F || b == 0x7E || b == 0x3A
                || b == 0x5B || b == 0x5D || b == 0x25 || b == 0x21 || b == 0x24 || b == 0x26 || b == 0x27
                || b == 0x28 || b == 0x29 || b == 0x2A || b == 0x2B || b == 0x2C || b == 0x3B || b == 0x3D
            guard ok else { throw HTTPParseError(.badRequest, "invalid Host header") }
        }
    }

    // MARK: - Chunked body (RFC 9112 §7.1)

    /// Decodes as many chunks as are buffered; true when the last chunk and trailers are done.
    private mutating func decodeChunks(_ chunk: inout ChunkState) throws(HTTPParseError) -> Bool {
        while true {
            switch chunk {
            case .sizeLine(let scanned):
                guard let lf = indexOfLF(from: start + scanned, to: buffer.count) else {
                    if buffer.count - start > limits.maxChunkLineBytes { throw HTTPParseError(.badRequest, "chunk size line too long") }
                    chunk = .sizeLine(scanned: buffer.count - start)
                    return false
                }
                guard lf > start, buffer[lf - 1] == 0x0D else { throw HTTPParseError(.badRequest, "chunk size line not terminated by CRLF") }
                if lf - start > limits.maxChunkLineBytes { throw HTTPParseError(.badRequest, "chunk size line too long") }
                let size = try parseChunkSize(start, lf - 1)
                start = lf + 1
                if size == 0 {
                    chunk = .trailers(scanned: 0, lineStart: 0)
                } else {
                    if size > bodyLimit - body.count {
                        throw HTTPParseError(.contentTooLarge, "chunked request body exceeds the limit of \(bodyLimit) bytes")
                    }
                    chunk = .data(remaining: size)
                }
            case .data(let remaining):
                let available = buffer.count - start
                if available == 0 { return false }
                let n = min(available, remaining)
                body.append(contentsOf: buffer[start..<(start + n)])
                start += n
                chunk = n == remaining ? .dataCRLF : .data(remaining: remaining - n)
                if n < remaining { return false }
            case .dataCRLF:
                if buffer.count - start < 2 {
                    if buffer.count - start == 1 && buffer[start] != 0x0D { throw HTTPParseError(.badRequest, "chunk data not followed by CRLF") }
                    return false
                }
                guard buffer[start] == 0x0D, buffer[start + 1] == 0x0A else { throw HTTPParseError(.badRequest, "chunk data not followed by CRLF") }
                start += 2
                chunk = .sizeLine(scanned: 0)
            case .trailers(let scanned, let lineStart):
                guard let lf = indexOfLF(from: start + scanned, to: buffer.count) else {
                    if buffer.count - start > limits.maxHeaderBytes { throw HTTPParseError(.headerFieldsTooLarge, "trailer section too large") }
                    chunk = .trailers(scanned: buffer.count - start, lineStart: lineStart)
                    return false
                }
                guard lf > start + lineStart, buffer[lf - 1] == 0x0D else { throw HTTPParseError(.badRequest, "trailer line not terminated by CRLF") }
                if lf - 1 == start + lineStart {
                    start = lf + 1 // end of trailer section; trailer fields are discarded
                    return true
                }
                _ = try parseField(start + lineStart, lf - 1)
                if lf + 1 - start > limits.maxHeaderBytes { throw HTTPParseError(.headerFieldsTooLarge, "trailer section too large") }
                chunk = .trailers(scanned: lf + 1 - start, lineStart: lf + 1 - start)
            }
        }
    }

    /// chunk-size [ chunk-ext ]: hex digits, then optionally BWS ";" extensions of visible characters.
    private func parseChunkSize(_ from: Int, _ to: Int) throws(HTTPParseError) -> Int {
        var i = from
        var size = 0
        while i < to, let digit = PercentEncoding.hexValue(buffer[i]) {
            guard size <= (Int.max >> 4) else { throw HTTPParseError(.badRequest, "chunk size overflows") }
            size = size << 4 | Int(digit)
            i += 1
        }
        guard i > from else { throw HTTPParseError(.badRequest, "missing or malformed chunk size") }
        try validateChunkExtensions(i, to)
        return size
    }

    /// chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), val = token / quoted-string.
    private func validateChunkExtensions(_ from: Int, _ to: Int) throws(HTTPParseError) {
        var i = from
        func skipWhitespace() { while i < to, buffer[i] == 0x20 || buffer[i] == 0x09 { i += 1 } }
        func token() -> Bool {
            let begin = i
            while i < to, HTTPTokens.isTokenByte(buffer[i]) { i += 1 }
            return i > begin
        }
        let bad = HTTPParseError(.badRequest, "malformed chunk extension")
        while i < to {
            skipWhitespace()
            guard i < to, buffer[i] == 0x3B else { throw bad }
            i += 1
            skipWhitespace()
            guard token() else { throw bad }
            skipWhitespace()
            guard i < to else { return }
            if buffer[i] == 0x3B { continue }
            guard buffer[i] == 0x3D else { throw bad }
            i += 1
            skipWhitespace()
            guard i < to else { throw bad }
            if buffer[i] == 0x22 {
                // quoted-string (RFC 9110 §5.6.4) with quoted-pair escapes.
                i += 1
                var closed = false
                while i < to {
                    let b = buffer[i]
                    if b == 0x22 { closed = true; i += 1; break }
                    if b == 0x5C {
                        guard i + 1 < to, HTTPTokens.isFieldValueByte(buffer[i + 1]) else { throw bad }
                        i += 2
                        continue
                    }
                    guard HTTPTokens.isFieldValueByte(b) else { throw bad }
                    i += 1
                }
                guard closed else { throw bad }
            } else {
                guard token() else { throw bad }
            }
        }
    }

    // MARK: - Helpers

    private func string(_ range: Range<Int>) -> String {
        buffer.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }
}

extension Substring {
    func trimmingWhitespace() -> Substring {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return s
    }
}
