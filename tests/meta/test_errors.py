"""Every kind of bad input gives one message naming the input, its line and the text."""

from __future__ import annotations

import pytest

from ghbuild.errors import InputError

from .support import lines, run_meta

TAGS_CASES = [
    ("unknown-type", lines("type=ref,event=branch", "", "type=semvr,pattern={{version}}"),
     "input 'tags' line 3: unknown tag type 'semvr' in \"type=semvr,pattern={{version}}\" "
     "(expected one of: schedule, semver, pep440, match, edge, ref, raw, sha; did you mean "
     "'semver'?)"),
    ("missing-pattern", "type=semver",
     "input 'tags' line 1: type=semver needs the 'pattern' attribute in \"type=semver\" "
     "(e.g. type=semver,pattern={{version}})"),
    ("missing-event", lines("# first", "type=ref"),
     "input 'tags' line 2: type=ref needs the 'event' attribute in \"type=ref\" "
     "(e.g. type=ref,event=branch; event is one of: branch, tag, pr)"),
    ("missing-value", "type=raw",
     "input 'tags' line 1: type=raw needs the 'value' attribute in \"type=raw\" "
     "(e.g. type=raw,value=latest)"),
    ("unknown-event", "type=ref,event=brunch",
     "input 'tags' line 1: unknown ref event 'brunch' in \"type=ref,event=brunch\" "
     "(expected one of: branch, tag, pr; did you mean 'branch'?)"),
    ("bad-regex", "type=match,pattern=v(.*",
     "input 'tags' line 1: pattern: bad regular expression 'v(.*': missing ), unterminated "
     "subpattern at position 1 in \"type=match,pattern=v(.*\""),
    ("bad-regex-flags", "type=match,pattern=/v(.*)/q",
     "input 'tags' line 1: pattern: invalid regular expression flags 'q' in "
     "\"type=match,pattern=/v(.*)/q\""),
    ("bad-match-attr", "type=semver,pattern={{version}},match=v((",
     "input 'tags' line 1: match: bad regular expression 'v((': missing ), unterminated "
     "subpattern at position 2 in \"type=semver,pattern={{version}},match=v((\""),
    ("bad-enable", "type=raw,value=x,enable=yes",
     "input 'tags' line 1: enable must be 'true' or 'false', got 'yes' in "
     "\"type=raw,value=x,enable=yes\""),
    ("bad-enable-expression", "type=raw,value=x,enable={{branch}}",
     "input 'tags' line 1: enable must be 'true' or 'false', got 'dev' in "
     "\"type=raw,value=x,enable={{branch}}\""),
    ("unknown-zone", "type=raw,value={{date 'YYYY' tz='Mars/Olympus'}}",
     "input 'tags' line 1: value: unknown time zone 'Mars/Olympus' (expected an IANA name such "
     "as 'Europe/Paris' or 'UTC') in \"type=raw,value={{date 'YYYY' tz='Mars/Olympus'}}\""),
    ("unknown-zone-idle-rule", "type=schedule,pattern={{date 'YYYY' tz='Mars/X'}}",
     "input 'tags' line 1: pattern: unknown time zone 'Mars/X' (expected an IANA name such as "
     "'Europe/Paris' or 'UTC') in \"type=schedule,pattern={{date 'YYYY' tz='Mars/X'}}\""),
    ("unknown-date-attribute", "type=raw,value={{date 'YYYY' zone='UTC'}}",
     "input 'tags' line 1: value: unknown attribute 'zone' for date (expected tz='Zone') in "
     "\"type=raw,value={{date 'YYYY' zone='UTC'}}\""),
    ("date-without-format", "type=ref,event=pr,prefix={{date}}",
     "input 'tags' line 1: prefix: {{date}} needs a format, e.g. {{date 'YYYYMMDD'}} in "
     "\"type=ref,event=pr,prefix={{date}}\""),
    ("unbalanced", "type=raw,value={{branch",
     "input 'tags' line 1: value: unbalanced expression: '{{' at column 1 is never closed "
     "with '}}' in \"type=raw,value={{branch\""),
    ("unbalanced-later", "type=raw,value=a-{{branch}}-{{tag",
     "input 'tags' line 1: value: unbalanced expression: '{{' at column 14 is never closed "
     "with '}}' in \"type=raw,value=a-{{branch}}-{{tag\""),
    ("too-many-braces", "type=raw,value=a-{{branch}}}",
     "input 'tags' line 1: value: unbalanced expression: '{{' at column 3 is closed with too "
     "many '}' in \"type=raw,value=a-{{branch}}}\""),
    ("block", "type=raw,value={{#each branch}}x{{/each}}",
     "input 'tags' line 1: value: the block helper '#each' is not supported (only #if and "
     "#unless, with {{else}}): {{#each branch}} in \"type=raw,value={{#each branch}}x{{/each}}\""),
    ("unknown-helper", "type=raw,value={{foo 'x'}}",
     "input 'tags' line 1: unknown helper 'foo' in {{foo 'x'}} in \"type=raw,value={{foo 'x'}}\""),
    ("bad-priority", "type=raw,priority=high,value=x",
     "input 'tags' line 1: priority must be a number, got 'high' in "
     "\"type=raw,priority=high,value=x\""),
    ("bad-group", "type=match,pattern=x,group=one",
     "input 'tags' line 1: match group must be a number, got 'one' in "
     "\"type=match,pattern=x,group=one\""),
    ("bad-sha-format", "type=sha,format=medium",
     "input 'tags' line 1: unknown sha format 'medium' in \"type=sha,format=medium\" "
     "(expected one of: short, long)"),
    ("quote-inside-field", 'type=raw,value=a"b',
     "input 'tags' line 1: a quote inside a field in \"type=raw,value=a\\\"b\" (quote the whole "
     "field: \"key=value\")"),
    ("unclosed-quote", lines("type=sha", '"type=raw,value=ab'),
     "input 'tags' line 2: unclosed quote in \"\\\"type=raw,value=ab\""),
]


@pytest.mark.parametrize(("case", "tags", "message"), TAGS_CASES, ids=[c[0] for c in TAGS_CASES])
def test_bad_tags(case: str, tags: str, message: str) -> None:
    with pytest.raises(InputError) as info:
        run_meta("push_branch", {"tags": tags})
    assert str(info.value) == message
    assert "\n" not in str(info.value)


OTHER_CASES = [
    ("flavor-latest", {"flavor": "latest=maybe"},
     "input 'flavor' line 1: latest must be auto, true or false, got 'maybe' in "
     "\"latest=maybe\""),
    ("flavor-onlatest", {"flavor": lines("latest=auto", "suffix=-x,onlatest=yes")},
     "input 'flavor' line 2: onlatest must be 'true' or 'false', got 'yes' in "
     "\"suffix=-x,onlatest=yes\""),
    ("flavor-unknown", {"flavor": "foo=bar"},
     "input 'flavor' line 1: unknown flavor 'foo' (expected: latest, prefix, suffix, onlatest) "
     "in \"foo=bar\""),
    ("flavor-not-kv", {"flavor": "latest"},
     "input 'flavor' line 1: 'latest' is not key=value in \"latest\""),
    ("flavor-template", {"flavor": "prefix={{date 'YY' tz='Atlantis'}}-"},
     "input 'flavor' line 1: prefix: unknown time zone 'Atlantis' (expected an IANA name such "
     "as 'Europe/Paris' or 'UTC') in \"prefix={{date 'YY' tz='Atlantis'}}-\""),
    ("image-enable", {"images": "user/app,enable=maybe"},
     "input 'images' line 1: enable must be 'true' or 'false', got 'maybe' in "
     "\"user/app,enable=maybe\""),
    ("image-attribute", {"images": "user/app,tagz=1"},
     "input 'images' line 1: unknown image attribute 'tagz' in \"user/app,tagz=1\" "
     "(expected: name, enable)"),
    ("image-with-tag", {"images": lines("org/app", "User/App:1.0")},
     "input 'images' line 2: 'User/App:1.0' is not an image name (without a tag or digest) in "
     "\"User/App:1.0\""),
    ("image-name-twice", {"images": "name/foo,name=name/bar,enable=true"},
     "input 'images' line 1: the image name is given twice ('name/foo', 'name/bar') in "
     "\"name/foo,name=name/bar,enable=true\""),
    ("image-empty-name", {"images": lines("org/app", "enable=false")},
     "input 'images' line 2: no image name in \"enable=false\""),
    ("label-zone", {"labels": lines("a=b", "c={{date 'YYYY' tz='Nowhere'}}")},
     "input 'labels' line 2: unknown time zone 'Nowhere' (expected an IANA name such as "
     "'Europe/Paris' or 'UTC') in \"c={{date 'YYYY' tz='Nowhere'}}\""),
    ("annotation-unbalanced", {"annotations": "a={{sha"},
     "input 'annotations' line 1: unbalanced expression: '{{' at column 3 is never closed "
     "with '}}' in \"a={{sha\""),
]


@pytest.mark.parametrize(("case", "inputs", "message"), OTHER_CASES,
                         ids=[c[0] for c in OTHER_CASES])
def test_bad_other_inputs(case: str, inputs: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as info:
        run_meta("push_branch", inputs)
    assert str(info.value) == message


_SHA_LENGTH = ("DOCKER_METADATA_SHORT_SHA_LENGTH must be a whole number (the length of {{sha}} "
               "and type=sha), got ")
ENV_CASES = [
    # metadata-action refuses it too ("is not a valid number"), though only once it is used
    ({"DOCKER_METADATA_SHORT_SHA_LENGTH": "x"}, _SHA_LENGTH + "'x'"),
    # numbers to JavaScript (7, 16, 10 and the whole sha there); refused here, see meta.md
    ({"DOCKER_METADATA_SHORT_SHA_LENGTH": "7.5"}, _SHA_LENGTH + "'7.5'"),
    ({"DOCKER_METADATA_SHORT_SHA_LENGTH": "0x10"}, _SHA_LENGTH + "'0x10'"),
    ({"DOCKER_METADATA_SHORT_SHA_LENGTH": "1e1"}, _SHA_LENGTH + "'1e1'"),
    ({"DOCKER_METADATA_SHORT_SHA_LENGTH": "Infinity"}, _SHA_LENGTH + "'Infinity'"),
    ({"DOCKER_METADATA_SHORT_SHA_LENGTH": "\uff17"}, _SHA_LENGTH + "'\uff17'"),
    ({"DOCKER_METADATA_PR_HEAD_SHA": "yes"},
     "DOCKER_METADATA_PR_HEAD_SHA must be 'true' or 'false', got 'yes'"),
    ({"DOCKER_METADATA_ANNOTATIONS_LEVELS": "manifest,indx"},
     "DOCKER_METADATA_ANNOTATIONS_LEVELS: unknown level 'indx' in 'manifest,indx' (expected a "
     "comma-separated list of: manifest, index, manifest-descriptor, index-descriptor)"),
    ({"INPUT_CONTEXT": "gitt"}, "input 'context' must be 'workflow' or 'git', got 'gitt'"),
    ({"SOURCE_DATE_EPOCH": "soon"},
     "SOURCE_DATE_EPOCH must be whole seconds since 1970, got 'soon'"),
]


@pytest.mark.parametrize(("env", "message"), ENV_CASES, ids=[next(iter(e)) for e, _ in ENV_CASES])
def test_bad_environment(env: dict[str, str], message: str) -> None:
    with pytest.raises(InputError) as info:
        run_meta("push_branch", {}, env=env)
    assert str(info.value) == message
