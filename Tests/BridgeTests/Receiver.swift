import Foundation
import HTTP
import Synchronization

/// A real HTTP server on a loopback port that plays the receiving end of deliveries: it records
/// every request and answers each path from a script (then 200 when the script runs out).
final class Receiver: Sendable {
    struct Answer: Sendable {
        var status: HTTPStatus = .ok
        var headers: HTTPHeaders = [:]
        var body: String = ""
        /// Answer only after this long (to outlast a client timeout).
        var delay: Duration = .zero

        static func status(_ code: Int, headers: HTTPHeaders = [:], delay: Duration = .zero) -> Answer {
            Answer(status: HTTPStatus(code: code), headers: headers, delay: delay)
        }
    }

    struct Received: Sendable {
        var path: String
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    /// The script and the log, shared with the route handler.
    final class State: Sendable {
        let value = Mutex<(script: [String: [Answer]], received: [Received])>(([:], []))
        func withLock<T>(_ body: (inout (script: [String: [Answer]], received: [Received])) -> T) -> T { value.withLock { body(&$0) } }
    }

    private let server: HTTPServer
    let port: Int
    private let state: State

    private init(server: HTTPServer, port: Int, state: State) {
        self.server = server
        self.port = port
        self.state = state
    }

    static func start() async throws -> Receiver {
        let state = State()
        var router = Router()
        let handler: Router.Handler = { request, _ in
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.lowercased()] = field.value }
            let answer = state.withLock { state -> Answer in
                state.received.append(Received(path: String(request.head.path), headers: headers, body: request.body))
                guard var answers = state.script[String(request.head.path)], !answers.isEmpty else { return Answer() }
                let first = answers.removeFirst()
                state.script[String(request.head.path)] = answers
                return first
            }
            if answer.delay > .zero { try await Task.sleep(for: answer.delay) }
            return HTTPResponse(status: answer.status, headers: answer.headers, body: Array(answer.body.utf8))
        }
        // Any path up to six segments deep (provider APIs nest theirs).
        var pattern = ""
        for depth in 1...6 {
            pattern += "/{s\(depth)}"
            router.post(pattern, handler)
        }
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0)
        configuration.eventLoopCount = 1
        configuration.shutdownGracePeriod = .milliseconds(100)
        let server = HTTPServer(configuration: configuration, responder: router)
        let port = try server.start()
        return Receiver(server: server, port: port, state: state)
    }

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Queues answers for a path, used in order.
    func script(_ path: String, _ answers: Answer...) {
        state.withLock { $0.script[path, default: []].append(contentsOf: answers) }
    }

    /// Everything received so far, in arrival order.
    var received: [Received] { state.withLock { $0.received } }

    func received(at path: String) -> [Received] { received.filter { $0.path == path } }

    func stop() async { await server.shutdown() }
}
