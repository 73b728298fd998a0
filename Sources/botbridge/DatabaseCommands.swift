import Bridge
import Foundation
import Storage

/// `botbridge migrate`: brings a database (SQLite file or PostgreSQL) to this binary's schema.
struct MigrateCommand: Command {
    static let name = "migrate"
    static let abstract = "Bring the database to this binary's schema (serve does it too; N gateways starting at once migrate once)."
    static let options: [OptionSpec] = [
        DatabaseLocation.option,
        .value("config", "path", help: "Read database.path or database.url from this configuration file (--db wins)."),
    ]

    var databasePath: String

    init(options: ParsedOptions) throws(UsageError) {
        if let extra = options.positionals.first { throw UsageError("unexpected argument '\(extra)'") }
        databasePath = try Self.databasePath(options)
    }

    func run() async -> Int32 {
        let (opened, status) = await DatabaseLocation.open(path: databasePath)
        guard let pool = opened else { return status }
        let version = (try? await pool.read { db in try db.scalar("SELECT max(version) FROM botbridge_migrations").int }) ?? nil
        print("\(pool.configuration.path): schema version \(version ?? 0)")
        await pool.close()
        return ExitStatus.success
    }
}

/// `botbridge copy --from FILE --to URL`: moves a deployment from SQLite to PostgreSQL.
struct CopyCommand: Command {
    static let name = "copy"
    static let abstract = "Copy a SQLite deployment into an empty PostgreSQL database, with progress and counts checked at the end."
    static let discussion = """
    Stop the gateway first: copy holds the SQLite file's lock. The file must be at this binary's
    schema (start 'botbridge serve' on it once); the PostgreSQL database must be empty (copy migrates it).
    """
    static let options: [OptionSpec] = [
        .value("from", "path", help: "The SQLite file to copy."),
        .value("to", "url", help: "The postgres:// URL of an empty database."),
    ]

    var from: String
    var to: String

    init(options: ParsedOptions) throws(UsageError) {
        if let extra = options.positionals.first { throw UsageError("unexpected argument '\(extra)'") }
        guard let from = options.value("from") else { throw UsageError("missing --from FILE.sqlite") }
        guard let to = options.value("to") else { throw UsageError("missing --to postgres://...") }
        guard !PostgresAddress.isPostgresURI(from) else { throw UsageError("--from is the SQLite file; --to is the postgres:// URL") }
        guard PostgresAddress.isPostgresURI(to) else { throw UsageError("--to must be a postgres:// or postgresql:// URL") }
        self.from = from
        self.to = to
    }

    func run() async -> Int32 {
        guard let lock = DatabaseLock(databasePath: from) else {
            FileHandle.standardError.write(Data("error: a botbridge serve is using \(from); stop it before copying\n".utf8))
            return ExitStatus.unavailable
        }
        defer { withExtendedLifetime(lock) {} }
        let (source, sourceStatus) = await DatabaseLocation.open(path: from, mustExist: true)
        guard let source else { return sourceStatus }
        let (target, targetStatus) = await DatabaseLocation.open(path: to)
        guard let target else {
            await source.close()
            return targetStatus
        }
        let status: Int32
        do {
            let counts = try await DatabaseCopy.copy(from: source, to: target) { table, rows in
                FileHandle.standardError.write(Data("\(table): \(rows) rows\n".utf8))
            }
            for count in counts { print("\(count.table.padding(toLength: 24, withPad: " ", startingAt: 0)) \(count.target)") }
            print("copied \(counts.map(\.target).reduce(0, +)) rows into \(target.configuration.path); counts match")
            status = ExitStatus.success
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            status = ExitStatus.failure
        }
        await source.close()
        await target.close()
        return status
    }
}
