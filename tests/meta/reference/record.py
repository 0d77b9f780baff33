"""Record what the JavaScript libraries metadata-action uses answer for generated inputs.

Run by hand when the cases change (needs node and, in a scratch directory,
``npm install handlebars moment-timezone semver csv-parse @renovate/pep440``):

    NODE_PATH=/scratch/node_modules python tests/meta/reference/record.py

It writes ``cases.json`` (inputs and the libraries' answers); ``test_reference.py``
checks ghbuild's own implementation against it without node.
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
KEYS = ["org.opencontainers.image.vendor", "maintainer", "com.example.z", "Zeta", "alpha", "a_b",
        "a-b", "a.b", "a1", "10", "9", "B", "b", "a:b", "a/b", "a b", "A_B", "ab", "aB", "Ab"]


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
    return out


def main() -> None:
    todo = cases()
    done = subprocess.run(["node", str(HERE / "reference.js")], input=json.dumps(todo),
                          capture_output=True, text=True, check=True)
    answers = json.loads(done.stdout)
    for case, answer in zip(todo, answers, strict=True):
        case["expected"] = answer
    lines = ",\n".join(json.dumps(case, ensure_ascii=False) for case in todo)
    (HERE / "cases.json").write_text(f"[\n{lines}\n]\n")


if __name__ == "__main__":
    main()
