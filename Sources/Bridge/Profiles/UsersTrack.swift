import Foundation
import Storage
import Templates

/// `POST /users/track`, as Braze documents it: `attributes[]`, `events[]` and `purchases[]`,
/// each object naming one user by `external_id`, `user_alias`, `email` or `phone`. An object
/// with a problem is reported in `errors` (`{"type", "input_array", "index"}`) and changes
/// nothing; the others are applied. Problems with the request as a whole are fatal (Braze's
/// `{"message", "errors"}` with a 4xx).
///
/// Where botbridge differs from Braze, on purpose: `_update_existing_only` defaults to true for
/// every identifier (a profile is only created when the caller says `false`); strings longer than
/// 255 characters are refused instead of truncated; arrays of objects (`$add`, `$remove`,
/// `$update`) and `braze_id` are refused with a clear error.
public enum UsersTrack {
    /// Objects per array per request.
    public static let maxObjects = 75
    /// Characters in a string value, an attribute, event or property name.
    public static let maxStringLength = 255
    /// Bytes of JSON in one nested object, array or event's properties.
    public static let maxNestedBytes = 100 * 1024

    /// Who an object names.
    public enum UserKey: Hashable, Sendable, CustomStringConvertible {
        case externalID(String)
        case alias(name: String, label: String)
        case email(String)
        case phone(String)

        public var description: String {
            switch self {
            case .externalID(let id): "external_id '\(id)'"
            case .alias(let name, let label): "user_alias '\(label):\(name)'"
            case .email(let email): "email '\(email)'"
            case .phone(let phone): "phone '\(phone)'"
            }
        }
    }

    /// One object's problem, in the answer's `errors`.
    public struct ObjectError: Encodable, Equatable, Sendable {
        public var type: String
        public var inputArray: String
        public var index: Int
        enum CodingKeys: String, CodingKey {
            case type, index
            case inputArray = "input_array"
        }
    }

    /// What to do for one user.
    struct Target: Sendable {
        var key: UserKey
        var updateExistingOnly: Bool
    }

    struct AttributeObject: Sendable {
        var index: Int
        var target: Target
        var operations: [(name: String, operation: AttributeOperation)]
        var mergeObjects: Bool
    }

    struct EventObject: Sendable {
        var array: String
        var index: Int
        var target: Target
        var name: String
        var time: Int64
        var properties: [String: TemplateValue]
    }

    /// A request body after validation.
    public struct Request: Sendable {
        var attributes: [AttributeObject] = []
        var events: [EventObject] = []
        var purchases: [EventObject] = []
        var errors: [ObjectError] = []
        /// Objects given, per array.
        var counts = (attributes: 0, events: 0, purchases: 0)
    }

    /// What applying a request did.
    public struct Outcome: Equatable, Sendable {
        public var attributesProcessed = 0
        public var eventsProcessed = 0
        public var purchasesProcessed = 0
        public var errors: [ObjectError] = []
        public var processed: Int { attributesProcessed + eventsProcessed + purchasesProcessed }
    }

    /// A problem that ends the whole request.
    public struct Fatal: Error, Equatable {
        public var message: String
        public var errors: [String]
    }

    // MARK: - Reading

    /// Validates a body (already a JSON object). `now` clamps event times in the future.
    public static func parse(_ body: [String: Any], now: Int64) throws(Fatal) -> Request {
        let known: Set<String> = ["attributes", "events", "purchases", "partner", "api_key"]
        if let unknown = body.keys.sorted().first(where: { !known.contains($0) }) {
            throw Fatal(message: "Bad Request", errors: ["'\(unknown)' is not a field of /users/track (attributes, events, purchases)"])
        }
        var request = Request()
        var any = false
        for name in ["attributes", "events", "purchases"] {
            guard let value = body[name], !isJSONNull(value) else { continue }
            guard let list = value as? [Any] else { throw Fatal(message: "Bad Request", errors: ["'\(name)' must be an array of objects"]) }
            guard list.count <= maxObjects else {
                throw Fatal(message: "Max Input Length Exceeded", errors: ["'\(name)' has \(list.count) objects; at most \(maxObjects) per request"])
            }
            any = any || !list.isEmpty
            for (index, element) in list.enumerated() {
                do {
                    guard let object = element as? [String: Any] else { throw Problem("must be an object") }
                    switch name {
                    case "attributes": request.attributes.append(try attributeObject(object, index: index))
                    case "events": request.events.append(try eventObject(object, array: name, index: index, now: now))
                    default: request.purchases.append(try purchaseObject(object, index: index, now: now))
                    }
                } catch let problem as Problem {
                    request.errors.append(ObjectError(type: problem.message, inputArray: name, index: index))
                } catch {
                    request.errors.append(ObjectError(type: "\(error)", inputArray: name, index: index))
                }
            }
            switch name {
            case "attributes": request.counts.attributes = list.count
            case "events": request.counts.events = list.count
            default: request.counts.purchases = list.count
            }
        }
        guard any else {
            throw Fatal(message: "Bad Request", errors: ["nothing to track: give at least one object in attributes, events or purchases"])
        }
        return request
    }

    struct Problem: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static let identifierKeys: Set<String> = ["external_id", "user_alias", "braze_id", "email", "phone", "_update_existing_only"]

    /// The user an object names, and whether it may be created. When `external_id` or
    /// `user_alias` names the user, `email` and `phone` are attributes like any other.
    static func target(_ object: [String: Any]) throws(Problem) -> (Target, consumed: Set<String>) {
        var updateExistingOnly = true
        if let flag = object["_update_existing_only"] {
            guard isJSONBoolean(flag), let value = flag as? Bool else { throw Problem("'_update_existing_only' must be true or false") }
            updateExistingOnly = value
        }
        if let value = object["external_id"] {
            guard let id = value as? String, !id.isEmpty, id.utf8.count <= 987 else {
                throw Problem("'external_id' must be a non-empty string of at most 987 bytes")
            }
            return (Target(key: .externalID(id), updateExistingOnly: updateExistingOnly), ["external_id", "_update_existing_only"])
        }
        if let value = object["user_alias"] {
            guard let alias = value as? [String: Any], let name = alias["alias_name"] as? String, let label = alias["alias_label"] as? String,
                  !name.isEmpty, !label.isEmpty, alias.count == 2, name.count <= maxStringLength, label.count <= maxStringLength else {
                throw Problem("'user_alias' must be {\"alias_name\": string, \"alias_label\": string}")
            }
            return (Target(key: .alias(name: name, label: label), updateExistingOnly: updateExistingOnly), ["user_alias", "_update_existing_only"])
        }
        if object["braze_id"] != nil {
            throw Problem("'braze_id' is not supported: botbridge has no Braze ids; name the user by external_id, user_alias, email or phone")
        }
        if let value = object["email"] {
            guard let email = value as? String, validEmail(email) else { throw Problem("'email' must be an email address") }
            return (Target(key: .email(email.lowercased()), updateExistingOnly: updateExistingOnly), ["email", "_update_existing_only"])
        }
        if let value = object["phone"] {
            guard let text = value as? String, let phone = normalizedPhone(text) else {
                throw Problem("'phone' must be a phone number, preferably E.164 such as +15551234567")
            }
            return (Target(key: .phone(phone), updateExistingOnly: updateExistingOnly), ["phone", "_update_existing_only"])
        }
        throw Problem("'external_id' or 'user_alias' or 'email' or 'phone' is required")
    }

    static func attributeObject(_ object: [String: Any], index: Int) throws(Problem) -> AttributeObject {
        let (target, consumed) = try target(object)
        var mergeObjects = false
        if let flag = object["_merge_objects"] {
            guard isJSONBoolean(flag), let value = flag as? Bool else { throw Problem("'_merge_objects' must be true or false") }
            mergeObjects = value
        }
        var list: [(name: String, operation: AttributeOperation)] = []
        for name in object.keys.sorted() where !consumed.contains(name) && name != "_merge_objects" {
            guard !identifierKeys.contains(name) || name == "email" || name == "phone" else {
                throw Problem("'\(name)' identifies a user; give only one identifier per object")
            }
            try checkName(name, what: "attribute")
            for operation in try operations(for: name, object[name]!) { list.append((name, operation)) }
        }
        return AttributeObject(index: index, target: target, operations: list, mergeObjects: mergeObjects)
    }

    static func checkName(_ name: String, what: String) throws(Problem) {
        guard !name.isEmpty, name.count <= maxStringLength else { throw Problem("\(what) names must be 1-\(maxStringLength) characters") }
        guard !name.hasPrefix("$") else { throw Problem("\(what) name '\(name)' must not start with '$'") }
        guard !name.hasPrefix("alias:") else { throw Problem("\(what) name '\(name)' is reserved (aliases are set with user_alias)") }
    }

    /// The operations one attribute's value asks for.
    static func operations(for name: String, _ raw: Any) throws(Problem) -> [AttributeOperation] {
        if isJSONNull(raw) { return [.unset] }
        if let object = raw as? [String: Any] {
            let keys = Set(object.keys)
            if keys == ["inc"] {
                guard let step = object["inc"], !isJSONBoolean(step), case .int(let value) = TemplateValue(jsonObject: step) else {
                    throw Problem("'\(name)': 'inc' must be an integer")
                }
                return [.increment(.int(value))]
            }
            if !keys.isEmpty, keys.isSubset(of: ["add", "remove"]) {
                var operations: [AttributeOperation] = []
                for key in ["add", "remove"] {
                    guard let value = object[key] else { continue }
                    guard let list = value as? [Any] else { throw Problem("'\(name)': '\(key)' must be an array") }
                    let elements = try list.map { element throws(Problem) in try arrayElement(name, element) }
                    operations.append(key == "add" ? .add(unique(elements)) : .remove(elements))
                }
                return operations
            }
            if let dollar = keys.first(where: { ["$add", "$remove", "$update"].contains($0) }) {
                throw Problem("'\(name)': '\(dollar)' (arrays of objects) is not supported; set the whole array instead")
            }
            if keys == ["$time"] {
                guard let text = object["$time"] as? String, ISOTime.milliseconds(text) != nil else {
                    throw Problem("'\(name)': '$time' must be an ISO 8601 date or time")
                }
                return [.set(.string(text))]
            }
        }
        return [.set(try value(for: name, raw))]
    }

    /// A plain value: checked against its standard field's format, or any JSON value within limits.
    static func value(for name: String, _ raw: Any) throws(Problem) -> TemplateValue {
        let value = TemplateValue(jsonObject: raw)
        if let standard = try standardValue(name, value) { return standard }
        switch value {
        case .string(let text):
            guard text.count <= maxStringLength else { throw Problem("'\(name)' is longer than \(maxStringLength) characters") }
        case .array(let elements):
            let checked = try elements.map { element throws(Problem) in try arrayElement(name, element) }
            guard checked.count <= Profiles.maxArrayLength else {
                throw Problem("'\(name)' has \(checked.count) elements; at most \(Profiles.maxArrayLength)")
            }
            let array = TemplateValue.array(unique(checked))
            guard array.json.utf8.count <= maxNestedBytes else { throw Problem("'\(name)' is larger than 100 KB") }
            return array
        case .object:
            guard value.json.utf8.count <= maxNestedBytes else { throw Problem("'\(name)' is larger than 100 KB") }
        case .null, .bool, .int, .double:
            break
        }
        return value
    }

    static func arrayElement(_ name: String, _ raw: Any) throws(Problem) -> TemplateValue {
        let value = raw as? TemplateValue ?? TemplateValue(jsonObject: raw)
        switch value {
        case .string(let text):
            guard text.count <= maxStringLength else { throw Problem("'\(name)' has an element longer than \(maxStringLength) characters") }
        case .null, .array: throw Problem("'\(name)' elements must be strings, numbers, booleans or objects")
        default: break
        }
        return value
    }

    /// Braze's arrays hold each value once.
    static func unique(_ values: [TemplateValue]) -> [TemplateValue] {
        var seen: [TemplateValue] = []
        for value in values where !seen.contains(value) { seen.append(value) }
        return seen
    }

    /// Braze's standard profile fields, checked and normalised; nil for other names.
    static func standardValue(_ name: String, _ value: TemplateValue) throws(Problem) -> TemplateValue? {
        func text() throws(Problem) -> String {
            guard case .string(let text) = value, !text.isEmpty, text.count <= maxStringLength else {
                throw Problem("'\(name)' must be a non-empty string of at most \(maxStringLength) characters")
            }
            return text
        }
        func letters(_ text: String, _ count: Int) -> Bool { text.count == count && text.allSatisfy { $0.isASCII && $0.isLetter } }
        switch name {
        case "first_name", "last_name", "home_city":
            return .string(try text())
        case "email":
            let email = try text()
            guard validEmail(email) else { throw Problem("'email' must be an email address") }
            return .string(email.lowercased())
        case "phone":
            guard let phone = normalizedPhone(try text()) else { throw Problem("'phone' must be a phone number such as +15551234567") }
            return .string(phone)
        case "country":
            let code = try text()
            guard letters(code, 2) else { throw Problem("'country' must be an ISO-3166-1 alpha-2 code such as FR") }
            return .string(code.uppercased())
        case "language":
            let code = try text()
            guard letters(code, 2) else { throw Problem("'language' must be an ISO-639-1 code such as fr") }
            return .string(code.lowercased())
        case "dob":
            let date = try text()
            guard date.count == 10, ISOTime.milliseconds(date) != nil else { throw Problem("'dob' must be a date as YYYY-MM-DD") }
            return .string(date)
        case "gender":
            let code = try text().uppercased()
            guard ["M", "F", "O", "N", "P"].contains(code) else { throw Problem("'gender' must be one of M, F, O, N, P (or null)") }
            return .string(code)
        case "time_zone":
            let zone = try text()
            guard TimeZone(identifier: zone) != nil else { throw Problem("'time_zone' must be an IANA time zone such as Europe/Paris") }
            return .string(zone)
        case "email_subscribe", "push_subscribe":
            let state = try text()
            guard ["opted_in", "subscribed", "unsubscribed"].contains(state) else {
                throw Problem("'\(name)' must be opted_in, subscribed or unsubscribed")
            }
            return .string(state)
        default:
            return nil
        }
    }

    static func eventObject(_ object: [String: Any], array: String, index: Int, now: Int64,
                            extra: Set<String> = []) throws(Problem) -> EventObject {
        let known = identifierKeys.union(["app_id", "name", "time", "properties"]).union(extra)
        if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
            throw Problem("'\(unknown)' is not a field of an \(array == "events" ? "event" : "purchase") object")
        }
        let (target, _) = try target(object)
        if let app = object["app_id"], !(app is String) { throw Problem("'app_id' must be a string") }
        var name = "purchase"
        if array == "events" {
            guard let text = object["name"] as? String else { throw Problem("'name' (a string) is required") }
            try checkName(text, what: "event")
            name = text
        }
        guard let text = object["time"] as? String, let time = ISOTime.milliseconds(text) else {
            throw Problem("'time' is required: an ISO 8601 date-time such as 2026-11-21T10:15:00Z")
        }
        var properties: [String: TemplateValue] = [:]
        if let raw = object["properties"], !isJSONNull(raw) {
            guard raw is [String: Any], case .object(let members) = TemplateValue(jsonObject: raw) else {
                throw Problem("'properties' must be an object")
            }
            for (key, value) in members {
                guard !key.isEmpty, key.count <= maxStringLength, !key.hasPrefix("$") else {
                    throw Problem("property names must be 1-\(maxStringLength) characters and not start with '$'")
                }
                guard key != "time", key != "event_name" else { throw Problem("'\(key)' is a reserved property name") }
                if case .string(let text) = value, text.count > maxStringLength {
                    throw Problem("property '\(key)' is longer than \(maxStringLength) characters")
                }
            }
            guard TemplateValue.object(members).json.utf8.count <= maxNestedBytes else { throw Problem("'properties' is larger than 100 KB") }
            properties = members
        }
        // Braze: events with a time in the future count as now.
        return EventObject(array: array, index: index, target: target, name: name, time: min(time, now), properties: properties)
    }

    static func purchaseObject(_ object: [String: Any], index: Int, now: Int64) throws(Problem) -> EventObject {
        var event = try eventObject(object, array: "purchases", index: index, now: now, extra: ["product_id", "currency", "price", "quantity"])
        guard let product = object["product_id"] as? String, !product.isEmpty, product.count <= maxStringLength else {
            throw Problem("'product_id' (a string of at most \(maxStringLength) characters) is required")
        }
        guard let currency = object["currency"] as? String, currency.count == 3, currency.allSatisfy({ $0.isASCII && $0.isLetter }) else {
            throw Problem("'currency' must be an ISO 4217 code such as USD")
        }
        guard let rawPrice = object["price"], !isJSONBoolean(rawPrice), let price = number(TemplateValue(jsonObject: rawPrice)), price >= 0 else {
            throw Problem("'price' (a number, 0 or more) is required")
        }
        var quantity: Int64 = 1
        if let raw = object["quantity"] {
            guard !isJSONBoolean(raw), case .int(let value) = TemplateValue(jsonObject: raw), (1...100).contains(value) else {
                throw Problem("'quantity' must be an integer from 1 to 100")
            }
            quantity = value
        }
        event.properties = ["product_id": .string(product), "currency": .string(currency.uppercased()), "price": .double(price),
                            "quantity": .int(quantity), "properties": .object(event.properties)]
        return event
    }

    static func number(_ value: TemplateValue) -> Double? {
        switch value {
        case .int(let int): Double(int)
        case .double(let double) where double.isFinite: double
        default: nil
        }
    }

    static func validEmail(_ text: String) -> Bool {
        guard text.count <= maxStringLength, let at = text.firstIndex(of: "@") else { return false }
        let local = text[..<at], domain = text[text.index(after: at)...]
        return !local.isEmpty && domain.contains(".") && !domain.hasPrefix(".") && !domain.hasSuffix(".")
            && !text.contains(where: { $0.isWhitespace }) && !domain.contains("@")
    }

    /// A phone number as `+` and digits (E.164), from `+1 (555) 123-4567`, `15551234567`,
    /// `whatsapp:+15551234567`...; nil when it is not one (7 to 15 digits).
    public static func normalizedPhone(_ text: String) -> String? {
        var body = Substring(text)
        if let colon = body.firstIndex(of: ":") { body = body[body.index(after: colon)...] }
        var digits = ""
        for character in body {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if !" -().+".contains(character) {
                return nil
            }
        }
        guard (7...15).contains(digits.count) else { return nil }
        return "+" + digits
    }

    // MARK: - Applying

    /// Applies a validated request in the caller's transaction; each object is all or nothing.
    public static func apply(_ request: Request, in db: Database, now: Int64) throws -> Outcome {
        var outcome = Outcome()
        outcome.errors = request.errors
        var users: [UserKey: Int64] = [:]
        func user(_ target: Target) throws -> Int64 {
            if let known = users[target.key] { return known }
            let found = try resolve(target, in: db, now: now)
            users[target.key] = found
            return found
        }
        for object in request.attributes {
            do {
                let id = try user(object.target)
                // Every value is worked out first, so an object that fails changes nothing
                // (no savepoint needed); then each attribute is written once, with its final value.
                var final: [String: TemplateValue?] = [:]
                for (name, operation) in object.operations {
                    var operation = operation
                    let current: TemplateValue?
                    if let known = final[name] {
                        current = known
                    } else if case .set = operation, !object.mergeObjects {
                        current = nil
                    } else if case .unset = operation {
                        current = nil
                    } else {
                        current = try Profiles.value(of: id, name, in: db)
                    }
                    if object.mergeObjects, case .set(.object(let patch)) = operation, case .object(let existing)? = current {
                        operation = .set(.object(merge(existing, patch)))
                    }
                    final[name] = .some(try Profiles.value(after: operation, on: current, name))
                }
                for name in final.keys.sorted() {
                    if let value = final[name] ?? nil {
                        try Profiles.set(id, name, value, source: "api", in: db, now: now)
                    } else {
                        try Profiles.unset(id, name, source: "api", in: db, now: now)
                    }
                }
                outcome.attributesProcessed += 1
            } catch let problem as Problem {
                outcome.errors.append(ObjectError(type: problem.message, inputArray: "attributes", index: object.index))
            } catch let failure as Profiles.Failure {
                outcome.errors.append(ObjectError(type: failure.description, inputArray: "attributes", index: object.index))
            }
        }
        for event in request.events + request.purchases {
            do {
                try Profiles.record(event: event.name, properties: event.properties, user: try user(event.target), source: "api",
                                    at: event.time, in: db)
                if event.array == "events" { outcome.eventsProcessed += 1 } else { outcome.purchasesProcessed += 1 }
            } catch let problem as Problem {
                outcome.errors.append(ObjectError(type: problem.message, inputArray: event.array, index: event.index))
            }
        }
        outcome.errors.sort { ($0.inputArray, $0.index) < ($1.inputArray, $1.index) }
        return outcome
    }

    /// Deep merge for `_merge_objects`: nested objects merge, anything else is replaced.
    static func merge(_ current: [String: TemplateValue], _ patch: [String: TemplateValue]) -> [String: TemplateValue] {
        var result = current
        for (key, value) in patch {
            if case .object(let inner) = value, case .object(let existing)? = result[key] {
                result[key] = .object(merge(existing, inner))
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// The user a target names, created when allowed; a `Problem` when it does not exist.
    static func resolve(_ target: Target, in db: Database, now: Int64) throws -> Int64 {
        if let found = try ProfileDirectory.user(target.key, in: db) { return found }
        guard !target.updateExistingOnly else {
            throw Problem("no user with \(target.key.description); send \"_update_existing_only\": false to create one")
        }
        return try ProfileDirectory.create(target.key, in: db, now: now)
    }
}
