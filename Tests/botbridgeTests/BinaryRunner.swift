import Foundation
import Testing

/// Runs the built `botbridge` binary (the sibling of the test bundle) as a real process.
final class BinaryRunner: @unchecked Sendable {
    /// The repository root (for `--home` and `examples/`), found from this file's path.
    static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    static var binaryURL: URL {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("botbridge")
    }

    let process = Process()
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()

    /// The scratch directory this runner made (and removes), when none was given.
    private let scratch: URL?

    /// Runs the binary in `directory`, or in a fresh scratch directory so that its default
    /// database (`botbridge.sqlite`) is its own.
    /// `environment` is added to this process's environment.
    init(_ arguments: [String], directory: URL? = nil, environment: [String: String] = [:]) throws {
        if directory == nil {
            let made = FileManager.default.temporaryDirectory.appendingPathComponent("botbridge-run-" + UUID().uuidString)
            try FileManager.default.createDirectory(at: made, withIntermediateDirectories: true)
            scratch = made
        } else {
            scratch = nil
        }
        process.executableURL = Self.binaryURL
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? scratch
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        try process.run()
        // Each pipe is drained by a plain thread doing blocking reads until end of file. Not
        // FileHandle.readabilityHandler: its dispatch source is still registered when the handle
        // closes its descriptor, and libdispatch's event loop then crashes on the stale entry.
        Self.drain(stdoutPipe) { [weak self] data in self?.append(data, toStdout: true) }
        Self.drain(stderrPipe) { [weak self] data in self?.append(data, toStdout: false) }
    }

    private func append(_ data: Data, toStdout: Bool) {
        lock.lock(); defer { lock.unlock() }
        if toStdout { stdoutData.append(data) } else { stderrData.append(data) }
    }

    private static func drain(_ pipe: Pipe, into sink: @escaping @Sendable (Data) -> Void) {
        let thread = Thread {
            let fd = pipe.fileHandleForReading.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 { sink(Data(buffer[0..<count])); continue }
                if count < 0 && errno == EINTR { continue }
                break
            }
        }
        thread.start()
    }

    deinit {
        if process.isRunning { process.terminate() }
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stderrData, as: UTF8.self) }

    /// Waits for exit (polling, never blocking the cooperative pool) and returns the status.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            if ContinuousClock.now > deadline {
                process.terminate()
                throw RunnerError.timedOut(stdout + stderr)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(50)) // let the pipe readers drain
        return process.terminationStatus
    }

    /// Waits until stdout says where the server listens; returns the port.
    func waitForListeningPort(timeout: Duration = .seconds(20)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let range = stdout.range(of: #"listening on http://[^ ]+:(\d+)"#, options: .regularExpression) {
                let text = stdout[range]
                if let port = Int(text.split(separator: ":").last ?? "") { return port }
            }
            if !process.isRunning { throw RunnerError.exited(stdout + stderr) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RunnerError.timedOut(stdout + stderr)
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    enum RunnerError: Error { case timedOut(String), exited(String) }

    /// Creates an API key with `botbridge keys create` (the real CLI) and returns it.
    static func createKey(db: String, directory: URL, scopes: String, rate: String? = nil) async throws -> String {
        let (status, out, err) = try await run(["keys", "create", "--name", "test", "--scopes", scopes, "--db", db]
                                                  + (rate.map { ["--rate", $0] } ?? []), directory: directory)
        guard status == 0 else { throw RunnerError.exited(err) }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Runs to completion and returns status, stdout, stderr.
    static func run(_ arguments: [String], directory: URL? = nil, environment: [String: String] = [:]) async throws -> (Int32, String, String) {
        let runner = try BinaryRunner(arguments, directory: directory, environment: environment)
        let status = try await runner.waitForExit()
        return (status, runner.stdout, runner.stderr)
    }
}
