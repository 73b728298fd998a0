import Dispatch
import Foundation
import Bridge
import HTTP
import HTTPClient
import Logging
import Storage

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
        DatabaseLocation.option,
        .value("home", "dir", help: "Where adapters/ and prompts/ are. Default: $BOTBRIDGE_HOME, else the working directory."),
        .value("synchronous", "mode", help: "normal (survives a process crash) or full (also power loss). Default: normal."),
        .value("listen", "host:port", help: "Address to listen on. Default: 127.0.0.1:8080 (port 0 picks a free one)."),
        .value("log-level", "level", help: "trace, debug, info, notice, warning, error or critical. Default: info."),
        .value("log-format", "format", help: "logfmt or json. Default: logfmt."),
        .value("event-loops", "n", help: "Event-loop threads. Default: one per core."),
        .flag("echo", help: "Also serve POST /echo, which answers the request body (for benchmarks)."),
        .value("dev-outbox-url", "url", help: "Also serve POST /dev/outbox, which queues its body as a delivery to url (tests, benchmarks)."),
    ]

    var configPath: String?
    var listen: ListenAddress?
    var logLevel: LogLevel?
    var logFormat: LogFormat?
    var eventLoops: Int?
    var echo: Bool
    var databasePath: String?
    var synchronous: DatabaseConfiguration.Synchronous?
    var devOutboxURL: String?
    var home: String?

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
        databasePath = options.value("db")
        home = options.value("home")
        if let text = options.value("synchronous") {
            guard let mode = DatabaseConfiguration.Synchronous(rawValue: text.uppercased()) else {
                throw UsageError("invalid --synchronous '\(text)'; use normal or full")
            }
            synchronous = mode
        }
        if let url = options.value("dev-outbox-url") {
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else { throw UsageError("invalid --dev-outbox-url '\(url)'; use an http(s) URL") }
            devOutboxURL = url
        }
    }

    func run() async -> Int32 {
        var settings = ServerSettings()
        var configObject: [String: Any] = [:]
        if let configPath {
            do {
                configObject = try ServerSettings.readObject(path: configPath)
                settings = try ServerSettings.load(configObject, path: configPath)
            } catch {
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                return ExitStatus.config
            }
        }
        if let listen { settings.listen = listen }
        if let logLevel { settings.logLevel = logLevel }
        if let logFormat { settings.logFormat = logFormat }
        if let eventLoops { settings.http.eventLoopCount = eventLoops }
        if let databasePath {
            settings.databasePath = databasePath
        } else if let url = ProcessInfo.processInfo.environment[DatabaseLocation.environmentVariable], !url.isEmpty {
            settings.databasePath = url
        }
        if let synchronous { settings.synchronous = synchronous }
        settings.http.host = settings.listen.host
        settings.http.port = settings.listen.port

        let gatewayHome = GatewayHome(explicit: home)
        var embeddedWarning: String?
        if configPath == nil {
            if let embedded = gatewayHome.embeddedDefault() {
                configObject = embedded
            } else {
                embeddedWarning = "no adapters/ under \(gatewayHome.path) (use --home or BOTBRIDGE_HOME): the embedded web chat is off"
            }
        }
        let gatewayConfiguration: GatewayConfiguration
        do {
            gatewayConfiguration = try gatewayHome.loadConfiguration(
                configObject, file: configPath ?? "", defaultPublicURL: "http://\(settings.listen)")
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return ExitStatus.config
        }
        let logger = Logger(label: "botbridge", level: settings.logLevel, sink: StreamLogSink(format: settings.logFormat))
        // One gateway per SQLite file; any number share a PostgreSQL database.
        let isPostgres = PostgresAddress.isPostgresURI(settings.databasePath)
        let lock = isPostgres ? nil : DatabaseLock(databasePath: settings.databasePath)
        if !isPostgres && lock == nil {
            FileHandle.standardError.write(Data("error: another botbridge serve is using \(settings.databasePath) (lock file \(settings.databasePath).lock)\n".utf8))
            return ExitStatus.unavailable
        }
        defer { withExtendedLifetime(lock) {} }
        let (opened, openStatus) = await DatabaseLocation.open(path: settings.databasePath, synchronous: settings.synchronous,
                                                               postgres: settings.postgres)
        guard let pool = opened else { return openStatus }
        if !gatewayConfiguration.knowledgeBaseImports.isEmpty {
            let paths = gatewayConfiguration.knowledgeBaseImports.map { gatewayHome.resolve($0, configFile: configPath) }
            guard await Self.importKnowledgeBase(paths, pool: pool, logger: logger) else {
                await pool.close()
                return ExitStatus.config
            }
        }
        let client = HTTPClient()
        let clock = SystemDeliveryClock()
        let webChatHub = WebChatHub()
        let dispatcherBox = DispatcherBox()
        let outages = BotOutages(configuration: gatewayConfiguration, hub: webChatHub, clock: clock, logger: logger,
                                 wake: { dispatcherBox.dispatcher?.notify() })
        let botReplies = BotReplies(configuration: gatewayConfiguration, hub: webChatHub, clock: clock, outages: outages)
        let profileSinks = ProfileSinkFeed(sinks: gatewayConfiguration.profileSinks, clock: clock, logger: logger,
                                           wake: { dispatcherBox.dispatcher?.notify() })
        var targets: [DeliveryTarget] = gatewayConfiguration.bots.values.map { botReplies.target(for: $0, pool: pool) }
            + gatewayConfiguration.channels.values.compactMap { $0.sender?.target }
            + gatewayConfiguration.contactCenters.values.map { ContactCenterDelivery.target(for: $0, pool: pool, logger: logger) }
            + profileSinks.targets(pool: pool)
        if devOutboxURL != nil { targets.append(DeliveryTarget(id: GatewayRoutes.devOutboxTarget, kind: .webhook)) }
        var dispatcherConfiguration = DeliveryDispatcher.Configuration()
        if settings.listen.port != 0 { dispatcherConfiguration.instance = Self.instanceName(port: settings.listen.port) }
        if let lease = settings.deliveryLease { dispatcherConfiguration.lease = lease }
        let dispatcher = DeliveryDispatcher(pool: pool, client: client, targets: DeliveryTargets(targets), clock: clock,
                                            logger: logger, configuration: dispatcherConfiguration)
        dispatcherBox.dispatcher = dispatcher
        let metrics = HTTPServerMetrics()
        let gateway = GatewayRoutes(metrics: metrics, pool: pool, dispatcher: dispatcher, clock: clock,
                                    configuration: gatewayConfiguration, webChatHub: webChatHub,
                                    auth: APIAuthenticator(pool: pool, limits: settings.apiLimits, clock: clock),
                                    echo: echo, devOutboxURL: devOutboxURL)
        do { try await profileSinks.prepare(pool: pool) } catch {
            logger.critical("cannot prepare the profile sinks: \(error)")
            await pool.close()
            return ExitStatus.failure
        }
        let server = HTTPServer(configuration: settings.http, responder: gateway.router(), logger: logger, metrics: metrics)
        let signals = ShutdownSignals()
        let port: Int
        do {
            port = try server.start()
        } catch {
            logger.critical("cannot start: \(error)")
            await pool.close()
            return ExitStatus.unavailable
        }
        do { try await dispatcher.start() } catch {
            logger.critical("cannot start the delivery dispatcher: \(error)")
            await server.shutdown()
            await pool.close()
            return ExitStatus.failure
        }
        // Other gateways on the same PostgreSQL database: their commits wake this one's
        // dispatcher and web-chat readers (polling covers a lost connection or no LISTEN).
        if isPostgres && settings.listenForNotifications {
            webChatHub.relay = { identity in
                Task { try? await pool.write { db in try db.notify(WebChatHub.notificationChannel, payload: String(identity)) } }
            }
            pool.listen(channels: [Outbox.wakeChannel, WebChatHub.notificationChannel]) { channel, payload in
                switch channel {
                case Outbox.wakeChannel: dispatcher.notify()
                case WebChatHub.notificationChannel: if let identity = Int64(payload) { webChatHub.notify(identity: identity, relay: false) }
                default: dispatcher.notify(); webChatHub.notifyAll()
                }
            }
        }
        outages.start(pool: pool)
        let noAgent = NoAgentWatch(configuration: gatewayConfiguration, hub: webChatHub, clock: clock, logger: logger,
                                   wake: { dispatcher.notify() })
        noAgent.start(pool: pool)
        profileSinks.start(pool: pool)
        let shown = ListenAddress(host: settings.listen.host, port: port)
        FileHandle.standardOutput.write(Data("botbridge \(BotbridgeVersion.current) listening on http://\(shown)\n".utf8))
        logger.info("listening", [("address", shown.description), ("event_loops", String(settings.http.eventLoopCount)),
                                  ("database", (try? DatabaseConfiguration.Location(settings.databasePath).description) ?? "?"),
                                  ("synchronous", settings.synchronous.rawValue.lowercased()), ("instance", dispatcherConfiguration.instance)])
        if let embeddedWarning { logger.warning(embeddedWarning) }
        for channel in gatewayConfiguration.channels.values.sorted(by: { $0.id < $1.id }) where channel.isWebChat {
            logger.info("web chat", [("channel", channel.id), ("page", "http://\(shown)/channels/\(channel.id)/chat")])
        }

        let signal = await signals.next()
        logger.info("shutting down", [("signal", signal)])
        // End web-chat streams and long-polls, stop taking requests (their writes commit), then
        // let attempts in flight finish.
        webChatHub.close()
        await server.shutdown()
        await outages.stop()
        await noAgent.stop()
        await profileSinks.stop()
        await dispatcher.stop(grace: settings.http.shutdownGracePeriod)
        await client.shutdown()
        await pool.close()
        logger.info("stopped")
        return ExitStatus.success
    }
}

extension ServeCommand {
    /// `knowledge_base.import`: reads every path and upserts the articles in one transaction
    /// (idempotent on id and locale, so every start-up can do it). A path that cannot be read
    /// stops the start with its reason.
    /// This gateway's name in the shared outbox: host name and port, stable across restarts.
    static func instanceName(port: Int) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count) == 0 ? String(cString: buffer) : "localhost"
        return "\(host):\(port)"
    }

    static func importKnowledgeBase(_ paths: [String], pool: DatabasePool, logger: Logger) async -> Bool {
        var articles: [Article] = []
        for path in paths {
            do { articles += try KnowledgeBase.read(path: path) } catch {
                FileHandle.standardError.write(Data("error: knowledge_base.import: \(error)\n".utf8))
                return false
            }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let read = articles
        do {
            let counts = try await pool.write { db in try KnowledgeBase.upsert(read, in: db, now: now) }
            logger.info("knowledge base imported", [("articles", String(articles.count)), ("new", String(counts.added)),
                                                    ("updated", String(counts.updated)), ("unchanged", String(counts.unchanged))])
            return true
        } catch {
            logger.critical("cannot import the knowledge base: \(error)")
            return false
        }
    }
}

/// The dispatcher, for closures made before it exists (the watcher of unavailable bots wakes it).
final class DispatcherBox: @unchecked Sendable {
    // Written once, before the dispatcher starts and before anything can read it.
    nonisolated(unsafe) var dispatcher: DeliveryDispatcher?
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
