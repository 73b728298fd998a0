import HTTP

/// A real `HTTPServer` on a loopback port chosen by the kernel, with the routes the client tests need.
struct LiveServer {
    let server: HTTPServer
    let port: Int

    /// How long `/slow` takes to answer; longer than every timeout the tests use.
    static let slowDelay = Duration.seconds(30)
    /// Size of the `/big` (Content-Length) and `/stream-big` (chunked) bodies.
    static let bigBodyBytes = 100_000

    static func start() async throws -> LiveServer {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 2
        // Slow handlers abandoned by the client should not hold up the end of a test.
        configuration.shutdownGracePeriod = .milliseconds(200)
        let server = HTTPServer(configuration: configuration, responder: makeRouter())
        let port = try server.start()
        return LiveServer(server: server, port: port)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    func stop() async { await server.shutdown() }

    /// Connections the server has accepted so far, read from its Prometheus counter.
    var connectionsAccepted: Int {
        let prefix = "botbridge_http_connections_total "
        let line = server.metrics.render().split(separator: "\n").first { $0.hasPrefix(prefix) }
        return line.flatMap { Int($0.dropFirst(prefix.count)) } ?? -1
    }

    private static func makeRouter() -> Router {
        var router = Router()
        router.get("/hello") { _, _ in
            HTTPResponse(status: .ok, headers: ["X-Server": "botbridge-test"], body: Array("hi".utf8))
        }
        let echo: Router.Handler = { request, _ in
            HTTPResponse(status: .ok, headers: [
                "Content-Type": "application/octet-stream",
                "X-Method": request.method,
                "X-Got-Test": request.headers["X-Test"] ?? "<none>",
                "X-Got-Content-Type": request.headers["Content-Type"] ?? "<none>",
                "X-Got-Expect": request.headers["Expect"] ?? "<none>",
                "X-Got-UA": request.headers["User-Agent"] ?? "<none>",
            ], body: request.body)
        }
        router.post("/echo", echo)
        router.put("/echo", echo)
        router.patch("/echo", echo)
        router.delete("/echo", echo)
        router.get("/slow") { _, _ in
            try await Task.sleep(for: slowDelay)
            return HTTPResponse(status: .ok, body: Array("late".utf8))
        }
        router.get("/big") { _, _ in
            HTTPResponse(status: .ok, body: [UInt8](repeating: UInt8(ascii: "x"), count: bigBodyBytes))
        }
        router.get("/stream-big") { _, _ in
            HTTPResponse(status: .ok) { writer in
                for _ in 0..<(bigBodyBytes / 1000) {
                    try await writer.write([UInt8](repeating: UInt8(ascii: "y"), count: 1000))
                }
            }
        }
        router.get("/redirect") { _, _ in
            HTTPResponse(status: HTTPStatus(code: 302), headers: ["Location": "/hello"])
        }
        return router
    }
}
