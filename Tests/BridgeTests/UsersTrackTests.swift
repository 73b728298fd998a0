import Foundation
import Storage
import Templates
import Testing
import TestSupport
@testable import Bridge

/// `POST /users/track` validation and application on a real database, with the request bodies
/// of Braze's documentation (user attributes object, event object, purchase object pages).
@Suite struct UsersTrackTests {
    static let now: Int64 = 1_795_000_000_000  // 2026-11-19

    static func body(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    static func track(_ pool: DatabasePool, _ json: String, now: Int64 = now) async throws -> UsersTrack.Outcome {
        let request = try UsersTrack.parse(body(json), now: now)
        return try await pool.write { db in try UsersTrack.apply(request, in: db, now: now) }
    }

    static func attributes(_ pool: DatabasePool, _ externalID: String) async throws -> TemplateValue? {
        try await pool.read { db in
            guard let user = try ProfileDirectory.user(.externalID(externalID), in: db) else { return nil }
            return try Profiles.attributes(of: user, in: db)
        }
    }

    @Test(arguments: TestBackend.allCases) func brazeDocumentedAttributesObjectCreatesAndUpdatesAProfile(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            // Braze's example (user attributes object page), creating the user.
            let outcome = try await Self.track(pool, """
                {"attributes": [{"external_id": "user1", "_update_existing_only": false, "first_name": "Jon",
                  "has_profile_picture": true, "dob": "1988-02-14",
                  "music_videos_favorited": {"add": ["calvinharris-summer"], "remove": ["nickiminaj-anaconda"]}}]}
                """)
            #expect(outcome == UsersTrack.Outcome(attributesProcessed: 1))
            let profile = try #require(try await Self.attributes(pool, "user1"))
            #expect(profile["first_name"] == "Jon")
            #expect(profile["has_profile_picture"] == true)
            #expect(profile["dob"] == "1988-02-14")
            #expect(profile["music_videos_favorited"] == ["calvinharris-summer"])
            // Every write is recorded with its source.
            let writes = try await pool.read { db in
                try db.query("SELECT name, source FROM user_attribute_writes ORDER BY id").map { "\($0.string("name")!):\($0.string("source")!)" }
            }
            #expect(writes.sorted() == ["dob:api", "first_name:api", "has_profile_picture:api", "music_videos_favorited:api"])
        }
    }

    @Test(arguments: TestBackend.allCases) func incrementsCountFromZeroAndRefuseWhatIsNotANumber(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "u", "_update_existing_only": false, "plan": "gold"}]}"#)
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "u", "visits": {"inc": 1}}]}"#)
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "u", "visits": {"inc": 5}}, {"external_id": "u", "visits": {"inc": -2}}]}"#)
            #expect(try await Self.attributes(pool, "u")?["visits"] == 4)
            // Incrementing a string fails that object only, and leaves its other attributes untouched.
            let outcome = try await Self.track(pool, #"{"attributes": [{"external_id": "u", "plan": {"inc": 1}, "tier": 2}]}"#)
            #expect(outcome.attributesProcessed == 0)
            #expect(outcome.errors == [UsersTrack.ObjectError(type: Profiles.Failure.notANumber("plan").description, inputArray: "attributes", index: 0)])
            let profile = try await Self.attributes(pool, "u")
            #expect(profile?["plan"] == "gold")
            #expect(profile?["tier"] == nil)
            // inc takes integers only.
            let fractional = try await Self.track(pool, #"{"attributes": [{"external_id": "u", "visits": {"inc": 1.5}}]}"#)
            #expect(fractional.errors.first?.type == "'visits': 'inc' must be an integer")
        }
    }

    @Test(arguments: TestBackend.allCases) func arraysHoldEachValueOnceAndAddingMovesAValueToTheEnd(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "a", "_update_existing_only": false, "food": ["hotdog", "hotdog", "hotdog", "pizza"]}]}"#)
            #expect(try await Self.attributes(pool, "a")?["food"] == ["hotdog", "pizza"])
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "a", "food": {"add": ["hotdog", "taco"]}}]}"#)
            #expect(try await Self.attributes(pool, "a")?["food"] == ["pizza", "hotdog", "taco"])
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "a", "food": {"remove": ["pizza", "sushi"]}}]}"#)
            #expect(try await Self.attributes(pool, "a")?["food"] == ["hotdog", "taco"])
            // add and remove in one value; add to an absent attribute starts an array.
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "a", "food": {"add": ["ramen"], "remove": ["taco"]}, "tags": {"add": ["new"]}}]}"#)
            let profile = try await Self.attributes(pool, "a")
            #expect(profile?["food"] == ["hotdog", "ramen"])
            #expect(profile?["tags"] == ["new"])
            // null removes an attribute.
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "a", "tags": null}]}"#)
            #expect(try await Self.attributes(pool, "a")?["tags"] == nil)
            let unset = try await pool.read { db in try db.scalar("SELECT count(*) FROM user_attribute_writes WHERE name = 'tags' AND value IS NULL").int }
            #expect(unset == 1)
        }
    }

    @Test func seventySixObjectsAreRefusedWhole() async throws {
        let objects = (0..<76).map { #"{"external_id": "u\#($0)", "_update_existing_only": false, "n": \#($0)}"# }.joined(separator: ",")
        #expect(throws: UsersTrack.Fatal(message: "Max Input Length Exceeded", errors: ["'attributes' has 76 objects; at most 75 per request"])) {
            try UsersTrack.parse(Self.body(#"{"attributes": [\#(objects)]}"#), now: Self.now)
        }
        let exactly = (0..<75).map { #"{"external_id": "u\#($0)", "name": "x", "time": "2026-01-01T00:00:00Z"}"# }.joined(separator: ",")
        #expect(try UsersTrack.parse(Self.body(#"{"events": [\#(exactly)]}"#), now: Self.now).events.count == 75)
    }

    @Test(arguments: TestBackend.allCases) func mixedValidAndInvalidObjectsApplyTheValidOnes(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            let outcome = try await Self.track(pool, """
                {"attributes": [
                   {"external_id": "ok1", "_update_existing_only": false, "city": "Lyon"},
                   {"first_name": "nobody"},
                   {"external_id": "ok2", "_update_existing_only": false, "country": "France"},
                   "not an object",
                   {"external_id": "ok3", "_update_existing_only": false, "country": "fr", "language": "FR", "email": "Ana@Example.com"},
                   {"external_id": "ghost", "city": "Paris"},
                   {"braze_id": "5fcd", "city": "Nice"},
                   {"external_id": "ok4", "_update_existing_only": false, "$weird": 1}
                 ],
                 "events": [
                   {"external_id": "ok1", "name": "watched_trailer", "time": "2013-07-16T19:20:30+01:00"},
                   {"external_id": "ok1", "name": "no_time"},
                   {"external_id": "ok1", "name": "extra", "time": "2013-07-16T19:20:30Z", "colour": "red"},
                   {"external_id": "ok1", "name": "reserved", "time": "2013-07-16T19:20:30Z", "properties": {"time": 1}}
                 ],
                 "purchases": [
                   {"external_id": "ok1", "product_id": "backpack", "currency": "USD", "price": 40.00, "time": "2017-05-12T18:47:12Z",
                    "properties": {"color": "red"}},
                   {"external_id": "ok1", "product_id": "pencil", "currency": "dollars", "price": 1, "time": "2017-05-12T18:47:12Z"},
                   {"external_id": "ok1", "product_id": "pen", "currency": "USD", "price": 2, "quantity": 101, "time": "2017-05-12T18:47:12Z"}
                 ]}
                """)
            #expect(outcome.attributesProcessed == 2)
            #expect(outcome.eventsProcessed == 1)
            #expect(outcome.purchasesProcessed == 1)
            let failed = outcome.errors.map { "\($0.inputArray)[\($0.index)]" }
            #expect(failed == ["attributes[1]", "attributes[2]", "attributes[3]", "attributes[5]", "attributes[6]", "attributes[7]",
                               "events[1]", "events[2]", "events[3]", "purchases[1]", "purchases[2]"])
            let messages = outcome.errors.map(\.type)
            #expect(messages.contains("'external_id' or 'user_alias' or 'email' or 'phone' is required"))
            #expect(messages.contains("'country' must be an ISO-3166-1 alpha-2 code such as FR"))
            #expect(messages.contains("must be an object"))
            #expect(messages.contains("no user with external_id 'ghost'; send \"_update_existing_only\": false to create one"))
            #expect(messages.contains { $0.hasPrefix("'braze_id' is not supported") })
            #expect(messages.contains("attribute name '$weird' must not start with '$'"))
            #expect(messages.contains("'colour' is not a field of an event object"))
            #expect(messages.contains("'time' is a reserved property name"))
            #expect(messages.contains("'currency' must be an ISO 4217 code such as USD"))
            #expect(messages.contains("'quantity' must be an integer from 1 to 100"))
            // Standard fields are normalised; nothing of a refused object was stored.
            let ok3 = try await Self.attributes(pool, "ok3")
            #expect(ok3?["country"] == "FR")
            #expect(ok3?["language"] == "fr")
            #expect(ok3?["email"] == "ana@example.com")
            #expect(try await Self.attributes(pool, "ok2") == nil)
            #expect(try await Self.attributes(pool, "ghost") == nil)
            let events = try await pool.read { db in
                try db.query("SELECT name, properties, occurred_at FROM user_events ORDER BY id").map {
                    "\($0.string("name")!) \($0.string("properties")!) \($0.int64("occurred_at")!)"
                }
            }
            #expect(events == [
                #"watched_trailer {} 1373998830000"#,
                #"purchase {"currency":"USD","price":40.0,"product_id":"backpack","properties":{"color":"red"},"quantity":1} 1494614832000"#,
            ])
        }
    }

    @Test(arguments: TestBackend.allCases) func usersAreNamedByAliasEmailOrPhone(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            // Alias-only users are created only when asked (Braze: "_update_existing_only": false).
            let refused = try await Self.track(pool, #"{"attributes": [{"user_alias": {"alias_name": "device123", "alias_label": "my_device_identifier"}, "seen": true}]}"#)
            #expect(refused.attributesProcessed == 0)
            let created = try await Self.track(pool, """
                {"attributes": [{"user_alias": {"alias_name": "device123", "alias_label": "my_device_identifier"}, "_update_existing_only": false, "seen": true},
                                {"email": "Jane@Example.com", "_update_existing_only": false, "plan": "pro"},
                                {"phone": "+1 (504) 327-7269", "_update_existing_only": false, "plan": "basic"}]}
                """)
            #expect(created.attributesProcessed == 3)
            let again = try await Self.track(pool, """
                {"attributes": [{"user_alias": {"alias_name": "device123", "alias_label": "my_device_identifier"}, "visits": {"inc": 1}},
                                {"email": "jane@example.com", "visits": {"inc": 1}},
                                {"phone": "+15043277269", "visits": {"inc": 1}}],
                 "events": [{"email": "jane@example.com", "name": "logged_in", "time": "2022-12-06T19:20:45+01:00"}]}
                """)
            #expect(again == UsersTrack.Outcome(attributesProcessed: 3, eventsProcessed: 1))
            let users = try await pool.read { db in try db.scalar("SELECT count(*) FROM users").int }
            #expect(users == 3)
            let counts = try await pool.read { db in
                try db.query("SELECT value FROM user_attributes WHERE name = 'visits'").compactMap { $0.string("value") }
            }
            #expect(counts == ["1", "1", "1"])
        }
    }

    @Test(arguments: TestBackend.allCases) func nestedObjectsAreReplacedOrMergedOnRequest(_ backend: TestBackend) async throws {
        try await withPool(backend) { pool in
            _ = try await Self.track(pool, """
                {"attributes": [{"external_id": "n", "_update_existing_only": false,
                  "most_played_song": {"song_name": "Solea", "artist_name": "Miles Davis", "play_analytics": {"count": 1000, "top_10_listeners": true}}}]}
                """)
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "n", "_merge_objects": true, "most_played_song": {"year_released": 1960, "play_analytics": {"count": 1001}}}]}"#)
            #expect(try await Self.attributes(pool, "n")?["most_played_song"] == [
                "song_name": "Solea", "artist_name": "Miles Davis", "year_released": 1960,
                "play_analytics": ["count": 1001, "top_10_listeners": true],
            ])
            _ = try await Self.track(pool, #"{"attributes": [{"external_id": "n", "most_played_song": {"song_name": "So What"}}]}"#)
            #expect(try await Self.attributes(pool, "n")?["most_played_song"] == ["song_name": "So What"])
            let refused = try await Self.track(pool, #"{"attributes": [{"external_id": "n", "pets": {"$add": [{"id": 3}]}}]}"#)
            #expect(refused.errors.first?.type == "'pets': '$add' (arrays of objects) is not supported; set the whole array instead")
        }
    }

    @Test func wholeRequestProblemsAreFatal() {
        func fatal(_ json: String) -> String? {
            do { _ = try UsersTrack.parse(Self.body(json), now: Self.now); return nil } catch { return error.errors.first }
        }
        #expect(fatal("{}") == "nothing to track: give at least one object in attributes, events or purchases")
        #expect(fatal(#"{"attributes": []}"#) == "nothing to track: give at least one object in attributes, events or purchases")
        #expect(fatal(#"{"attributes": {"external_id": "x"}}"#) == "'attributes' must be an array of objects")
        #expect(fatal(#"{"atributes": [{"external_id": "x"}]}"#) == "'atributes' is not a field of /users/track (attributes, events, purchases)")
        // Events in the future count as now (Braze).
        let future = try? UsersTrack.parse(Self.body(#"{"events": [{"external_id": "x", "name": "e", "time": "2099-01-01T00:00:00Z"}]}"#), now: Self.now)
        #expect(future?.events.first?.time == Self.now)
    }

    @Test func timesAreReadInBrazesFormats() {
        #expect(ISOTime.milliseconds("2013-07-16T19:20:30+01:00") == 1_373_998_830_000)
        #expect(ISOTime.milliseconds("2013-07-16T19:20:30+1:00") == 1_373_998_830_000)
        #expect(ISOTime.milliseconds("2013-07-16T18:20:30:250Z") == 1_373_998_830_250)
        #expect(ISOTime.milliseconds("2013-07-16") == 1_373_932_800_000)
        #expect(ISOTime.milliseconds("yesterday") == nil)
        #expect(ISOTime.milliseconds("1373998830") == nil)
        #expect(UsersTrack.normalizedPhone("whatsapp:+34 600 111 222") == "+34600111222")
        #expect(UsersTrack.normalizedPhone("34600111222") == "+34600111222")
        #expect(UsersTrack.normalizedPhone("web_abc") == nil)
    }

    func withPool(_ backend: TestBackend, _ body: (DatabasePool) async throws -> Void) async throws {
        let directory = NSTemporaryDirectory() + "botbridge-track-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: try await backend.location(directory: directory), migrations: BridgeSchema.migrations))
        do { try await body(pool) } catch {
            await pool.close()
            throw error
        }
        await pool.close()
    }
}
