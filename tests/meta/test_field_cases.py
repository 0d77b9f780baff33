"""The small cases from the field listed in the tag-engine issue, with their right values."""

from __future__ import annotations

import pytest

from .support import lines, run_meta


@pytest.mark.parametrize(("ref", "tag"), [
    ("refs/heads/banner-utils-test-#5", "banner-utils-test--5"),
    ("refs/heads/feature/add-list-project", "feature-add-list-project"),
    ("refs/heads/fix/été+tôt", "fix-t-t-t"),
])
def test_branch_names_are_sanitised(ref: str, tag: str) -> None:
    result = run_meta("push_branch", {"images": "user/app", "tags": "type=ref,event=branch"},
                      env={"GITHUB_REF": ref})
    assert list(result.tags) == [f"user/app:{tag}"]
    assert result.version == tag
    assert result.labels["org.opencontainers.image.version"] == tag


@pytest.mark.parametrize(("epoch", "pattern", "tag"), [
    ("1578616200", "{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}", "20200110-093000"),
    ("1578616200", "{{date 'YYYYMMDD-HHmmss'}}", "20200110-003000"),
    ("1711927800", "tokyo-{{date 'YYYYMMDD' tz='Asia/Tokyo'}}", "tokyo-20240401"),
    ("1711927800", "ny-{{date 'YYYYMMDD-hh' tz='America/New_York'}}", "ny-20240331-07"),
])
def test_schedule_dates_in_zones(epoch: str, pattern: str, tag: str) -> None:
    result = run_meta("schedule", {"tags": f"type=schedule,pattern={pattern}"},
                      env={"SOURCE_DATE_EPOCH": epoch})
    assert list(result.tags) == [tag]


def test_branch_suffix_with_new_york_date() -> None:
    result = run_meta("push_default", {
        "tags": "type=ref,event=branch,suffix=-{{date 'YYYY-MM-DD' tz='America/New_York'}}"},
        env={"GITHUB_REF": "refs/heads/main", "SOURCE_DATE_EPOCH": "1711927800"})
    assert list(result.tags) == ["main-2024-03-31"]


def test_schedule_rules_produce_nothing_on_push() -> None:
    result = run_meta("push_default", {
        "tags": "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}"})
    assert result.tags == ()
    assert result.unmatched == (
        "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}} (line 1): only on "
        "schedule events",)


def test_hash_comment_lines_and_hash_in_match_pattern() -> None:
    result = run_meta("push_tag", {"images": "user/app", "tags": lines(
        "# a comment line",
        "   # an indented comment, type=raw,value=never",
        "type=match,pattern=mkdocs#(.*),group=1")},
        env={"GITHUB_REF": "refs/tags/mkdocs#20250820"})
    assert list(result.tags) == ["user/app:20250820", "user/app:latest"]


def test_hash_in_raw_value_and_flavor_prefix() -> None:
    result = run_meta("push_default", {"tags": "type=raw,value=foo#bar", "flavor": "prefix=v#1"},
                      env={"GITHUB_REF": "refs/heads/main"})
    assert list(result.tags) == ["v-1foo-bar"]


def test_hash_kept_in_labels_and_annotations() -> None:
    result = run_meta("push_default", {
        "tags": "type=raw,value=x",
        "labels": lines("# not a label", "mylabel=foo#bar"),
        "annotations": "org.opencontainers.image.documentation=https://example.com/x#readme"},
        env={"GITHUB_REF": "refs/heads/main"})
    assert result.labels["mylabel"] == "foo#bar"
    assert "# not a label" not in result.labels
    assert ("manifest:org.opencontainers.image.documentation=https://example.com/x#readme"
            in result.annotations)
