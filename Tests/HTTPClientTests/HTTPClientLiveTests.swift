import Foundation
import HTTPClient
import Testing

/// Requests against a real server on a loopback port: round trips, limits, failures, concurrency.
@Suite struct HTTPClientLiveTests {
    /// Runs `body` with a started server and a client, and shuts both down afterwards.
    private func withServerAndClient(
        configuration: HTTPClientConfiguration = HTTPClientConfiguration(),
        _ body: (LiveServer, HTTPClient) async throws -> Void
    ) async throws {
        let server = try await LiveServer.start()
        let client = HTTPClient(configuration: configuration)
        do {
            try await body(server, client)
        } catch {
            await client.shutdown()
            await server.stop()
            throw error
        }
        await client.shutdown()
        await server.stop()
    }

    /// The error `send` threw, or nil when it returned a response.
    private func sendError(_ client: HTTPClient, _ request: HTTPClientRequest) async -> HTTPClientError? {
        do {
            _ = try await client.send(request)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Round trips

    @Test func getReturnsStatusHeadersAndBody() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.send(HTTPClientRequest(url: server.url("/hello")))
            #expect(response.status == 200)
            #expect(response.bodyText == "hi")
            #expect(response.header("x-server") == "botbridge-test")
            #expect(response.header("CONTENT-LENGTH") == "2")
        }
    }

    @Test func postSendsHeadersAndBinaryBodyAndReceivesEcho() async throws {
        try await withServerAndClient { server, client in
            let body = (0..<65_536).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let request = HTTPClientRequest(
                method: "POST", url: server.url("/echo"),
                headers: [("X-Test", "value with spaces"), ("Content-Type", "application/json")],
                body: body)
            let response = try await client.send(request)
            #expect(response.status == 200)
            #expect(response.body == body)
            #expect(response.header("X-Got-Test") == "value with spaces")
            #expect(response.header("X-Got-Content-Type") == "application/json")
            #expect(response.header("X-Got-Expect") == "<none>")
            #expect(response.header("X-Got-UA") == HTTPClientConfiguration.defaultUserAgent)
        }
    }

    @Test func bodyWithoutContentTypeIsNotLabelledAsAForm() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.send(HTTPClientRequest(method: "POST", url: server.url("/echo"), body: [1, 2, 3]))
            #expect(response.body == [1, 2, 3])
            #expect(response.header("X-Got-Content-Type") == "<none>")
        }
    }

    @Test(arguments: ["PUT", "PATCH", "DELETE"])
    func otherMethodsCarryBodies(method: String) async throws {
        try await withServerAndClient { server, client in
            let response = try await client.send(HTTPClientRequest(method: method, url: server.url("/echo"), body: Array("payload".utf8)))
            #expect(response.status == 200)
            #expect(response.header("X-Method") == method)
            #expect(response.bodyText == "payload")
        }
    }

    @Test func headReturnsHeadersWithoutBody() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.send(HTTPClientRequest(method: "HEAD", url: server.url("/big")))
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "\(LiveServer.bigBodyBytes)")
            #expect(response.body.isEmpty)
        }
    }

    @Test func redirectIsReturnedNotFollowed() async throws {
        try await withServerAndClient { server, client in
            let response = try await client.send(HTTPClientRequest(url: server.url("/redirect")))
            #expect(response.status == 302)
            #expect(response.header("Location") == "/hello")
        }
    }

    // MARK: - Failures

    @Test func slowResponsePastTheTotalTimeoutFailsWithTimeout() async throws {
        try await withServerAndClient { server, client in
            let start = ContinuousClock.now
            let error = await sendError(client, HTTPClientRequest(url: server.url("/slow"), timeout: .milliseconds(200)))
            #expect(error == .timeout)
            #expect(ContinuousClock.now - start < LiveServer.slowDelay / 2)
        }
    }

    @Test func requestQueuedBehindTheConnectionLimitStillTimesOut() async throws {
        try await withServerAndClient(configuration: HTTPClientConfiguration(maxConnectionsPerHost: 1)) { server, client in
            let occupying = Task { await sendError(client, HTTPClientRequest(url: server.url("/slow"))) }
            try await Task.sleep(for: .milliseconds(100))
            let start = ContinuousClock.now
            let error = await sendError(client, HTTPClientRequest(url: server.url("/hello"), timeout: .milliseconds(200)))
            #expect(error == .timeout)
            // Without its own timeout it would wait for the slow request (30 s): half of that
            // tells the two apart on a loaded machine too.
            #expect(ContinuousClock.now - start < LiveServer.slowDelay / 2)
            occupying.cancel()
            _ = await occupying.value
        }
    }

    @Test func closedPortFailsWithConnectionRefused() async throws {
        let port = try ClosedPort.make()
        let client = HTTPClient()
        let error = await sendError(client, HTTPClientRequest(url: "http://127.0.0.1:\(port)/"))
        await client.shutdown()
        #expect(error == .connectionRefused)
    }

    @Test func unresolvableHostFailsWithDNSFailure() async throws {
        let client = HTTPClient()
        let error = await sendError(client, HTTPClientRequest(url: "http://botbridge-client-test.invalid/"))
        await client.shutdown()
        #expect(error == .dnsFailure(host: "botbridge-client-test.invalid"))
    }

    @Test func tlsHandshakeWithAPlainHTTPServerFailsWithTLS() async throws {
        try await withServerAndClient { server, client in
            let error = await sendError(client, HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/hello"))
            guard case .tls(let message) = error else {
                Issue.record("expected .tls, got \(String(describing: error))")
                return
            }
            #expect(!message.isEmpty)
        }
    }

    @Test(arguments: ["/big", "/stream-big"])
    func bodyOverTheLimitFailsWithResponseTooLarge(path: String) async throws {
        try await withServerAndClient(configuration: HTTPClientConfiguration(maxResponseBytes: 1024)) { server, client in
            let error = await sendError(client, HTTPClientRequest(url: server.url(path)))
            #expect(error == .responseTooLarge(limit: 1024))
            // The client keeps working after an aborted transfer.
            let response = try await client.send(HTTPClientRequest(url: server.url("/hello")))
            #expect(response.status == 200)
        }
    }

    // MARK: - Concurrency, cancellation, shutdown

    @Test func twoHundredConcurrentRequestsAllSucceed() async throws {
        try await withServerAndClient { server, client in
            let statuses = await withTaskGroup(of: Int.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let request = HTTPClientRequest(method: "POST", url: server.url("/echo"), body: Array("\(index)".utf8))
                        guard let response = try? await client.send(request), response.bodyText == "\(index)" else { return 0 }
                        return response.status
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.count == 200)
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(server.connectionsAccepted <= client.configuration.maxConnectionsPerHost)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await withServerAndClient { server, client in
            for _ in 0..<50 {
                let response = try await client.send(HTTPClientRequest(url: server.url("/hello")))
                #expect(response.status == 200)
            }
            #expect(server.connectionsAccepted == 1)
        }
    }

    @Test func cancellingTheTaskAbandonsTheTransfer() async throws {
        try await withServerAndClient { server, client in
            let start = ContinuousClock.now
            let task = Task { await sendError(client, HTTPClientRequest(url: server.url("/slow"))) }
            try await Task.sleep(for: .milliseconds(100))
            task.cancel()
            #expect(await task.value == .cancelled)
            #expect(ContinuousClock.now - start < LiveServer.slowDelay / 2)
            let response = try await client.send(HTTPClientRequest(url: server.url("/hello")))
            #expect(response.status == 200)
        }
    }

    @Test func alreadyCancelledTaskFailsWithoutSending() async throws {
        try await withServerAndClient { server, client in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await sendError(client, HTTPClientRequest(url: server.url("/hello")))
            }
            #expect(await task.value == .cancelled)
        }
    }

    @Test func shutdownFailsRequestsInFlightAndLater() async throws {
        let server = try await LiveServer.start()
        let client = HTTPClient()
        let inFlight = Task { await sendError(client, HTTPClientRequest(url: server.url("/slow"))) }
        try await Task.sleep(for: .milliseconds(100))
        await client.shutdown()
        #expect(await inFlight.value == .shutdown)
        #expect(await sendError(client, HTTPClientRequest(url: server.url("/hello"))) == .shutdown)
        await client.shutdown()
        await server.stop()
    }
}
