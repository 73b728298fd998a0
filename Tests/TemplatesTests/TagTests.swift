import Testing
@testable import Templates

@Suite struct TagTests {
    typealias Case = (template: String, context: TemplateValue, expected: String)

    static let context: TemplateValue = [
        "name": "Ada", "empty_string": "", "zero": 0, "yes": true, "no": false, "n": 3, "price": 2.5,
        "items": ["apple", "banana", "cherry"], "none": [], "tags": ["vip", "beta"],
        "user": ["plan": "pro", "age": 36, "address": ["city": "Lyon"]],
        "status": "shipped", "word": "ready",
    ]

    static let conditionals: [Case] = [
        ("{% if yes %}y{% endif %}", context, "y"),
        ("{% if no %}y{% endif %}", context, ""),
        ("{% if missing %}y{% else %}n{% endif %}", context, "n"),
        ("{% if empty_string %}truthy{% endif %}", context, "truthy"),
        ("{% if zero %}truthy{% endif %}", context, "truthy"),
        ("{% if none %}truthy{% endif %}", context, "truthy"),
        ("{% if name == 'Ada' %}a{% elsif name == 'Bob' %}b{% else %}c{% endif %}", context, "a"),
        ("{% if name == 'Bob' %}a{% elsif name == \"Ada\" %}b{% else %}c{% endif %}", context, "b"),
        ("{% if name == 'Eve' %}a{% elsif name == 'Bob' %}b{% else %}c{% endif %}", context, "c"),
        ("{% if name != 'Bob' %}ne{% endif %}", context, "ne"),
        ("{% if n > 2 %}gt{% endif %}{% if n < 2 %}lt{% endif %}", context, "gt"),
        ("{% if n >= 3 %}ge{% endif %}{% if n <= 3 %}le{% endif %}", context, "gele"),
        ("{% if price > 2 %}num{% endif %}", context, "num"),
        ("{% if n == 3.0 %}same{% endif %}", context, "same"),
        ("{% if name > 'Aaa' %}str{% endif %}", context, "str"),
        ("{% if name > 1 %}never{% else %}incomparable{% endif %}", context, "incomparable"),
        ("{% if name contains 'd' %}c{% endif %}", context, "c"),
        ("{% if tags contains 'vip' %}vip{% endif %}{% if tags contains 'x' %}x{% endif %}", context, "vip"),
        ("{% if user contains 'plan' %}has{% endif %}", context, "has"),
        ("{% if missing contains 'x' %}x{% else %}no{% endif %}", context, "no"),
        ("{% if name contains '' %}always{% endif %}", context, "always"),
        ("{% if user.age contains 3 %}x{% else %}numbers contain nothing{% endif %}", context, "numbers contain nothing"),
        ("{% if yes and no %}a{% else %}b{% endif %}", context, "b"),
        ("{% if yes or no %}a{% endif %}", context, "a"),
        // and/or group from the right: false and (true or true) is false
        ("{% if no and yes or yes %}a{% else %}b{% endif %}", context, "b"),
        // true or (false and false) is true
        ("{% if yes or no and no %}a{% else %}b{% endif %}", context, "a"),
        ("{% if user.plan == 'pro' and user.age > 30 %}ok{% endif %}", context, "ok"),
        ("{% if missing == nil %}nil{% endif %}", context, "nil"),
        ("{% if empty_string == empty %}e{% endif %}{% if none == empty %}e{% endif %}{% if name == empty %}x{% endif %}", context, "ee"),
        ("{% if missing == blank %}b{% endif %}{% if '  ' == blank %}b{% endif %}{% if name != blank %}n{% endif %}", context, "bbn"),
        ("{% if items.size == 3 %}three{% endif %}", context, "three"),
        ("{% unless no %}u{% endunless %}", context, "u"),
        ("{% unless yes %}u{% else %}e{% endunless %}", context, "e"),
        ("{% unless name == 'Ada' %}x{% elsif n == 3 %}three{% endunless %}", context, "three"),
        ("{% if yes %}{% if no %}a{% else %}b{% endif %}{% endif %}", context, "b"),
    ]

    @Test(arguments: conditionals)
    func conditional(template: String, context: TemplateValue, expected: String) throws {
        #expect(try render(template, context) == expected)
    }

    static let cases: [Case] = [
        ("{% case status %}{% when 'shipped' %}S{% when 'new' %}N{% else %}?{% endcase %}", context, "S"),
        ("{% case status %}{% when 'new' %}N{% else %}?{% endcase %}", context, "?"),
        ("{% case status %}{% when 'new', 'shipped' %}one of{% endcase %}", context, "one of"),
        ("{% case status %}{% when 'new' or 'shipped' %}either{% endcase %}", context, "either"),
        ("{% case n %}{% when 3 %}three{% when 4 %}four{% endcase %}", context, "three"),
        ("{% case n %}{% when 3.0 %}float three{% endcase %}", context, "float three"),
        ("{% case missing %}{% when nil %}nil{% else %}other{% endcase %}", context, "nil"),
        ("{% case status %}\n  {% when 'shipped' %}S{% endcase %}", context, "S"),
        ("{% case status %}{% when 'x' %}X{% endcase %}", context, ""),
        // Liquid renders every matching when
        ("{% case n %}{% when 3 %}a{% when 3 %}b{% else %}c{% endcase %}", context, "ab"),
    ]

    @Test(arguments: cases)
    func caseWhen(template: String, context: TemplateValue, expected: String) throws {
        #expect(try render(template, context) == expected)
    }

    static let loops: [Case] = [
        ("{% for item in items %}{{ item }},{% endfor %}", context, "apple,banana,cherry,"),
        ("{% for item in items limit: 2 %}{{ item }},{% endfor %}", context, "apple,banana,"),
        ("{% for item in items offset: 1 %}{{ item }},{% endfor %}", context, "banana,cherry,"),
        ("{% for item in items offset:1 limit:1 %}{{ item }}{% endfor %}", context, "banana"),
        ("{% for item in items reversed %}{{ item }},{% endfor %}", context, "cherry,banana,apple,"),
        ("{% for item in items limit: 2 reversed %}{{ item }},{% endfor %}", context, "banana,apple,"),
        ("{% for i in (1..4) %}{{ i }}{% endfor %}", context, "1234"),
        ("{% for i in (1..n) %}{{ i }}{% endfor %}", context, "123"),
        ("{% for i in (3..1) %}{{ i }}{% else %}none{% endfor %}", context, "none"),
        ("{% for i in (1..5) reversed limit: 2 %}{{ i }}{% endfor %}", context, "21"),
        ("{% for item in none %}x{% else %}empty{% endfor %}", context, "empty"),
        ("{% for item in missing %}x{% else %}empty{% endfor %}", context, "empty"),
        ("{% for item in name %}{{ item }}{% endfor %}", context, "Ada"),
        ("{% for pair in user.address %}{{ pair[0] }}={{ pair[1] }}{% endfor %}", context, "city=Lyon"),
        (
            "{% for item in items %}{{ forloop.index }}/{{ forloop.index0 }}/{{ forloop.rindex }}/{{ forloop.rindex0 }}/{{ forloop.length }}{% if forloop.first %}F{% endif %}{% if forloop.last %}L{% endif %} {% endfor %}",
            context, "1/0/3/2/3F 2/1/2/1/3 3/2/1/0/3L "
        ),
        (
            "{% for a in (1..2) %}{% for b in (1..2) %}{{ forloop.parentloop.index }}{{ forloop.index }} {% endfor %}{% endfor %}",
            context, "11 12 21 22 "
        ),
        ("{% for item in items %}{% if item == 'banana' %}{% break %}{% endif %}{{ item }}{% endfor %}", context, "apple"),
        ("{% for item in items %}{% if item == 'banana' %}{% continue %}{% endif %}{{ item }}{% endfor %}", context, "applecherry"),
        ("{% for a in (1..2) %}{% for b in (1..3) %}{% if b == 2 %}{% break %}{% endif %}{{ a }}{{ b }} {% endfor %}{% endfor %}", context, "11 21 "),
        ("{% for item in items %}{% endfor %}{{ item }}", context, ""),
        ("{% for item in items %}{% assign last_seen = item %}{% endfor %}{{ last_seen }}", context, "cherry"),
        ("{% for name in items limit: 1 %}{{ name }}{% endfor %}{{ name }}", context, "appleAda"),
        ("{{ forloop.index }}", context, ""),
        ("{% for x in items %}{{ forloop }}{% break %}{% endfor %}", context, #"{"first":true,"index":1,"index0":0,"last":false,"length":3,"rindex":3,"rindex0":2}"#),
        ("{% for i in (1..3) %}{{ i }}{% endfor %}", ["n": "x"], "123"),
        ("{% for i in (1..bad) %}{{ i }}{% else %}e{% endfor %}", ["bad": "x"], "e"),
    ]

    @Test(arguments: loops)
    func forLoop(template: String, context: TemplateValue, expected: String) throws {
        #expect(try render(template, context) == expected)
    }

    @Test func hugeRangeIsCapped() throws {
        let output = try render("{% for i in (1..n) %}.{% endfor %}", ["n": 9_000_000_000])
        #expect(output.utf8.count == Template.maximumRangeLength)
    }

    static let variables: [Case] = [
        ("{% assign greeting = 'Hello' %}{{ greeting }}, {{ name }}", context, "Hello, Ada"),
        ("{% assign shout = name | upcase | append: '!' %}{{ shout }}", context, "ADA!"),
        ("{% assign total = n | times: price %}{{ total }}", context, "7.5"),
        ("{% assign name = 'Bob' %}{{ name }}", context, "Bob"),
        ("{% assign list = 'a,b' | split: ',' %}{{ list.size }}{{ list[1] }}", context, "2b"),
        ("{% capture msg %}Hi {{ name }}!{% endcapture %}{{ msg }}|{{ msg | size }}", context, "Hi Ada!|7"),
        ("{% capture empty_capture %}{% endcapture %}[{{ empty_capture }}]", context, "[]"),
        ("{% capture outer %}a{% capture inner %}b{% endcapture %}c{% endcapture %}{{ outer }}{{ inner }}", context, "acb"),
        ("{% echo name | downcase %}", context, "ada"),
        ("{% raw %}{{ name }} {% if %}{% endraw %}", context, "{{ name }} {% if %}"),
        ("a{% raw %}{{{% endraw %}b", context, "a{{b"),
        ("a{% comment %}{{ name }} {% if x %}{% endcomment %}b", context, "ab"),
        ("a{% comment %}x{% comment %}nested{% endcomment %}y{% endcomment %}b", context, "ab"),
        ("a{% # inline comment %}b", context, "ab"),
    ]

    @Test(arguments: variables)
    func assignCaptureRawComment(template: String, context: TemplateValue, expected: String) throws {
        #expect(try render(template, context) == expected)
    }

    static let whitespace: [Case] = [
        ("a  {{- name }}  b", context, "aAda  b"),
        ("a  {{ name -}}  b", context, "a  Adab"),
        ("a \n\t {{- name -}} \n\n b", context, "aAdab"),
        ("[\n  {%- if yes -%}\n  yes\n  {%- endif -%}\n]", context, "[yes]"),
        ("{% for item in items -%}\n  {{ item }}\n{%- endfor %}", context, "applebananacherry"),
        ("{%- assign x = 1 -%}\n\n{{ x }}", context, "1"),
        ("a {%- raw -%} {{ b }} {%- endraw -%} c", context, "a{{ b }}c"),
        ("a\n{%- comment -%}x{%- endcomment -%}\nb", context, "ab"),
        ("a\n{%- # note -%}\nb", context, "ab"),
        ("x {{ name }} y", context, "x Ada y"),
        ("{\n  \"a\": \"{{- name -}}\"\n}", context, "{\n  \"a\": \"Ada\"\n}"),
    ]

    @Test(arguments: whitespace)
    func whitespaceControl(template: String, context: TemplateValue, expected: String) throws {
        #expect(try render(template, context) == expected)
    }

    static let paths: [Case] = [
        ("{{ user.address.city }}", context, "Lyon"),
        ("{{ user['plan'] }}{{ user[\"age\"] }}", context, "pro36"),
        ("{{ items[0] }} {{ items[-1] }} {{ items[5] }}", context, "apple cherry "),
        ("{{ items.first }} {{ items.last }} {{ items.size }} {{ name.size }}", context, "apple cherry 3 3"),
        ("{{ user.size }}", context, "3"),
        ("{% assign key = 'plan' %}{{ user[key] }}", context, "pro"),
        ("{% assign i = 1 %}{{ items[i] }}", context, "banana"),
        ("{{ data[\"key with space\"] }}", ["data": ["key with space": "ok"]], "ok"),
        ("{{ [\"top key\"] }}", ["top key": "root"], "root"),
        ("{{ data.size }}", ["data": ["size": "own"]], "own"),
        ("{{ a.b[0].c }}", ["a": ["b": [["c": "deep"]]]], "deep"),
        ("{{ a.0 }}", ["a": ["x", "y"]], "x"),
        ("{{ has-dash }}", ["has-dash": "d"], "d"),
        ("{{ missing.deep.path[0] }}|{{ name.deep }}|{{ items.nope }}|{{ items[key] }}", context, "|||"),
        ("{{ 'literal' }} {{ 42 }} {{ -1.5 }} {{ true }} {{ nil }}{{ null }}", context, "literal 42 -1.5 true "),
        ("{{ }}", context, ""),
    ]

    @Test(arguments: paths)
    func variablePaths(template: String, context: TemplateValue, expected: String) throws {
        #expect(try render(template, context) == expected)
    }
}
