import Bridge
import Foundation
import Glibc
import Storage

/// Where the data lives: the `--db` option shared by every subcommand that touches data — a
/// SQLite file, or a `postgres://` / `postgresql://` URL shared by any number of gateways.
enum DatabaseLocation {
    /// `botbridge.sqlite` in the working directory.
    static let defaultPath = "botbridge.sqlite"
    /// The environment variable that names the database when `--db` does not.
    static let environmentVariable = "BOTBRIDGE_DATABASE_URL"

    static let option = OptionSpec.value("db", "path|url", help: "SQLite database file, or a postgres:// URL (also BOTBRIDGE_DATABASE_URL). Default: botbridge.sqlite in the working directory.")

    /// True when tools should treat the database as existing (never migrating it): a SQLite
    /// file that is there, or any PostgreSQL URL (`serve` and `migrate` migrate those).
    static func exists(_ database: String) -> Bool {
        PostgresAddress.isPostgresURI(database) || FileManager.default.fileExists(atPath: database)
    }

    /// Opens the gateway database, or prints why not and gives the exit status. `serve` creates
    /// and migrates it; tools (`mustExist`) require an existing database whose schema is exactly
    /// this binary's, so a newer tool never migrates the database under an older running gateway.
    /// An unreachable PostgreSQL is exit 69 with host, port and libpq's reason (never the password).
    static func open(path: String, synchronous: DatabaseConfiguration.Synchronous = .normal, mustExist: Bool = false,
                     postgres: DatabaseConfiguration.PostgresSettings = .init()) async -> (DatabasePool?, Int32) {
        let location: DatabaseConfiguration.Location
        do { location = try DatabaseConfiguration.Location(path) } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            return (nil, ExitStatus.usage)
        }
        if mustExist, case .sqlite = location, !FileManager.default.fileExists(atPath: path) {
            FileHandle.standardError.write(Data("error: no database at \(path) (run 'botbridge serve' first, or pass --db)\n".utf8))
            return (nil, ExitStatus.failure)
        }
        var configuration = DatabaseConfiguration(location: location, migrations: BridgeSchema.migrations)
        configuration.synchronous = synchronous
        configuration.postgres = postgres
        if mustExist { configuration.migrationPolicy = .requireCurrent }
        do {
            return (try await DatabasePool.open(configuration), ExitStatus.success)
        } catch let error as StorageError where error.isUnavailable {
            FileHandle.standardError.write(Data("error: cannot connect to the database: \(error)\n".utf8))
            return (nil, ExitStatus.unavailable)
        } catch {
            FileHandle.standardError.write(Data("error: cannot open database: \(error)\n".utf8))
            return (nil, ExitStatus.failure)
        }
    }

    /// Runs `body` with the existing database open, closing it before returning the exit status.
    static func withExisting(path: String, _ body: (DatabasePool) async -> Int32) async -> Int32 {
        let (opened, status) = await open(path: path, mustExist: true)
        guard let pool = opened else { return status }
        let result = await body(pool)
        await pool.close()
        return result
    }

    /// `--db`, else `BOTBRIDGE_DATABASE_URL`, else the config file's `database.url` or
    /// `database.path`, else the default.
    static func resolve(db: String?, config: String?,
                        environment: [String: String] = ProcessInfo.processInfo.environment) throws(ServerSettings.ConfigError) -> String {
        if let db { return db }
        if let url = environment[environmentVariable], !url.isEmpty { return url }
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
