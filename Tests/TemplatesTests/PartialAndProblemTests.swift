import Foundation
import Testing
@testable import Templates

@Suite struct PartialAndProblemTests {
    static func makePartials(_ sources: [String: String] = [
        "card": "[{{ card.title | default: title }}]",
        "greeting": "Hello {{ name }}{% assign greeted = true %}",
        "loop": "{% include 'loop' %}",
        "broken": "{{ 1 | divided_by: 0 }}",
    ]) throws -> TemplatePartials {
        try TemplatePartials(sources: sources)
    }

    // MARK: - Partials

    static let partialCases: [(template: String, expected: String)] = [
        ("{% include 'card' with product %}", "[Kettle]"),
        ("{% render 'card' with product %}", "[Kettle]"),
        ("{% render 'card', title: 'Pot' %}", "[Pot]"),
        ("{% render 'card' for products as card %}", "[A][B]"),
        ("{% include 'greeting' %}{% if greeted %}!{% endif %}", "Hello Ada!"),
        ("{% render 'greeting' %}{% if greeted %}!{% endif %}", "Hello "),
        ("{% assign which = 'card' %}{% include which, title: 'T' %}", "[T]"),
        ("{% include 'card.liquid', title: 'Ext' %}", "[Ext]"),
    ]

    @Test(arguments: partialCases)
    func partial(template: String, expected: String) throws {
        let context: TemplateValue = ["name": "Ada", "product": ["title": "Kettle"], "products": [["title": "A"], ["title": "B"]]]
        let rendering = try Template(parsing: template, partials: Self.makePartials()).rendering(context)
        #expect(rendering.output == expected)
        #expect(rendering.problems.isEmpty)
    }

    @Test func partialsComeFromAFolder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("partials-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("snippets"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Hi {{ who }}".write(to: folder.appendingPathComponent("hello.liquid"), atomically: true, encoding: .utf8)
        try "<{{ item }}>".write(to: folder.appendingPathComponent("snippets/item.liquid"), atomically: true, encoding: .utf8)
        try "not a partial".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        let partials = try TemplatePartials(folder: folder)
        #expect(Set(partials.templates.keys) == ["hello", "snippets/item"])
        let template = try Template(parsing: "{% render 'hello', who: 'you' %} {% render 'snippets/item' for list %}", partials: partials)
        #expect(template.render(["list": [1, 2]]) == "Hi you <1><2>")
    }

    @Test func aPartialThatDoesNotParseIsNamed() {
        #expect(throws: TemplateError(line: 2, column: 1, message: "partial 'bad': unclosed tag 'if'")) {
            try TemplatePartials(sources: ["fine": "x", "bad": "a\n{% if x %}"])
        }
    }

    @Test func withoutAFolderPartialsAreUnknownTags() {
        #expect(throws: TemplateError(line: 1, column: 4, message: "unknown tag 'render'")) {
            try Template(parsing: "{% render 'card' %}")
        }
        #expect(throws: TemplateError(line: 1, column: 11, message: "expected a quoted partial name, found 'card'")) {
            try Template(parsing: "{% render card %}", partials: try Self.makePartials())
        }
    }

    @Test func partialsThatDoNotEndAreStopped() throws {
        let rendering = try Template(parsing: "a{% include 'loop' %}b", partials: Self.makePartials()).rendering([:])
        #expect(rendering.output == "ab")
        #expect(rendering.problems.count == 1)
        #expect(rendering.problems.first?.message == "partials nested more than 64 deep")
    }

    @Test func problemsInPartialsHaveThePartialsPosition() throws {
        let template = try Template(parsing: "x\n{% render 'broken' %}{% include 'missing' %}", partials: Self.makePartials())
        let rendering = template.rendering([:])
        #expect(rendering.problems == [
            TemplateError(line: 1, column: 8, message: "filter 'divided_by': divided by 0"),
            TemplateError(line: 2, column: 22, message: "no partial named 'missing'"),
        ])
    }

    // MARK: - Problems while rendering

    static let problemCases: [(template: String, output: String, problem: TemplateError)] = [
        ("a\n  {{ n | divided_by: 0 | default: 'none' }}", "a\n  none", TemplateError(line: 2, column: 10, message: "filter 'divided_by': divided by 0")),
        ("{{ 'abc' | slice: 'x' }}", "abc", TemplateError(line: 1, column: 12, message: "filter 'slice': expected an integer, not a string")),
        ("{% if '2' > 1 %}y{% else %}n{% endif %}", "n", TemplateError(line: 1, column: 7, message: "cannot compare a string with a number using '>'")),
        ("{% for i in (1..3) limit: 'two' %}{{ i }}{% endfor %}", "123", TemplateError(line: 1, column: 1, message: "'limit' must be an integer, not a string")),
        ("{{ list | sort | join }}", "1 a", TemplateError(line: 1, column: 11, message: "filter 'sort': cannot sort values of different kinds")),
        ("{{ 'x' | base64_decode }}|", "|", TemplateError(line: 1, column: 10, message: "filter 'base64_decode': invalid base64")),
    ]

    @Test(arguments: problemCases)
    func problemIsReported(template: String, output: String, problem: TemplateError) throws {
        let rendering = try Template(parsing: template).rendering(["n": 4, "list": ["a", 1]])
        #expect(rendering.output == output)
        #expect(rendering.problems == [problem])
        #expect(!rendering.isAborted)
    }

    @Test func shippedTemplatesRenderWithoutProblems() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var checked = 0
        for folder in ["prompts"] {
            let walker = FileManager.default.enumerator(at: root.appendingPathComponent(folder).resolvingSymlinksInPath(), includingPropertiesForKeys: nil)
            while let file = walker?.nextObject() as? URL {
                guard file.pathExtension == "liquid" else { continue }
                let template = try Template(parsing: try String(contentsOf: file, encoding: .utf8))
                let rendering = template.rendering(["first_name": "Ada", "case_number": "7", "suggestions": [["title": "T", "url": "u"]]])
                #expect(rendering.problems.isEmpty, "\(file.lastPathComponent): \(rendering.problems)")
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}
