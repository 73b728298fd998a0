import Bridge
import Foundation
import HTTPClient
import Storage
import Testing
import TestSupport

/// The real binary serving a configuration (with `${FAKE}` pointing at a test's local server)
/// in a fresh directory, with a Twilio channel `wa` whose webhooks it can sign and post.
struct GatewayUnderTest {
    static let publicURL = "https://gw.example.test"

    let runner: BinaryRunner
    let port: Int
    let directory: URL
    let client = HTTPClient()
    /// How the binary was started, to start it again on the same database.
    var arguments: [String] = []
    var environment: [String: String] = [:]

    /// `prepare` runs in the directory before the gateway starts (importing a knowledge base...).
    /// `database` is what `--db` gets (a PostgreSQL URL shared by several gateways); without it, a
    /// fresh database of `backend`: the file `botbridge.sqlite` in the directory, or a new
    /// PostgreSQL database.
    static func start(config: String, fakePort: Int, backend: TestBackend = .sqlite, database: String? = nil,
                      prepare: (URL) async throws -> Void = { _ in }) async throws -> GatewayUnderTest {
        try await start(configFile: nil, config: config, fakePort: fakePort, backend: backend, database: database, prepare: prepare)
    }

    /// A configuration file as it is (an example), with `environment` for its `${VARS}`.
    static func start(configFile: String, fakePort: Int, environment: [String: String],
                      backend: TestBackend = .sqlite) async throws -> GatewayUnderTest {
        try await start(configFile: configFile, config: nil, fakePort: fakePort, environment: environment, backend: backend)
    }

    private static func start(configFile: String?, config: String?, fakePort: Int, environment: [String: String] = [:],
                              backend: TestBackend, database: String? = nil,
                              prepare: (URL) async throws -> Void = { _ in }) async throws -> GatewayUnderTest {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-gateway-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = if let database { database } else { try await backend.databaseArgument(directory: directory.path) }
        if let config { try Data(config.utf8).write(to: directory.appendingPathComponent("botbridge.json")) }
        try await prepare(directory)
        let arguments = ["serve", "--config", configFile ?? "botbridge.json", "--home", BinaryRunner.repositoryRoot.path,
                         "--db", database, "--listen", "127.0.0.1:0"]
        let environment = environment.merging(["FAKE": "http://127.0.0.1:\(fakePort)"]) { mine, _ in mine }
        let runner = try BinaryRunner(arguments, directory: directory, environment: environment)
        return GatewayUnderTest(runner: runner, port: try await runner.waitForListeningPort(), directory: directory,
                                arguments: arguments, environment: environment)
    }

    /// The same gateway started again (after `stop()`) on the same directory and database.
    func restarted() async throws -> GatewayUnderTest {
        let runner = try BinaryRunner(arguments, directory: directory, environment: environment)
        return GatewayUnderTest(runner: runner, port: try await runner.waitForListeningPort(), directory: directory,
                                arguments: arguments, environment: environment)
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// A signed Twilio WhatsApp message to channel `wa`; expects the 200.
    func inbound(_ sid: String, from: String, _ text: String, profileName: String? = nil) async throws {
        var form = [("MessageSid", sid), ("AccountSid", "AC_FAKE"), ("From", from), ("To", "whatsapp:+14155238886"),
                    ("Body", text), ("NumMedia", "0")]
        if let profileName { form.append(("ProfileName", profileName)) }
        let signature = ChannelsEndToEndTests.twilioSignature(url: Self.publicURL + "/channels/wa/webhook", form: form)
        let answer = try await client.send(HTTPClientRequest(
            method: "POST", url: base + "/channels/wa/webhook",
            headers: [("Content-Type", "application/x-www-form-urlencoded"), ("X-Twilio-Signature", signature)],
            body: ChannelsEndToEndTests.formBody(form)))
        #expect(answer.status == 200)
    }

    /// SIGTERM; expects exit status 0.
    func stop() async throws {
        runner.signal(SIGTERM)
        #expect(try await runner.waitForExit() == 0)
        await client.shutdown()
    }

    /// What `--db` got: the SQLite file or the PostgreSQL URL.
    var database: String { arguments[arguments.firstIndex(of: "--db")! + 1] }

    /// An API key on the gateway's database, made with `botbridge keys create`.
    func createKey(scopes: String, rate: String? = nil) async throws -> String {
        try await BinaryRunner.createKey(db: database, directory: directory, scopes: scopes, rate: rate)
    }

    /// The gateway's database, for reading after `stop()`.
    func openDatabase() async throws -> DatabasePool {
        try await Self.openDatabase(database, in: directory)
    }

    /// A database as `--db` names it (a file relative to `directory`, an absolute path or a
    /// PostgreSQL URL), opened with the gateway's schema to look at what it wrote.
    static func openDatabase(_ database: String, in directory: URL) async throws -> DatabasePool {
        let location: DatabaseConfiguration.Location
        if PostgresAddress.isPostgresURI(database) {
            location = try DatabaseConfiguration.Location(database)
        } else {
            location = .sqlite(path: database.hasPrefix("/") ? database : directory.appendingPathComponent(database).path)
        }
        return try await DatabasePool.open(DatabaseConfiguration(location: location, migrations: BridgeSchema.migrations))
    }

    func removeDirectory() {
        try? FileManager.default.removeItem(at: directory)
    }
}
