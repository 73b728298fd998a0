import Dispatch
import Foundation
import HTTP
import Logging

/// `botbridge serve`: runs the gateway until SIGTERM or SIGINT, then drains and exits 0.
struct ServeCommand: Command {
    static let name = "serve"
    static let abstract = "Run the gateway."
    static let discussion = """
    With no --config, serves the embedded default on 127.0.0.1:8080. Prints the address it
    listens on, then logs one line per event to standard error. SIGTERM or SIGINT stops
    accepting, lets in-flight requests finish (up to the grace period) and exits 0.
    """
    static let options: [OptionSpec] = [
        .value("config", "path", help: "Configuration file (JSON). Default: none, the embedded default."),
        .value("listen", "host:port", help: "Address to listen on. Default: 127.0.0.1:8080 (port 0 picks a free one)."),
        .value("log-level", "level", help: "trace, debug, info, notice, warning, error or critical. Default: info."),
        .value("log-format", "format", help: "logfmt or json. Default: logfmt."),
        .value("event-loops", "n", help: "Event-loop threads. Default: one per core."),
        .flag("echo", help: "Also serve POST /echo, which answers the request body (for benchmarks)."),
    ]

    var configPath: String?
    var listen: ListenAddress?
    var logLevel: LogLevel?
    var logFormat: LogFormat?
    var eventLoops: Int?
    var echo: Bool

    init(options: ParsedOptions) throws(UsageError) {
        if let extra = options.positionals.first { throw UsageError("unexpected argument '\(extra)'") }
        configPath = options.value("config")
        if let text = options.value("listen") { listen = try ListenAddress.parse(text).get() }
        if let text = options.value("log-level") {
            guard let level = LogLevel(name: text) else {
                throw UsageError("invalid log level '\(text)'; use one of \(LogLevel.allCases.map(\.description).joined(separator: ", "))")
            }
            logLevel = level
        }
        if let text = options.value("log-format") {
            guard let format = LogFormat(rawValue: text) else { throw UsageError("invalid log format '\(text)'; use logfmt or json") }
            logFormat = format
        }
        if let text = options.value("event-loops") {
            guard let n = Int(text), (1...256).contains(n) else { throw UsageError("invalid --event-loops '\(text)'; use 1-256") }
            eventLoops = n
        }
        echo = options.flag("echo")
    }

    func run() async -> Int32 {
        var settings = ServerSettings()
        if let configPath {
            do { settings = try ServerSettings.load(path: configPath) } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                return ExitStatus.config
            }
        }
        if let listen { settings.listen = listen }
        if let logLevel { settings.logLevel = logLevel }
        if let logFormat { settings.logFormat = logFormat }
        if let eventLoops { settings.http.eventLoopCount = eventLoops }
        settings.http.host = settings.listen.host
        settings.http.port = settings.listen.port

        let logger = Logger(label: "botbridge", level: settings.logLevel, sink: StreamLogSink(format: settings.logFormat))
        let metrics = HTTPServerMetrics()
        let server = HTTPServer(configuration: settings.http, responder: GatewayRoutes.router(metrics: metrics, echo: echo),
                                logger: logger, metrics: metrics)
        let signals = ShutdownSignals()
        let port: Int
        do {
            port = try server.start()
        } catch {
            logger.critical("cannot start: \(error)")
            return ExitStatus.unavailable
        }
        let shown = ListenAddress(host: settings.listen.host, port: port)
        FileHandle.standardOutput.write(Data("botbridge \(BotbridgeVersion.current) listening on http://\(shown)\n".utf8))
        logger.info("listening", [("address", shown.description), ("event_loops", String(settings.http.eventLoopCount))])

        let signal = await signals.next()
        logger.info("shutting down", [("signal", signal)])
        await server.shutdown()
        logger.info("stopped")
        return ExitStatus.success
    }
}

/// Turns SIGTERM and SIGINT into an awaitable event (the default handlers are replaced).
/// Unchecked: the sources are only kept alive here, never touched after `init`.
final class ShutdownSignals: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    private let stream: AsyncStream<String>

    init() {
        var continuation: AsyncStream<String>.Continuation!
        stream = AsyncStream { continuation = $0 }
        let yield = continuation!
        var sources: [any DispatchSourceSignal] = []
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { yield.yield(name) }
            source.resume()
            sources.append(source)
        }
        self.sources = sources
    }

    /// The name of the next signal received.
    func next() async -> String {
        for await name in stream { return name }
        return "none"
    }
}
