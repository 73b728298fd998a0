import Storage

/// Moves a deployment from its SQLite file to an empty PostgreSQL database (`botbridge copy`):
/// every table, row for row with the same ids, in an order that satisfies the foreign keys;
/// then the id sequences are moved past the copied ids, the knowledge base is indexed, and each
/// table's count is compared. The source must not be in use (the command holds its lock file).
public enum DatabaseCopy {
    /// The gateway's tables in foreign-key order. `kb_term_counts` is not copied: PostgreSQL's
    /// index is built from the articles (`KnowledgeBase.indexPending`).
    static let tables = [
        "users", "identities", "user_attributes", "user_attribute_writes", "user_events", "user_aliases", "profile_sink_cursors",
        "conversations", "messages", "cases", "api_keys", "idempotency_keys", "deliveries", "delivery_targets",
        "webchat_sessions", "kb_articles",
    ]
    /// Tables with a `BIGINT GENERATED ... AS IDENTITY` id on PostgreSQL.
    static let identityTables: Set<String> = [
        "users", "identities", "user_attribute_writes", "user_events", "conversations", "messages", "cases", "api_keys",
        "deliveries", "kb_articles",
    ]
    /// Rows read and written per transaction.
    static let batch = 500

    /// One table's outcome.
    public struct TableCount: Sendable, Equatable {
        public var table: String
        public var source: Int
        public var target: Int
    }

    /// Why a copy stopped.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Copies every table; `progress` hears each table's rows so far. Throws when the target
    /// is not PostgreSQL, is not empty, or when the counts differ at the end.
    public static func copy(from source: DatabasePool, to target: DatabasePool,
                            progress: @Sendable (String, Int) -> Void) async throws -> [TableCount] {
        guard source.dialect == .sqlite, target.dialect == .postgres else {
            throw Failure(description: "copy goes from a SQLite file to a PostgreSQL database")
        }
        for table in tables {
            let rows = try await target.read { db in try db.scalar("SELECT count(*) FROM \(table)").int ?? 0 }
            if rows > 0 { throw Failure(description: "the target database is not empty (\(table) has \(rows) rows); copy only into a new database") }
        }
        for table in tables {
            let columns = try await commonColumns(table, source: source, target: target)
            let list = columns.joined(separator: ", ")
            // conversations.case_id points at cases, copied after them: set in a second pass.
            let deferred = table == "conversations" ? "case_id" : nil
            let inserted = columns.map { $0 == deferred ? "NULL" : "?" }.joined(separator: ", ")
            let arguments = columns.filter { $0 != deferred }
            var copied = 0
            var after: SQLValue = .null
            let keyed = try await source.read { db in
                try db.scalar("SELECT count(*) FROM sqlite_master WHERE name = ? AND sql LIKE '%WITHOUT ROWID%'", table).int == 0
            }
            var offset = 0
            while true {
                let page: [Row] = try await source.read { [after, offset] db in
                    keyed
                        ? try db.query("SELECT rowid AS bb_rowid, \(list) FROM \(table) WHERE ?1 IS NULL OR rowid > ?1 ORDER BY rowid LIMIT ?2",
                                       arguments: [after, batch])
                        : try db.query("SELECT \(list) FROM \(table) ORDER BY \(list) LIMIT ? OFFSET ?", arguments: [batch, offset])
                }
                if page.isEmpty { break }
                try await target.write { db in
                    for row in page {
                        try db.run("INSERT INTO \(table) (\(list)) VALUES (\(inserted))", arguments: arguments.map { row[$0] })
                    }
                }
                copied += page.count
                offset += page.count
                after = page.last?["bb_rowid"] ?? .null
                progress(table, copied)
            }
            if deferred != nil {
                var last: Int64 = 0
                while true {
                    let links: [Row] = try await source.read { [last] db in
                        try db.query("SELECT id, case_id FROM conversations WHERE case_id IS NOT NULL AND id > ? ORDER BY id LIMIT ?", last, batch)
                    }
                    guard let final = links.last?.int64("id") else { break }
                    try await target.write { db in
                        for link in links { try db.run("UPDATE conversations SET case_id = ? WHERE id = ?", link["case_id"], link["id"]) }
                    }
                    last = final
                }
            }
        }
        try await target.write { db in
            for table in identityTables {
                try db.run("SELECT setval(pg_get_serial_sequence('\(table)', 'id'), coalesce(max(id), 0) + 1, false) FROM \(table)")
            }
            try KnowledgeBase.indexPending(in: db)
        }
        var counts: [TableCount] = []
        for table in tables {
            let from = try await source.read { db in try db.scalar("SELECT count(*) FROM \(table)").int ?? 0 }
            let to = try await target.read { db in try db.scalar("SELECT count(*) FROM \(table)").int ?? 0 }
            counts.append(TableCount(table: table, source: from, target: to))
        }
        if let wrong = counts.first(where: { $0.source != $0.target }) {
            throw Failure(description: "\(wrong.table): \(wrong.source) rows in the file but \(wrong.target) in PostgreSQL")
        }
        return counts
    }

    /// The columns both copies of a table have (SQLite's generated `kb_articles.lang` is not PostgreSQL's).
    static func commonColumns(_ table: String, source: DatabasePool, target: DatabasePool) async throws -> [String] {
        let sqlite = try await source.read { db in
            try db.query("SELECT name FROM pragma_table_xinfo(?) WHERE hidden = 0", table).compactMap { $0.string("name") }
        }
        let postgres = Set(try await target.read { db in
            try db.query("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ?",
                         table).compactMap { $0.string("column_name") }
        })
        return sqlite.filter { postgres.contains($0) }
    }
}
