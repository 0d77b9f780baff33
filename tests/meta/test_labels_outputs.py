"""Labels and annotations (defaults, overrides, order, levels) and the step outputs."""

from __future__ import annotations

import json

from ghbuild.meta import read_inputs
from ghbuild.meta.labels import as_object, merge_entries

from .support import lines, load_env, run_meta

DEFAULT_LABELS = {
    "org.opencontainers.image.created": "2020-01-10T00:30:00.000Z",
    "org.opencontainers.image.description": "This your first repo!",
    "org.opencontainers.image.licenses": "MIT",
    "org.opencontainers.image.revision": "860c1904a1ce19322e91ac35af1ab07466440c37",
    "org.opencontainers.image.source": "https://github.com/octocat/Hello-World",
    "org.opencontainers.image.title": "Hello-World",
    "org.opencontainers.image.url": "https://github.com/octocat/Hello-World",
    "org.opencontainers.image.version": "v1.1.1",
}


def test_default_labels_from_repo_metadata_and_order() -> None:
    result = run_meta("push_tag", {"images": "org/app"})
    assert result.labels == DEFAULT_LABELS
    assert list(result.labels) == sorted(DEFAULT_LABELS)
    assert list(result.tags) == ["org/app:v1.1.1", "org/app:latest"]


def test_payload_repository_when_no_repo_metadata() -> None:
    result = run_meta("push_tag", {"images": "org/app"}, repo=False)
    assert result.labels["org.opencontainers.image.title"] == "widget"
    assert result.labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert result.labels["org.opencontainers.image.url"] == "https://github.com/acme/widget"


def test_user_labels_override_and_invalid_entries_are_dropped() -> None:
    result = run_meta("push_tag", {"images": "org/app", "labels": lines(
        "foo", "maintainer=CrazyMax", "org.opencontainers.image.title=MyCustom=Title",
        "org.opencontainers.image.description=Another description",
        "org.opencontainers.image.vendor=MyCompany", "empty=")})
    expected = {**DEFAULT_LABELS, "maintainer": "CrazyMax", "empty": "",
                "org.opencontainers.image.title": "MyCustom=Title",
                "org.opencontainers.image.description": "Another description",
                "org.opencontainers.image.vendor": "MyCompany"}
    assert result.labels == expected
    assert list(result.labels)[:2] == ["empty", "maintainer"]
    # annotations are separate: the labels input does not touch them
    assert "manifest:org.opencontainers.image.title=Hello-World" in result.annotations


def test_annotations_override_and_keep_quotes() -> None:
    result = run_meta("push_tag", {"images": "org/app", "annotations": lines(
        "maintainer=Foo", 'org.opencontainers.image.description=this is a "bad" example')})
    assert result.annotations[0] == "manifest:maintainer=Foo"
    assert ('manifest:org.opencontainers.image.description=this is a "bad" example'
            in result.annotations)
    assert len(result.annotations) == 9


def test_annotation_levels() -> None:
    result = run_meta("push_branch", {"images": "user/app", "tags": "type=ref,event=branch"},
                      env={"DOCKER_METADATA_ANNOTATIONS_LEVELS": "index,manifest-descriptor"})
    created = "org.opencontainers.image.created=2020-01-10T00:30:00.000Z"
    assert result.annotations[0] == f"index:{created}"
    assert result.annotations[8] == \
        "manifest-descriptor:org.opencontainers.image.created=2020-01-10T00:30:00.000Z"
    assert len(result.annotations) == 16


def test_labels_render_expressions() -> None:
    result = run_meta("push_default", {"tags": "type=raw,x", "labels": lines(
        "org.opencontainers.image.created={{commit_date 'YYYY-MM-DDTHH:mm:ss.SSS[Z]'}}",
        "branch={{branch}}")})
    assert result.labels["org.opencontainers.image.created"] == "2020-01-10T02:00:00.000Z"
    assert result.labels["branch"] == "master"


def test_collation_order_like_local_compare() -> None:
    keys = ["org.opencontainers.image.vendor", "maintainer", "com.example.z", "Zeta", "alpha",
            "a_b", "a-b", "a.b", "a1", "10", "9", "B", "b"]
    entries = merge_entries([], [f"{k}=v" for k in keys])
    assert [e.split("=")[0] for e in entries] == [
        "10", "9", "a_b", "a-b", "a.b", "a1", "alpha", "b", "B", "com.example.z", "maintainer",
        "org.opencontainers.image.vendor", "Zeta"]
    # a JavaScript object puts integer-like keys first, in numeric order
    assert list(as_object(entries))[:3] == ["9", "10", "a_b"]


def test_label_value_in_json_ends_at_line_break() -> None:
    assert as_object(["k=first\nsecond", "j=a=b"]) == {"k": "first", "j": "a=b"}


def test_step_outputs_and_bake_files(tmp_path) -> None:
    env = load_env("push_branch", INPUT_IMAGES="user/app", INPUT_TAGS=lines(
        "type=ref,event=branch", "type=raw,my", "type=raw,custom"), INPUT_LABELS="invalid")
    env["INPUT_SEP-TAGS"] = ","
    env["INPUT_BAKE-TARGET"] = "meta"
    inputs = read_inputs(env)
    result = run_meta("push_branch", {"images": "user/app", "tags": lines(
        "type=ref,event=branch", "type=raw,my", "type=raw,custom"), "labels": "invalid"})
    out = result.outputs(inputs)
    assert out["version"] == "dev"
    assert out["tags"] == "user/app:dev,user/app:my,user/app:custom"
    assert out["tag-names"] == "dev,my,custom"
    assert out["labels"].split("\n")[0] == \
        "org.opencontainers.image.created=2020-01-10T00:30:00.000Z"
    assert json.loads(out["json"]) == {"tags": list(result.tags), "tag-names": ["dev", "my",
                                                                             "custom"],
                                       "labels": result.labels,
                                       "annotations": list(result.annotations)}
    assert " " not in out["json"].split('"labels"')[0]  # compact, as JSON.stringify
    tags_def = json.loads(out["bake-file-tags"])
    assert tags_def == {"target": {"meta": {
        "tags": ["user/app:dev", "user/app:my", "user/app:custom"],
        "args": {"DOCKER_META_IMAGES": "user/app", "DOCKER_META_VERSION": "dev"}}}}
    both = json.loads(out["bake-file"])["target"]["meta"]
    assert set(both) == {"tags", "labels", "args"} and both["labels"] == result.labels
    assert json.loads(out["bake-file-annotations"])["target"]["meta"]["annotations"] == \
        list(result.annotations)
    written = result.outputs(inputs, str(tmp_path))
    assert written["bake-file-labels"] == str(tmp_path / "docker-metadata-action-bake-labels.json")
    assert json.loads((tmp_path / "docker-metadata-action-bake-labels.json").read_text()) == \
        {"target": {"meta": {"labels": result.labels}}}


def test_no_version_drops_it_from_bake_args() -> None:
    result = run_meta("push_branch", {"images": "user/app", "tags": "type=ref,event=tag"})
    inputs = read_inputs(load_env("push_branch"))
    args = json.loads(result.outputs(inputs)["bake-file-tags"])["target"][
        "docker-metadata-action"]["args"]
    assert args == {"DOCKER_META_IMAGES": "user/app"}
    assert result.to_json()["version"] == "" and result.to_json()["tags"] == []


def test_unmatched_rules_say_why() -> None:
    result = run_meta("push_branch", {"tags": lines(
        "type=semver,pattern={{version}}", "type=ref,event=pr", "type=edge",
        "type=raw,value=x,enable=false")})
    assert result.tags == ()
    assert result.unmatched == (
        "type=semver,pattern={{version}} (line 1): only on tag pushes (refs/tags/*) or with "
        "value=",
        "type=edge (line 3): only on branch master",
        "type=ref,event=pr (line 2): only on pull requests (refs/pull/*)",
        "type=raw,value=x,enable=false (line 4): disabled (enable=false)",
    )


def test_unknown_attribute_is_a_warning() -> None:
    result = run_meta("push_branch", {"tags": "type=ref,event=branch,sufix=-x"})
    assert result.tags == ("dev",)
    assert result.warnings == ("input 'tags' line 1: attribute(s) sufix are not used by "
                               "type=ref in \"type=ref,event=branch,sufix=-x\"",)


def test_rules_that_cannot_read_the_tag_warn() -> None:
    result = run_meta("push_tag", {"tags": lines(
        "type=semver,pattern={{version}}", "type=pep440,pattern={{version}}",
        "type=match,pattern=^x(\\d)", "type=match,pattern=(z)?sometag,group=1")},
        env={"GITHUB_REF": "refs/tags/sometag"})
    assert result.tags == ()
    assert result.warnings == (
        "input 'tags' line 1: sometag is not a valid semver (https://semver.org/); no tag "
        "from \"type=semver,pattern={{version}}\"",
        "input 'tags' line 2: sometag does not conform to PEP 440; no tag from "
        "\"type=pep440,pattern={{version}}\"",
        "input 'tags' line 3: pattern '^x(\\\\d)' does not match 'sometag'",
        "input 'tags' line 4: group 1 does not exist in the match of '(z)?sometag' on "
        "'sometag'",
    )
