// render-load: template parse and render time (bench/render.sh runs it).
//
//   render-load [--home DIR] [--rounds R] [--seconds S] [--items N] [--set NAME --count C]
//
// 1. Collects the templates the gateway ships: every string holding `{{` or `{%` in
//    adapters/**/*.json and examples/*.json, and every prompts/<locale>/*.liquid, under DIR (the
//    working directory by default). A string that is not a template (an adapter's description
//    quoting one) is counted and left out.
// 2. Times parsing each set once per round, then rendering each set against one context shaped
//    like the ones Bridge builds (a message, a profile, bot settings, a handoff packet with a
//    20-line transcript and three suggestions), for S seconds per round (default 0.5).
// 3. Does the same for a loop-heavy template: a transcript of N lines (default 200) walked with
//    `forloop`, `if`/`case`, `assign`, `capture`, nested loops over tags and array filters.
// Each figure is the median over R rounds (default 7) of the mean time per render of the whole
// set. Everything is deterministic: the same templates and contexts every run. With --set (a
// prefix of a set's name: adapters, examples, prompts, loop) and --count, that set alone is
// rendered exactly C times and nothing is timed: a fixed amount of work for `perf stat` or
// valgrind, whose instruction counts do not move with the machine's load.
import Foundation
import Templates

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("render-load: \(message)\n".utf8))
    exit(64)
}

struct Options {
    static let usage = "usage: render-load [--home DIR] [--rounds R] [--seconds S] [--items N] [--set NAME --count C]"
    var home = FileManager.default.currentDirectoryPath
    var rounds = 7
    var seconds = 0.5
    var items = 200
    var set: String?
    var count = 0

    static func parse(_ arguments: [String]) -> Options? {
        var options = Options()
        var index = 0
        while index + 1 < arguments.count {
            let (name, value) = (arguments[index], arguments[index + 1])
            switch name {
            case "--home": options.home = value
            case "--rounds": options.rounds = Int(value) ?? 0
            case "--seconds": options.seconds = Double(value) ?? 0
            case "--items": options.items = Int(value) ?? 0
            case "--set": options.set = value
            case "--count": options.count = Int(value) ?? 0
            default: return nil
            }
            index += 2
        }
        guard index == arguments.count, options.rounds > 0, options.seconds > 0, options.items > 0,
              (options.set == nil) == (options.count == 0), options.count >= 0 else { return nil }
        return options
    }
}

// MARK: - Templates

/// One group of template sources, measured together.
struct TemplateSet {
    var name: String
    var sources: [String]
    var skipped = 0
}

func templateStrings(in value: Any, into sources: inout [String]) {
    switch value {
    case let string as String where string.contains("{{") || string.contains("{%"):
        sources.append(string)
    case let dictionary as [String: Any]:
        for key in dictionary.keys.sorted() { templateStrings(in: dictionary[key]!, into: &sources) }
    case let array as [Any]:
        for element in array { templateStrings(in: element, into: &sources) }
    default:
        break
    }
}

func files(under folder: URL, ending suffix: String) -> [URL] {
    guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
    return walker.compactMap { $0 as? URL }.filter { $0.lastPathComponent.hasSuffix(suffix) }
        .sorted { $0.path < $1.path }
}

func jsonTemplates(_ name: String, _ folder: URL) -> TemplateSet {
    var set = TemplateSet(name: name, sources: [])
    for file in files(under: folder, ending: ".json") {
        guard let data = FileManager.default.contents(atPath: file.path),
              let object = try? JSONSerialization.jsonObject(with: data) else { fail("cannot read \(file.path)") }
        templateStrings(in: object, into: &set.sources)
    }
    return set
}

func promptTemplates(_ folder: URL) -> TemplateSet {
    var set = TemplateSet(name: "prompts/", sources: [])
    for file in files(under: folder, ending: ".liquid") {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { fail("cannot read \(file.path)") }
        set.sources.append(text)
    }
    return set
}

/// A transcript walked the way a contact-center body or a digest would walk it, and more.
let loopHeavySource = """
    {% assign vip = tags | where: 'vip' | size %}{% capture header %}{{ user.name | default: 'guest' | upcase }} ({{ lines.size }} lines){% endcapture %}{{ header }}
    [{% for line in lines %}{% unless forloop.first %},{% endunless %}{"n":{{ forloop.index }},"of":{{ forloop.length }},\
    {% case line.author %}{% when 'user' %}"from":{{ user.name | json }}{% when 'agent' %}"from":"agent {{ line.agent | default: '?' }}"{% else %}"from":"bot"{% endcase %},\
    "text":"{{ line.text | truncate: 60 | json_escape }}","at":"{{ line.time | date: '%H:%M' }}",\
    "tags":[{% for tag in line.tags %}"{{ tag | downcase }}"{% unless forloop.last %},{% endunless %}{% endfor %}]\
    {% if line.score > 0.5 and line.author != 'bot' %},"flag":true{% elsif line.score == 0 %},"flag":null{% endif %}}\
    {% if forloop.index0 == limit %}{% break %}{% endif %}{% endfor %}]
    {% assign authors = lines | map: 'author' | uniq | sort | join: ', ' %}{{ authors }} {{ vip }}{% for i in (1..10) %}{{ i | times: 3 | modulo: 7 }}{% endfor %}
    """

// MARK: - Contexts

func transcript(_ count: Int) -> TemplateValue {
    let authors: [TemplateValue] = ["user", "bot", "agent", "user"]
    let words = ["order", "refund", "where", "is", "my", "parcel", "thanks", "\"quoted\"", "café", "now", "please", "help"]
    return .array((0..<count).map { index -> TemplateValue in
        let text = (0..<(5 + index % 11)).map { words[($0 * 7 + index) % words.count] }.joined(separator: " ")
        return [
            "seq": .int(Int64(index + 1)), "author": authors[index % authors.count], "text": .string(text),
            "time": .string("2026-03-0\(1 + index % 9)T10:\(10 + index % 50):00Z"), "agent": index % 3 == 0 ? "Ana" : nil,
            "score": .double(Double(index % 10) / 10), "tags": .array(["VIP", "Returns", "fr"].prefix(index % 4).map { .string($0) }),
        ]
    })
}

func context(items: Int) -> TemplateValue {
    let suggestions: TemplateValue = [
        ["title": "Where is my order?", "url": "https://help.example/orders", "excerpt": "Track your parcel from the link in the email."],
        ["title": "Refunds", "url": nil, "excerpt": "Refunds arrive within 5 days."],
        ["title": "Returns \"free\"", "url": "https://help.example/returns", "excerpt": "Print the label; drop it off."],
    ]
    let attributes: TemplateValue = ["language": "fr", "first_name": "Ada", "plan": "pro", "orders": 12, "vip": true]
    return [
        "conversation_id": "c_8f3a2b", "message_id": "m_19ad0c", "user_id": "u_42", "channel": "wa-main", "locale": "fr",
        "address": "whatsapp:+33612345678", "display_name": "Ada L.", "text": "Bonjour, où est ma commande \"A-1001\" ?",
        "postback": nil, "media": [], "media_url": nil, "to": "whatsapp:+33612345678", "status_url": "https://gw.example/channels/wa-main/status",
        "phone_number": "+33612345678", "first_name": "Ada", "standby": false, "attributes": attributes,
        "custom_attribute": attributes, "whats_app": ["inbound_message_body": "Bonjour"],
        "api_trigger_properties": ["external_system_msg_body": "Votre colis arrive demain."],
        "settings": [
            "api_base": "https://api.twilio.com", "account_sid": "AC123", "auth_token": "secret", "from": "whatsapp:+15551234567",
            "model": "gpt-4o-mini", "workspace_sid": "WS1", "workflow_sid": "WW1", "inbox_identifier": "inbox", "api_version": "v19.0",
        ],
        "system_prompt": "You are a helpful assistant for a shop.", "transcript": transcript(6).elementsAsTurns,
        "case_id": "case_77", "case_number": "77", "agent_name": "Ana", "back_to_bot": true,
        "user": ["id": "u_42", "name": "Ada L.", "attributes": attributes], "refs": ["ref": "CH123", "source_id": "s1"],
        "message": ["text": "Merci !", "suggestions": suggestions],
        "packet": [
            "reason": "asked for a human", "suggestions": suggestions, "transcript": transcript(20),
            "routing": ["channel": "wa-main", "locale": "fr", "queue": "support", "skills": ["fr", "returns"]],
        ],
        "article": suggestions[0] ?? nil, "suggestions": suggestions, "template": nil,
        "lines": transcript(items), "tags": [["vip": true], ["vip": false], ["vip": true]], "limit": .int(Int64(items)),
    ]
}

extension TemplateValue {
    /// Transcript lines as the OpenAI adapter's `turns` (`role`, `text`).
    var elementsAsTurns: TemplateValue {
        guard case .array(let lines) = self else { return [] }
        return .array(lines.map { line in ["role": line["author"] == "user" ? "user" : "assistant", "text": line["text"] ?? nil] })
    }

    subscript(index: Int) -> TemplateValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}

// MARK: - Timing

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// Mean nanoseconds per call of `body`, run for about `seconds`.
func timed(seconds: Double, _ body: () -> Int) -> (nanoseconds: Double, checksum: Int) {
    var calls = 0
    var checksum = 0
    let start = now()
    let budget = UInt64(seconds * 1e9)
    repeat {
        for _ in 0..<16 { checksum &+= body() }
        calls += 16
    } while now() - start < budget
    return (Double(now() - start) / Double(calls), checksum)
}

func format(_ nanoseconds: Double) -> String {
    nanoseconds >= 10_000 ? String(format: "%.1f µs", nanoseconds / 1000) : String(format: "%.2f µs", nanoseconds / 1000)
}

// MARK: - Main

guard let options = Options.parse(Array(CommandLine.arguments.dropFirst())) else { fail(Options.usage) }
let home = URL(fileURLWithPath: options.home)
var sets = [
    jsonTemplates("adapters/", home.appendingPathComponent("adapters")),
    jsonTemplates("examples/", home.appendingPathComponent("examples")),
    promptTemplates(home.appendingPathComponent("prompts")),
    TemplateSet(name: "loop-heavy (\(options.items) lines)", sources: [loopHeavySource]),
]
let renderContext = context(items: options.items)

if let name = options.set {
    guard let set = sets.first(where: { $0.name.hasPrefix(name) }) else { fail("no set named \(name)") }
    let parsed = set.sources.compactMap { try? Template(parsing: $0) }
    var bytes = 0
    for _ in 0..<options.count {
        for template in parsed { bytes &+= template.render(renderContext).utf8.count }
    }
    print("\(set.name): \(options.count) renders of \(parsed.count) templates, \(bytes) bytes")
    exit(0)
}

print("| set | templates | source bytes | output bytes | parse (set) | render (set) | renders/s (set) |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for index in sets.indices {
    var parsed: [Template] = []
    for source in sets[index].sources {
        if let template = try? Template(parsing: source) { parsed.append(template) } else { sets[index].skipped += 1 }
    }
    guard !parsed.isEmpty else { fail("no templates in \(sets[index].name)") }
    let sources = parsed.map(\.source)
    var parseTimes: [Double] = []
    var renderTimes: [Double] = []
    for _ in 0..<options.rounds {
        parseTimes.append(timed(seconds: options.seconds / 4) {
            sources.reduce(0) { total, source in total + ((try? Template(parsing: source)) == nil ? 0 : 1) }
        }.nanoseconds)
        renderTimes.append(timed(seconds: options.seconds) {
            parsed.reduce(0) { total, template in total + template.render(renderContext).utf8.count }
        }.nanoseconds)
    }
    let set = sets[index]
    let sourceBytes = sources.reduce(0) { $0 + $1.utf8.count }
    let outputBytes = parsed.reduce(0) { $0 + $1.render(renderContext).utf8.count }
    let skipped = set.skipped > 0 ? " (+\(set.skipped) not templates)" : ""
    let render = median(renderTimes)
    print("| \(set.name) | \(parsed.count)\(skipped) | \(sourceBytes) | \(outputBytes) | \(format(median(parseTimes))) | \(format(render)) | \(Int(1e9 / render)) |")
}
