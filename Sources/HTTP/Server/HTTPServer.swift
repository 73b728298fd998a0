import Glibc
import Logging
import Synchronization

/// An HTTP/1.1 server on non-blocking sockets: one epoll event loop per core, each with its own
/// `SO_REUSEPORT` listener, handlers run as tasks that start on the loop that read the request.
public final class HTTPServer: Sendable {
    private let core: ServerCore
    private let state = Mutex(RunState())

    private struct RunState {
        var loops: [EventLoop] = []
        var port: Int?
        var stopped = false
    }

    public init(configuration: HTTPServerConfiguration, responder: some HTTPResponder,
                logger: Logger = .silent, metrics: HTTPServerMetrics = HTTPServerMetrics()) {
        core = ServerCore(configuration: configuration, responder: responder, logger: logger, metrics: metrics)
    }

    public var configuration: HTTPServerConfiguration { core.configuration }
    public var metrics: HTTPServerMetrics { core.metrics }

    /// The bound port once started.
    public var port: Int? { state.withLock { $0.port } }

    /// Binds, listens and starts the loops; returns the bound port.
    @discardableResult
    public func start() throws -> Int {
        Syscall.ignoreSIGPIPE()
        let configuration = core.configuration
        let address = try SocketAddress.resolve(host: configuration.host, port: configuration.port)
        // A probe bind without SO_REUSEPORT fails when another process already listens there,
        // instead of silently sharing the port with it; it also picks the port for port 0.
        let port = try Listener.probe(address)
        let boundAddress = address.with(port: port)
        let count = max(1, configuration.eventLoopCount)
        let sweep = Self.sweepInterval(configuration)
        var loops: [EventLoop] = []
        do {
            for index in 0..<count {
                let fd = try Listener.open(boundAddress, backlog: configuration.backlog)
                let loop: EventLoop
                do {
                    loop = try EventLoop(index: index, server: core, sweepInterval: sweep)
                    try loop.start(listenerFD: fd)
                } catch {
                    Syscall.close(fd)
                    throw error
                }
                loops.append(loop)
            }
        } catch {
            for loop in loops { loop.execute { loop.closeAll() }; loop.stopAndJoin() }
            throw error
        }
        core.prepareDrain(loopCount: loops.count)
        state.withLock {
            $0.loops = loops
            $0.port = port
        }
        return port
    }

    /// Stops accepting, lets in-flight requests finish (up to the grace period), closes the rest,
    /// and stops the loops.
    public func shutdown() async {
        let loops = state.withLock { state -> [EventLoop] in
            guard !state.stopped else { return [] }
            state.stopped = true
            return state.loops
        }
        guard !loops.isEmpty else { return }
        for loop in loops { loop.execute { loop.beginShutdown() } }
        let grace = core.configuration.shutdownGracePeriod
        let core = self.core
        let timer = Task {
            try? await Task.sleep(for: grace)
            core.giveUpDraining()
        }
        await core.waitUntilDrained()
        timer.cancel()
        for loop in loops {
            loop.execute { loop.closeAll() }
        }
        for loop in loops { await loop.stop() }
    }

    /// How often loops check timeouts: a tenth of the shortest timeout, between 5 ms and 250 ms.
    static func sweepInterval(_ c: HTTPServerConfiguration) -> UInt64 {
        let shortest = [c.headerTimeout, c.bodyIdleTimeout, c.keepAliveTimeout, c.handlerTimeout, c.writeTimeout, c.lingerTimeout]
            .map(\.nanoseconds).min() ?? 1_000_000_000
        return min(max(shortest / 10, 5_000_000), 250_000_000)
    }
}
