import Foundation
import Storage
import Templates

/// Finding users by what names them, creating them, and linking a chat identity to the
/// business's own user id. A user that first wrote on a channel gets a derived external id
/// (`usr_...`, `identified` false) until the business identifies it; one person on WhatsApp and
/// web chat becomes one profile when both identities are identified with the same external id.
public enum ProfileDirectory {
    /// Why an identification cannot be done (409 / 404 on the API).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case unknownIdentity(String)
        case alreadyIdentified(String)
        public var description: String {
            switch self {
            case .unknownIdentity(let what): "no user with \(what)"
            case .alreadyIdentified(let id): "that identity belongs to user '\(id)', which the business already identified; identities of identified users are not moved"
            }
        }
    }

    /// The user a key names, if any. When several users share an email or phone, the one most
    /// recently given it wins, an identified one first (as Braze does).
    public static func user(_ key: UsersTrack.UserKey, in db: Database) throws -> Int64? {
        switch key {
        case .externalID(let id):
            return try db.scalar("SELECT id FROM users WHERE external_id = ?", id).int64
        case .alias(let name, let label):
            return try db.scalar("SELECT user_id FROM user_aliases WHERE label = ? AND name = ?", label, name).int64
        case .email(let email):
            return try byAttribute("email", .string(email), in: db)
        case .phone(let phone):
            return try byAttribute("phone", .string(phone), in: db)
        }
    }

    /// The external id of a user, by row id.
    public static func externalID(of user: Int64, in db: Database) throws -> String? {
        try db.scalar("SELECT external_id FROM users WHERE id = ?", user).string
    }

    private static func byAttribute(_ name: String, _ value: TemplateValue, in db: Database) throws -> Int64? {
        try db.scalar("""
            SELECT a.user_id FROM user_attributes a JOIN users u ON u.id = a.user_id
            WHERE a.name = ?1 AND a.value = ?2 ORDER BY u.identified DESC, a.updated_at DESC LIMIT 1
            """, name, value.json).int64
    }

    /// A new user for a key: identified by an external id, or derived with the alias, email or phone.
    public static func create(_ key: UsersTrack.UserKey, in db: Database, now: Int64) throws -> Int64 {
        switch key {
        case .externalID(let id):
            let insertedUser = try db.scalar("INSERT INTO users (external_id, identified, created_at, updated_at) VALUES (?, 1, ?, ?) RETURNING id", id, now, now)
            return (insertedUser.int64 ?? 0)
        case .alias(let name, let label):
            let user = try createDerived(in: db, now: now)
            try db.run("INSERT INTO user_aliases (label, name, user_id) VALUES (?, ?, ?)", label, name, user)
            return user
        case .email(let email):
            let user = try createDerived(in: db, now: now)
            try Profiles.set(user, "email", .string(email), source: "api", in: db, now: now)
            return user
        case .phone(let phone):
            let user = try createDerived(in: db, now: now)
            try Profiles.set(user, "phone", .string(phone), source: "api", in: db, now: now)
            return user
        }
    }

    /// A user known only by what the gateway saw (a channel identity): external id `usr_...`.
    public static func createDerived(in db: Database, now: Int64) throws -> Int64 {
        let insertedUser = try db.scalar("INSERT INTO users (external_id, identified, created_at, updated_at) VALUES (?, 0, ?, ?) RETURNING id", PublicID.make("usr"), now, now)
        return (insertedUser.int64 ?? 0)
    }

    /// Gives the user behind an identity (or a derived user id) the business's `externalID`.
    /// When no user has that id yet, the user is renamed; when one does, the derived user is
    /// merged into it: identities, conversations, events and aliases move, attributes the
    /// identified user lacks are copied (source `identify`), and the derived user is removed.
    /// Returns the identified user's row id.
    public static func identify(_ externalID: String, source derived: Int64, in db: Database, now: Int64) throws -> Int64 {
        guard let row = try db.queryRow("SELECT external_id, identified FROM users WHERE id = ?", derived) else {
            throw Failure.unknownIdentity("id \(derived)")
        }
        if row.string("external_id") == externalID { return derived }
        if row.int("identified") == 1 { throw Failure.alreadyIdentified(row.string("external_id") ?? "?") }
        guard let target = try db.scalar("SELECT id FROM users WHERE external_id = ?", externalID).int64 else {
            try db.run("UPDATE users SET external_id = ?, identified = 1, updated_at = ? WHERE id = ?", externalID, now, derived)
            return derived
        }
        for attribute in try db.query("SELECT name, value FROM user_attributes WHERE user_id = ?", derived) {
            guard let name = attribute.string("name"), let json = attribute.string("value"),
                  try Profiles.value(of: target, name, in: db) == nil else { continue }
            try Profiles.set(target, name, Profiles.decode(json), source: "identify", in: db, now: now)
        }
        try db.run("""
            UPDATE messages SET author_id = ?1
            WHERE conversation_id IN (SELECT id FROM conversations WHERE user_id = ?2) AND author_kind = 'user' AND author_id = ?3
            """, String(target), derived, String(derived))
        try db.run("UPDATE identities SET user_id = ? WHERE user_id = ?", target, derived)
        try db.run("UPDATE conversations SET user_id = ? WHERE user_id = ?", target, derived)
        try db.run("UPDATE user_events SET user_id = ? WHERE user_id = ?", target, derived)
        try db.run("UPDATE user_attribute_writes SET user_id = ? WHERE user_id = ?", target, derived)
        try db.run("UPDATE user_aliases SET user_id = ? WHERE user_id = ?", target, derived)
        try db.run("DELETE FROM users WHERE id = ?", derived)
        try db.run("UPDATE users SET updated_at = ? WHERE id = ?", now, target)
        return target
    }

    /// Identifies the user `source` names with `externalID` (as `identify(_:source:)` does) and
    /// returns the profile as it is then; nil when `source` names nobody.
    static func identify(_ externalID: String, named source: IdentifySource, in db: Database, now: Int64) throws -> ProfileView? {
        guard let derived = try source.user(in: db) else { return nil }
        _ = try identify(externalID, source: derived, in: db, now: now)
        return try ProfileView.find(externalID: externalID, in: db)
    }
}
