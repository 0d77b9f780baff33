"""Record what the JavaScript libraries metadata-action uses answer for generated inputs.

Run by hand when the cases change (needs node and, in a scratch directory,
``npm install handlebars moment-timezone semver csv-parse @renovate/pep440
unicode-property-aliases-ecmascript unicode-property-value-aliases-ecmascript``):

    NODE_PATH=/scratch/node_modules python tests/meta/reference/record.py

It writes ``cases.json`` (inputs and the libraries' answers), which ``test_reference.py``
checks ghbuild's own implementation against without node, and
``ghbuild/meta/_jsprops_data.py`` and ``_jsfold_data.py``: the ``\\p{...}`` names this Node
accepts and the characters its ``i`` flag takes for one another.
"""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent

TOKENS = ["YYYY", "YY", "Y", "YYYYY", "YYYYYY", "M", "MM", "MMM", "MMMM", "Mo", "Q", "Qo", "D",
          "DD", "Do", "DDD", "DDDD", "DDDo", "d", "do", "dd", "ddd", "dddd", "e", "E", "w", "ww",
          "wo", "W", "WW", "Wo", "gg", "gggg", "GG", "GGGG", "A", "a", "H", "HH", "h", "hh", "k",
          "kk", "m", "mm", "s", "ss", "S", "SS", "SSS", "SSSS", "Z", "ZZ", "z", "X", "x",
          "[lit]", "-", "/", ":", " ", "T", "\\Y", "LT", "LTS", "L", "LL", "LLLL", "l", "llll",
          "N", "NNNN", "y", "yy", "yo", "Hmm", "hmmss"]
ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Europe/Paris", "Asia/Kolkata",
         "Australia/Lord_Howe", "Pacific/Chatham", "America/St_Johns", "Europe/London",
         "Etc/GMT+5", "asia/tokyo"]
PIECES = ["{{branch}}", "{{ branch }}", "{{{branch}}}", "{{&branch}}", "{{~branch}}",
          "{{branch~}}", " ", "\n", "x", "=", "\\{{branch}}", "{{! note }}", "{{!-- {{x}} --}}",
          "{{echo 'a b' \"c\" 1 2.5 -3 true false k='v'}}", "{{echo x.y}}", "{{echo}}",
          "{{echo k = 'v'}}", "{{missing}}", "{{num}}", "{{list}}", "{{flag}}", "{{amp}}",
          "{{this.branch}}", "{{\"lit\"}}", "{{7}}", "}", "{", "}}"]
SEMVER = ["1.2.3", "v1.2.3", "V1.2.3", "=1.2.3", " 1.2.3 ", "1.2", "01.2.3", "1.2.3-0",
          "1.2.3-01", "1.2.3-a.01", "1.2.3-rc.1+b.2", "1.2.3+b", "1.2.3-", "v2.0.8-beta.67",
          "9007199254740991.0.0", "9007199254740992.0.0", "1.2.3-alpha..1", "1.2.3-x-y-z.--",
          "v1.2.3.4", "v9.5.7-alpha.2+fork.3.1.8", "1.0.0-rc.1+b5"]
PEP440 = ["1.2.3", "v1.1.1", "1.2", "1.1beta2", "1.0dev4", "1.2.3rc2", "v1.2.3rc2", "1.2post1",
          "1!2.0", "1.0+local.7", "1.0.0a", "1.0-1", "sometag", "1.2.3-beta.x", "2024.01",
          "1.0.post0.dev1", " 1.0 ", "1.0a1.post2"]
LISTS = ["a\nb", "a,b\nc", '"a,b"\nc', 'x "y" z', '"a""b"', "# c\nx", "x#y", "x\r\ny",
         "  a  \n\n b", '"ab"cd', "a,,b", "a,\nb", "one\n  # indented comment\ntwo"]
FIELDS = ["type=raw,value=x", 'type=match,"pattern=a,b",group=1', '"x""y"', "a,,b", "a\nb",
          'type=raw,value=a"b', '"type=raw,value=ab', '"ab"cd', 'a," b"', 'a, "b"', "a,b,", ",a",
          '"a\nb",c', "k=v=w,x"]
REGEX = [("v(.*)", "v1.2.3"), ("\\d{8}", "20200110-RC2"), ("(.*)-RC,group", "x"),
         ("^v(\\d.\\d.\\d)$", "v1.1.1"), ("/^v(\\d.\\d.\\d)$/ig", "V1.1.1"),
         ("/\\d/g", "a1b2c3"), ("(?<maj>\\d+)\\.(?<min>\\d+)", "v10.20"),
         ("(a)|(b)", "b"), ("(\\w+)-\\1", "ab-ab"), ("(?<x>\\w)\\k<x>", "zz"),
         ("^release\\d{1,2}", "release12"), ("mkdocs#(.*)", "mkdocs#20250820"),
         ("x$", "ax\n"), ("/x$/m", "ax\nb"), ("[^]", "q"), ("\\d+", "١٢3"),
         ("/é/i", "É"), ("\\bv\\d", "a v1"), ("/a.b/s", "a\nb"), ("\\/", "a/b"),
         ("[\\d-]+", "12-3"), ("\\D+", "ab1"), ("/^y/y", "yy"), ("p1/v(\\d.\\d),group=3", "x")]
# JavaScript's grammar where Python's differs: Annex B literals, escapes, properties, flags
REGEX += [
    ('/\\p{L}+/u', 'héllo-1'), ('\\p{L}+', 'p{L}x'), ('/\\p{Lu}/u', 'aB'), ('/\\p{letter}/u',
    'a'), ('/\\p{Script=Greek}+/u', 'abγδ'), ('/\\p{sc=Grek}/u', 'γ'), ('/\\p{Script=greek}/u',
    'x'), ('/\\P{L}+/u', 'ab12c'), ('/[\\p{L}\\d]+/u', '-ab12c-'), ('/\\p{L}/v', 'x'),
    ('\\k<x>', 'k<x>'), ('(?<x>a)\\k<y>', 'a'), ('(?<x>a)(?<x>b)', 'ab'), ('(?<$x>a)', 'a'),
    ('(?<=v)\\d+', 'v12'), ('(?<=v+)\\d+', 'vv12'), ('(?<!x)\\d', 'x1 2'), ('/^b/m', 'a\rb'),
    ('[]', 'q'), ('[]a]', 'a]'), ('a.b', 'a\rb'), ('[\\d-z]+', '1-z'), ('/[\\d-z]+/u', '1'),
    ('/y/gy', 'yyxy'), ('a{', 'a{'), ('a{1', 'a{1'), ('a{,5}', 'a{,5}'), ('{1}', 'x'), ('/a{/u',
    'a'), ('a{2,1}', 'aa'), ('a**', 'a'), ('x{2}', 'xxx'), ('x{2,}?', 'xxx'), ('(a)?\\1b', 'b'),
    ('\\1(a)', 'a'), ('(a\\1)', 'aa'), ('\\2(a)', 'a'), ('\\8', '8'), ('\\1', '\x01'), ('\\18',
    '\x018'), ('\\101', 'A'), ('\\0', '\x00'), ('\\07', '\x07'), ('/\\01/u', 'x'), ('\\cA',
    '\x01'), ('\\c1', '\\c1'), ('[\\c1]', '\x11'), ('[\\c]', 'c'), ('\\x41\\x4', 'Ax4'),
    ('/\\x4/u', 'x'), ('\\u0041', 'A'), ('/\\u{41}/u', 'A'), ('/\\u{110000}/u', 'A'),
    ('\\uD83D\\uDE00', '😀'), ('/\\uD83D\\uDE00/u', '😀'), ('\\q', 'q'), ('/\\q/u', 'q'),
    ('/\\-/u', '-'), ('/[\\-]/u', '-'), ('\\s+', ' \xa0\ufeff\x1c'), ('\\S', '\x1c'), ('\\w',
    'é'), ('/\\w/i', 'ſ'), ('(?=a)*a', 'a'), ('/(?=a)*a/u', 'a'), ('(?<=a)*', 'a'), ('^*', 'a'),
    ('\\b+', 'a'), ('(?:a|b)+', 'abab'), ('(?i:a)', 'A'), ('(?P<x>a)', 'a'), ('a)', 'a'), ('(a',
    'a'), ('[a', 'a'), ('\\', 'a'), ('a|', 'b'), ('|a', 'a'), ('/(?:)/g', 'ab'), ('/\\d*/g',
    'a12'), ('/x/gu', 'axbx'), ('/a/uv', 'a'), ('/a/gg', 'a'), ('/a/q', 'a'), ('/a/', 'a'),
    ('//', 'a'), ('/a/b/i', 'A/B'), ('a/b', 'a/b'), ('[z-a]', 'a'), ('[a-\\d]', '-'), ('\\p{L',
    'p{L'), ('/\\p{L/u', 'x'), ('/\\p{Any}/u', 'x'), ('/\\p{ASCII}+/u', 'abé'),
    ('/\\p{gc=Lu}/u', 'A'), ('/\\p{General_Category=Letter}/u', 'x'), ('/\\p{scx=Latn}/u', 'x'),
    ('/\\p{Emoji}/u', '😀'), ('/[^\\d]/', '1a'), ('[^\\D]', 'a1'), ('[\\D\\d]', 'x'),
    ('[^\\W\\d]+', '_a1b'), ('/[\\P{L}]/u', 'a1'), ('/[^\\p{L}]/u', 'a1'), ('\\]', ']'), ('}',
    '}'), ('/}/u', '}'), (']', ']'), ('a{1}?', 'a'), ('\\B', 'ab'), ('[\\b]', '\x08'), ('\\k',
    'k'), ('(?<a>.)\\k', 'xk'), ('/\\k<a>/u', 'x'), ('/(?<a>.)\\k<a>/u', 'xx'), ('(?<aé>.)',
    'x'), ('(?<1a>.)', 'x'), ('(?<>.)', 'x'), ('[\\k]', 'k'), ('(?<a>.)[\\k]', 'x'),
    ('/[\\s\\S]/', '\n'), ('\\P{L}', 'P{L}'), ('/\\W/i', 'ſ'), ('/\\W/i', 'k'), ('/\\w/iu',
    'ſ'), ('/\\W/iu', 'ſ'), ('/\\bx/iu', 'ſx'), ('/\\bx/i', 'ſx'), ('/\\Bx/iu', 'Kx'),
    ('/[\\w]/iu', 'K'), ('/[\\W]/iu', 'k'), ('/\\w+/i', 'aB_9'), ('/[a-z]+/v', 'ab'),
    ('\\u{41}', 'uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu')
]
KEYS = ["org.opencontainers.image.vendor", "maintainer", "com.example.z", "Zeta", "alpha", "a_b",
        "a-b", "a.b", "a1", "10", "9", "B", "b", "a:b", "a/b", "a b", "A_B", "ab", "aB", "Ab"]


# the v flag's classes, and escapes in group names
REGEX += [
    ('/[\\p{L}--[a-z]]+/v', 'abcXYé'), ('/[a&&b]/v', 'ab'), ('/[[a]]/v', 'a'), ('/[a-z]+/v',
    'ab'), ('/[\\w&&\\d]+/v', 'ab12'), ('/[\\w--\\d]+/v', '12ab3'), ('/[\\q{abc|d}x]+/v',
    'abcdxq'), ('/[\\q{abc|ab}]/v', 'abc'), ('/[^\\q{ab}]/v', 'x'), ('/[^\\q{a}]/v', 'b'),
    ('/[^[a-c]--b]+/v', 'bxa'), ('/[[a-z]--[aeiou]]+/v', 'hello'), ('/[a-z&&b]/v', 'b'),
    ('/[a(]/v', 'a'), ('/[a&&&b]/v', 'a'), ('/[a--]/v', 'a'), ('/[\\q{}]*x/v', 'x'),
    ('/[\\q{ab|}]+/v', 'abab'), ('/[a|b]/v', '|'), ('/[a\\|b]/v', '|'), ('/[a!!b]/v', '!'),
    ('/[a\\!b]/v', '!'), ('/[\\-]/v', '-'), ('/[a-]/v', '-'),
    ('/[\\p{L}&&\\p{Script=Greek}]+/v', 'abγδ'), ('/[^\\d\\s]+/v', '1 ab'),
    ('/[[^a]&&[b-c]]+/v', 'abcab'), ('/[\\q{ab}--\\q{ab}]/v', 'ab'), ('/[^\\q{ab}--\\q{ab}]/v',
    'ab'), ('/[\\q{ab}&&x]/v', 'ab'), ('/[x&&\\q{ab}]/v', 'ab'), ('/[]/v', 'a'), ('/[^]/v',
    'a'), ('/[\\]]/v', ']'), ('/[a{]/v', 'a'), ('/[[[a-c]--b]&&[^a]]+/v', 'abc'),
    ('/[\\q{a|bc|def}--\\q{bc}]+/v', 'defbca'), ('/[a-z]/vi', 'Q'), ('/[\\p{Lu}--[A-Z]]/vi',
    'a'), ('/[\\d-z]/v', '-'), ('/[\\q{ab]/v', 'x'), ('(?<\\u0061b>.)\\k<ab>', 'xx'),
    ('(?<\\u{61}>.)\\k<a>', 'xx'), ('/(?<\\u{61}>.)\\k<\\u0061>/u', 'xx'), ('(?<\\u0031>.)',
    'xx'), ('(?<\\ud835\\udc9c>.)', 'x'), ('(?<a>.)(?<\\u0061>.)', 'xx'), ('(?<\\u{110000}>.)',
    'x'), ('(?<a\\>.)', 'x'), ('(?<é>.)\\k<é>', 'éé'), ('(?<$>.)\\k<$>', '$$')
]
# the i flag: Canonicalize without u/v (toUpperCase, never into ASCII), simple case folding
# with u/v, properties and their complements
REGEX += [
    ("/s/i", "\u017f"), ("/S/i", "\u017f"), ("/k/i", "\u212a"), ("/\u212a/i", "k"),
    ("/\u212a/iu", "k"), ("/ß/iu", "ẞ"), ("/ß/i", "ẞ"), ("/i/iu", "İ"), ("/i/iu", "ı"),
    ("/µ/i", "μ"), ("/µ/iu", "Μ"), ("/[a-z]+/i", "ABſK"), ("/[a-z]+/iu", "ABſK"),
    ("/[^a-z]/i", "A"), ("/\\W/i", "ſ"), ("/\\w/iu", "ſ"), ("/[\\W]/iu", "k"),
    ("/\\p{Lu}/iu", "a"), ("/\\P{Lu}/iu", "a"), ("/\\P{Lu}/iv", "a"), ("/[^\\P{Lu}]/iu", "a"),
    ("/\\p{Ll}/iu", "İ"), ("/[^\\p{Ll}]/iu", "İ"), ("/[\\p{Lu}--[A-Z]]/iv", "a"),
    ("/[\\q{ss}]/iv", "SS"), ("/(a)\\1/i", "aA"), ("/σ/iu", "ς"), ("/Σ/i", "ς"),
    ("/ǅ/i", "ǆ"), ("/ǅ/iu", "Ǆ"), ("/\\u{10400}/iu", "\U00010428"),
    ("/[\\u{10400}-\\u{10410}]/iu", "\U00010428"), ("/Ω/i", "ω"), ("/Ω/iu", "ω"),
    ("/\\bſ/iu", "xſ"), ("/[\\w--[s]]/iv", "ſ"), ("/^V(\\d+)/i", "v12"),
]
# without u/v, UTF-16 code units: half an emoji, pairs written as escapes
REGEX += [
    (".", "😀"), ("/./u", "😀"), ("x(.)", "x😀"), ("[😀]", "😀"), ("/[😀]/u", "😀"),
    ("^.$", "😀"), ("/^.$/u", "😀"), ("\\uD83D\\uDE00", "😀"), ("\\uD83D", "😀"),
    ("/\\uD83D/u", "😀"), ("/\\W/g", "a😀"), ("/(?:)/g", "😀"), ("/(?:)/gu", "😀"),
    ("[😀-😂]", "x"),
]
# a repetition that matches empty, once the minimum is reached, is rejected
REGEX += [
    ("()?", "x"), ("(a|())*", "a"), ("(a*)*", "b"), ("(a*)+", "b"), ("(?:|a)+", "a"),
    ("(?:(a)|())*b", "ab"), ("(a?){2}", "a"), ("(a?){2,}", "a"), ("(?:a|()){1,3}?b", "ab"),
    ("v(\\d*)?", "v"), ("/(?:)*/g", "ab"), ("(?<=(a|)*)b", "ab"), ("(?<=(a?){1,3})b", "aab"),
]
# Block helpers: #if/#unless with every else form, truthiness, "~" and standalone lines
OPENS = ["{{#if a}}", "{{#if e}}", "{{#if z}}", "{{#if z includeZero=true}}", "{{#unless a}}",
         "{{#unless e}}", "{{~#if a}}", "{{#if a~}}", "{{~#if e~}}", "{{#if branch}}",
         "{{#if nothing}}", "{{#if nope}}", "{{#if list}}", "{{#if empty}}", "{{#if 'x'}}",
         "{{#if 0}}", "{{#if false}}", "{{#if this.a}}", "{{# if a }}", "{{#if flag}}",
         "{{#if no}}"]
ELSES = ["{{else}}", "{{~else}}", "{{else~}}", "{{~else~}}", "{{^}}", "{{else if e}}",
         "{{else if a}}", "{{~else if z~}}", "{{ else }}", "{{else unless e}}"]
CLOSES = ["{{/if}}", "{{~/if}}", "{{/if~}}", "{{~/if~}}"]
TEXTS = ["x", " ", "\n", "  \n", "\n  ", "y", "{{a}}", "{{! c }}", "{{~a~}}", "\\{{a}}", "{{amp}}",
         "\r\n", "\t"]
BLOCK_SCOPE = {"a": "A", "e": "", "z": 0, "list": ["beta", 67], "empty": [], "flag": False,
               "no": "false", "amp": "&<"}
BLOCK_FIXED = ["{{#if branch}}{{branch}}{{else}}none{{/if}}", "{{#each list}}x{{/each}}",
               "{{#with a}}x{{/with}}", "{{> p}}", "{{#> p}}x{{/p}}", "{{#if a}}x{{/unless}}",
               "{{#if}}x{{/if}}", "{{#if a e}}x{{/if}}", "{{else}}", "{{/if}}", "{{#if a}}x",
               "{{#if a}}x{{else}}y{{else}}z{{/if}}", "{{^a}}x{{/a}}", "{{#a}}x{{/a}}",
               "{{elsewhere}}", "\\\\{{a}}", "a\\{{a}} \\{{a}}", "{{#if (echo a)}}x{{/if}}",
               " {{#if a}}\n x\n {{else}}\n y\n {{/if}}\n",
               "{{#if a}}\n{{#if e}}\nx\n{{/if}}\n{{/if}}\n", "{{#if a}}x{{else}}}y{{/if}}",
               "{{#if e}}x{{^}}}}y{{/if}}", "{{#if a}}{{{else}}}}{{/if}}",
               # paths: the context, lengths and indexes, @root, a parent at the top
               "{{this}}", "{{.}}", "{{#if this}}y{{/if}}", "{{list.length}}", "{{list.[0]}}",
               "{{list.[9]}}", "{{amp.length}}", "{{a.[0]}}", "{{[a]}}", "{{@root.a}}",
               "{{../a}}", "{{@index}}", "{{a/length}}", "{{#if empty.length}}y{{else}}n{{/if}}",
               "{{#if list.length}}{{list.[1]}}{{/if}}", "{{#unless ../a}}top{{/unless}}"]


def _block_body(rnd: random.Random, depth: int, texts: list[str]) -> str:
    out = []
    for _ in range(rnd.randint(0, 3)):
        out.append(_block(rnd, depth + 1, texts) if depth < 2 and rnd.random() < 0.3 else
                   rnd.choice(texts))
    return "".join(out)


def _block(rnd: random.Random, depth: int, texts: list[str]) -> str:
    opener = rnd.choice(OPENS)
    text = opener + _block_body(rnd, depth, texts)
    if rnd.random() < 0.6:
        text += rnd.choice(ELSES) + _block_body(rnd, depth, texts)
    if rnd.random() < 0.2 and "{{else" in text:
        text += "{{else}}" + _block_body(rnd, depth, texts)
    return text + rnd.choice(CLOSES).replace("if", "unless" if "unless" in opener else "if")


def _template(rnd: random.Random, texts: list[str]) -> str:
    return _block_body(rnd, 0, texts) + _block(rnd, 0, texts) + _block_body(rnd, 0, texts)


def block_cases() -> list[dict[str, object]]:
    rnd = random.Random(20240601)
    templates = [_template(rnd, TEXTS) for _ in range(400)]
    # blocks among the expression pieces of the other cases
    mixed = TEXTS + [p for p in PIECES if p not in TEXTS]
    templates += [_template(rnd, mixed) for _ in range(300)]
    return [{"kind": "hbs", "branch": rnd.choice(["feat/x", ""]), "template": t,
             "scope": {**BLOCK_SCOPE, "num": 3, "flag": False}}
            for t in templates + BLOCK_FIXED]


def cases() -> list[dict[str, object]]:
    rnd = random.Random(20200110)
    out: list[dict[str, object]] = []
    for _ in range(600):
        fmt = None if rnd.random() < 0.05 else "".join(rnd.choice(TOKENS)
                                                       for _ in range(rnd.randint(1, 6)))
        out.append({"kind": "moment", "ms": rnd.randint(-10**12, 4 * 10**12),
                    "tz": rnd.choice(ZONES), "fmt": fmt})
    for _ in range(400):
        out.append({"kind": "hbs", "branch": rnd.choice(["feat/x", "a&b<c>", "é#1"]),
                    "template": "".join(rnd.choice(PIECES) for _ in range(rnd.randint(1, 5))),
                    "scope": {"amp": "&<>\"'`=", "num": 3, "list": ["beta", 67],
                              "flag": False}})
    out += [{"kind": "semver", "text": v} for v in SEMVER]
    out += [{"kind": "pep440", "text": v} for v in PEP440]
    out += [{"kind": "list", "text": t} for t in LISTS]
    out += [{"kind": "fields", "text": t} for t in FIELDS]
    out += [{"kind": "regex", "pattern": p, "text": t} for p, t in REGEX]
    out += [{"kind": "cmp", "keys": rnd.sample(KEYS, 8)} for _ in range(40)]
    return out + block_cases()


def write_props() -> None:
    import textwrap

    done = subprocess.run(["node", str(HERE / "props.mjs")], capture_output=True, text=True,
                          check=True)
    table = json.loads(done.stdout)
    version = subprocess.run(["node", "-p", "process.versions.node + ' (Unicode ' + "
                              "process.versions.unicode + ')'"], capture_output=True,
                             text=True, check=True).stdout.strip()
    out = [f'"""Generated by tests/meta/reference/record.py from Node {version}:',
           'the names JavaScript accepts in ``\\\\p{...}``. Do not edit."""', ""]
    for key in ("gc", "binary", "script", "gc_names", "script_names", "strings"):
        names = " ".join(f"{name!r}," for name in table[key])
        body = textwrap.fill(names, 96, initial_indent="    ", subsequent_indent="    ",
                             break_on_hyphens=False)
        out.append(f"{key.upper()} = frozenset({{\n{body}\n}})")
    (HERE.parents[2] / "ghbuild" / "meta" / "_jsprops_data.py").write_text("\n".join(out) + "\n")


def write_fold() -> None:
    import textwrap

    done = subprocess.run(["node", str(HERE / "fold.js")], capture_output=True, text=True,
                          check=True)
    table = json.loads(done.stdout)
    out = ['"""Generated by tests/meta/reference/record.py (fold.js): the characters JavaScript\'s',
           '``i`` takes for one another, without u/v (LEGACY, UTF-16 units) and with u/v',
           '(UNICODE, simple case folding), as classes of two or more. Do not edit."""', ""]
    for key in ("legacy", "unicode"):
        items = " ".join("(" + ", ".join(hex(cp) for cp in group) + ")," for group in table[key])
        body = textwrap.fill(items, 96, initial_indent="    ", subsequent_indent="    ",
                             break_on_hyphens=False, break_long_words=False)
        out.append(f"{key.upper()} = (\n{body}\n)")
    (HERE.parents[2] / "ghbuild" / "meta" / "_jsfold_data.py").write_text("\n".join(out) + "\n")


def _line(case: dict[str, object]) -> str:
    """One case as JSON, readable; escaped when it holds half a character (a surrogate)."""
    text = json.dumps(case, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(case)
    return text


def main() -> None:
    write_props()
    write_fold()
    todo = cases()
    done = subprocess.run(["node", str(HERE / "reference.js")], input=json.dumps(todo),
                          capture_output=True, text=True, check=True)
    answers = json.loads(done.stdout)
    for case, answer in zip(todo, answers, strict=True):
        case["expected"] = answer
    lines = ",\n".join(_line(case) for case in todo)
    (HERE / "cases.json").write_text(f"[\n{lines}\n]\n")


if __name__ == "__main__":
    main()
