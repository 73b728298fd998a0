import Bridge
import Foundation
import Storage

/// Where the data lives: the `--db` option shared by every subcommand that touches data.
enum DatabaseLocation {
    /// `botbridge.sqlite` in the working directory.
    static let defaultPath = "botbridge.sqlite"

    static let option = OptionSpec.value("db", "path", help: "SQLite database file. Default: botbridge.sqlite in the working directory.")

    /// Opens the gateway database (creating and migrating it when needed), or prints why not.
    static func open(path: String, synchronous: DatabaseConfiguration.Synchronous = .normal,
                     mustExist: Bool = false) async -> DatabasePool? {
        if mustExist && !FileManager.default.fileExists(atPath: path) {
            FileHandle.standardError.write(Data("error: no database at \(path) (run 'botbridge serve' first, or pass --db)\n".utf8))
            return nil
        }
        var configuration = DatabaseConfiguration(path: path, migrations: BridgeSchema.migrations)
        configuration.synchronous = synchronous
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
}
