import Foundation
import Testing
@testable import Templates

@Suite struct JSONSafetyTests {
    static let hostileStrings: [String] = [
        "",
        "plain",
        #"say "hi""#,
        #"back\slash and \" both"#,
        "line\nbreak",
        "carriage\r\nreturn",
        "tab\there",
        String((0x00...0x1f).map { Character(Unicode.Scalar(UInt8($0))) }),
        "\u{7f} delete",
        "line\u{2028}separator\u{2029}paragraph",
        "emoji 🙂 family 👨‍👩‍👧‍👦 flag 🇫🇷🇯🇵 skin 👍🏽",
        "مرحبا بالعالم",
        "\u{200f}שלום\u{200e} mixed עם English",
        "</script><script>alert(1)</script>",
        "{{ not a tag }} {% neither %} {{",
        "'single' \"double\" `back`",
        "\\u0041 is not an escape here",
        String(repeating: "long \"quoted\" line\n", count: 5_000),
        "nul\u{0}inside",
        "\u{feff}bom",
    ]

    @Test(arguments: hostileStrings)
    func jsonEscapeKeepsBodyValidAndRoundTrips(original: String) throws {
        let template = try Template(parsing: #"{"text":"{{ text | json_escape }}","name":"{{ name | json_escape }}"}"#)
        let body = template.render(["text": .string(original), "name": .string(original + "!")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        #expect(object["text"] == original)
        #expect(object["name"] == original + "!")
    }

    @Test(arguments: hostileStrings)
    func jsonFilterRoundTripsStrings(original: String) throws {
        let body = try render(#"{"text":{{ text | json }}}"#, ["text": .string(original)])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        #expect(object["text"] == original)
    }

    static let jsonEscapes: [(input: String, escaped: String)] = [
        (#"a"b"#, #"a\"b"#),
        (#"a\b"#, #"a\\b"#),
        ("a\nb\rc\td", #"a\nb\rc\td"#),
        ("\u{8}\u{c}", #"\b\f"#),
        ("\u{0}\u{1}\u{1f}", #"\u0000\u0001\u001f"#),
        ("\u{2028}\u{2029}", #"\u2028\u2029"#),
        ("\u{feff}", #"\ufeff"#),
        ("é🙂/<>", "é🙂/<>"),
    ]

    @Test(arguments: jsonEscapes)
    func jsonEscapeSpelling(input: String, escaped: String) throws {
        #expect(try render("{{ s | json_escape }}", ["s": .string(input)]) == escaped)
    }

    static let jsonValues: [(value: TemplateValue, json: String)] = [
        ("text", #""text""#),
        (#"q"b\n"#, #""q\"b\\n""#),
        (3, "3"),
        (-7, "-7"),
        (2.5, "2.5"),
        (3.0, "3.0"),
        (true, "true"),
        (false, "false"),
        (nil, "null"),
        ([1, "two", nil, [true]], #"[1,"two",null,[true]]"#),
        (["b": 1, "a": ["x": "y"], "c": []], #"{"a":{"x":"y"},"b":1,"c":[]}"#),
        ([:], "{}"),
        (.double(.infinity), "null"),
    ]

    @Test(arguments: jsonValues)
    func jsonFilter(value: TemplateValue, json: String) throws {
        let rendered = try render("{{ value | json }}", ["value": value])
        #expect(rendered == json)
        #expect(value.json == json)
        _ = try JSONSerialization.jsonObject(with: Data(rendered.utf8), options: [.fragmentsAllowed])
    }

    @Test(arguments: hostileStrings.prefix(16))
    func jsonFilterKeepsObjectsValid(original: String) throws {
        let value: TemplateValue = .object([original: .array([.string(original), 1, 2.5, nil, true])])
        let body = try render("{{ value | json }}", ["value": value])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: [Any]])
        #expect(object[original]?.first as? String == original)
    }

    @Test func missingValueIsJSONNull() throws {
        #expect(try render(#"{"x":{{ missing | json }}}"#) == #"{"x":null}"#)
    }

    @Test func jsonEscapeOfNonStrings() throws {
        #expect(try render("{{ n | json_escape }}|{{ missing | json_escape }}|{{ b | json_escape }}", ["n": 12, "b": true]) == "12||true")
    }
}
