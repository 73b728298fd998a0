import Testing
@testable import HTTP

/// What a raw request should parse to.
enum Parsed: Equatable {
    case request(method: String, target: String, headers: [String], body: String)
    case reject(Int)
    case incomplete
}

/// Feeds `raw` to a fresh parser (optionally one byte at a time) and reports the first message.
func parse(_ raw: [UInt8], bodyLimit: Int = 1 << 20, limits: HTTPParserLimits = HTTPParserLimits(), byteByByte: Bool = false) -> Parsed {
    var parser = HTTPRequestParser(limits: limits)
    var head: HTTPRequestHead?
    var fed = 0
    while true {
        do {
            switch try parser.next() {
            case .needMoreData:
                guard fed < raw.count else { return .incomplete }
                let n = byteByByte ? 1 : raw.count
                parser.append(raw[fed..<min(raw.count, fed + n)])
                fed += n
            case .head(let h):
                head = h
                try parser.startBody(limit: bodyLimit)
            case .end(let body):
                guard let head else { return .incomplete }
                return .request(method: head.method, target: head.target,
                                headers: head.headers.fields.map { "\($0.name): \($0.value)" },
                                body: String(decoding: body, as: UTF8.self))
            }
        } catch {
            return .reject(error.status.code)
        }
    }
}

func parse(_ raw: String, bodyLimit: Int = 1 << 20, limits: HTTPParserLimits = HTTPParserLimits(), byteByByte: Bool = false) -> Parsed {
    parse(Array(raw.utf8), bodyLimit: bodyLimit, limits: limits, byteByByte: byteByByte)
}

@Suite struct HTTPRequestParserTests {
    // MARK: - Framing rules, each with its exact status

    static let rejections: [(String, String, Int)] = [
        // RFC 9112 §6.1 / §6.3: Content-Length with Transfer-Encoding is a smuggling vector.
        ("CL with TE", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        ("TE with CL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400),
        // RFC 9112 §6.1: only chunked, alone.
        ("TE gzip", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
        ("TE gzip, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
        ("TE chunked, chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 501),
        ("TE twice", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
        ("TE identity", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 501),
        ("TE chunkedx", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunkedx\r\n\r\n", 501),
        ("TE in HTTP/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        // RFC 9110 §8.6: Content-Length = 1*DIGIT, once.
        ("CL duplicate equal", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello", 400),
        ("CL duplicate differing", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        ("CL list", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello", 400),
        ("CL plus sign", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\nhello", 400),
        ("CL hex", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n", 400),
        ("CL empty", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400),
        ("CL negative", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400),
        ("CL inner space", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n", 400),
        ("CL overflow", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400),
        // RFC 9112 §5.1 / §5.2 / §2.2: field syntax.
        ("space before colon", "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400),
        ("tab before colon", "GET / HTTP/1.1\r\nHost\t: a\r\n\r\n", 400),
        ("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n", 400),
        ("obs-fold tab", "GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n\ttwo\r\n\r\n", 400),
        ("bare CR in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400),
        ("bare CR in request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("bare LF line end", "GET / HTTP/1.1\nHost: a\n\n", 400),
        ("bare LF in headers", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400),
        ("NUL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{0}b\r\n\r\n", 400),
        ("control byte in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{1}b\r\n\r\n", 400),
        ("DEL in value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{7F}b\r\n\r\n", 400),
        ("NUL in name", "GET / HTTP/1.1\r\nHost: a\r\nX\u{0}Y: b\r\n\r\n", 400),
        ("empty name", "GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n", 400),
        ("no colon", "GET / HTTP/1.1\r\nHost: a\r\nJustAName\r\n\r\n", 400),
        // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
        ("no Host", "GET / HTTP/1.1\r\n\r\n", 400),
        ("two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("two Hosts in 1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        ("Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        // RFC 9112 §3: request line.
        ("double space", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("lowercase version", "GET / http/1.1\r\nHost: a\r\n\r\n", 400),
        ("missing version", "GET /\r\nHost: a\r\n\r\n", 400),
        ("HTTP/2.0", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        ("HTTP/0.9 style", "GET /\r\n\r\n", 400),
        ("target with space", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("bad method char", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        ("relative target", "GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        // RFC 9112 §7.1: chunked framing.
        ("chunk size not hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk size empty", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk size overflow", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk size negative", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk missing CRLF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloX0\r\n\r\n", 400),
        ("chunk data LF only", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n", 400),
        ("chunk size bare LF", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n", 400),
        ("chunk size trailing junk", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk ext with NUL", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\u{0}\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk ext without name", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n", 400),
        ("chunk ext unclosed quote", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n", 400),
        ("bad trailer", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nBad Trailer: x\r\n\r\n", 400),
        // RFC 9110 §10.1.1: only 100-continue.
        ("Expect other", "POST / HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\nContent-Length: 1\r\n\r\nx", 417),
    ]

    @Test(arguments: rejections)
    func rejects(_ name: String, _ raw: String, _ status: Int) {
        #expect(parse(raw) == .reject(status), "\(name)")
        #expect(parse(raw, byteByByte: true) == .reject(status), "\(name) (byte by byte)")
    }

    // MARK: - Valid requests

    static let valid: [(String, String, Parsed)] = [
        ("simple GET", "GET /healthz HTTP/1.1\r\nHost: localhost:8080\r\n\r\n",
         .request(method: "GET", target: "/healthz", headers: ["Host: localhost:8080"], body: "")),
        ("OWS trimmed", "GET / HTTP/1.1\r\nHost:   a  \r\nX-A:\tb\t\r\n\r\n",
         .request(method: "GET", target: "/", headers: ["Host: a", "X-A: b"], body: "")),
        ("empty value", "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n\r\n",
         .request(method: "GET", target: "/", headers: ["Host: a", "X-Empty: "], body: "")),
        ("obs-text value", "GET / HTTP/1.1\r\nHost: a\r\nX: caf\u{E9}\r\n\r\n",
         .request(method: "GET", target: "/", headers: ["Host: a", "X: caf\u{E9}"], body: "")),
        ("content length body", "POST /echo?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello",
         .request(method: "POST", target: "/echo?x=1", headers: ["Host: a", "Content-Length: 5"], body: "hello")),
        ("content length zero", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
         .request(method: "POST", target: "/", headers: ["Host: a", "Content-Length: 0"], body: "")),
        ("content length leading zeros", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 003\r\n\r\nabc",
         .request(method: "POST", target: "/", headers: ["Host: a", "Content-Length: 003"], body: "abc")),
        ("chunked", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n",
         .request(method: "POST", target: "/", headers: ["Host: a", "Transfer-Encoding: chunked"], body: "hello world")),
        ("chunked uppercase TE and hex", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n",
         .request(method: "POST", target: "/", headers: ["Host: a", "Transfer-Encoding: Chunked"], body: "0123456789")),
        ("chunked with trailers", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Trailer: yes\r\n\r\n",
         .request(method: "POST", target: "/", headers: ["Host: a", "Transfer-Encoding: chunked"], body: "abc")),
        ("chunk ext quoted", "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3 ; name=\"v a\"\r\nabc\r\n0\r\n\r\n",
         .request(method: "POST", target: "/", headers: ["Host: a", "Transfer-Encoding: chunked"], body: "abc")),
        ("leading empty line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
         .request(method: "GET", target: "/", headers: ["Host: a"], body: "")),
        ("HTTP/1.0 without Host", "GET / HTTP/1.0\r\n\r\n",
         .request(method: "GET", target: "/", headers: [], body: "")),
        ("absolute form", "GET http://example.com/a?b=c HTTP/1.1\r\nHost: example.com\r\n\r\n",
         .request(method: "GET", target: "http://example.com/a?b=c", headers: ["Host: example.com"], body: "")),
        ("OPTIONS asterisk", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n",
         .request(method: "OPTIONS", target: "*", headers: ["Host: a"], body: "")),
        ("custom method", "PURGE /x HTTP/1.1\r\nHost: a\r\n\r\n",
         .request(method: "PURGE", target: "/x", headers: ["Host: a"], body: "")),
        ("IPv6 host", "GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n",
         .request(method: "GET", target: "/", headers: ["Host: [::1]:8080"], body: "")),
        ("empty Host", "GET / HTTP/1.1\r\nHost:\r\n\r\n",
         .request(method: "GET", target: "/", headers: ["Host: "], body: "")),
    ]

    @Test(arguments: valid)
    func parsesValid(_ name: String, _ raw: String, _ expected: Parsed) {
        #expect(parse(raw) == expected, "\(name)")
        #expect(parse(raw, byteByByte: true) == expected, "\(name) (byte by byte)")
    }

    // MARK: - Limits

    @Test func requestLineLimitIs414() {
        let long = "GET /" + String(repeating: "a", count: 9000) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        #expect(parse(long) == .reject(414))
        // Refused before the line ends: a client cannot make us buffer an endless request line.
        #expect(parse("GET /" + String(repeating: "a", count: 9000)) == .reject(414))
        let fits = "GET /" + String(repeating: "a", count: 8000) + " HTTP/1.1\r\nHost: a\r\n\r\n"
        if case .request = parse(fits) {} else { Issue.record("an 8 KB request line must be accepted") }
    }

    @Test func headerSectionLimitIs431() {
        let big = "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 33 * 1024) + "\r\n\r\n"
        #expect(parse(big) == .reject(431))
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + String(repeating: "b", count: 40 * 1024)) == .reject(431))
    }

    @Test func headerCountLimitIs431() {
        let fields = (0..<101).map { "X-\($0): v\r\n" }.joined()
        #expect(parse("GET / HTTP/1.1\r\nHost: a\r\n" + fields + "\r\n") == .reject(431))
        let fine = (0..<99).map { "X-\($0): v\r\n" }.joined()
        if case .request = parse("GET / HTTP/1.1\r\nHost: a\r\n" + fine + "\r\n") {} else { Issue.record("100 fields must be accepted") }
    }

    @Test func bodyLimitIs413BeforeReadingTheBody() {
        // Only the head is fed: the parser refuses the declared length without waiting for the body.
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n".utf8))
        guard case .head = try? parser.next() else { Issue.record("expected a head"); return }
        #expect(throws: HTTPParseError.self) { try parser.startBody(limit: 1 << 20) }
        #expect(parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n", bodyLimit: 8) == .reject(413))
    }

    // MARK: - Head semantics

    @Test func keepAliveFollowsVersionAndConnection() throws {
        func head(_ raw: String) throws -> HTTPRequestHead {
            var parser = HTTPRequestParser()
            parser.append(Array(raw.utf8))
            guard case .head(let head) = try parser.next() else { throw HTTPParseError(.badRequest, "no head") }
            return head
        }
        #expect(try head("GET / HTTP/1.1\r\nHost: a\r\n\r\n").keepAlive)
        #expect(try !head("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n").keepAlive)
        #expect(try !head("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n").keepAlive)
        #expect(try !head("GET / HTTP/1.0\r\n\r\n").keepAlive)
        #expect(try head("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keepAlive)
        #expect(try head("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n").expectsContinue)
        #expect(try !head("GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n").expectsContinue)
    }

    @Test func pathAndQuery() throws {
        let cases: [(String, String, String?)] = [
            ("/a/b?c=d", "/a/b", "c=d"), ("/", "/", nil), ("/x?", "/x", ""), ("http://h:1/p?q", "/p", "q"),
            ("http://h", "/", nil), ("http://h?x=1", "/", "x=1"), ("*", "*", nil),
        ]
        for (target, path, query) in cases {
            let head = HTTPRequestHead(method: "GET", target: target)
            #expect(head.path == Substring(path), "\(target)")
            #expect(head.rawQuery.map(String.init) == query, "\(target)")
        }
    }

    @Test func pipelinedRequestsParseInOrder() throws {
        var parser = HTTPRequestParser()
        parser.append(Array("GET /one HTTP/1.1\r\nHost: a\r\n\r\nPOST /two HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabcGET /three HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        var seen: [String] = []
        var bodies: [String] = []
        loop: while true {
            switch try parser.next() {
            case .head(let head): seen.append(head.target); try parser.startBody(limit: 100)
            case .end(let body): bodies.append(String(decoding: body, as: UTF8.self))
            case .needMoreData: break loop
            }
        }
        #expect(seen == ["/one", "/two", "/three"])
        #expect(bodies == ["", "abc", ""])
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func chunkFramingDoesNotAccumulate() throws {
        // 1-byte chunks with 4000-byte extensions: the wire is ~4000x the body. What stays buffered
        // must stay small while the body grows.
        var parser = HTTPRequestParser()
        parser.append(Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        guard case .head = try parser.next() else { Issue.record("no head"); return }
        try parser.startBody(limit: 1 << 20)
        let chunk = Array(("1;a=" + String(repeating: "b", count: 4000) + "\r\nX\r\n").utf8)
        var peak = 0
        for _ in 0..<2000 {
            parser.append(chunk)
            guard case .needMoreData = try parser.next() else { Issue.record("ended early"); return }
            peak = max(peak, parser.bufferedByteCount)
        }
        #expect(peak < 8 * 1024)
        parser.append(Array("0\r\n\r\n".utf8))
        guard case .end(let body) = try parser.next() else { Issue.record("no end"); return }
        #expect(body.count == 2000)
    }

    @Test func durationsSaturateInsteadOfOverflowing() {
        #expect(Duration.seconds(Int64.max).nanoseconds == Duration.nanosecondCap)
        #expect(Duration.milliseconds(1500).nanoseconds == 1_500_000_000)
        #expect(Duration.seconds(-1).nanoseconds == 0)
    }

    @Test func failedParserStaysFailed() {
        var parser = HTTPRequestParser()
        parser.append(Array("GET / HTTP/1.1\r\nHost : a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(throws: HTTPParseError.self) { try parser.next() }
        #expect(parser.phase == .failed)
    }

    @Test func randomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let count = Int.random(in: 0..<600, using: &generator)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if Bool.random(using: &generator) { bytes = Array("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n".utf8) + bytes }
            _ = parse(bytes)
            _ = parse(bytes, byteByByte: true)
        }
    }

    // MARK: - llhttp cases

    @Test(arguments: llhttpRequestCases)
    func llhttpCase(_ testCase: LLHTTPRequestCase) {
        let outcome = parse(testCase.raw)
        switch testCase.expect {
        case .reject(let status):
            #expect(outcome == .reject(status), "\(testCase) — \(testCase.note)")
        case .request(let method, let target, let headers, let body):
            #expect(outcome == .request(method: method, target: target, headers: headers.map { "\($0.0): \($0.1)" }, body: body),
                    "\(testCase) — \(testCase.note)")
        }
    }
}
