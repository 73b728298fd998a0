import Foundation
import Storage
import Templates
import Testing
import TestSupport
@testable import Bridge

/// The escalation detectors as tables, with the shipped phrase lists (`prompts/*/escalation-phrases.txt`),
/// and the conversation state machine: every legal and illegal transition, on a real database.
@Suite struct EscalationTests {
    static let phrases: EscalationPhrases = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return EscalationPhrases.load(directory: url.appendingPathComponent("prompts").path)
    }()
    static let detector = EscalationDetector(phrases: phrases, fallbackPhrases: ["sorry, I didn't get that", "je n'ai pas compris"])

    @Test func everyShippedLocaleHasPhrasesAndNegatives() {
        for locale in ["en", "fr", "es", "de", "pt"] {
            #expect((Self.phrases.phrases[locale]?.count ?? 0) >= 10, "\(locale)")
            #expect((Self.phrases.negatives[locale]?.isEmpty ?? true) == false, "\(locale)")
        }
    }

    @Test(arguments: [
        // English
        ("I want to talk to a human", true), ("Can I speak to someone please?", true), ("AGENT", true), ("agent!!", true),
        ("I need a real person", true), ("customer service", true),
        ("my travel agent booked it", false), ("what is your user agent", false), ("agents of shield", false),
        ("where is my order", false), ("humanity", false), ("reagent", false),
        ("travel agent? no, an agent please", true),
        // French
        ("je veux parler à un conseiller", true), ("Je voudrais parler a quelqu'un", true), ("PARLER À UNE CONSEILLÈRE", true),
        ("un représentant svp", true), ("rappelez-moi", true),
        ("mon agent immobilier", false), ("je suis conseillère municipale", false), ("où est mon colis", false),
        // Spanish
        ("quiero hablar con una persona", true), ("¿puedo hablar con alguien?", true), ("atención al cliente", true),
        ("mi agente de viajes", false), ("dónde está mi pedido", false),
        // German
        ("ich möchte mit einem Menschen sprechen", true), ("Kundenservice bitte", true), ("mein Reiseagent", false),
        ("wo ist mein Paket", false),
        // Portuguese
        ("quero falar com uma pessoa", true), ("falar com alguém", true), ("atendimento humano", true),
        ("o meu agente de viagens", false), ("onde está a minha encomenda", false),
    ])
    func phrases(text: String, escalates: Bool) {
        let signal = Self.detector.inspect(text: text, postback: nil, previous: [])
        #expect((signal != nil) == escalates, "\(text)")
        if escalates { #expect(signal?.detector == "phrase") }
    }

    @Test func postbacksCommandsAndRepeats() {
        let d = Self.detector
        #expect(d.inspect(text: nil, postback: "LIVE_AGENT", previous: [])?.detector == "postback")
        #expect(d.inspect(text: "Talk to a person", postback: "live_agent", previous: [])?.detector == "postback")
        #expect(d.inspect(text: nil, postback: "MORE_INFO", previous: []) == nil)
        #expect(d.inspect(text: "/agent", postback: nil, previous: [])?.detector == "command")
        #expect(d.inspect(text: "/HELPME now", postback: nil, previous: [])?.detector == "command")
        #expect(d.inspect(text: "/start", postback: nil, previous: []) == nil)
        #expect(d.inspect(text: "where is it", postback: nil, previous: ["Where is it?", "where is it"])?.detector == "repeated_message")
        #expect(d.inspect(text: "where is it", postback: nil, previous: ["where is it"]) == nil)
        #expect(d.inspect(text: "where is it", postback: nil, previous: ["where is it", "hello", "where is it"]) == nil)
        let off = EscalationDetector.off
        #expect(off.inspect(text: "talk to a human", postback: "LIVE_AGENT", previous: ["talk to a human", "talk to a human"]) == nil)
        #expect(d.isFallback("Sorry, I didn't get that. Can you rephrase?"))
        #expect(d.isFallback("Désolé, je n’ai pas compris."))
        #expect(!d.isFallback("Your order ships today."))
    }

    @Test(arguments: TestBackend.allCases) func everyTransitionIsCheckedAndRecorded(_ backend: TestBackend) async throws {
        let directory = NSTemporaryDirectory() + "botbridge-states-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: try await backend.location(directory: directory), migrations: BridgeSchema.migrations))
        let legal: Set<String> = ["bot>queued", "bot>agent", "bot>closed", "queued>agent", "queued>bot", "queued>closed",
                                  "agent>bot", "agent>queued", "agent>closed"]
        var address = 0
        for from in ConversationState.allCases {
            for to in ConversationState.allCases {
                address += 1
                let (id, identity) = (Int64(address), "+3460000\(address)")
                let outcome: Result<ConversationState, ConversationStates.Failure> = try await pool.write { db in
                    try db.run("INSERT INTO users (id, created_at, updated_at) VALUES (?, 0, 0)", id)
                    try db.run("INSERT INTO identities (id, user_id, channel, address, created_at) VALUES (?, ?, 'wa', ?, 0)", id, id, identity)
                    try db.run("INSERT INTO conversations (id, public_id, channel, user_id, identity_id, state, created_at, updated_at) VALUES (?, ?, 'wa', ?, ?, ?, 0, 0)",
                               id, "conv_\(id)", id, id, from.rawValue)
                    do { return .success(try ConversationStates.move(id, to: to, reason: "test", in: db, now: 1)) } catch let failure as ConversationStates.Failure {
                        return .failure(failure)
                    }
                }
                let key = "\(from.rawValue)>\(to.rawValue)"
                let state = try await pool.read { db in try ConversationStates.state(of: id, in: db) }
                let events = try await pool.read { db in
                    try db.query("SELECT text, payload FROM messages WHERE conversation_id = ? AND type = 'state_changed'", id)
                }
                if legal.contains(key) {
                    #expect(try outcome.get() == from, "\(key)")
                    #expect(state == to, "\(key)")
                    #expect(events.count == 1 && events[0].string("payload")?.contains("\"to\":\"\(to.rawValue)\"") == true, "\(key)")
                } else {
                    #expect(throws: ConversationStates.Failure.self, "\(key)") { try outcome.get() }
                    #expect(state == from, "\(key) left the state alone")
                    #expect(events.isEmpty, "\(key) recorded nothing")
                }
            }
        }
        await pool.close()
    }

    @Test(arguments: TestBackend.allCases) func withoutAContactCenterAHandoffIsOnlyNotedAndTheBotKeepsTheConversation(_ backend: TestBackend) async throws {
        let directory = NSTemporaryDirectory() + "botbridge-nocc-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pool = try await DatabasePool.open(DatabaseConfiguration(location: try await backend.location(directory: directory), migrations: BridgeSchema.migrations))
        let started = try await pool.write { db -> Handoff.Started? in
            try db.run("INSERT INTO users (id, created_at, updated_at) VALUES (1, 0, 0)")
            try db.run("INSERT INTO identities (id, user_id, channel, address, created_at) VALUES (1, 1, 'wa', '+34600000001', 0)")
            try db.run("INSERT INTO conversations (id, public_id, channel, user_id, identity_id, created_at, updated_at) VALUES (1, 'conv_1', 'wa', 1, 1, 0, 0)")
            return try Handoff.start(conversationID: 1, signal: EscalationSignal(detector: "phrase", reason: "asked for a person"),
                                     configuration: GatewayConfiguration(), in: db, now: 1)
        }
        #expect(started == nil)
        #expect(try await pool.read { db in try ConversationStates.state(of: 1, in: db) } == .bot)
        #expect(try await pool.read { db in try db.scalar("SELECT count(*) FROM cases").int } == 0)
        #expect(try await pool.read { db in try db.scalar("SELECT count(*) FROM deliveries").int } == 0)
        let note = try await pool.read { db in try db.queryRow("SELECT type, text, payload FROM messages WHERE conversation_id = 1") }
        #expect(note?.string("type") == "handoff_request")
        #expect(note?.string("text") == "asked for a person")
        #expect(note?.string("payload")?.contains("no contact center configured") == true)
        await pool.close()
    }

    static let routing: Routing = {
        let json = #"""
        {"default_queue": "general",
         "rules": [{"queue": "vip", "attributes": {"tier": ["gold", "platinum"], "score": 1}},
                   {"queue": "billing-fr", "locale": "fr", "skills": ["Billing"]},
                   {"queue": "quebec", "locale": "fr-CA"},
                   {"queue": "wa-es", "locale": ["es", "pt"], "channel": "wa"}]}
        """#
        let object = try! JSONSerialization.jsonObject(with: Data(json.utf8))
        return try! GatewayConfiguration.loadRouting(object, contactCenters: [:])
    }()

    @Test(arguments: [
        ("fr", "wa", ["billing"], #"{}"#, "billing-fr", 1),
        ("fr-CA", "web", ["billing", "fr"], #"{}"#, "billing-fr", 1),
        ("fr-CA", "web", [], #"{}"#, "quebec", 2),
        ("fr", "web", [], #"{}"#, "general", nil),
        ("fr_BE", "web", ["billing"], #"{}"#, "billing-fr", 1),
        ("es-MX", "wa", [], #"{}"#, "wa-es", 3),
        ("es", "web", [], #"{}"#, "general", nil),
        ("en", "web", [], #"{"tier": "gold", "score": 1.0}"#, "vip", 0),
        ("en", "web", [], #"{"tier": "gold"}"#, "general", nil),
        ("en", "web", [], #"{"tier": "bronze", "score": 1}"#, "general", nil),
        ("fr", "wa", ["billing"], #"{"tier": "platinum", "score": 1}"#, "vip", 0),
    ] as [(String, String, [String], String, String, Int?)])
    func routingPicksTheFirstRuleThatHolds(locale: String, channel: String, skills: [String], attributes: String, queue: String, rule: Int?) throws {
        let profile = try TemplateValue(jsonData: Data(attributes.utf8))
        let decision = Self.routing.route(locale: locale, channel: channel, skills: skills, attributes: profile)
        #expect(decision.queue == queue)
        #expect(decision.rule == rule)
    }

    @Test func badRoutingIsAConfigurationErrorNamingTheField() {
        for (json, field) in [
            (#"{"rules": [{"queue": "a"}]}"#, "routing.rules[0]"),
            (#"{"rules": [{"locale": "fr"}]}"#, "routing.rules[0].queue"),
            (#"{"rules": [{"queue": "a", "locale": []}]}"#, "routing.rules[0].locale"),
            (#"{"rules": [{"queue": "a", "channel": "wa", "contact_center": "nope"}]}"#, "routing.rules[0].contact_center"),
            (#"{"rules": [{"queue": "a", "attributes": {"tier": {"x": 1}}}]}"#, "routing.rules[0].attributes.tier"),
            (#"{"rules": [{"queue": "a", "when": {}}]}"#, "routing.rules[0].when"),
            (#"{"default_queue": ""}"#, "routing.default_queue"),
            (#"{"queues": []}"#, "routing.queues"),
        ] {
            let object = try! JSONSerialization.jsonObject(with: Data(json.utf8))
            #expect { try GatewayConfiguration.loadRouting(object, contactCenters: [:]) } throws: { error in
                (error as? ConfigurationError)?.field == field
            }
        }
    }
}
