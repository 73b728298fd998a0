import Foundation
import Storage

/// The outbox's reads and writes. Every function runs inside a transaction the caller holds
/// (`pool.write` / `pool.read`), so a delivery is written atomically with whatever caused it.
public enum Outbox {
    // MARK: - Writing work

    /// Adds a delivery, due now. Returns it as stored. A delivery to a target that answered
    /// 410 Gone is stored dead at once (replaying it clears the mark and sends it).
    @discardableResult
    public static func enqueue(_ new: NewDelivery, in db: Database, now: Int64) throws -> Delivery {
        let gone = try db.scalar("SELECT gone_at FROM delivery_targets WHERE target = ? AND gone_at IS NOT NULL", new.target) != .null
        let webhookID = PublicID.make("msg")  // the webhook-id every attempt carries
        let status: DeliveryStatus = gone || new.abortReason != nil ? .dead : .pending
        let error = new.abortReason.map(abortedError) ?? (gone ? goneError : nil)
        if db.dialect == .postgres, let key = new.orderingKey {
            // Transactions adding to one key take turns, so ids of a key commit in increasing
            // order and "none written before it is pending" means what it says across gateways.
            try db.run("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))", key)
        }
        let id = try db.query("""
            INSERT INTO deliveries (webhook_id, kind, target, ordering_key, conversation_id, message_id, method, url,
                                    headers, body, status, attempts, next_attempt_at, last_status, last_error, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)
            RETURNING id
            """, arguments: [webhookID, new.kind.rawValue, new.target, new.orderingKey, new.conversationID, new.messageID,
                             new.method, new.url, DeliveryHeader.encode(new.headers), new.body, status.rawValue, now,
                             gone && new.abortReason == nil ? 410 : nil, error, now, now]).first?.int64("id") ?? 0
        if status == .pending { try db.notify(wakeChannel) }
        return Delivery(id: id, webhookID: webhookID, kind: new.kind.rawValue, target: new.target,
                        orderingKey: new.orderingKey, conversationID: new.conversationID, messageID: new.messageID,
                        method: new.method, url: new.url, headers: new.headers, body: new.body, status: status, attempts: 0,
                        nextAttemptAt: now, lastAttemptAt: nil, lastStatus: gone && new.abortReason == nil ? 410 : nil, lastError: error,
                        createdAt: now, updatedAt: now, doneAt: nil)
    }

    static let goneError = "not attempted: the target answered 410 Gone to an earlier delivery"

    /// What a delivery whose template aborted records instead of being sent.
    static func abortedError(_ reason: String) -> String {
        "not sent: its template said abort_message" + (reason.isEmpty ? "" : ": " + reason)
    }

    /// The PostgreSQL notification channel that wakes every gateway's dispatcher when new
    /// deliveries commit (polling covers engines without LISTEN/NOTIFY).
    public static let wakeChannel = "botbridge_outbox"

    // MARK: - Workers

    /// Claims up to `limit` due deliveries (status → sending, attempts + 1) for `claimant`,
    /// leased until `leaseUntil`. A delivery with an ordering key is eligible only when no other
    /// delivery of its key is in flight and none written before it is still pending, so one
    /// key's deliveries leave one at a time, in order (a replayed older delivery goes before
    /// newer pending ones, but never beside one in flight).
    ///
    /// On PostgreSQL, where gateways share the outbox: the claim skips rows another gateway is
    /// claiming at that moment (`FOR UPDATE SKIP LOCKED`, run at read committed), and a delivery
    /// whose gateway died is taken over once its lease has ended (it counts as in flight until then;
    /// one without a lease, from a copied SQLite database, is taken over at once).
    static func claimDue(in db: Database, now: Int64, limit: Int, claimant: String, leaseUntil: Int64) throws -> [Delivery] {
        if db.dialect == .postgres {
            return try db.query("""
                UPDATE deliveries SET status = 'sending', attempts = attempts + 1, last_attempt_at = ?1, updated_at = ?1,
                                      claimed_by = ?3, lease_until = ?4
                WHERE id IN (
                    SELECT d.id FROM deliveries d
                    WHERE ((d.status = 'pending' AND d.next_attempt_at <= ?1)
                           OR (d.status = 'sending' AND (d.lease_until IS NULL OR d.lease_until < ?1)))
                      AND (d.ordering_key IS NULL OR NOT EXISTS (
                            SELECT 1 FROM deliveries e
                            WHERE e.ordering_key = d.ordering_key AND e.status IN ('pending', 'sending') AND e.id <> d.id
                              AND ((e.status = 'sending' AND e.lease_until >= ?1) OR e.id < d.id)))
                    ORDER BY d.next_attempt_at, d.id
                    LIMIT ?2
                    FOR UPDATE SKIP LOCKED)
                RETURNING \(Delivery.columns)
                """, arguments: [now, limit, claimant, leaseUntil]).map(Delivery.init(row:)).sorted { $0.id < $1.id }
        }
        // INDEXED BY: with a large backlog the planner otherwise prefers deliveries_by_status
        // and a sort, about 50 times slower at 100 000 pending rows.
        return try db.query("""
            UPDATE deliveries SET status = 'sending', attempts = attempts + 1, last_attempt_at = ?1, updated_at = ?1,
                                  claimed_by = ?3, lease_until = ?4
            WHERE id IN (
                SELECT d.id FROM deliveries d INDEXED BY deliveries_due
                WHERE d.status = 'pending' AND d.next_attempt_at <= ?1
                  AND (d.ordering_key IS NULL OR NOT EXISTS (
                        SELECT 1 FROM deliveries e
                        WHERE e.ordering_key = d.ordering_key AND e.status IN ('pending', 'sending') AND e.id <> d.id
                          AND (e.status = 'sending' OR e.id < d.id)))
                ORDER BY d.next_attempt_at, d.id
                LIMIT ?2)
            RETURNING \(Delivery.columns)
            """, arguments: [now, limit, claimant, leaseUntil]).map(Delivery.init(row:)).sorted { $0.id < $1.id }
    }

    /// The earliest time a pending delivery is due, if any.
    static func nextDueTime(in db: Database) throws -> Int64? {
        try db.scalar("SELECT min(next_attempt_at) FROM deliveries WHERE status = 'pending'").int64
    }

    /// Records a 2xx. Returns false when the delivery was no longer in flight (replayed meanwhile).
    @discardableResult
    static func markDone(_ id: Int64, status: Int, claimant: String, in db: Database, now: Int64) throws -> Bool {
        try db.run("""
            UPDATE deliveries SET status = 'done', last_status = ?1, last_error = NULL, done_at = ?2, updated_at = ?2
            WHERE id = ?3 AND status = 'sending' AND claimed_by = ?4
            """, status, now, id, claimant)
        return db.changes == 1
    }

    /// Records a failed attempt that will be retried at `retryAt`.
    static func scheduleRetry(_ id: Int64, status: Int?, error: String, retryAt: Int64, claimant: String, in db: Database, now: Int64) throws {
        try db.run("""
            UPDATE deliveries SET status = 'pending', last_status = ?, last_error = ?, next_attempt_at = ?, updated_at = ?
            WHERE id = ? AND status = 'sending' AND claimed_by = ?
            """, status, error, retryAt, now, id, claimant)
    }

    /// Records a final failure.
    static func markDead(_ id: Int64, status: Int?, error: String, claimant: String, in db: Database, now: Int64) throws {
        try db.run("""
            UPDATE deliveries SET status = 'dead', last_status = ?, last_error = ?, updated_at = ?
            WHERE id = ? AND status = 'sending' AND claimed_by = ?
            """, status, error, now, id, claimant)
    }

    /// A target answered 410 Gone: it is marked gone, and every delivery still waiting for it is
    /// dead, as is every later one, until an operator replays one of them. Returns those that died now.
    static func markTargetGone(_ target: String, in db: Database, now: Int64) throws -> [Delivery] {
        try db.run("""
            INSERT INTO delivery_targets (target, gone_at, gone_reason) VALUES (?1, ?2, 'answered 410 Gone')
            ON CONFLICT (target) DO UPDATE SET gone_at = ?2, gone_reason = 'answered 410 Gone'
            """, target, now)
        return try db.query("""
            UPDATE deliveries SET status = 'dead', last_status = 410, last_error = ?1, updated_at = ?2
            WHERE target = ?3 AND status = 'pending'
            RETURNING \(Delivery.columns)
            """, arguments: [goneError, now, target]).map(Delivery.init(row:))
    }

    /// Puts deliveries that were in flight when the process stopped back in the queue, due now,
    /// so they are sent again with the same `webhook-id`. Run once at start-up. On SQLite one
    /// gateway holds the database, so every `sending` row was its own; on PostgreSQL only the rows
    /// `claimant` (this gateway's stable name) held are taken back at once; other gateways'
    /// are theirs until their lease ends.
    @discardableResult
    public static func resumeInterrupted(in db: Database, now: Int64, claimant: String) throws -> Int {
        if db.dialect == .postgres {
            try db.run("""
                UPDATE deliveries SET status = 'pending', next_attempt_at = ?1, updated_at = ?1, claimed_by = NULL, lease_until = NULL
                WHERE status = 'sending' AND claimed_by = ?2
                """, now, claimant)
        } else {
            try db.run("UPDATE deliveries SET status = 'pending', next_attempt_at = ?1, updated_at = ?1 WHERE status = 'sending'", now)
        }
        return db.changes
    }

    // MARK: - Operators

    /// What `list` selects.
    public struct Filter: Sendable {
        public var status: DeliveryStatus?
        public var conversationID: Int64?
        /// Only deliveries with an id below this (for paging backwards).
        public var beforeID: Int64?
        public var limit: Int

        public init(status: DeliveryStatus? = nil, conversationID: Int64? = nil, beforeID: Int64? = nil, limit: Int = 100) {
            self.status = status
            self.conversationID = conversationID
            self.beforeID = beforeID
            self.limit = limit
        }
    }

    /// Deliveries matching the filter, newest first.
    public static func list(_ filter: Filter, in db: Database) throws -> [Delivery] {
        var conditions: [String] = []
        var arguments: [any SQLValueConvertible] = []
        if let status = filter.status { conditions.append("status = ?"); arguments.append(status.rawValue) }
        if let conversation = filter.conversationID { conditions.append("conversation_id = ?"); arguments.append(conversation) }
        if let before = filter.beforeID { conditions.append("id < ?"); arguments.append(before) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(max(1, filter.limit))
        return try db.query("SELECT \(Delivery.columns) FROM deliveries \(whereClause) ORDER BY id DESC LIMIT ?",
                            arguments: arguments).map(Delivery.init(row:))
    }

    /// One delivery by id.
    public static func find(_ id: Int64, in db: Database) throws -> Delivery? {
        try db.queryRow("SELECT \(Delivery.columns) FROM deliveries WHERE id = ?", id).map(Delivery.init(row:))
    }

    /// Why a replay was refused.
    public enum ReplayError: Error, Equatable, CustomStringConvertible {
        case notFound(Int64)
        case notFinished(Int64, DeliveryStatus)

        public var description: String {
            switch self {
            case .notFound(let id): "no delivery with id \(id)"
            case .notFinished(let id, let status): "delivery \(id) is \(status.rawValue); only dead or done deliveries can be replayed"
            }
        }
    }

    /// Sends a dead (or done) delivery again with a fresh set of attempts and the same
    /// `webhook-id`. Replaying clears a 410 Gone mark on its target (the operator says it is back).
    @discardableResult
    public static func replay(_ id: Int64, in db: Database, now: Int64) throws -> Delivery {
        guard let delivery = try find(id, in: db) else { throw ReplayError.notFound(id) }
        guard delivery.status == .dead || delivery.status == .done else { throw ReplayError.notFinished(id, delivery.status) }
        try db.run("DELETE FROM delivery_targets WHERE target = ?", delivery.target)
        try db.run("""
            UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?1, done_at = NULL, updated_at = ?1
            WHERE id = ?2
            """, now, id)
        return try find(id, in: db) ?? delivery
    }

    /// Replays every dead delivery; returns how many.
    @discardableResult
    public static func replayAllDead(in db: Database, now: Int64) throws -> Int {
        try db.run("DELETE FROM delivery_targets WHERE target IN (SELECT target FROM deliveries WHERE status = 'dead')")
        try db.run("UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?1, updated_at = ?1 WHERE status = 'dead'", now)
        return db.changes
    }

    /// Counts for metrics and health.
    public struct Statistics: Sendable, Equatable {
        public var pending: Int
        public var sending: Int
        public var dead: Int
        /// Age in milliseconds of the oldest delivery not yet done (pending or sending), or 0.
        public var oldestPendingAge: Int64
    }

    /// Queue depth, dead letters and the age of the oldest undelivered delivery.
    public static func statistics(in db: Database, now: Int64) throws -> Statistics {
        // Each count reads a partial index, never the whole table.
        let row = try db.queryRow("""
            SELECT (SELECT count(*) FROM deliveries INDEXED BY deliveries_due WHERE status = 'pending') AS pending,
                   (SELECT count(*) FROM deliveries INDEXED BY deliveries_open_by_key WHERE status IN ('pending', 'sending')
                      AND status = 'sending') AS sending,
                   (SELECT count(*) FROM deliveries INDEXED BY deliveries_dead WHERE status = 'dead') AS dead,
                   (SELECT min(created_at) FROM deliveries WHERE status IN ('pending', 'sending')) AS oldest
            """)
        let oldest = row?.int64("oldest")
        return Statistics(pending: row?.int("pending") ?? 0, sending: row?.int("sending") ?? 0, dead: row?.int("dead") ?? 0,
                          oldestPendingAge: oldest.map { max(0, now - $0) } ?? 0)
    }
}
