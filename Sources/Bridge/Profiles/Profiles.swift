import Foundation
import Storage
import Templates

/// Users' profiles: attributes (JSON values, each with the source of its last write) and events.
/// Every change is also appended to `user_attribute_writes` or `user_events` with its source
/// (`api`, `channel:<id>`, `rule:<id>`, `bot:<id>`, `system`): the audit trail, and the feed the
/// profile sinks read. Everything here runs inside the caller's write transaction.
public enum Profiles {
    /// What an attribute operation could not do (reported per object by `/users/track`).
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notANumber(String)
        case notAnArray(String)
        public var description: String {
            switch self {
            case .notANumber(let name): "attribute '\(name)' holds a value that is not a number, so it cannot be incremented"
            case .notAnArray(let name): "attribute '\(name)' holds a value that is not an array, so nothing can be added to or removed from it"
            }
        }
    }

    /// The most elements an array attribute keeps; adding more drops the oldest (as Braze does).
    public static let maxArrayLength = 500

    /// Sets an attribute; nothing is written when it already has this value. True when it changed.
    @discardableResult
    public static func set(_ user: Int64, _ name: String, _ value: TemplateValue, source: String, in db: Database, now: Int64) throws -> Bool {
        if case .null = value { return try unset(user, name, source: source, in: db, now: now) }
        let json = value.json
        try db.run("""
            INSERT INTO user_attributes (user_id, name, value, source, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (user_id, name) DO UPDATE SET value = ?3, source = ?4, updated_at = ?5 WHERE user_attributes.value IS DISTINCT FROM ?3
            """, user, name, json, source, now)
        guard db.changes > 0 else { return false }
        try db.run("INSERT INTO user_attribute_writes (user_id, name, value, source, written_at) VALUES (?, ?, ?, ?, ?)",
                   user, name, json, source, now)
        return true
    }

    /// Removes an attribute (Braze's `null`). True when it was there.
    @discardableResult
    public static func unset(_ user: Int64, _ name: String, source: String, in db: Database, now: Int64) throws -> Bool {
        try db.run("DELETE FROM user_attributes WHERE user_id = ? AND name = ?", user, name)
        guard db.changes > 0 else { return false }
        try db.run("INSERT INTO user_attribute_writes (user_id, name, value, source, written_at) VALUES (?, ?, NULL, ?, ?)",
                   user, name, source, now)
        return true
    }

    /// Applies one operation; returns the attribute's value afterwards (nil when unset).
    @discardableResult
    public static func apply(_ operation: AttributeOperation, to user: Int64, _ name: String, source: String,
                             in db: Database, now: Int64) throws -> TemplateValue? {
        let current: TemplateValue?
        switch operation {
        case .set, .unset: current = nil
        default: current = try value(of: user, name, in: db)
        }
        let next = try value(after: operation, on: current, name)
        if let next { try set(user, name, next, source: source, in: db, now: now) } else { try unset(user, name, source: source, in: db, now: now) }
        return next
    }

    /// What an attribute holds after an operation (nil: removed), without writing anything.
    public static func value(after operation: AttributeOperation, on current: TemplateValue?, _ name: String) throws(Failure) -> TemplateValue? {
        switch operation {
        case .set(let value):
            return value
        case .unset:
            return nil
        case .increment(let step):
            guard let next = sum(current ?? .int(0), step) else { throw Failure.notANumber(name) }
            return next
        case .add(let values):
            // Braze's arrays hold each value once; adding one already there moves it to the end.
            var elements = try array(current, name).filter { !values.contains($0) }
            elements += values
            if elements.count > maxArrayLength { elements.removeFirst(elements.count - maxArrayLength) }
            return .array(elements)
        case .remove(let values):
            return .array(try array(current, name).filter { !values.contains($0) })
        }
    }

    /// Adds `step` to a counter attribute (absent counts as 0).
    @discardableResult
    public static func increment(_ user: Int64, _ name: String, by step: Int64 = 1, source: String, in db: Database, now: Int64) throws -> TemplateValue? {
        try apply(.increment(.int(step)), to: user, name, source: source, in: db, now: now)
    }

    /// Records an event.
    public static func record(event name: String, properties: [String: TemplateValue] = [:], user: Int64, source: String,
                              at time: Int64, in db: Database) throws {
        try db.run("INSERT INTO user_events (user_id, name, properties, source, occurred_at) VALUES (?, ?, ?, ?, ?)",
                   user, name, TemplateValue.object(properties).json, source, time)
    }

    /// One attribute's current value.
    public static func value(of user: Int64, _ name: String, in db: Database) throws -> TemplateValue? {
        guard let json = try db.scalar("SELECT value FROM user_attributes WHERE user_id = ? AND name = ?", user, name).string else { return nil }
        return decode(json)
    }

    /// Every attribute of a user as one object, for templates (`attributes.first_name`).
    public static func attributes(of user: Int64, in db: Database) throws -> TemplateValue {
        var members: [String: TemplateValue] = [:]
        for row in try db.query("SELECT name, value FROM user_attributes WHERE user_id = ?", user) {
            guard let name = row.string("name"), let json = row.string("value") else { continue }
            members[name] = decode(json)
        }
        return .object(members)
    }

    /// The template context every template gets for a user: the attributes at the top level
    /// (Braze's `{{${first_name}}}`), and as `attributes` and `custom_attribute`
    /// (`{{custom_attribute.${order_id}}}`). Later keys of the caller win over attributes.
    public static func templateContext(of user: Int64, in db: Database) throws -> [String: TemplateValue] {
        let attributes = try attributes(of: user, in: db)
        var context: [String: TemplateValue] = [:]
        if case .object(let members) = attributes { context = members }
        context["attributes"] = attributes
        context["custom_attribute"] = attributes
        return context
    }

    /// A stored value. Numbers and plain strings (most values) are read without a JSON parser.
    static func decode(_ json: String) -> TemplateValue {
        if let int = Int64(json) { return .int(int) }
        let utf8 = json.utf8
        if utf8.count >= 2, utf8.first == UInt8(ascii: "\""), utf8.last == UInt8(ascii: "\""),
           !utf8.dropFirst().dropLast().contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") || $0 < 0x20 }) {
            return .string(String(json.dropFirst().dropLast()))
        }
        return (try? TemplateValue(jsonData: Data(json.utf8))) ?? .string(json)
    }

    private static func array(_ value: TemplateValue?, _ name: String) throws(Failure) -> [TemplateValue] {
        switch value {
        case nil, .null?: return []
        case .array(let elements)?: return elements
        default: throw Failure.notAnArray(name)
        }
    }

    private static func sum(_ a: TemplateValue, _ b: TemplateValue) -> TemplateValue? {
        switch (a, b) {
        case (.int(let x), .int(let y)):
            let (result, overflow) = x.addingReportingOverflow(y)
            return overflow ? .double(Double(x) + Double(y)) : .int(result)
        case (.int(let x), .double(let y)): return .double(Double(x) + y)
        case (.double(let x), .int(let y)): return .double(x + Double(y))
        case (.double(let x), .double(let y)): return .double(x + y)
        default: return nil
        }
    }
}

/// What a write does to one attribute (Braze's `/users/track` forms).
public enum AttributeOperation: Sendable, Equatable {
    /// A plain value (`"plan": "gold"`).
    case set(TemplateValue)
    /// `null`: remove the attribute.
    case unset
    /// `{"inc": n}`.
    case increment(TemplateValue)
    /// `{"add": [...]}`: append the values (each array holds a value once; the oldest go past the limit).
    case add([TemplateValue])
    /// `{"remove": [...]}`.
    case remove([TemplateValue])
}
