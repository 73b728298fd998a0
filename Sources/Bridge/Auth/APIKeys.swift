import Foundation
import Signing
import Storage

/// What an API key may do (DESIGN.md, public HTTP contract).
public enum APIScope: String, CaseIterable, Sendable, Codable {
    case campaignsTriggerSend = "campaigns.trigger.send"
    case messagesSend = "messages.send"
    case usersTrack = "users.track"
    case usersRead = "users.read"
    case conversationsRead = "conversations.read"
    case conversationsWrite = "conversations.write"
    case kbRead = "kb.read"
    case deliveriesRead = "deliveries.read"
    case deliveriesWrite = "deliveries.write"

    public struct UnknownScope: Error, Equatable { public var name: String }

    /// Parses `a,b,c` (or `all`); fails naming the first unknown scope.
    public static func parseList(_ text: String) -> Result<[APIScope], UnknownScope> {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names == ["all"] { return .success(allCases) }
        var scopes: [APIScope] = []
        for name in names {
            guard let scope = APIScope(rawValue: name) else { return .failure(UnknownScope(name: name)) }
            if !scopes.contains(scope) { scopes.append(scope) }
        }
        return .success(scopes)
    }
}

/// A stored API key (never its secret).
public struct APIKey: Sendable, Equatable, Encodable {
    public var id: Int64
    public var name: String
    /// The public part of the key (`bbk_<prefix>_...`), for listing and revoking.
    public var prefix: String
    public var scopes: [APIScope]
    /// Requests per second this key may make on average (its bucket refills at this rate), or nil
    /// for the configured default.
    public var ratePerSecond: Double?
    public var createdAt: Int64
    public var lastUsedAt: Int64?
    public var revokedAt: Int64?

    public var isRevoked: Bool { revokedAt != nil }

    enum CodingKeys: String, CodingKey {
        case id, name, prefix, scopes
        case ratePerSecond = "rate_per_second", createdAt = "created_at", lastUsedAt = "last_used_at", revokedAt = "revoked_at"
    }
}

/// API keys: created by the CLI and shown once, stored as the SHA-256 of the whole key.
/// A key reads `bbk_<8 base-32 prefix>_<43 base64url characters>` (256 random bits).
public enum APIKeys {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case emptyName, noScopes, notFound(String)
        public var description: String {
            switch self {
            case .emptyName: "a key needs a name"
            case .noScopes: "a key needs at least one scope"
            case .notFound(let prefix): "no key with prefix '\(prefix)'"
            }
        }
    }

    /// Creates a key; returns the secret (shown once) and the stored record.
    public static func create(name: String, scopes: [APIScope], ratePerSecond: Double? = nil, in db: Database,
                              now: Int64) throws -> (secret: String, key: APIKey) {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw Failure.emptyName }
        guard !scopes.isEmpty else { throw Failure.noScopes }
        let prefix = String(PublicID.make("k").dropFirst(2).prefix(8))
        let secret = "bbk_\(prefix)_" + PublicID.secret()
        let insertedKey = try db.scalar("""
            INSERT INTO api_keys (name, prefix, hash, scopes, rate_per_second, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id
            """, name, prefix, hash(secret), scopesJSON(scopes), ratePerSecond, now)
        let key = APIKey(id: (insertedKey.int64 ?? 0), name: name, prefix: prefix, scopes: scopes, ratePerSecond: ratePerSecond,
                         createdAt: now)
        return (secret, key)
    }

    /// The key a presented secret names, revoked or not; nil when unknown or malformed.
    public static func find(secret: String, in db: Database) throws -> APIKey? {
        guard secret.hasPrefix("bbk_"), secret.utf8.count < 128 else { return nil }
        return try db.queryRow("SELECT * FROM api_keys WHERE hash = ?", hash(secret)).map(key)
    }

    public static func list(in db: Database) throws -> [APIKey] {
        try db.query("SELECT * FROM api_keys ORDER BY id").map(key)
    }

    /// Revokes the key with this prefix (the part after `bbk_`); revoking twice is fine.
    @discardableResult
    public static func revoke(prefix: String, in db: Database, now: Int64) throws -> APIKey {
        guard try db.queryRow("SELECT id FROM api_keys WHERE prefix = ?", prefix) != nil else { throw Failure.notFound(prefix) }
        try db.run("UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE prefix = ?", now, prefix)
        return try db.queryRow("SELECT * FROM api_keys WHERE prefix = ?", prefix).map(key)!
    }

    public static func touch(_ id: Int64, in db: Database, now: Int64) throws {
        try db.run("UPDATE api_keys SET last_used_at = ? WHERE id = ?", now, id)
    }

    static func key(_ row: Row) -> APIKey {
        let names = (try? JSONDecoder().decode([String].self, from: Data((row.string("scopes") ?? "[]").utf8))) ?? []
        let scopes = names.compactMap(APIScope.init(rawValue:))
        return APIKey(id: row.int64("id") ?? 0, name: row.string("name") ?? "", prefix: row.string("prefix") ?? "",
                      scopes: scopes, ratePerSecond: row.double("rate_per_second"), createdAt: row.int64("created_at") ?? 0,
                      lastUsedAt: row.int64("last_used_at"), revokedAt: row.int64("revoked_at"))
    }

    static func scopesJSON(_ scopes: [APIScope]) -> String {
        "[" + scopes.map { "\"\($0.rawValue)\"" }.joined(separator: ",") + "]"
    }

    static func hash(_ secret: String) -> [UInt8] { SHA256.hash(secret.utf8) }
}
