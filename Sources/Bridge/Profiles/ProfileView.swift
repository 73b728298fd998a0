import Storage
import Templates

/// A profile as `GET /v1/users/{external_id}` shows it.
struct ProfileView: Encodable {
    struct Identity: Encodable {
        var channel: String
        var address: String
        var displayName: String?
        var createdAt: String
        enum CodingKeys: String, CodingKey {
            case channel, address
            case displayName = "display_name", createdAt = "created_at"
        }
    }
    struct Alias: Encodable {
        var aliasName: String
        var aliasLabel: String
        enum CodingKeys: String, CodingKey { case aliasName = "alias_name", aliasLabel = "alias_label" }
    }
    struct Source: Encodable {
        var source: String
        var updatedAt: String
        enum CodingKeys: String, CodingKey { case source, updatedAt = "updated_at" }
    }
    struct Event: Encodable {
        var name: String
        var time: String
        var properties: TemplateValue
        var source: String
    }
    struct Write: Encodable {
        var name: String
        var value: TemplateValue
        var source: String
        var time: String
    }
    struct Conversation: Encodable {
        var id: String
        var channel: String
        var state: String
        var locale: String?
        var caseID: String?
        var createdAt: String
        var updatedAt: String
        enum CodingKeys: String, CodingKey {
            case id, channel, state, locale
            case caseID = "case_id", createdAt = "created_at", updatedAt = "updated_at"
        }
    }

    var externalID: String
    var identified: Bool
    var createdAt: String
    var identities: [Identity]
    var aliases: [Alias]
    var attributes: TemplateValue
    var attributeSources: [String: Source]
    var events: [Event]
    var writes: [Write]
    var conversations: [Conversation]

    enum CodingKeys: String, CodingKey {
        case identified, identities, aliases, attributes, events, writes, conversations
        case externalID = "external_id", createdAt = "created_at", attributeSources = "attribute_sources"
    }

    /// How many recent events, writes and conversations the view lists.
    static let recentLimit = 50

    /// The profile of the user with this external id, if any.
    static func find(externalID: String, in db: Database) throws -> ProfileView? {
        guard let user = try db.queryRow("SELECT id, identified, created_at FROM users WHERE external_id = ?", externalID),
              let id = user.int64("id") else { return nil }
        let time = { (ms: Int64?) in DeliveryView.time(ms ?? 0) }
        var attributes: [String: TemplateValue] = [:]
        var sources: [String: Source] = [:]
        for row in try db.query("SELECT name, value, source, updated_at FROM user_attributes WHERE user_id = ?", id) {
            guard let name = row.string("name"), let json = row.string("value") else { continue }
            attributes[name] = Profiles.decode(json)
            sources[name] = Source(source: row.string("source") ?? "", updatedAt: time(row.int64("updated_at")))
        }
        // Labels in code-point order, as SQLite's BINARY collation sorts them, whatever collation
        // the PostgreSQL database was created with.
        let byLabel = db.dialect == .postgres ? #"label COLLATE "C""# : "label"
        return ProfileView(
            externalID: externalID, identified: user.int("identified") == 1, createdAt: time(user.int64("created_at")),
            identities: try db.query("SELECT channel, address, display_name, created_at FROM identities WHERE user_id = ? ORDER BY id", id).map {
                Identity(channel: $0.string("channel") ?? "", address: $0.string("address") ?? "", displayName: $0.string("display_name"),
                         createdAt: time($0.int64("created_at")))
            },
            aliases: try db.query("SELECT label, name FROM user_aliases WHERE user_id = ? ORDER BY \(byLabel)", id).map {
                Alias(aliasName: $0.string("name") ?? "", aliasLabel: $0.string("label") ?? "")
            },
            attributes: .object(attributes), attributeSources: sources,
            events: try db.query("""
                SELECT name, properties, source, occurred_at FROM user_events WHERE user_id = ? ORDER BY occurred_at DESC, id DESC LIMIT ?
                """, id, recentLimit).map {
                Event(name: $0.string("name") ?? "", time: time($0.int64("occurred_at")),
                      properties: Profiles.decode($0.string("properties") ?? "{}"), source: $0.string("source") ?? "")
            },
            writes: try db.query("""
                SELECT name, value, source, written_at FROM user_attribute_writes WHERE user_id = ? ORDER BY id DESC LIMIT ?
                """, id, recentLimit).map {
                Write(name: $0.string("name") ?? "", value: $0.string("value").map(Profiles.decode) ?? .null,
                      source: $0.string("source") ?? "", time: time($0.int64("written_at")))
            },
            conversations: try db.query("""
                SELECT v.public_id, v.channel, v.state, v.locale, v.created_at, v.updated_at, c.public_id AS case_public_id
                FROM conversations v LEFT JOIN cases c ON c.id = v.case_id
                WHERE v.user_id = ? ORDER BY v.updated_at DESC, v.id DESC LIMIT ?
                """, id, recentLimit).map {
                Conversation(id: $0.string("public_id") ?? "", channel: $0.string("channel") ?? "", state: $0.string("state") ?? "",
                             locale: $0.string("locale"), caseID: $0.string("case_public_id"),
                             createdAt: time($0.int64("created_at")), updatedAt: time($0.int64("updated_at")))
            })
    }
}
