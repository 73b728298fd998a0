import Foundation
import Glibc
import Synchronization
import Testing
@testable import HTTP

/// Live tests over loopback sockets on port 0: the server's connection handling end to end.
@Suite struct HTTPServerLiveTests {
    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                for _ in 0..<3 {
                    c.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                    let r = try c.readResponse()
                    #expect(r.status == 200)
                    #expect(r.bodyText == "hello")
                    #expect(r.header("Connection") == nil)
                    #expect(r.header("Date") != nil)
                }
            }
        }
    }

    @Test func pipelinedRequestsInOneWriteAreAnsweredInOrder() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                // The first is slow, so an out-of-order server would answer the second first.
                c.send("GET /slow?ms=100 HTTP/1.1\r\nHost: t\r\n\r\nGET /path/second HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nthird")
                #expect(try c.readResponse().bodyText == "slow done")
                #expect(try c.readResponse().bodyText == "second")
                #expect(try c.readResponse().bodyText == "third")
            }
        }
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
                let interim = try c.readResponse()
                #expect(interim.status == 100)
                c.send("ping")
                let final = try c.readResponse()
                #expect(final.status == 200)
                #expect(final.bodyText == "ping")
            }
        }
    }

    @Test func oversizedBodyIs413BeforeTheBodyIsSent() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                // Per-route limit of 16 bytes; the client waits for 100-continue and gets 413 instead.
                c.send("POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 413)
                #expect(r.header("Connection") == "close")
                #expect(r.bodyText.contains("body_too_large"))
                #expect(c.readsEOF())
                // The default limit applies to other routes: 2 MB announced on /echo.
                let d = try RawConnection(port: port)
                d.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n")
                #expect(try d.readResponse().status == 413)
            }
        }
    }

    @Test func bodiesLargerThanTheReadBufferArrive() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let body = (0..<900_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
                let c = try RawConnection(port: port)
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.count)\r\n\r\n")
                c.send(body)
                let r = try c.readResponse()
                #expect(r.status == 200)
                #expect(r.body == body)
                // The same body chunked, in one write with a request pipelined behind it.
                var chunked = Array("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
                for start in stride(from: 0, to: body.count, by: 100_000) {
                    let part = body[start..<min(body.count, start + 100_000)]
                    chunked += Array(String(part.count, radix: 16).utf8) + [13, 10] + part + [13, 10]
                }
                chunked += Array("0\r\n\r\nGET /hello HTTP/1.1\r\nHost: t\r\n\r\n".utf8)
                c.send(chunked)
                #expect(try c.readResponse().body == body)
                #expect(try c.readResponse().bodyText == "hello")
            }
        }
    }

    @Test func pipelinedRequestsBeforeAHalfCloseAreAllAnswered() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /slow?ms=50 HTTP/1.1\r\nHost: t\r\n\r\nGET /path/two HTTP/1.1\r\nHost: t\r\n\r\nGET /path/three HTTP/1.1\r\nHost: t\r\n\r\n")
                shutdown(c.fd, Int32(SHUT_WR))
                #expect(try c.readResponse().bodyText == "slow done")
                #expect(try c.readResponse().bodyText == "two")
                #expect(try c.readResponse().bodyText == "three")
                #expect(c.readsEOF())
            }
        }
    }

    @Test func chunkedRequestBodyIsDecoded() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
                usleep(20_000)
                c.send("6\r\n world\r\n0\r\n\r\n")
                #expect(try c.readResponse().bodyText == "hello world")
            }
        }
    }

    @Test func slowClientIsClosedAtTheHeaderTimeout() async throws {
        try await withServer({ $0.headerTimeout = .milliseconds(200) }, router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /hello HTTP/1.1\r\nHo")
                let started = Date()
                let r = try c.readResponse()
                #expect(r.status == 408)
                #expect(Date().timeIntervalSince(started) < 2)
                #expect(c.readsEOF())
            }
        }
    }

    @Test func stalledBodyIsClosedAtTheBodyIdleTimeout() async throws {
        try await withServer({ $0.bodyIdleTimeout = .milliseconds(200) }, router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
                #expect(try c.readResponse().status == 408)
                #expect(c.readsEOF())
            }
        }
    }

    @Test func idleKeepAliveConnectionIsClosedSilently() async throws {
        try await withServer({ $0.keepAliveTimeout = .milliseconds(200) }, router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try c.readResponse().status == 200)
                #expect(c.readsEOF())
            }
        }
    }

    @Test func connectionClosesAfterMaxRequests() async throws {
        try await withServer(router: testRouter()) { server, port in
            #expect(server.configuration.maxRequestsPerConnection == 1000)
            try await blocking {
                let c = try RawConnection(port: port)
                for i in 1...1000 {
                    c.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                    let r = try c.readResponse()
                    #expect(r.status == 200)
                    if i < 1000 && r.header("Connection") != nil { Issue.record("closed early at \(i)"); return }
                    if i == 1000 { #expect(r.header("Connection") == "close") }
                }
                #expect(c.readsEOF())
            }
        }
    }

    @Test func handlerTimeoutAnswers503() async throws {
        try await withServer({ $0.handlerTimeout = .milliseconds(150) }, router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /slow?ms=2000 HTTP/1.1\r\nHost: t\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 503)
                #expect(r.bodyText.contains("handler_timeout"))
            }
        }
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        // One loop, so the shutdown pass that closes the idle connection is the one that marks the
        // busy one: the handler answers only after it saw that pass (no timing assumptions).
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        var router = testRouter()
        let handlerStarted = Mutex(false)
        let idleSawEOF = Mutex(false)
        router.get("/held") { _, _ in
            handlerStarted.withLock { $0 = true }
            while !idleSawEOF.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
            return .text("slow done")
        }
        let server = HTTPServer(configuration: configuration, responder: router)
        let port = try server.start()
        let idle = try RawConnection(port: port)
        let idleClosed = Task {
            let eof = try await blocking { idle.readsEOF() }
            idleSawEOF.withLock { $0 = true }
            return eof
        }
        let response = Task {
            try await blocking { () throws -> RawConnection.Response in
                let c = try RawConnection(port: port)
                c.send("GET /held HTTP/1.1\r\nHost: t\r\n\r\n")
                return try c.readResponse()
            }
        }
        // Shut down only once the handler is certainly running.
        while !handlerStarted.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        let started = Date()
        await server.shutdown()
        #expect(Date().timeIntervalSince(started) < 5)
        #expect(try await idleClosed.value)
        let r = try await response.value
        #expect(r.status == 200)
        #expect(r.bodyText == "slow done")
        #expect(r.header("Connection") == "close")
        // No longer accepting.
        #expect(throws: (any Error).self) { _ = try RawConnection(port: port) }
    }

    @Test func connectionsBeyondTheLimitAreRefusedCleanly() async throws {
        try await withServer({ $0.maxConnections = 2; $0.eventLoopCount = 1 }, router: testRouter()) { server, port in
            try await blocking {
                let a = try RawConnection(port: port)
                let b = try RawConnection(port: port)
                a.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                b.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try a.readResponse().status == 200)
                #expect(try b.readResponse().status == 200)
                let c = try RawConnection(port: port)
                let refused = try c.readResponse()
                #expect(refused.status == 503)
                #expect(refused.header("Retry-After") == "1")
                #expect(c.readsEOF())
                // Existing connections keep working.
                a.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try a.readResponse().status == 200)
            }
            #expect(server.metrics.render().contains("botbridge_http_refused_connections_total 1"))
        }
    }

    @Test func garbageAndHugeHeadersNeverStopTheServer() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                var generator = SystemRandomNumberGenerator()
                for _ in 0..<20 {
                    let c = try RawConnection(port: port)
                    c.send((0..<512).map { _ in UInt8.random(in: 0...255, using: &generator) })
                    _ = try? c.readResponse()
                }
                // A 10 MB header: refused with 431 once the limit is crossed.
                let big = try RawConnection(port: port)
                big.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: ")
                var chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 64 * 1024)
                var sent = 0
                while sent < 10 * 1024 * 1024, big.send(chunk) { sent += chunk.count }
                chunk.removeAll()
                #expect(try big.readResponse().status == 431)
                // A half request, then the client goes away.
                let half = try RawConnection(port: port)
                half.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nabc")
                // Still serving.
                let ok = try RawConnection(port: port)
                ok.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try ok.readResponse().status == 200)
            }
        }
    }

    @Test func framingErrorsAnswerJSONAndClose() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 400)
                #expect(r.header("Content-Type") == "application/json")
                #expect(r.bodyText.contains(#""code":"bad_request""#))
                #expect(c.readsEOF())
            }
        }
    }

    @Test func streamedResponseIsChunked() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /stream HTTP/1.1\r\nHost: t\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.header("Transfer-Encoding") == "chunked")
                #expect(r.bodyText == "data: 0\n\ndata: 1\n\ndata: 2\n\n")
                // The connection stays usable.
                c.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try c.readResponse().bodyText == "hello")
            }
        }
    }

    @Test func failedStreamIsCutShortNotCompleted() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /stream-fail HTTP/1.1\r\nHost: t\r\n\r\n")
                // The head and the first chunk arrive, then the connection closes without "0\r\n\r\n".
                #expect(throws: RawConnection.Failure.self) { try c.readResponse() }
            }
        }
    }

    @Test func http10GetsACloseDelimitedStreamAndNo100Continue() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /stream HTTP/1.0\r\n\r\n")
                let r = try c.readResponse(expectBody: false)
                #expect(r.header("Transfer-Encoding") == nil)
                #expect(r.header("Connection") == "close")
                #expect(c.readsEOF())
                let d = try RawConnection(port: port)
                d.send("POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
                let echoed = try d.readResponse()
                #expect(echoed.status == 200) // not a 100 first
                #expect(echoed.bodyText == "ok")
                #expect(echoed.header("Connection") == "keep-alive")
            }
        }
    }

    @Test func shutdownDuringABodyClosesRightAfterTheResponse() async throws {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.shutdownGracePeriod = .seconds(30)
        let server = HTTPServer(configuration: configuration, responder: testRouter())
        let port = try server.start()
        let c = try RawConnection(port: port)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nab")
        try await Task.sleep(for: .milliseconds(50))
        let started = Date()
        async let stopped: Void = server.shutdown()
        try await Task.sleep(for: .milliseconds(50))
        c.send("cd")
        let r = try await blocking { try c.readResponse() }
        #expect(r.bodyText == "abcd")
        #expect(r.header("Connection") == "close")
        shutdown(c.fd, Int32(SHUT_WR)) // a well-behaved client closes too; the server lingers until then
        await stopped
        // Waiting for the grace period would take 30 s; a third of it tells them apart under load.
        #expect(Date().timeIntervalSince(started) < 10, "shutdown waited for the grace period")
    }

    @Test func shutdownEndsAnEndlessStreamWithoutWaitingForTheGracePeriod() async throws {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.shutdownGracePeriod = .seconds(30)
        var router = Router()
        router.get("/events") { _, _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "text/event-stream"]) { writer in
                try await writer.write(Array("data: hello\n\n".utf8))
                // An event stream that never ends by itself; cancellation lets it finish cleanly.
                while !Task.isCancelled { try? await Task.sleep(for: .seconds(60)) }
            }
        }
        let server = HTTPServer(configuration: configuration, responder: router)
        let port = try server.start()
        let c = try RawConnection(port: port)
        c.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n")
        try await Task.sleep(for: .milliseconds(100))
        let started = Date()
        async let stopped: Void = server.shutdown()
        let r = try await blocking { try c.readResponse() }
        #expect(r.bodyText == "data: hello\n\n") // the body ended with its last chunk, not a reset
        shutdown(c.fd, Int32(SHUT_WR))
        await stopped
        // Waiting for the grace period would take 30 s; a third of it tells them apart under load.
        #expect(Date().timeIntervalSince(started) < 10, "shutdown waited for the grace period")
    }

    @Test func longConfiguredTimeoutsDoNotOverflow() async throws {
        try await withServer({
            $0.headerTimeout = .seconds(Int64.max); $0.handlerTimeout = .seconds(Int64.max)
            $0.keepAliveTimeout = .seconds(Int64.max); $0.bodyIdleTimeout = .seconds(Int64.max)
        }, router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi")
                #expect(try c.readResponse().bodyText == "hi")
            }
        }
    }

    @Test func headHasHeadersButNoBody() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("HEAD /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                let r = try c.readResponse(expectBody: false)
                #expect(r.status == 200)
                #expect(r.header("Content-Length") == "5")
                c.send("GET /hello HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try c.readResponse().bodyText == "hello")
            }
        }
    }

    @Test func requestIDIsHonouredOrMade() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /request-id HTTP/1.1\r\nHost: t\r\nX-Request-Id: abc-123\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.bodyText == "abc-123")
                #expect(r.header("X-Request-Id") == "abc-123")
                c.send("GET /request-id HTTP/1.1\r\nHost: t\r\nX-Request-Id: bad id\" with=stuff\r\n\r\n")
                let made = try c.readResponse()
                #expect(made.bodyText != "bad id\" with=stuff")
                #expect(made.header("X-Request-Id") == made.bodyText)
            }
        }
    }

    @Test func http10ClosesAfterTheResponse() async throws {
        try await withServer(router: testRouter()) { _, port in
            try await blocking {
                let c = try RawConnection(port: port)
                c.send("GET /hello HTTP/1.0\r\n\r\n")
                let r = try c.readResponse()
                #expect(r.status == 200)
                #expect(r.header("Connection") == "close")
                #expect(c.readsEOF())
            }
        }
    }

    @Test func secondServerOnTheSamePortFails() async throws {
        try await withServer(router: testRouter()) { _, port in
            let other = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: port), responder: testRouter())
            #expect(throws: HTTPServerError.self) { try other.start() }
        }
    }
}
