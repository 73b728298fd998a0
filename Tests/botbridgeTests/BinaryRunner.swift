import CLinux
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

    /// The child, spawned with `posix_spawn` and reaped with `waitpid`: not Foundation's
    /// `Process`, whose run-loop and socket-manager threads and descriptor juggling, with many
    /// tests spawning at once, left libdispatch's event loop with stale descriptors (a crash in
    /// `_dispatch_event_loop_drain`, then a run whose timers never fired).
    let pid: pid_t
    private let lock = NSLock()
    private var stdoutData = Data()
    private var stderrData = Data()
    private var exitStatus: Int32?

    /// The scratch directory this runner made (and removes), when none was given.
    private let scratch: URL?

    enum SpawnError: Error { case failed(Int32) }

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
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        // Close-on-exec from the start (pipe2): with pipe() then fcntl, a child spawned by another
        // test in between inherits the write ends, and this runner's reader never sees EOF.
        guard pipe2(&out, O_CLOEXEC) == 0, pipe2(&err, O_CLOEXEC) == 0 else { throw SpawnError.failed(errno) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        let path = Self.binaryURL.path
        // GNU env changes directory and execs the binary (same pid): posix_spawn has no portable chdir.
        let launcher = "/usr/bin/env"
        let environmentList = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0.key)=\($0.value)" }
        let argv = ([launcher, "--chdir=" + (directory ?? scratch!).path, path] + arguments).map { strdup($0) } + [nil]
        let envp = environmentList.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let spawned = posix_spawn(&child, launcher, &actions, nil, argv, envp)
        Glibc.close(out[1])
        Glibc.close(err[1])
        guard spawned == 0 else {
            Glibc.close(out[0])
            Glibc.close(err[0])
            throw SpawnError.failed(spawned)
        }
        pid = child
        // Each pipe is drained by a plain thread doing blocking reads until end of file.
        Self.drain(out[0]) { [weak self] data in self?.append(data, toStdout: true) }
        Self.drain(err[0]) { [weak self] data in self?.append(data, toStdout: false) }
    }

    deinit {
        if isRunning {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    private func append(_ data: Data, toStdout: Bool) {
        lock.lock(); defer { lock.unlock() }
        if toStdout { stdoutData.append(data) } else { stderrData.append(data) }
    }

    /// Reads `fd` until end of file on its own thread, then closes it.
    private static func drain(_ fd: Int32, into sink: @escaping @Sendable (Data) -> Void) {
        let thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 16_384)
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count > 0 { sink(Data(buffer[0..<count])); continue }
                if count < 0 && errno == EINTR { continue }
                break
            }
            Glibc.close(fd)
        }
        thread.start()
    }

    /// Whether the child still runs (reaping it, and keeping its status, once it has exited).
    var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        guard result == pid else { return result == 0 }
        // WIFEXITED / WEXITSTATUS, WIFSIGNALED / WTERMSIG, spelled out (they are C macros).
        let signal = status & 0x7f
        exitStatus = signal == 0 ? (status >> 8) & 0xff : signal
        return false
    }

    /// The exit status (or the signal that ended it), once it has exited.
    var terminationStatus: Int32 { lock.lock(); defer { lock.unlock() }; return exitStatus ?? -1 }

    var stdout: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stdoutData, as: UTF8.self) }
    var stderr: String { lock.lock(); defer { lock.unlock() }; return String(decoding: stderrData, as: UTF8.self) }

    /// Waits for exit (polling, never blocking the cooperative pool) and returns the status.
    func waitForExit(timeout: Duration = .seconds(20)) async throws -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while isRunning {
            if ContinuousClock.now > deadline {
                kill(pid, SIGTERM)
                throw RunnerError.timedOut(stdout + stderr)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        try await Task.sleep(for: .milliseconds(50)) // let the pipe readers drain
        return terminationStatus
    }

    /// Waits until stdout says where the server listens; returns the port.
    func waitForListeningPort(timeout: Duration = .seconds(20)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let range = stdout.range(of: #"listening on http://[^ ]+:(\d+)"#, options: .regularExpression) {
                let text = stdout[range]
                if let port = Int(text.split(separator: ":").last ?? "") { return port }
            }
            if !isRunning { throw RunnerError.exited(stdout + stderr) }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw RunnerError.timedOut(stdout + stderr)
    }

    func signal(_ number: Int32) { kill(pid, number) }

    enum RunnerError: Error { case timedOut(String), exited(String) }

    /// Creates an API key with `botbridge keys create` (the real CLI) and returns it.
    static func createKey(db: String, directory: URL, scopes: String, rate: String? = nil) async throws -> String {
        let (status, out, err) = try await run(["keys", "create", "--name", "test", "--scopes", scopes, "--db", db]
                                                  + (rate.map { ["--rate", $0] } ?? []), directory: directory)
        guard status == 0 else { throw RunnerError.exited(err) }
        return out.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Makes a fresh database ready for tools (`keys`, `kb`) run before any gateway: nothing to do
    /// on SQLite, where a tool creates the file; `botbridge migrate` on PostgreSQL, which tools
    /// never migrate (a newer tool must not change the schema under an older running gateway).
    static func prepareForTools(db: String, directory: URL) async throws {
        guard db.hasPrefix("postgres://") || db.hasPrefix("postgresql://") else { return }
        let (status, _, err) = try await run(["migrate", "--db", db], directory: directory)
        guard status == 0 else { throw RunnerError.exited(err) }
    }

    /// Runs to completion and returns status, stdout, stderr.
    static func run(_ arguments: [String], directory: URL? = nil, environment: [String: String] = [:]) async throws -> (Int32, String, String) {
        let runner = try BinaryRunner(arguments, directory: directory, environment: environment)
        let status = try await runner.waitForExit()
        return (status, runner.stdout, runner.stderr)
    }
}
