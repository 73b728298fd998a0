import Foundation
import Testing
@testable import Templates

/// Every case of golden-liquid (github.com/jg-rp/golden-liquid, MIT, vendored in
/// `GoldenLiquid/`), the conformance suite for standard Liquid whose cases all pass on Shopify's
/// reference implementation. A case renders its `template` against its `data` and must give its
/// `result` (or one of its `results`); an `invalid` case must fail to parse or report a problem
/// while rendering (rendering itself never fails). Cases with partial templates (`include`,
/// `render`) get them as a `TemplatePartials` library, as from a template folder.
@Suite struct GoldenLiquidTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var template: String
        var data: TemplateValue
        /// Acceptable outputs; empty for an invalid case.
        var results: [String]
        var invalid: Bool
        /// Partial templates by name, for `include` and `render`.
        var partials: [String: String]

        var testDescription: String { name }
    }

    /// What botbridge does instead of what the suite expects, and why.
    struct Deviation: Sendable {
        /// The output botbridge renders (or nil: it fails to parse).
        var renders: String?
        var reason: String
    }

    static let hashOrder = """
        objects are unordered in TemplateValue (Bridge builds them as Swift dictionaries), so \
        iterating one lists its keys sorted, where Liquid keeps insertion order
        """

    /// The deliberate deviations, by case name: a short list, each with its reason.
    static let deviations: [String: Deviation] = [
        "tags, for, simple hash loop": Deviation(renders: "description bar title foo ", reason: hashOrder),
        "filters, compact, array of objects with key property": Deviation(
            renders: "(name,a)(title,foo)(name,c)(title,bar)", reason: hashOrder),
        "filters, uniq, array of objects with key property": Deviation(
            renders: "(name,a)(title,foo)(name,c)(title,bar)", reason: hashOrder),
        "filters, uniq, array of objects with missing key property": Deviation(
            renders: "(name,a)(title,foo)(name,c)(title,bar)(heading,bar)(name,c)", reason: hashOrder),
        "filters, reject, input is a hash, default value, nil match": Deviation(
            renders: "(bar,), (baz,3), (foo,1), ", reason: hashOrder),
        "filters, reject, input is a hash, default value, no match": Deviation(
            renders: "(bar,2), (baz,3), (foo,1), ", reason: hashOrder),
        "filters, reject, input is a hash, explicit nil match": Deviation(
            renders: "(bar,), (baz,3), (foo,1), ", reason: hashOrder),
        "filters, reject, input is a hash, int value, no match": Deviation(
            renders: "(bar,2), (baz,3), (foo,1), ", reason: hashOrder),
        "output, chained identifier dot separated index": Deviation(
            renders: "shoe",
            reason: "`a.0` indexes an array, as Liquid's lax mode and botbridge always have (strict Liquid wants `a[0]`)"),
        "tags, case, unexpected when token": Deviation(
            renders: nil,
            reason: """
                `when 'a' and 'b'` is a parse error, as in Liquid's strict2 mode (the case after this \
                one): lax mode silently reads only `'a'`
                """),
    ]

    static let cases: [Case] = load()

    static func load() -> [Case] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("GoldenLiquid/golden_liquid.json")
        guard let data = FileManager.default.contents(atPath: url.path),
              let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let tests = root["tests"] as? [[String: Any]]
        else { return [] }
        return tests.map { test in
            Case(name: test["name"] as? String ?? "?", template: test["template"] as? String ?? "",
                 data: TemplateValue(jsonObject: test["data"] ?? [String: Any]()),
                 results: test["results"] as? [String] ?? (test["result"] as? String).map { [$0] } ?? [],
                 invalid: test["invalid"] as? Bool ?? false,
                 partials: test["templates"] as? [String: String] ?? [:])
        }
    }

    @Test func partialsNeedATemplateFolder() throws {
        let withPartials = Self.cases.filter { !$0.partials.isEmpty }
        #expect(withPartials.count == 34)
        for test in withPartials {
            #expect(throws: TemplateError.self, "\(test.name) parsed without partials") { try Template(parsing: test.template) }
        }
    }

    @Test func suiteIsLoaded() {
        #expect(Self.cases.count == 1054)
        let names = Set(Self.cases.map(\.name))
        #expect(names.count == Self.cases.count)
        for name in Self.deviations.keys { #expect(names.contains(name), "deviation for a case that is not in the suite: \(name)") }
    }

    @Test(arguments: cases)
    func conforms(_ test: Case) throws {
        let template: Template
        do {
            let partials = test.partials.isEmpty ? nil : try TemplatePartials(sources: test.partials)
            template = try Template(parsing: test.template, partials: partials)
        } catch {
            if let deviation = Self.deviations[test.name] {
                #expect(deviation.renders == nil, "parse error instead of the documented \(deviation.renders ?? ""): \(error)")
            } else {
                #expect(test.invalid, "parse error: \(error)")
            }
            return
        }
        let rendering = template.rendering(test.data)
        if let deviation = Self.deviations[test.name] {
            #expect(rendering.output == deviation.renders, "the documented deviation changed: \(deviation.reason)")
        } else if test.invalid {
            #expect(!rendering.problems.isEmpty, "invalid in Liquid, but parsed and rendered \(rendering.output.debugDescription)")
        } else {
            #expect(test.results.contains(rendering.output), "expected \(test.results.map(\.debugDescription).joined(separator: " or "))")
            #expect(rendering.problems.isEmpty, "problems: \(rendering.problems)")
        }
    }
}
