import Foundation
import Logging
import Storage
import Templates

/// Cases no agent has joined within their contact center's `no_agent_after_seconds`: the user
/// gets the `no-agent-available` notice once, and with `"no_agent_fallback": "bot"` the
/// conversation goes back to the bot (the case is cancelled); with `queue` it stays queued.
public final class NoAgentWatch: Sendable {
    let configuration: GatewayConfiguration
    let hub: WebChatHub
    let clock: any DeliveryClock
    let logger: Logger
    private let wake: @Sendable () -> Void
    private let sweeper = PeriodicSweep()

    public init(configuration: GatewayConfiguration, hub: WebChatHub, clock: any DeliveryClock, logger: Logger = .silent,
                wake: @escaping @Sendable () -> Void = {}) {
        self.configuration = configuration
        self.hub = hub
        self.clock = clock
        self.logger = logger
        self.wake = wake
    }

    /// One look; returns the cases handled.
    @discardableResult
    public func sweep(pool: DatabasePool) async throws -> Int {
        guard let shortest = configuration.contactCenters.values.map(\.noAgentAfter).min() else { return 0 }
        let now = clock.now()
        let oldest = now - shortest.milliseconds
        let waiting = try await pool.read { db in try Self.waiting(openedBefore: oldest, in: db) }
        guard !waiting.isEmpty else { return 0 }
        let configuration = self.configuration
        let identities = try await pool.write { db -> [Int64?] in
            var identities: [Int64?] = []
            for row in try Self.waiting(openedBefore: oldest, in: db) {
                guard let caseID = row.int64("id"), let conversationID = row.int64("conversation_id"),
                      let center = row.string("contact_center").flatMap({ configuration.contactCenters[$0] }),
                      now - (row.int64("opened_at") ?? now) >= center.noAgentAfter.milliseconds else { continue }
                try db.run("UPDATE cases SET no_agent_at = ? WHERE id = ?", now, caseID)
                let backToBot = center.noAgentFallback == "bot"
                if backToBot {
                    try ConversationStates.move(conversationID, to: .bot, reason: "no agent available",
                                                details: ["case_id": .string(row.string("public_id") ?? "")], in: db, now: now)
                    try db.run("UPDATE cases SET state = 'cancelled', resolved_at = ? WHERE id = ?", now, caseID)
                }
                let channel = row.string("channel").flatMap { configuration.channels[$0] }
                let sent = try configuration.notices.send(
                    .noAgentAvailable, conversationID: conversationID,
                    extra: ["case_number": .string(row.string("public_id") ?? ""), "back_to_bot": .bool(backToBot)],
                    sender: channel?.sender, publicURL: configuration.publicURL, in: db, now: now)
                identities.append(channel?.sender == nil ? sent?.identityID : nil)
            }
            return identities
        }
        for identity in identities.compactMap({ $0 }) { hub.notify(identity: identity) }
        if !identities.isEmpty {
            logger.warning("no agent available", [("cases", String(identities.count))])
            wake()
        }
        return identities.count
    }

    /// Open cases of queued conversations, opened before the time, not yet handled.
    static func waiting(openedBefore: Int64, in db: Database) throws -> [Row] {
        try db.query("""
            SELECT c.id, c.public_id, c.conversation_id, c.contact_center, c.opened_at, v.channel
            FROM cases c INDEXED BY cases_waiting JOIN conversations v ON v.id = c.conversation_id
            WHERE c.state = 'open' AND c.no_agent_at IS NULL AND c.opened_at <= ? AND v.state = 'queued' AND v.case_id = c.id
            ORDER BY c.opened_at LIMIT 500
            """, openedBefore)
    }

    /// Looks every quarter of the shortest wait (250 ms to 5 s) until `stop()`; does nothing
    /// when nothing is configured to wait for.
    public func start(pool: DatabasePool, interval: Duration? = nil) {
        guard let shortest = configuration.contactCenters.values.map(\.noAgentAfter).min() else { return }
        sweeper.start(every: interval ?? PeriodicSweep.period(forShortestWait: shortest), logger: logger,
                      failure: "cannot check cases waiting for an agent") { [self] in try await sweep(pool: pool) }
    }

    public func stop() async {
        await sweeper.stop()
    }
}
