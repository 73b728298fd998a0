import Testing
@testable import Templates

@Suite struct FilterTests {
    typealias Case = (template: String, expected: String)

    static let context: TemplateValue = [
        "name": "ada lovelace", "title": "  Padded  ", "html": "<b>\"Tom\" & 'Jerry'</b>",
        "items": ["b", "a", "c", "a"], "numbers": [3, 1, 2], "mixed": [2, "b", nil, 1, "a"],
        "people": [
            ["name": "Bo", "age": 30, "vip": true],
            ["name": "Al", "age": 25, "vip": false],
            ["name": "Cy", "age": 35],
        ],
        "nested": [[1, 2], [3, [4]]], "nils": ["a", nil, "b", nil],
        "empty_list": [], "empty_string": "", "no": false, "zero": 0, "ts": 1_700_000_000,
        "multiline": "a\nb\r\nc",
    ]

    // Published Liquid and Braze examples, pinned.
    static let published: [Case] = [
        ("{{ 10 | divided_by: 4 }}", "2"),
        ("{{ 10.0 | divided_by: 4 }}", "2.5"),
        ("{{ 16 | divided_by: 4 }}", "4"),
        ("{{ 20 | divided_by: 7.0 }}", "2.857142857142857"),
        ("{{ \"Ground control to Major Tom.\" | truncate: 20 }}", "Ground control to..."),
        ("{{ \"Ground control to Major Tom.\" | truncate: 25, \", and so on\" }}", "Ground control, and so on"),
        ("{{ \"Ground control to Major Tom.\" | truncate: 20, \"\" }}", "Ground control to Ma"),
        ("{{ \"a,b,c\" | split: \",\" | join: \"-\" }}", "a-b-c"),
        ("{{ 1700000000 | date: \"%Y-%m-%d %H:%M:%S\" }}", "2023-11-14 22:13:20"),
        ("{{ \"hello\" | sha2 }}", "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        ("{{ \"message\" | hmac_sha256_base64: \"secret\" }}", "i19IcCmVwVmMVz2x4hhmqbgl1KeU0WnXBgoDYFeWNgs="),
        ("{{ \"message\" | hmac_sha256: \"secret\" }}", "8b5f48702995c1598c573db1e21866a9b825d4a794d169d7060a03605796360b"),
        ("{{ \"message\" | hmac_sha1: \"secret\" }}", "0caf649feee4953d87bf903ac1176c45e028df16"),
        ("{{ \"hello\" | sha1 }}", "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("{{ 183.357 | round: 2 }}", "183.36"),
        ("{{ 1.2 | round }}", "1"),
        ("{{ 2.7 | round }}", "3"),
        ("{{ 1.2 | ceil }}", "2"),
        ("{{ \"3.5\" | ceil }}", "4"),
        ("{{ 1.2 | floor }}", "1"),
        ("{{ -17 | abs }}", "17"),
        ("{{ \"-19.86\" | abs }}", "19.86"),
        ("{{ 4 | plus: 2 }}", "6"),
        ("{{ 183.357 | plus: 12 }}", "195.357"),
        ("{{ 4 | minus: 2 }}", "2"),
        ("{{ 3 | times: 2 }}", "6"),
        ("{{ 24 | times: 7 }}", "168"),
        ("{{ 3 | modulo: 2 }}", "1"),
        ("{{ 183.357 | modulo: 12 }}", "3.357"),
        ("{{ 0.1 | plus: 0.2 }}", "0.3"),
        ("{{ 1.1 | times: 3 }}", "3.3"),
        ("{{ 10 | minus: 0.3 }}", "9.7"),
        ("{{ \"Parker Moore\" | capitalize }}", "Parker moore"),
        ("{{ \"Take my protein pills and put my helmet on\" | replace: \"my\", \"your\" }}", "Take your protein pills and put your helmet on"),
        ("{{ \"Take my protein pills and put my helmet on\" | replace_first: \"my\", \"your\" }}", "Take your protein pills and put my helmet on"),
        ("{{ \"Take my protein pills and put my helmet on\" | replace_last: \"my\", \"your\" }}", "Take my protein pills and put your helmet on"),
        ("{{ \"I strained to see the train through the rain\" | remove: \"rain\" }}", "I sted to see the t through the "),
        ("{{ \"I strained to see the train through the rain\" | remove_first: \"rain\" }}", "I sted to see the train through the rain"),
        ("{{ \"Ground control to Major Tom.\" | truncatewords: 3 }}", "Ground control to..."),
        ("{{ \"%27Stop%21%27+said+Fred\" | url_decode }}", "'Stop!' said Fred"),
        ("{{ \"john@liquid.com\" | url_encode }}", "john%40liquid.com"),
        ("{{ \"Tetsuro Takara\" | url_encode }}", "Tetsuro+Takara"),
        ("{{ \"<hello> & <shopify>\" | url_escape }}", "%3Chello%3E%20&%20%3Cshopify%3E"),
        ("{{ \"Have you read 'James & the Giant Peach'?\" | escape }}", "Have you read &#39;James &amp; the Giant Peach&#39;?"),
        ("{{ \"1 &lt; 2 &amp; 3\" | escape_once }}", "1 &lt; 2 &amp; 3"),
        ("{{ \"one & two\" | base64_encode }}", "b25lICYgdHdv"),
        ("{{ \"b25lICYgdHdv\" | base64_decode }}", "one & two"),
        ("{{ \"Liquid\" | slice: 0 }}", "L"),
        ("{{ \"Liquid\" | slice: 2, 5 }}", "quid"),
        ("{{ \"Liquid\" | slice: -3, 2 }}", "ui"),
        ("{{ 4 | at_least: 5 }}{{ 4 | at_least: 3 }}", "54"),
        ("{{ 4 | at_most: 5 }}{{ 4 | at_most: 3 }}", "43"),
    ]

    @Test(arguments: published)
    func publishedExample(template: String, expected: String) throws {
        #expect(try render(template, Self.context) == expected)
    }

    static let strings: [Case] = [
        ("{{ name | upcase }}", "ADA LOVELACE"),
        ("{{ 'ÉCOLE' | downcase }}", "école"),
        ("{{ name | capitalize }}", "Ada lovelace"),
        ("[{{ title | strip }}][{{ title | lstrip }}][{{ title | rstrip }}]", "[Padded][Padded  ][  Padded]"),
        ("{{ name | append: '!' | prepend: '> ' }}", "> ada lovelace!"),
        ("{{ name | size }}", "12"),
        ("{{ '👨‍👩‍👧‍👦🇫🇷' | size }}", "2"),
        ("{{ 'ab👨‍👩‍👧‍👦cdef' | truncate: 6 }}", "ab👨‍👩‍👧‍👦..."),
        ("{{ '👨‍👩‍👧‍👦🇫🇷🙂x' | truncate: 3, '…' }}", "👨‍👩‍👧‍👦🇫🇷…"),
        ("{{ 'short' | truncate }}", "short"),
        ("{{ 'abc' | truncate: 2, 'long ellipsis' }}", "long ellipsis"),
        ("{{ 'a b c' | truncatewords: 5 }}", "a b c"),
        ("{{ 'a  b   c d' | truncatewords: 2, '--' }}", "a b--"),
        ("{{ '  a  b ' | split: ' ' | join: ',' }}", "a,b"),
        ("{{ 'abc' | split: '' | join: ',' }}", "a,b,c"),
        ("{{ 'a,,b,,' | split: ',' | size }}", "3"),
        ("{{ ',a' | split: ',' | size }}", "2"),
        ("{{ '' | split: ',' | size }}", "0"),
        ("{{ multiline | strip_newlines }}", "abc"),
        ("{{ multiline | newline_to_br }}", "a<br />\nb<br />\nc"),
        ("{{ '<p>Hi <b>there</b><!-- c --><script>x()</script></p>' | strip_html }}", "Hi there"),
        ("{{ html | escape }}", "&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;"),
        ("{{ 'a b&c/d?é' | url_encode }}", "a+b%26c%2Fd%3F%C3%A9"),
        ("{{ 'a b&c/d?é~_.-' | url_param_escape }}", "a%20b%26c%2Fd%3F%C3%A9~_.-"),
        ("{{ 'https://x.io/a b?q=1&r=é' | url_escape }}", "https://x.io/a%20b?q=1&r=%C3%A9"),
        ("{{ 'a+b%20c%zz' | url_decode }}", "a b c%zz"),
        ("{{ 'b25l' | base64_decode }}{{ 'b25lIA' | base64_decode }}|", "oneone |"),
        ("{{ '🙂' | base64_encode | base64_decode }}", "🙂"),
        ("{{ 'Liquid' | slice: 10 }}|{{ 'Liquid' | slice: -10 }}|", "||"),
        ("{{ 'a-b-a' | remove_last: 'a' }}", "a-b-"),
        ("{{ 'abc' | replace: '', 'x' }}", "xaxbxcx"),  // Ruby finds "" between every two characters
        ("{{ missing | upcase }}|{{ missing | append: 'x' }}", "|x"),
        ("{{ 12 | append: 3 }}", "123"),
    ]

    @Test(arguments: strings)
    func stringFilter(template: String, expected: String) throws {
        #expect(try render(template, Self.context) == expected)
    }

    static let defaults: [Case] = [
        ("{{ missing | default: 'd' }}", "d"),
        ("{{ no | default: 'd' }}", "d"),
        ("{{ no | default: 'd', allow_false: true }}", "false"),
        ("{{ empty_string | default: 'd' }}", "d"),
        ("{{ empty_list | default: 'd' }}", "d"),
        ("{{ zero | default: 'd' }}", "0"),
        ("{{ name | default: 'd' }}", "ada lovelace"),
        ("{{ missing | default }}|", "|"),
        ("{{ missing | default: name }}", "ada lovelace"),
    ]

    @Test(arguments: defaults)
    func defaultFilter(template: String, expected: String) throws {
        #expect(try render(template, Self.context) == expected)
    }

    static let numbers: [Case] = [
        ("{{ -7 | divided_by: 2 }}", "-4"),
        ("{{ 7 | divided_by: -2 }}", "-4"),
        ("{{ -7 | modulo: 3 }}", "2"),
        ("{{ 7 | modulo: -3 }}", "-2"),
        ("{{ -7.5 | modulo: 2 }}", "0.5"),
        ("{{ 10 | divided_by: 2.0 }}", "5.0"),
        ("{{ 2.5 | times: 2 }}", "5.0"),
        ("{{ '3' | plus: '4' }}", "7"),
        ("{{ '1.5' | plus: 1 }}", "2.5"),
        ("{{ missing | plus: 1 }}", "1"),
        ("{{ 9223372036854775807 | plus: 1 }}", "9.223372036854776e+18"),
        ("{{ 1234.5678 | round: -2 }}", "1200"),
        ("{{ 1250 | round: -2 }}", "1300"),
        ("{{ -2.5 | round }}", "-3"),
        ("{{ 5 | round: 2 }}", "5"),
        ("{{ -1.5 | floor }}{{ -1.5 | ceil }}", "-2-1"),
        ("{{ ts | minus: 60 }}", "1699999940"),
        ("{{ 19.99 | times: 3 }}", "59.97"),
        ("{{ 0.3 | minus: 0.1 }}", "0.2"),
        ("{{ 1.15 | plus: 2.35 }}", "3.5"),
        ("{{ 0.1 | times: 0.1 }}", "0.01"),
        ("{{ 0.0000001 | plus: 1 }}", "1.0000001"),
    ]

    @Test(arguments: numbers)
    func numberFilter(template: String, expected: String) throws {
        #expect(try render(template, Self.context) == expected)
    }

    static let arrays: [Case] = [
        ("{{ items | join }}", "b a c a"),
        ("{{ items | join: ', ' }}", "b, a, c, a"),
        ("{{ items | first }}{{ items | last }}", "ba"),
        ("{{ items | size }}", "4"),
        ("{{ items | sort | join: '' }}", "aabc"),
        ("{{ numbers | sort | join: '' }}", "123"),
        ("{{ mixed | sort | json }}", #"[1,2,"a","b",null]"#),
        ("{{ 'B,a,C' | split: ',' | sort | join }}", "B C a"),
        ("{{ 'B,a,C' | split: ',' | sort_natural | join }}", "a B C"),
        ("{{ people | sort: 'age' | map: 'name' | join }}", "Al Bo Cy"),
        ("{{ items | uniq | join }}", "b a c"),
        ("{{ items | reverse | join }}", "a c a b"),
        ("{{ nils | compact | join: ',' }}", "a,b"),
        ("{{ people | map: 'name' | join: ',' }}", "Bo,Al,Cy"),
        ("{{ people | where: 'vip' | map: 'name' | join }}", "Bo"),
        ("{{ people | where: 'age', 25 | map: 'name' | join }}", "Al"),
        ("{{ people | where: 'vip', false | map: 'name' | join }}", "Al"),
        ("{{ people | compact: 'vip' | size }}", "2"),
        ("{{ people | uniq: 'vip' | size }}", "3"),
        ("{{ nested | join: ',' }}", "1,2,3,4"),
        ("{{ nested | size }}", "2"),
        ("{{ items | concat: numbers | join: '' }}", "baca312"),
        ("{{ items | slice: 1, 2 | join }}", "a c"),
        ("{{ items | slice: -1 | join }}", "a"),
        ("{{ people | first | property_accessor: 'name' }}", "Bo"),
        ("{{ items | property_accessor: 1 }}", "a"),
        ("{{ 'solo' | first }}|{{ missing | first }}|", "||"),
        ("{{ empty_list | first }}|{{ empty_list | join: ',' }}|", "||"),
    ]

    @Test(arguments: arrays)
    func arrayFilter(template: String, expected: String) throws {
        #expect(try render(template, Self.context) == expected)
    }

    static let dates: [Case] = [
        ("{{ ts | date: '%Y-%m-%d %H:%M:%S' }}", "2023-11-14 22:13:20"),
        ("{{ ts | date: '%a %A %b %B %e %j %p %I %y' }}", "Tue Tuesday Nov November 14 318 PM 10 23"),
        ("{{ ts | date: '%F %T %Z %z %s %%' }}", "2023-11-14 22:13:20 UTC +0000 1700000000 %"),
        ("{{ ts | date: '%-m/%-d/%Y %-I%P' }}", "11/14/2023 10pm"),
        ("{{ ts | date: '%^a %^B %u %w %D %R' }}", "TUE NOVEMBER 2 2 11/14/23 22:13"),
        ("{{ '1700000000' | date: '%F' }}", "2023-11-14"),
        ("{{ 1700000000.25 | date: '%S.%L' }}", "20.250"),
        ("{{ '2024-02-29T23:59:59Z' | date: '%F %T' }}", "2024-02-29 23:59:59"),
        ("{{ '2024-02-29T23:59:59.5+02:00' | date: '%F %T %L' }}", "2024-02-29 21:59:59 500"),
        ("{{ '2024-03-01 01:30:00 -0130' | date: '%F %T' }}", "2024-03-01 03:00:00"),
        ("{{ '2024-03-01 01:30:00 UTC' | date: '%F %T' }}", "2024-03-01 01:30:00"),
        ("{{ '2024-03-01 01:30' | date: '%F %T' }}", "2024-03-01 01:30:00"),
        ("{{ '2024-03-01' | date: '%A %j' }}", "Friday 061"),
        ("{{ '1969-12-31T23:59:59Z' | date: '%Y %s' }}", "1969 -1"),
        ("{{ 0 | date: '%c' }}", "Thu Jan  1 00:00:00 1970"),
        ("{{ 951782400 | date: '%F %A' }}", "2000-02-29 Tuesday"),
        ("{{ -62135596800 | date: '%F' }}", "0001-01-01"),
        ("{{ 253402300799 | date: '%F %T' }}", "9999-12-31 23:59:59"),
        ("{{ ts | date: '%Q %q' }}", "%Q %q"),
        ("{{ ts | date: 'trailing %' }}", "trailing %"),
    ]

    @Test(arguments: dates)
    func dateFilter(template: String, expected: String) throws {
        #expect(try render(template, Self.context) == expected)
    }

    @Test func nowIsCurrentUnixTime() throws {
        let rendered = try render(#"{{ "now" | date: "%s" }}"#)
        #expect(!rendered.isEmpty && rendered.allSatisfy(\.isNumber))
        let seconds = try #require(Int(rendered))
        #expect(seconds > 1_700_000_000)
        #expect(try render("{{ 'today' | date: '%Y' }}").count == 4)
    }

    @Test func everyFilterNameParses() throws {
        for filter in TemplateFilter.allCases {
            let arguments = (0..<filter.arity.lowerBound).map { _ in "'1'" }.joined(separator: ", ")
            let source = "{{ 'x' | \(filter.rawValue)\(arguments.isEmpty ? "" : ": " + arguments) }}"
            _ = try Template(parsing: source).render([:])
        }
    }
}
