import Foundation
import Logging
import Storage
import Templates

/// Turns profile changes into deliveries to the profile sinks.
///
/// Each sink has a cursor over `user_attribute_writes` and `user_events`. A batch takes the
/// changes after the cursor (at most `max_objects` users' attributes — the last value of each
/// attribute — and `max_objects` events), becomes one delivery, and moves the cursor, all in one
/// transaction: every change is in exactly one batch, across restarts. A sink has at most one
/// batch waiting or in flight; the next is made when it is done (or dead), so a sink that answers
/// 429 or is down holds its changes in the database, not as a pile of requests, and batches reach
/// it in order (hence per user). A new sink starts at the changes made from its first start on.
public final class ProfileSinkFeed: Sendable {
    let sinks: [ProfileSink]
    let clock: any DeliveryClock
    let logger: Logger
    private let wake: @Sendable () -> Void
    private let sweeper = PeriodicSweep()

    /// How often the sinks look for changes when nothing wakes them.
    public static let period = Duration.milliseconds(500)

    public init(sinks: [ProfileSink], clock: any DeliveryClock, logger: Logger = .silent, wake: @escaping @Sendable () -> Void = {}) {
        self.sinks = sinks
        self.clock = clock
        self.logger = logger
        self.wake = wake
    }

    /// The sinks' delivery targets; a finished batch makes the next one at once.
    public func targets(pool: DatabasePool) -> [DeliveryTarget] {
        sinks.map { sink in
            var target = sink.target
            target.afterCommit = { [self] _ in
                Task { try? await self.feed(pool: pool) }
            }
            return target
        }
    }

    /// Gives every new sink its cursor at the current end: call before taking requests, so the
    /// changes they make are the new sink's first.
    public func prepare(pool: DatabasePool) async throws {
        guard !sinks.isEmpty else { return }
        let sinks = self.sinks
        try await pool.write { db in
            for sink in sinks where try Self.cursor(sink, in: db) == nil { try Self.startCursor(sink, in: db) }
        }
    }

    public func start(pool: DatabasePool) {
        guard !sinks.isEmpty else { return }
        sweeper.start(every: Self.period, logger: logger, failure: "cannot feed the profile sinks") { [self] in
            try await feed(pool: pool)
        }
    }

    public func stop() async {
        await sweeper.stop()
    }

    /// Makes the next batch of every sink that has changes and no batch under way; returns how
    /// many deliveries it wrote.
    @discardableResult
    public func feed(pool: DatabasePool) async throws -> Int {
        guard !sinks.isEmpty else { return 0 }
        let sinks = self.sinks
        // A cheap look first: most ticks find nothing new.
        let pending = try await pool.read { db in try sinks.filter { try Self.hasWork($0, in: db) } }
        guard !pending.isEmpty else { return 0 }
        let now = clock.now()
        let written = try await pool.write { db in
            var written = 0
            for sink in pending where try Self.batch(sink, in: db, now: now) { written += 1 }
            return written
        }
        if written > 0 { wake() }
        return written
    }

    struct Cursor {
        var attributeWrite: Int64
        var event: Int64
    }

    static func cursor(_ sink: ProfileSink, in db: Database) throws -> Cursor? {
        guard let row = try db.queryRow("SELECT attribute_write_id, event_id FROM profile_sink_cursors WHERE sink = ?", sink.id) else { return nil }
        return Cursor(attributeWrite: row.int64("attribute_write_id") ?? 0, event: row.int64("event_id") ?? 0)
    }

    /// A new sink begins at the changes made from now on.
    static func startCursor(_ sink: ProfileSink, in db: Database) throws {
        try db.run("""
            INSERT INTO profile_sink_cursors (sink, attribute_write_id, event_id)
            VALUES (?, (SELECT coalesce(max(id), 0) FROM user_attribute_writes), (SELECT coalesce(max(id), 0) FROM user_events))
            """, sink.id)
    }

    static func hasWork(_ sink: ProfileSink, in db: Database) throws -> Bool {
        guard let cursor = try cursor(sink, in: db) else { return true }
        if try openBatch(sink, in: db) { return false }
        if try db.queryRow("SELECT 1 FROM user_attribute_writes WHERE id > ? LIMIT 1", cursor.attributeWrite) != nil { return true }
        guard sink.events else { return false }
        return try db.queryRow("SELECT 1 FROM user_events WHERE id > ? LIMIT 1", cursor.event) != nil
    }

    static func openBatch(_ sink: ProfileSink, in db: Database) throws -> Bool {
        try db.queryRow("SELECT 1 FROM deliveries WHERE target = ? AND status IN ('pending', 'sending') LIMIT 1", sink.target.id) != nil
    }

    /// One batch for a sink, in the caller's transaction; false when there was nothing to send
    /// (or a batch is still under way).
    static func batch(_ sink: ProfileSink, in db: Database, now: Int64) throws -> Bool {
        guard var cursor = try cursor(sink, in: db) else {
            try startCursor(sink, in: db)
            return false
        }
        if try openBatch(sink, in: db) { return false }
        let limit = sink.adapter.maxObjects

        // Attribute writes, in order, for at most `limit` users; the last value of each attribute wins.
        var order: [Int64] = []
        var changes: [Int64: [String: (value: TemplateValue, source: String)]] = [:]
        scan: while true {
            let rows = try db.query("""
                SELECT id, user_id, name, value, source FROM user_attribute_writes WHERE id > ? ORDER BY id LIMIT 1000
                """, cursor.attributeWrite)
            for row in rows {
                guard let id = row.int64("id") else { continue }
                let user = row.int64("user_id") ?? 0, name = row.string("name") ?? "", source = row.string("source") ?? ""
                let wanted = sink.sends(source: source) && !sink.skipAttributes.contains(name)
                if wanted && changes[user] == nil {
                    if order.count == limit { break scan }
                    order.append(user)
                    changes[user] = [:]
                }
                cursor.attributeWrite = id
                if wanted { changes[user]?[name] = (row.string("value").map(Profiles.decode) ?? .null, source) }
            }
            if rows.count < 1000 { break }
        }

        // Events, in order, at most `limit`.
        var events: [(user: Int64, name: String, time: Int64, properties: TemplateValue)] = []
        if sink.events {
            scan: while true {
                let rows = try db.query("""
                    SELECT id, user_id, name, properties, source, occurred_at FROM user_events WHERE id > ? ORDER BY id LIMIT 1000
                    """, cursor.event)
                for row in rows {
                    guard let id = row.int64("id") else { continue }
                    let user = row.int64("user_id") ?? 0, name = row.string("name") ?? ""
                    let wanted = sink.sends(source: row.string("source") ?? "")
                    if wanted && events.count == limit { break scan }
                    cursor.event = id
                    if wanted {
                        events.append((user, name, row.int64("occurred_at") ?? now, Profiles.decode(row.string("properties") ?? "{}")))
                    }
                }
                if rows.count < 1000 { break }
            }
        } else if let last = try db.scalar("SELECT max(id) FROM user_events").int64 {
            cursor.event = last
        }
        try db.run("UPDATE profile_sink_cursors SET attribute_write_id = ?, event_id = ? WHERE sink = ?",
                   cursor.attributeWrite, cursor.event, sink.id)
        guard !order.isEmpty || !events.isEmpty else { return false }

        // Who each user is, as the adapter names users.
        var identities: [Int64: TemplateValue] = [:]
        for user in Set(order + events.map(\.user)) {
            guard let row = try db.queryRow("SELECT external_id, identified FROM users WHERE id = ?", user) else { continue }
            let context = TemplateValue.object([
                "external_id": .string(row.string("external_id") ?? ""), "identified": .bool(row.int("identified") == 1),
                "settings": .object(sink.settings.mapValues(TemplateValue.string)),
            ])
            identities[user] = try? TemplateValue(jsonData: Data(sink.adapter.user.render(context).utf8))
        }
        var attributeObjects: [TemplateValue] = []
        var users: [TemplateValue] = []
        for user in order {
            guard case .object(let identity)? = identities[user], let values = changes[user], !values.isEmpty else { continue }
            var flat = identity
            for (name, change) in values { flat[name] = change.value }
            attributeObjects.append(.object(flat))
            users.append(.object(["user": .object(identity), "attributes": .object(values.mapValues(\.value)),
                                  "sources": .object(values.mapValues { .string($0.source) })]))
        }
        var eventObjects: [TemplateValue] = []
        for event in events {
            guard case .object(var object)? = identities[event.user] else { continue }
            object["name"] = .string(event.name)
            object["time"] = .string(DeliveryView.time(event.time))
            object["properties"] = event.properties
            eventObjects.append(.object(object))
        }
        guard !attributeObjects.isEmpty || !eventObjects.isEmpty else { return false }
        let body = sink.adapter.body.rendering(.object([
            "attributes": .array(attributeObjects), "events": .array(eventObjects), "users": .array(users),
            "settings": .object(sink.settings.mapValues(TemplateValue.string)),
        ]))
        try Outbox.enqueue(NewDelivery(kind: .profileSink, target: sink.target.id, orderingKey: sink.target.id, method: sink.adapter.method,
                                       url: sink.url, headers: [DeliveryHeader("Content-Type", sink.adapter.contentType)],
                                       body: Array(body.output.utf8), abortReason: body.abortReason), in: db, now: now)
        return true
    }
}
