"""read_inputs: both INPUT_ spellings, flag overrides, defaults, the DOCKER_METADATA_ switches."""

from __future__ import annotations

from ghbuild.meta import MetaInputs, read_inputs


def test_defaults() -> None:
    assert read_inputs({}) == MetaInputs()


def test_dash_and_underscore_spellings_and_untrimmed_separators() -> None:
    env = {"INPUT_SEP-TAGS": " ", "INPUT_SEP_LABELS": ",", "INPUT_BAKE-TARGET": " meta ",
           "INPUT_TAGS": "  type=sha\n", "INPUT_SEP-ANNOTATIONS": ""}
    inputs = read_inputs(env)
    assert (inputs.sep_tags, inputs.sep_labels, inputs.sep_annotations) == (" ", ",", "\n")
    assert inputs.bake_target == "meta"
    assert inputs.tags == ("type=sha",)


def test_overrides_win_and_none_means_unset() -> None:
    env = {"INPUT_TAGS": "type=sha", "INPUT_IMAGES": "a/b", "INPUT_CONTEXT": "workflow"}
    inputs = read_inputs(env, {"tags": "type=raw,x", "images": None, "context": "git",
                               "sep-tags": ";"})
    assert (inputs.tags, inputs.images, inputs.context, inputs.sep_tags) == \
        (("type=raw,x",), ("a/b",), "git", ";")


def test_switches() -> None:
    inputs = read_inputs({"DOCKER_METADATA_PR_HEAD_SHA": "True",
                          "DOCKER_METADATA_SHORT_SHA_LENGTH": "10",
                          "DOCKER_METADATA_ANNOTATIONS_LEVELS": "manifest, index"})
    assert (inputs.pr_head_sha, inputs.short_sha_length, inputs.annotation_levels) == \
        (True, 10, ("manifest", "index"))


def test_list_inputs_given_as_lines_are_joined() -> None:
    inputs = MetaInputs(tags=("type=sha", "type=raw,x"))
    assert inputs.text("tags") == "type=sha\ntype=raw,x"
