import Testing
@testable import Templates

@Suite struct RenderSafetyTests {
    static let context: TemplateValue = [
        "word": "abc", "number": 10, "list": [1, 2], "object": ["k": "v"], "flag": true, "nothing": nil,
        "huge": 1e300,
    ]

    /// Wrong types and missing values: every one renders, none crashes.
    static let cases: [(template: String, expected: String)] = [
        ("{{ missing }}", ""),
        ("[{{ missing.deeper[3].still }}]", "[]"),
        ("{{ nothing }}", ""),
        ("{{ word | plus: 1 }}", "1"),  // text that is not a number counts as 0, as in Liquid
        ("{{ number | plus: 'x' }}", "10"),
        ("{{ flag | times: 2 }}", "0"),
        ("{{ number | divided_by: 0 }}", ""),
        ("{{ number | divided_by: 0 | default: 'n/a' }}", "n/a"),
        ("{{ 10.5 | divided_by: 0.0 }}", ""),
        ("{{ number | modulo: 0 }}", ""),
        ("{{ -9223372036854775808 | divided_by: -1 }}", "9.223372036854776e+18"),
        ("{{ -9223372036854775808 | abs }}", "9.223372036854776e+18"),
        ("{{ 9223372036854775807 | times: 2 }}", "1.8446744073709552e+19"),
        ("{{ 'garbage' | date: '%Y' }}", "garbage"),
        ("{{ '2024-13-45' | date: '%Y' }}", "2024-13-45"),
        ("{{ nothing | date: '%Y' }}", ""),
        ("{{ list | date: '%Y' }}", "12"),
        ("{{ huge | date: '%Y' }}", "1e+300"),
        ("{{ word | round: 'x' }}", "0"),
        ("{{ word | abs }}{{ word | ceil }}{{ word | floor }}", "000"),
        ("{{ number | upcase }}", "10"),
        ("{{ object | upcase }}", #"{"K":"V"}"#),
        ("{{ number | split: ',' | size }}", "1"),
        ("{{ number | join: ',' }}", "10"),
        ("{{ number | sort | first }}", "10"),
        ("{{ word | map: 'x' | size }}", "1"),
        ("{{ number | where: 'x' | size }}", "0"),
        ("{{ word | truncate: 'x' }}", "abc"),
        ("{{ word | truncate: -5 }}", "..."),
        ("{{ word | slice: 'x' }}", "abc"),
        ("{{ word | slice: 1, -1 }}", ""),
        ("{{ word | truncate: -9223372036854775808 }}", "..."),
        ("{{ word | truncatewords: -9223372036854775808 }}", "abc"),
        ("{{ word | slice: -9223372036854775808, 9223372036854775807 }}", ""),
        ("{{ word | slice: 0, 9223372036854775807 }}", "abc"),
        ("{{ list | slice: -9223372036854775808 | size }}", "0"),
        ("{{ 2.5 | round: 9223372036854775807 }}", "2.5"),
        ("{{ 2.5 | round: -9223372036854775808 }}", "0"),
        ("{% for x in list offset: 9223372036854775807 limit: 9223372036854775807 %}{{ x }}{% else %}none{% endfor %}", "none"),
        ("{% for x in list limit: 9223372036854775807 %}{{ x }}{% endfor %}", "12"),
        ("{% for i in (-9223372036854775808..-9223372036854775807) %}{{ i }},{% endfor %}", "-9223372036854775808,-9223372036854775807,"),
        ("{% for i in (9223372036854775806..9223372036854775807) %}{{ i }},{% endfor %}", "9223372036854775806,9223372036854775807,"),
        ("{{ 'not base64!' | base64_decode }}", ""),
        ("{{ nothing | escape }}{{ nothing | url_encode }}", ""),
        ("{{ word | hmac_sha256: nothing }}", "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351"),
        ("{% for x in number %}{{ x }}{% endfor %}", ""),  // a number is not a collection, as in Liquid
        ("{% for x in list limit: 'x' %}{{ x }}{% endfor %}", "12"),
        ("{% for x in list offset: 99 %}{{ x }}{% else %}none{% endfor %}", "none"),
        ("{% for x in list limit: -1 %}{{ x }}{% else %}none{% endfor %}", "none"),
        ("{% if list > 1 %}x{% else %}y{% endif %}", "y"),
        ("{% if word contains nothing %}x{% else %}y{% endif %}", "y"),
        ("{% if number contains 1 %}x{% else %}y{% endif %}", "y"),
        ("{{ list[word] }}{{ object[number] }}{{ word[0] }}", ""),
        ("{% assign x = missing | plus: 2 %}{{ x }}", "2"),
    ]

    @Test(arguments: cases)
    func rendersWithoutCrashing(template: String, expected: String) throws {
        #expect(try render(template, Self.context) == expected)
    }

    @Test func nonObjectContextRendersOnlyLiterals() throws {
        #expect(try render("[{{ x }}]{{ 'ok' }}", "a string") == "[]ok")
        #expect(try render("[{{ x }}]", nil) == "[]")
        #expect(try render("[{{ x }}]", [1, 2]) == "[]")
    }

    @Test func everyFilterToleratesEveryKindOfValue() throws {
        let inputs: [TemplateValue] = [nil, true, 0, -1, 2.5, .double(.nan), .double(-.infinity), "", "x y", [], [nil, 1, "a"], [:], ["a": 1]]
        for filter in TemplateFilter.allCases {
            for arity in filter.arity {
                for argument in inputs {
                    let arguments = Array(repeating: argument, count: arity)
                    for input in inputs {
                        _ = filter.apply(to: input, arguments, options: [:]).description
                    }
                }
            }
        }
    }
}
