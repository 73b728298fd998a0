import Foundation
import Storage

/// The storage backends every storage-touching test runs against: one suite, parameterised.
public enum TestBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// A fresh, empty database for one test: a file `name` in `directory`, or a new database on
    /// the test process's PostgreSQL server.
    public func location(directory: String, name: String = "test.sqlite") async throws -> DatabaseConfiguration.Location {
        switch self {
        case .sqlite: return .sqlite(path: directory + "/" + name)
        case .postgres: return try DatabaseConfiguration.Location(try await TestPostgres.shared().makeDatabase())
        }
    }

    /// The same, as the string `--db` takes.
    public func databaseArgument(directory: String, name: String = "botbridge.sqlite") async throws -> String {
        switch self {
        case .sqlite: return directory + "/" + name
        case .postgres: return try await TestPostgres.shared().makeDatabase()
        }
    }
}
