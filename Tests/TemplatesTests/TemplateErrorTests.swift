import Testing
@testable import Templates

@Suite struct TemplateErrorTests {
    static let errors: [(template: String, line: Int, column: Int, message: String)] = [
        ("Hello {{ name", 1, 7, "unclosed output, expected '}}'"),
        ("line one\n  {{ name }} and {{ other", 2, 18, "unclosed output, expected '}}'"),
        ("a\nb\n{% if x %}yes", 3, 1, "unclosed tag 'if'"),
        ("ok\n\n  text {% if a %}{% endif %}{% if b %}", 3, 29, "unclosed tag 'if'"),
        ("{% for x in xs %}{{ x }}", 1, 1, "unclosed tag 'for'"),
        ("{% unless x %}", 1, 1, "unclosed tag 'unless'"),
        ("{% case x %}{% when 1 %}", 1, 1, "unclosed tag 'case'"),
        ("{% capture x %}", 1, 1, "unclosed tag 'capture'"),
        ("x {% raw %}{{", 1, 3, "unclosed tag 'raw'"),
        ("{% comment %}never closed", 1, 1, "unclosed tag 'comment'"),
        ("{% if x %}{% for y in z %}{% endif %}", 1, 30, "unexpected 'endif' inside 'for'"),
        ("text\n{% endfor %}", 2, 4, "'endfor' without 'for'"),
        ("{% endif %}", 1, 4, "'endif' without 'if'"),
        ("{% else %}", 1, 4, "'else' outside a block"),
        // Blocks after `else` never render, as in Liquid, but their markup is still checked.
        ("{% if x %}{% else %}{% elsif y == %}{% endif %}", 1, 35, "expected a value, found end of markup"),
        ("{% include 'header' %}", 1, 4, "unknown tag 'include'"),
        ("a\n  {%   connected_content https://x %}", 2, 8, "unknown tag 'connected_content'"),
        ("{% break %}", 1, 4, "'break' outside 'for'"),
        ("{% %}", 1, 4, "missing tag name"),
        ("{{ name | shout }}", 1, 11, "unknown filter 'shout'"),
        ("x\n{{ name | upcase | md5 }}", 2, 20, "unknown filter 'md5'"),
        ("{{ name | replace_last: 'a' }}", 1, 11, "filter 'replace_last' takes 2 arguments, not 1"),
        ("{{ name | upcase: 1 }}", 1, 11, "filter 'upcase' takes 0 arguments, not 1"),
        ("{{ name | truncate: 1, 2, 3 }}", 1, 11, "filter 'truncate' takes 0 to 2 arguments, not 3"),
        ("{{ name | plus }}", 1, 11, "filter 'plus' takes 1 argument, not 0"),
        ("{{ name | }}", 1, 11, "expected a filter name after '|', found end of markup"),
        ("{{ a[0 }}", 1, 5, "unclosed '['"),
        ("{{ a[] }}", 1, 6, "expected a key or index inside '[]', found ']'"),
        ("{{ a[0) }}", 1, 7, "expected ']', found ')'"),
        ("{{ a. }}", 1, 7, "expected a name after '.', found end of markup"),
        ("{{ a b }}", 1, 6, "unexpected 'b'"),
        ("{{ 'open }}", 1, 4, "unterminated string"),
        ("{{ it's }}", 1, 6, "unterminated string"),
        ("{{ ${user_id }}", 1, 4, "unclosed '${'"),
        ("{{ ${} }}", 1, 4, "empty '${}'"),
        ("{{ a ! b }}", 1, 6, "unexpected character '!'"),
        ("{{ a ; }}", 1, 6, "unexpected character ';'"),
        ("{% if %}{% endif %}", 1, 7, "expected a value, found end of markup"),
        ("{% if a == %}{% endif %}", 1, 12, "expected a value, found end of markup"),
        ("{% for x xs %}{% endfor %}", 1, 10, "expected 'in', found 'xs'"),
        ("{% for x in xs limit 2 %}{% endfor %}", 1, 22, "expected ':', found '2'"),
        ("{% for x in xs sideways %}{% endfor %}", 1, 16, "expected 'limit:', 'offset:' or 'reversed', found 'sideways'"),
        ("{% assign = 1 %}", 1, 11, "expected a variable name after 'assign', found '='"),
        ("{% assign x 1 %}", 1, 13, "expected '=', found '1'"),
        ("{% for i in (1..) %}{% endfor %}", 1, 17, "expected a value, found ')'"),
        ("é {{ x | nope }}", 1, 10, "unknown filter 'nope'"),
        ("{{ x }}\r\n{{ x | nope }}", 2, 8, "unknown filter 'nope'"),
    ]

    @Test(arguments: errors)
    func reportsLineAndColumn(template: String, line: Int, column: Int, message: String) {
        #expect(throws: TemplateError(line: line, column: column, message: message)) {
            try Template(parsing: template)
        }
    }

    @Test func descriptionNamesThePosition() throws {
        let error = try #require(throws: TemplateError.self) {
            try Template(parsing: "a\nb\n   {% if x %}")
        }
        #expect(error.description == "line 3, column 4: unclosed tag 'if'")
    }

    static let valid = [
        "", "plain text", "{", "}", "}}", "%}", "{ {", "{% raw %}{% endraw %}", "{{ 'a }} b' }}",
        "{%- if a -%}{%- endif -%}", "{{ a | default: 'x', allow_false: true }}",
    ]

    @Test(arguments: valid)
    func parses(template: String) throws {
        _ = try Template(parsing: template)
    }
}
