import Foundation
import Glibc
import Storage

/// A throw-away PostgreSQL server for the tests: `initdb` into a temporary directory, started on
/// a free port with its socket in that directory, as a non-root user (PostgreSQL refuses to run
/// as root; as root, the server runs as `nobody`). Started once per test process, on first use;
/// a watchdog stops it and removes the directory when the test process ends, however it ends.
/// Each test gets a database of its own from `makeDatabase()`; a test that restarts the server
/// makes one of its own (`makePrivate()`).
public actor TestPostgres {
    /// The server of this test process (started on first call).
    public static func shared() async throws -> TestPostgres {
        try await starter.server()
    }

    /// The password of the `botbridge` superuser on TCP connections (trust over the socket).
    public static let password = "test-only-password-not-a-secret"

    /// The directory that holds the data directory and the socket.
    public let directory: String
    /// The TCP port (also the socket's number).
    public let port: Int
    private var created = 0

    private init(directory: String, port: Int, control: String) {
        self.directory = directory
        self.port = port
        self.control = control
    }

    /// A URI over the unix socket (no password needed) to `database`.
    public nonisolated func socketURI(database: String = "postgres") -> String {
        "postgres:///\(database)?host=\(directory)&port=\(port)&user=botbridge"
    }

    /// A URI over TCP with the password, to `database`.
    public nonisolated func tcpURI(database: String = "postgres", password: String = TestPostgres.password) -> String {
        "postgres://botbridge:\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// A new empty database; returns its socket URI.
    public func makeDatabase() throws -> String {
        created += 1
        let name = "t\(getpid())_\(created)_\(UInt32.random(in: 0...UInt32.max))"
        try Self.run(sql: "CREATE DATABASE \(name)", on: socketURI())
        return socketURI(database: name)
    }

    /// Runs statements on a database (e.g. to look at what the gateway wrote).
    public nonisolated static func run(sql: String, on uri: String) throws {
        let connection = try PostgresConnection(address: PostgresAddress(uri), connectTimeout: .seconds(10), queryTimeout: .seconds(60))
        defer { connection.close() }
        try connection.execute(sql)
    }

    // MARK: - Starting

    private static let starter = Starter()

    private actor Starter {
        private var result: Result<TestPostgres, any Error>?

        func server() throws -> TestPostgres {
            if let result { return try result.get() }
            let started = Result { try TestPostgres.start() }
            result = started
            return try started.get()
        }
    }

    /// Why the server could not start, with what to install.
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private static func start() throws -> TestPostgres {
        guard let bin = serverBinaries() else {
            throw Unavailable(description: "PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql/*/bin: install them with 'apt-get install -y postgresql' (the suite runs every storage test against PostgreSQL too)")
        }
        let directory = NSTemporaryDirectory() + "botbridge-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let asRoot = geteuid() == 0
        var prefix = ""
        if asRoot {
            // PostgreSQL will not run as root: hand the directory to nobody and run as nobody.
            guard let nobody = getpwnam("nobody") else { throw Unavailable(description: "running as root and there is no 'nobody' user to run PostgreSQL as") }
            chown(directory, nobody.pointee.pw_uid, nobody.pointee.pw_gid)
            prefix = "setpriv --reuid=\(nobody.pointee.pw_uid) --regid=\(nobody.pointee.pw_gid) --clear-groups "
        }
        let passwordFile = directory + "/pw"
        try (password + "\n").write(toFile: passwordFile, atomically: true, encoding: .utf8)
        if asRoot, let nobody = getpwnam("nobody") { chown(passwordFile, nobody.pointee.pw_uid, nobody.pointee.pw_gid) }
        let initdb = "\(prefix)\(bin)/initdb -D \(directory)/data -U botbridge --pwfile=\(passwordFile) --auth-local=trust --auth-host=scram-sha-256 --no-locale -E UTF8 --no-sync > \(directory)/initdb.log 2>&1"
        let status = shell(initdb, wait: true)
        guard status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/initdb.log", encoding: .utf8)) ?? ""
            throw Unavailable(description: "initdb failed (exit \(status)): \(log.suffix(800))")
        }
        let server = TestPostgres(directory: directory, port: LoopbackPort.free(), control: "\(prefix)\(bin)/pg_ctl -D \(directory)/data")
        // The watchdog: stops the server and removes the directory once this process is gone.
        shell("\(prefix)sh -c 'while [ -d /proc/\(getpid()) ]; do sleep 1; done; \(bin)/pg_ctl -D \(directory)/data -m immediate stop; rm -rf \(directory)'", wait: false)
        try server.startServer()
        return server
    }

    /// The `pg_ctl` command line for this server's data directory (as the server's user).
    private let control: String

    /// Starts the server (again) and waits until it answers.
    public nonisolated func startServer() throws {
        let settings = "-k \(directory) -p \(port) -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB -c max_locks_per_transaction=256 -c max_pred_locks_per_transaction=256"
        let status = Self.shell("\(control) -l \(directory)/server.log -o '\(settings)' -w -t 60 start > /dev/null 2>&1", wait: true)
        guard status == 0 else {
            let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
            throw Unavailable(description: "PostgreSQL did not start (pg_ctl exit \(status)): \(log.suffix(800))")
        }
    }

    /// Stops the server (fast shutdown: connections are ended, as in a restart).
    public nonisolated func stopServer() {
        Self.shell("\(control) -m fast -w stop > /dev/null 2>&1", wait: true)
    }

    /// A server of its own, for a test that stops and restarts it.
    public static func makePrivate() throws -> TestPostgres { try start() }

    private static func serverBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted(by: >)
        for version in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }

    /// Runs `/bin/bash -c script` (bash: closing descriptors above 9 needs it) (stdin from /dev/null), spawned with posix_spawn; waits for its
    /// exit status when `wait` is true.
    @discardableResult
    static func shell(_ script: String, wait: Bool) -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if !wait {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        // The server lives as long as the test process: it must not hold any other test's pipes
        // (descriptors inherited from a spawn racing another test's pipe()), so the shell closes
        // everything above stderr first.
        let closeInherited = "for fd in $(ls /proc/$$/fd); do [ \"$fd\" -gt 2 ] && eval \"exec $fd>&-\"; done 2>/dev/null; "
        let words: [String] = ["/bin/bash", "-c", closeInherited + script]
        let argv = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, "/bin/bash", &actions, nil, argv, environ) == 0 else { return -1 }
        guard wait else { return 0 }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}
