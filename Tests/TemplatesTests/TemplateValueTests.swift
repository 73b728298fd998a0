import Foundation
import Testing
@testable import Templates

@Suite struct TemplateValueTests {
    @Test func jsonDataKeepsIntegersAndBooleansApart() throws {
        let json = #"{"t":true,"f":false,"one":1,"zero":0,"half":2.5,"whole":3.0,"big":9223372036854775807,"huge":18446744073709551616,"neg":-5,"s":"x","n":null,"a":[1,true],"o":{"k":"v"}}"#
        let value = try TemplateValue(jsonData: Data(json.utf8))
        let expected: TemplateValue = [
            "t": true, "f": false, "one": 1, "zero": 0, "half": 2.5, "whole": 3.0,
            "big": .int(.max), "huge": .double(18446744073709551616), "neg": -5, "s": "x", "n": nil,
            "a": [1, true], "o": ["k": "v"],
        ]
        #expect(value == expected)
    }

    @Test func jsonDataFragments() throws {
        #expect(try TemplateValue(jsonData: Data("\"text\"".utf8)) == "text")
        #expect(try TemplateValue(jsonData: Data("true".utf8)) == true)
        #expect(try TemplateValue(jsonData: Data("1".utf8)) == 1)
        #expect(throws: (any Error).self) { try TemplateValue(jsonData: Data("{".utf8)) }
    }

    @Test func jsonObjectFromSwiftValues() {
        let object: [String: Any] = ["b": true, "i": 7, "d": 1.5, "s": "x", "a": [1, "y"], "n": NSNull()]
        let expected: TemplateValue = ["b": true, "i": 7, "d": 1.5, "s": "x", "a": [1, "y"], "n": nil]
        #expect(TemplateValue(jsonObject: object) == expected)
    }

    @Test func jsonRoundTripsThroughSerialization() throws {
        let value: TemplateValue = ["list": [1, 2.5, "three", nil, false], "nested": ["emoji": "🙂\n\u{2028}"]]
        #expect(try TemplateValue(jsonData: Data(value.json.utf8)) == value)
    }

    @Test func codableRoundTrip() throws {
        let value: TemplateValue = ["a": [1, 2.5, "s", true, nil], "b": ["c": -3]]
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(TemplateValue.self, from: data) == value)
    }

    static let renderings: [(value: TemplateValue, text: String)] = [
        (nil, ""),
        (true, "true"),
        (3, "3"),
        (-3, "-3"),
        (2.5, "2.5"),
        (3.0, "3.0"),
        (0.1, "0.1"),
        ("s", "s"),
        (["a", 1, nil, ["b"]], "a1b"),
        (["k": 1], #"{"k":1}"#),
    ]

    @Test(arguments: renderings)
    func rendersAsText(value: TemplateValue, text: String) throws {
        #expect(value.description == text)
        #expect(try render("{{ v }}", ["v": value]) == text)
    }

    @Test func truthiness() {
        #expect(!TemplateValue.null.isTruthy)
        #expect(!TemplateValue.bool(false).isTruthy)
        for value: TemplateValue in [true, 0, "", [], [:], 0.0] {
            #expect(value.isTruthy)
        }
    }
}
