import Bridge
import Foundation
import Glibc
import Storage

/// Where the data lives: the `--db` option shared by every subcommand that touches data.
enum DatabaseLocation {
    /// `botbridge.sqlite` in the working directory.
    static let defaultPath = "botbridge.sqlite"

    static let option = OptionSpec.value("db", "path", help: "SQLite database file. Default: botbridge.sqlite in the working directory.")

    /// Opens the gateway database, or prints why not. `serve` creates and migrates it; tools
    /// (`mustExist`) require an existing file whose schema is exactly this binary's, so a newer
    /// tool never migrates the database under an older running gateway.
    static func open(path: String, synchronous: DatabaseConfiguration.Synchronous = .normal,
                     mustExist: Bool = false) async -> DatabasePool? {
        if mustExist && !FileManager.default.fileExists(atPath: path) {
            FileHandle.standardError.write(Data("error: no database at \(path) (run 'botbridge serve' first, or pass --db)\n".utf8))
            return nil
        }
        var configuration = DatabaseConfiguration(path: path, migrations: BridgeSchema.migrations)
        configuration.synchronous = synchronous
        if mustExist { configuration.migrationPolicy = .requireCurrent }
        do {
            return try await DatabasePool.open(configuration)
        } catch {
            FileHandle.standardError.write(Data("error: cannot open database: \(error)\n".utf8))
            return nil
        }
    }

    /// Runs `body` with the existing database open, closing it before returning the exit status.
    static func withExisting(path: String, _ body: (DatabasePool) async -> Int32) async -> Int32 {
        guard let pool = await open(path: path, mustExist: true) else { return ExitStatus.failure }
        let status = await body(pool)
        await pool.close()
        return status
    }

    /// The path from `--db`, else the config file's `database.path`, else the default.
    static func resolve(db: String?, config: String?) throws(ServerSettings.ConfigError) -> String {
        if let db { return db }
        if let config { return try ServerSettings.load(path: config).databasePath }
        return defaultPath
    }
}

/// An exclusive lock on `<database>.lock`, held while `serve` runs: two gateways on one database
/// would each take the other's in-flight deliveries for interrupted ones and send them twice.
final class DatabaseLock {
    private let fd: Int32

    /// Takes the lock, or returns nil when another process holds it (or the file cannot be made).
    init?(databasePath: String) {
        let fd = Glibc.open(databasePath + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            Glibc.close(fd)
            return nil
        }
        self.fd = fd
    }

    deinit { Glibc.close(fd) }
}
