import Foundation
import Testing
@testable import botbridge

/// The command line: help at every level, usage errors exit 64 with a usage line.
@Suite struct CLITests {
    @Test func rootHelpListsSubcommands() async throws {
        let (status, out, _) = try await BinaryRunner.run(["--help"])
        #expect(status == 0)
        #expect(out.contains("USAGE: botbridge <subcommand>"))
        #expect(out.contains("serve"))
        #expect(out.contains("version"))
    }

    @Test(arguments: [["serve", "--help"], ["version", "-h"], ["help", "serve"]])
    func subcommandHelp(_ arguments: [String]) async throws {
        let (status, out, _) = try await BinaryRunner.run(arguments)
        #expect(status == 0)
        #expect(out.contains("USAGE: botbridge \(arguments.contains("version") ? "version" : "serve")"))
        #expect(out.contains("--help"))
    }

    static let usageErrors: [([String], String)] = [
        ([], "missing subcommand"),
        (["launch"], "unknown subcommand 'launch'"),
        (["serve", "--port", "1"], "unknown option '--port'"),
        (["serve", "--listen"], "needs a value"),
        (["serve", "--listen", "127.0.0.1:99999"], "the port must be 0-65535"),
        (["serve", "--listen", "nonsense"], "invalid listen address"),
        (["serve", "--log-level", "loud"], "invalid log level 'loud'"),
        (["serve", "--log-format", "xml"], "invalid log format"),
        (["serve", "extra"], "unexpected argument 'extra'"),
        (["version", "--echo"], "unknown option '--echo'"),
    ]

    @Test(arguments: usageErrors)
    func usageErrorsExit64WithUsage(_ arguments: [String], _ message: String) async throws {
        let (status, _, err) = try await BinaryRunner.run(arguments)
        #expect(status == 64, "\(arguments)")
        #expect(err.contains(message), "\(arguments): \(err)")
        #expect(err.contains("Usage: botbridge"), "\(arguments): \(err)")
    }

    @Test func versionPrintsTheVersion() async throws {
        let (status, out, _) = try await BinaryRunner.run(["version"])
        #expect(status == 0)
        #expect(out == "botbridge \(BotbridgeVersion.current)\n")
    }

    @Test func optionParserForms() throws {
        let specs: [OptionSpec] = [.value("listen", "host:port", help: ""), .flag("echo", help: "")]
        let parsed = try ParsedOptions(["--listen=1.2.3.4:5", "--echo", "--", "--not-an-option"], specs: specs)
        #expect(parsed.value("listen") == "1.2.3.4:5")
        #expect(parsed.flag("echo"))
        #expect(parsed.positionals == ["--not-an-option"])
        #expect(throws: UsageError.self) { try ParsedOptions(["--echo=yes"], specs: specs) }
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("0.0.0.0:80", "0.0.0.0", 80), ("[::1]:9000", "::1", 9000),
        ("8081", "127.0.0.1", 8081), (":8082", "0.0.0.0", 8082), ("localhost:0", "localhost", 0),
    ])
    func listenAddresses(_ text: String, _ host: String, _ port: Int) throws {
        #expect(try ListenAddress.parse(text).get() == ListenAddress(host: host, port: port))
    }

    @Test func configErrorsNameTheField() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bb-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cases: [(String, String)] = [
            (#"{"server": {"listen": 8080}}"#, "'server.listen' must be a \"host:port\" string"),
            (#"{"server": {"log_level": "loud"}}"#, "'server.log_level' must be one of"),
            (#"{"server": {"max_body_bytes": -1}}"#, "'server.max_body_bytes' must be a positive integer"),
            (#"{"server": {"max_body_bytes": 1.5}}"#, "'server.max_body_bytes' must be a positive integer"),
            (#"{"server": {"listne": "x"}}"#, "unknown field 'server.listne'"),
            (#"{"server": {"handler_timeout_ms": 100000000000000}}"#, "'server.handler_timeout_ms' must be at most 86400000"),
            (#"{"server": [1]}"#, "'server' must be an object"),
            ("not json", "not valid JSON"),
        ]
        for (index, (text, message)) in cases.enumerated() {
            let path = dir.appendingPathComponent("c\(index).json").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let (status, _, err) = try await BinaryRunner.run(["serve", "--config", path, "--listen", "127.0.0.1:0"])
            #expect(status == 78, "\(text)")
            #expect(err.contains(path) && err.contains(message), "\(text): \(err)")
        }
        let (status, _, err) = try await BinaryRunner.run(["serve", "--config", dir.appendingPathComponent("missing.json").path])
        #expect(status == 78)
        #expect(err.contains("cannot read the file"))
    }
}
