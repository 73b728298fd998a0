import Foundation
import Storage
import Templates
import Testing
import TestSupport
@testable import Bridge

/// What the gateway learns from chat on its own, through the ingest transaction on a real
/// database: standard attributes, events, and extraction rules — each write with its source.
@Suite struct EnrichmentTests {
    static func configuration(_ profiles: [String: Any]) throws -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.profiles = try ProfileSettings.load(profiles)
        return configuration
    }

    static var orderRule: [String: Any] { [
        "rules": [
            ["id": "order", "pattern": #"(?:order|commande)\D{0,40}?\b(?<order_id>\d{6,10})\b"#],
            ["id": "plan", "from": "postback", "pattern": #"^PLAN_(?<plan>[A-Z]+)$"#, "case_sensitive": true],
            ["id": "age", "pattern": #"\bI am (?<age>\d{1,3}) years\b"#, "type": "number"],
        ],
    ] }

    static func ingest(_ pool: DatabasePool, _ form: String, configuration: GatewayConfiguration, now: Int64) async throws {
        let items = try IngestTests.items(form)
        _ = try await pool.write { db in
            try Ingest.apply(items, channel: "wa", statusWords: IngestTests.twilio.statuses, router: IngestTests.route,
                             configuration: configuration, in: db, now: now)
        }
    }

    static func writes(_ pool: DatabasePool) async throws -> [String] {
        try await pool.read { db in
            try db.query("SELECT name, value, source FROM user_attribute_writes ORDER BY id").map {
                "\($0.string("name")!)=\($0.string("value") ?? "null") (\($0.string("source")!))"
            }
        }
    }

    @Test(arguments: TestBackend.allCases) func rulesReadAttributesFromMessagesAndPostbacks(_ backend: TestBackend) async throws {
        let configuration = try Self.configuration(Self.orderRule)
        try await IngestTests().withPool(backend) { pool in
            try await Self.ingest(pool, IngestTests.message("SM1", body: "Hi%2C+my+ORDER+number+is+12345678%2C+I+am+42+years+old") + "&FromCountry=es",
                                  configuration: configuration, now: 1_000)
            try await Self.ingest(pool, IngestTests.message("SM2", body: "ma+commande+n%C2%B0+1234567") + "&ButtonPayload=PLAN_GOLD",
                                  configuration: configuration, now: 2_000)
            try await Self.ingest(pool, IngestTests.message("SM3", body: "order+12345+is+too+short") + "&ButtonPayload=plan_gold",
                                  configuration: configuration, now: 3_000)
            let writes = try await Self.writes(pool)
            #expect(writes == [
                #"first_name="Ana" (channel:wa)"#, #"phone="+34600111222" (channel:wa)"#, #"country="ES" (channel:wa)"#,
                #"last_chat_at="1970-01-01T00:00:01.000Z" (system)"#, #"last_channel="wa" (system)"#, "chat_message_count=1 (system)",
                #"order_id="12345678" (rule:order)"#, "age=42 (rule:age)",
                #"last_chat_at="1970-01-01T00:00:02.000Z" (system)"#, "chat_message_count=2 (system)",
                #"order_id="1234567" (rule:order)"#, #"plan="GOLD" (rule:plan)"#,
                #"last_chat_at="1970-01-01T00:00:03.000Z" (system)"#, "chat_message_count=3 (system)",
            ])
            let events = try await pool.read { db in try db.query("SELECT name, source FROM user_events").map { "\($0.string("name")!) \($0.string("source")!)" } }
            #expect(events == ["chat_started system"])
        }
    }

    @Test(arguments: TestBackend.allCases) func standardAttributesAndEventsCanBeTurnedOff(_ backend: TestBackend) async throws {
        var settings = Self.orderRule
        settings["standard_attributes"] = false
        settings["events"] = false
        let configuration = try Self.configuration(settings)
        try await IngestTests().withPool(backend) { pool in
            try await Self.ingest(pool, IngestTests.message("SM1", body: "order+98765432"), configuration: configuration, now: 1_000)
            #expect(try await Self.writes(pool) == [#"order_id="98765432" (rule:order)"#])
            #expect(try await IngestTests.count(pool, "user_events") == 0)
        }
    }

    @Test func aSurveyAnswerIsTheLastCSAT() {
        #expect(Enrichment.csat("CSAT_4") == 4)
        #expect(Enrichment.csat("csat:5") == 5)
        #expect(Enrichment.csat("CSAT_6") == nil)
        #expect(Enrichment.csat("CSAT_") == nil)
        #expect(Enrichment.language(ofLocale: "fr-CA") == "fr")
        #expect(Enrichment.language(ofLocale: "pt_BR") == "pt")
        #expect(Enrichment.language(ofLocale: "yue-HK") == nil)
    }

    @Test func badRulesAreConfigurationErrorsThatNameTheField() {
        func error(_ rules: [[String: Any]]) -> String? {
            do { _ = try ProfileSettings.load(["rules": rules]); return nil } catch { return error.description }
        }
        #expect(error([["id": "x", "pattern": #"\d+"#]]) == #"'profiles.rules[0].pattern' needs at least one named group, such as (?<order_id>\d{6,10}): its name is the attribute"#)
        #expect(error([["id": "x", "pattern": #"(?<a>[)"#]]) == "'profiles.rules[0].pattern' is not a valid regular expression (ICU syntax)")
        #expect(error([["id": "x", "from": "bot", "pattern": "(?<a>.)"]]) == "'profiles.rules[0].from' must be message or postback")
        #expect(error([["id": "x", "pattern": "(?<a>.)"], ["id": "x", "pattern": "(?<b>.)"]]) == "'profiles.rules[1].id' repeats 'x'")
        #expect(error([["id": "x", "pattern": "(?<a>.)", "typo": 1]])?.hasPrefix("'profiles.rules[0].typo' is not a known field") == true)
    }

    @Test func groupNamesWithUnderscoresSurviveICU() throws {
        let (pattern, names) = ExtractionRule.renameGroups(#"(?<=x)(?<order_id>\d+)\(?<not_a_group>(?<b2>.)"#)
        #expect(pattern == #"(?<=x)(?<g0>\d+)\(?<not_a_group>(?<g1>.)"#)
        #expect(names == ["order_id", "b2"])
        let rule = try ExtractionRule(id: "r", pattern: #"(?<first_word>\w+) (?<second_word>\w+)"#)
        #expect(rule.extract(from: "héllo wörld").map { "\($0.name)=\($0.value)" } == ["first_word=héllo", "second_word=wörld"])
    }
}
