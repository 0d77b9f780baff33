"""Tag tables: one row per (event fixture, inputs) with the version and tags expected.

The cases follow docker/metadata-action's behaviour (its own test table covers the same
situations); the clock is pinned at 2020-01-10T00:30:00Z through SOURCE_DATE_EPOCH.
"""

from __future__ import annotations

import pytest

from ghbuild.errors import InputError

from .support import lines, run_meta

SHA_DEV = "860c190"
SHA_MASTER = "2665741"
TWO = "org/app\nghcr.io/user/app"


def both(*names: str) -> list[str]:
    return [f"org/app:{n}" for n in names] + [f"ghcr.io/user/app:{n}" for n in names]


def one(*names: str) -> list[str]:
    return [f"user/app:{n}" for n in names]


# id, fixture, GITHUB_REF override (or ""), inputs, version, tags
ROWS = [
    # -- push to a branch ---------------------------------------------------------------
    ("push-default-rules", "push_branch", "", {"images": "user/app"}, "dev", one("dev")),
    ("push-edge-default-branch", "push_default", "", {"images": "user/app", "tags": "type=edge"},
     "edge", one("edge")),
    ("push-default-rules-master", "push_default", "", {"images": "user/app"}, "master",
     one("master")),
    ("dispatch-edge", "workflow_dispatch", "", {"images": "user/app", "tags": "type=edge"},
     "edge", one("edge")),
    ("push-two-images", "push_branch", "", {"images": TWO}, "dev", both("dev")),
    ("push-branch-and-sha", "push_branch", "",
     {"images": TWO, "tags": lines("type=ref,event=branch", "type=sha")}, "dev",
     both("dev", f"sha-{SHA_DEV}")),
    ("push-edge-and-sha", "push_default", "",
     {"images": TWO, "tags": lines("type=edge", "type=sha")}, "edge",
     both("edge", f"sha-{SHA_MASTER}")),
    ("push-edge-named-branch", "push_branch", "",
     {"images": TWO, "tags": lines("type=edge,branch=dev", "type=sha")}, "edge",
     both("edge", f"sha-{SHA_DEV}")),
    ("push-edge-other-branch", "push_default", "",
     {"images": TWO, "tags": lines("type=edge,branch=dev", "type=sha")}, f"sha-{SHA_MASTER}",
     both(f"sha-{SHA_MASTER}")),
    ("push-semver-on-branch", "push_branch", "",
     {"images": TWO, "tags": lines("type=semver,pattern={{version}}",
                                   "type=pep440,pattern={{version}}", "type=edge")},
     "", []),
    ("push-priority", "push_default", "",
     {"images": "user/app", "tags": lines("type=ref,priority=2000,event=branch", "type=edge")},
     "master", one("master", "edge")),
    ("push-semver-value", "push_default", "",
     {"images": "user/app", "tags": lines("type=semver,pattern={{version}},value=v1.2.3",
                                          "type=pep440,pattern={{version}},value=v1.2.3",
                                          "type=edge")},
     "1.2.3", one("1.2.3", "edge", "latest")),
    ("push-match-value", "push_default", "",
     {"images": "user/app", "tags": lines("type=match,pattern=v(.*),group=1,value=v1.2.3",
                                          "type=edge")},
     "1.2.3", one("1.2.3", "edge", "latest")),
    ("push-match-disabled", "push_default", "",
     {"images": "user/app",
      "tags": lines("type=match,enable=false,pattern=v(.*),group=1,value=v1.2.3", "type=edge")},
     "edge", one("edge")),
    ("push-expressions", "push_default", "",
     {"images": "user/app", "tags": lines(
         "type=raw,value=mytag-{{branch}}",
         "type=raw,value=mytag-{{date 'YYYYMMDD'}}",
         "type=raw,value=mytag-{{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}",
         "type=raw,value=mytag-tag-{{tag}}",
         "type=raw,value=mytag-baseref-{{base_ref}}",
         "type=raw,value=mytag-defbranch,enable={{is_default_branch}}",
         "type=raw,value=mytag-notdef,enable={{is_not_default_branch}}")},
     "mytag-master", one("mytag-master", "mytag-20200110", "mytag-20200110-093000",
                         "mytag-tag-", "mytag-baseref-", "mytag-defbranch")),
    ("push-commit-date", "push_default", "",
     # the pushed commit is 2020-01-09T21:00:00-05:00 = 2020-01-10T02:00:00Z
     {"images": "user/app", "tags": lines("type=raw,value=cd-{{commit_date 'YYYYMMDD-HHmm'}}",
                                          "type=raw,value=ny-{{commit_date 'YYYYMMDD-HHmm' "
                                          "tz='America/New_York'}}")},
     "cd-20200110-0200", one("cd-20200110-0200", "ny-20200109-2100")),
    ("push-sha-long", "push_branch", "",
     {"images": TWO, "tags": lines("type=ref,event=branch", "type=sha,format=long")}, "dev",
     both("dev", "sha-860c1904a1ce19322e91ac35af1ab07466440c37")),
    ("push-disabled-branch", "push_branch", "",
     {"images": TWO, "tags": lines("type=edge,branch=master", "type=ref,event=branch,enable=false",
                                   "type=sha,format=long",
                                   "type=raw,value=defbranch,enable={{is_default_branch}}")},
     "sha-860c1904a1ce19322e91ac35af1ab07466440c37",
     both("sha-860c1904a1ce19322e91ac35af1ab07466440c37")),
    ("push-image-disabled", "push_branch", "",
     {"images": "org/app\nghcr.io/user/app,enable=false",
      "tags": lines("type=edge,branch=master", "type=ref,event=branch,enable=false",
                    "type=sha,format=long")},
     "sha-860c1904a1ce19322e91ac35af1ab07466440c37",
     ["org/app:sha-860c1904a1ce19322e91ac35af1ab07466440c37"]),
    ("push-no-images", "push_default", "",
     {"tags": lines("type=raw,value=mytag-{{branch}}", "type=raw,value=mytag-tag-{{tag}}")},
     "mytag-master", ["mytag-master", "mytag-tag-"]),
    # -- tags -----------------------------------------------------------------------------
    ("tag-release1", "push_tag", "refs/tags/release1", {"images": "user/app"}, "release1",
     one("release1", "latest")),
    ("tag-rc-default", "push_tag", "refs/tags/20200110-RC2", {"images": "user/app"},
     "20200110-RC2", one("20200110-RC2", "latest")),
    ("tag-match-digits", "push_tag", "refs/tags/20200110-RC2",
     {"images": "user/app", "tags": "type=match,pattern=\\d{8}", "flavor": "latest=false"},
     "20200110", one("20200110")),
    ("tag-match-group", "push_tag", "refs/tags/20200110-RC2",
     {"images": "user/app", "tags": "type=match,pattern=(.*)-RC,group=1",
      "flavor": "latest=false"}, "20200110", one("20200110")),
    ("tag-match-quoted", "push_tag", "",
     {"images": TWO, "tags": 'type=match,"pattern=\\d.\\d.\\d"'},
     "1.1.1", both("1.1.1", "latest")),
    ("tag-match-anchored", "push_tag", "",
     {"images": TWO, "tags": 'type=match,"pattern=^v(\\d.\\d.\\d)$",group=1'}, "1.1.1",
     both("1.1.1", "latest")),
    ("tag-match-beta", "push_tag", "refs/tags/v2.0.8-beta.67",
     {"images": TWO, "tags": 'type=match,"pattern=\\d.\\d.\\d-(alpha|beta).\\d+"'},
     "2.0.8-beta.67", both("2.0.8-beta.67", "latest")),
    ("tag-match-short", "push_tag", "refs/tags/v2.0.8-beta.67",
     {"images": TWO, "tags": 'type=match,"pattern=\\d.\\d"'}, "2.0", both("2.0", "latest")),
    ("tag-match-two-groups", "push_tag", "refs/tags/v2.0.8-beta.67",
     {"images": TWO, "tags": lines('type=match,"pattern=v(.*)-beta.(.*)",group=1',
                                   'type=match,"pattern=v(.*)-beta.(.*)",group=2')},
     "2.0.8", both("2.0.8", "67", "latest")),
    ("tag-match-none", "push_tag", "refs/tags/sometag",
     {"images": TWO, "tags": 'type=match,"pattern=\\d.\\d"'}, "", []),
    ("tag-semver-all", "push_tag", "",
     {"images": TWO, "tags": lines("type=semver,pattern={{version}}",
                                   "type=semver,pattern={{major}}.{{minor}}",
                                   "type=semver,pattern={{major}}")},
     "1.1.1", both("1.1.1", "1.1", "1", "latest")),
    ("tag-semver-dedupe", "push_tag", "",
     {"images": TWO, "tags": lines("type=semver,pattern={{version}}",
                                   "type=semver,pattern={{major}}.{{minor}}.{{patch}}")},
     "1.1.1", both("1.1.1", "latest")),
    ("tag-semver-prerelease", "push_tag", "refs/tags/v2.0.8-beta.67",
     {"images": TWO, "tags": lines("type=semver,pattern={{major}}.{{minor}}",
                                   "type=semver,pattern={{major}}")},
     "2.0.8-beta.67", both("2.0.8-beta.67")),
    ("tag-semver-not-semver", "push_tag", "refs/tags/sometag",
     {"images": "ghcr.io/user/app", "tags": lines("type=ref,event=tag",
                                                  "type=semver,pattern={{version}}",
                                                  "type=semver,pattern={{major}}"),
      "flavor": "latest=false"}, "sometag", ["ghcr.io/user/app:sometag"]),
    ("tag-raw-priority", "push_tag", "refs/tags/v2.0.8-beta.67",
     {"images": TWO, "tags": lines("type=raw,priority=2000,foo", "type=semver,pattern={{version}}",
                                   'type=match,"pattern=\\d.\\d"')},
     "foo", both("foo", "2.0.8-beta.67", "2.0")),
    ("tag-raw-priority-ref", "push_tag", "",
     {"images": TWO, "tags": lines("type=raw,priority=2000,foo", "type=ref,event=tag",
                                   "type=edge")}, "foo", both("foo", "v1.1.1")),
    ("tag-match-regex-literal", "push_tag", "refs/tags/p1/v1.0.0",
     {"images": TWO, "tags": lines('type=match,"pattern=/^v(\\d.\\d.\\d)$/ig",group=1',
                                   "type=match,pattern=\\d.\\d.\\d",
                                   "type=match,pattern=\\d.\\d", "type=ref,event=pr",
                                   "type=sha")},
     "1.0.0", both("1.0.0", "1.0", f"sha-{SHA_DEV}", "latest")),
    ("tag-match-slash-groups", "push_tag", "refs/tags/p1/v1.0.0",
     {"images": TWO, "tags": lines("type=match,pattern=p1/v(\\d.\\d.\\d),group=1",
                                   "type=match,pattern=p1/v(\\d.\\d),group=1",
                                   "type=match,pattern=p1/v(\\d.\\d),group=3",
                                   "type=ref,event=pr", "type=sha")},
     "1.0.0", both("1.0.0", "1.0", f"sha-{SHA_DEV}", "latest")),
    ("tag-flavor-suffix", "push_tag", "refs/tags/p1/v1.0.0",
     {"images": TWO, "tags": lines("type=match,pattern=p1/v(\\d.\\d.\\d),group=1",
                                   "type=match,pattern=p1/v(\\d.\\d),group=1,suffix=",
                                   "type=ref,event=pr", "type=sha"),
      "flavor": "suffix=-dev"},
     "1.0.0-dev", both("1.0.0-dev", "1.0", f"sha-{SHA_DEV}-dev", "latest")),
    ("tag-expressions", "push_tag", "",
     {"images": TWO, "tags": lines("type=raw,{{tag}}-{{sha}}-foo", "type=raw,{{base_ref}}-foo",
                                   "type=raw,defbranch-foo,enable={{is_default_branch}}")},
     "v1.1.1-860c190-foo", both("v1.1.1-860c190-foo", "master-foo")),
    ("tag-suffix-onlatest", "push_tag", "",
     {"images": TWO, "tags": lines("type=semver,pattern={{version}}",
                                   "type=semver,pattern={{major}}.{{minor}}.{{patch}}"),
      "flavor": "suffix=-dev,onlatest=true"},
     "1.1.1-dev", both("1.1.1-dev", "latest-dev")),
    ("tag-prefix-suffix-onlatest", "push_tag", "",
     {"images": TWO, "tags": lines("type=semver,pattern={{version}}",
                                   "type=semver,pattern={{major}}.{{minor}}.{{patch}}"),
      "flavor": lines("prefix=foo-,onlatest=true", "suffix=-dev,onlatest=true")},
     "foo-1.1.1-dev", both("foo-1.1.1-dev", "foo-latest-dev")),
    ("tag-pep440-raw", "push_tag", "",
     {"images": "org/app", "tags": lines("type=pep440,pattern={{raw}}",
                                         "type=pep440,pattern={{major}}.{{minor}}")},
     "v1.1.1", ["org/app:v1.1.1", "org/app:1.1", "org/app:latest"]),
    ("tag-pep440-two-parts", "push_tag", "refs/tags/1.2",
     {"images": "org/app", "tags": lines("type=pep440,pattern={{version}}",
                                         "type=pep440,pattern={{major}}.{{minor}}")},
     "1.2", ["org/app:1.2", "org/app:latest"]),
    ("tag-pep440-beta", "push_tag", "refs/tags/1.1beta2",
     {"images": TWO, "tags": lines("type=pep440,pattern={{major}}.{{minor}}",
                                   "type=pep440,pattern={{major}}")}, "1.1b2", both("1.1b2")),
    ("tag-pep440-dev", "push_tag", "refs/tags/1.0dev4",
     {"images": TWO, "tags": lines("type=pep440,pattern={{major}}.{{minor}}",
                                   "type=pep440,pattern={{major}}")},
     "1.0.dev4", both("1.0.dev4")),
    ("tag-pep440-rc", "push_tag", "refs/tags/1.2.3rc2",
     {"images": TWO, "tags": lines("type=pep440,pattern={{raw}}", "type=pep440,pattern={{version}}",
                                   "type=pep440,pattern={{major}}.{{minor}}",
                                   "type=pep440,pattern={{major}}")},
     "1.2.3rc2", both("1.2.3rc2")),
    ("tag-pep440-all", "push_tag", "",
     {"images": "org/app", "tags": lines("type=pep440,pattern={{version}}",
                                         "type=pep440,pattern={{major}}.{{minor}}.{{patch}}",
                                         "type=pep440,pattern={{major}}.{{minor}}",
                                         "type=pep440,pattern={{major}}")},
     "1.1.1", ["org/app:1.1.1", "org/app:1.1", "org/app:1", "org/app:latest"]),
    ("tag-pep440-post", "push_tag", "refs/tags/1.2post1",
     {"images": "org/app", "tags": lines("type=pep440,pattern={{version}}",
                                         "type=pep440,pattern={{major}}.{{minor}}",
                                         "type=pep440,pattern={{major}}")},
     "1.2.post1", ["org/app:1.2.post1"]),
    ("tag-semver-raw-prerelease", "push_tag", "refs/tags/v2.0.8-beta.67",
     {"images": TWO, "tags": "type=semver,pattern={{raw}}"}, "v2.0.8-beta.67",
     both("v2.0.8-beta.67")),
    ("tag-pep440-raw-rc", "push_tag", "refs/tags/v1.2.3rc2",
     {"images": TWO, "tags": lines("type=pep440,pattern={{raw}}",
                                   "type=pep440,pattern={{major}}.{{minor}}")},
     "v1.2.3rc2", both("v1.2.3rc2", "1.2.3rc2")),
    ("tag-semver-build-metadata", "push_tag", "refs/tags/v9.5.7-alpha.2+fork.3.1.8",
     {"images": "user/app", "tags": lines("type=semver,pattern={{version}}",
                                          "type=semver,pattern={{major}}.{{minor}}")},
     "9.5.7-alpha.2", one("9.5.7-alpha.2")),
    ("tag-semver-big-numbers", "push_tag", "refs/tags/v101.12.13",
     {"images": "user/app", "tags": lines("type=semver,pattern={{version}}",
                                          "type=semver,pattern={{major}}.{{minor}}",
                                          "type=semver,pattern={{major}}")},
     "101.12.13", one("101.12.13", "101.12", "101", "latest")),
    ("tag-semver-match-attr", "push_tag", "refs/tags/app/v3.4.5",
     {"images": "user/app", "tags": "type=semver,pattern={{major}}.{{minor}},match=app/v(.*)"},
     "3.4", one("3.4", "latest")),
    ("tag-semver-match-misses", "push_tag", "",
     {"images": "user/app", "tags": "type=semver,pattern={{major}},match=app/v(.*)"},
     "1", one("1", "latest")),
    ("tag-semver-prerelease-value-build", "push_default", "",
     {"images": "user/app", "tags": "type=semver,pattern={{version}},value=1.0.0-rc.1+b5"},
     "1.0.0-rc.1", one("1.0.0-rc.1")),
    ("tag-no-images-semver", "push_tag", "",
     {"tags": lines("type=pep440,pattern={{version}}", "type=pep440,pattern={{major}}")},
     "1.1.1", ["1.1.1", "1", "latest"]),
    # -- latest ---------------------------------------------------------------------------
    ("latest-match-anchor", "push_tag", "refs/tags/release1",
     {"images": "user/app", "tags": 'type=match,"pattern=^release\\d{1,2}"'}, "release1",
     one("release1", "latest")),
    ("latest-match-rc", "push_tag", "refs/tags/20200110-RC2",
     {"images": "user/app", "tags": 'type=match,"pattern=^\\d+-RC\\d{1,2}"'}, "20200110-RC2",
     one("20200110-RC2", "latest")),
    ("latest-tag-false", "push_tag", "",
     {"images": "org/app\nghcr.io/MyUSER/MyApp", "tags": "type=ref,event=tag",
      "flavor": "latest=false"}, "v1.1.1", ["org/app:v1.1.1", "ghcr.io/myuser/myapp:v1.1.1"]),
    ("latest-true-on-branch", "push_branch", "",
     {"images": "user/app", "tags": lines("type=ref,priority=90,event=branch", "type=raw,my",
                                          "type=raw,custom", "type=raw,tags"),
      "flavor": "latest=true"}, "my", one("my", "custom", "tags", "dev", "latest")),
    ("latest-release-default", "release", "", {"images": "user/app"}, "v1.1.1",
     one("v1.1.1", "latest")),
    ("latest-not-repeated", "push_tag", "",
     {"images": "user/app", "tags": "type=raw,value=latest", "flavor": "latest=true"},
     "latest", one("latest")),
    ("release-baseref-empty", "release", "",
     {"images": "user/app",
      "tags": lines("type=ref,event=tag", "type=raw,value=baseref-{{base_ref}}",
                    "type=raw,value=defbranch,enable={{is_default_branch}}")},
     "v1.1.1", one("v1.1.1", "baseref-", "latest")),
    # -- pull requests --------------------------------------------------------------------
    ("pr-default", "pull_request", "", {"images": "user/app"}, "pr-15", one("pr-15")),
    ("pr-and-sha", "pull_request", "",
     {"images": TWO, "tags": lines("type=ref,event=pr", "type=sha")}, "pr-15",
     both("pr-15", "sha-a9c8c58")),
    ("pr-sha-priority", "pull_request", "",
     {"images": TWO, "tags": lines("type=sha,priority=2000", "type=ref,event=pr")},
     "sha-a9c8c58", both("sha-a9c8c58", "pr-15")),
    ("pr-flavor", "pull_request", "",
     {"images": TWO, "tags": "type=ref,event=pr", "flavor": lines("prefix=glo-", "suffix=-bal")},
     "pr-15-bal", both("pr-15-bal")),
    ("pr-empty-prefix", "pull_request", "",
     {"images": TWO, "tags": "type=ref,event=pr,prefix=",
      "flavor": lines("prefix=glo-", "suffix=-bal")}, "15-bal", both("15-bal")),
    ("pr-baseref", "pull_request", "",
     {"images": "org/app", "tags": lines("type=raw,value=mytag-{{base_ref}}",
                                         "type=raw,mytag-defbranch,enable={{is_default_branch}}")},
     "mytag-master", ["org/app:mytag-master"]),
    ("pr-commit-date-default-format", "pull_request", "",
     # no commit of this sha in the payload: the commit date is "now"; an unknown path as
     # the format means moment's default format
     {"images": "org/app", "tags": "type=raw,value={{commit_date YYYY-MM-DD-HHmmSS}}"},
     "2020-01-10T00-30-00Z", ["org/app:2020-01-10T00-30-00Z"]),
    ("prt-merge-ref", "pull_request_target", "",
     {"images": TWO, "tags": lines("type=sha,priority=2000", "type=ref,event=pr")},
     f"sha-{SHA_MASTER}", both(f"sha-{SHA_MASTER}", "pr-15")),
    ("prt-never-base-branch", "pull_request_target", "",
     {"images": "org/app", "tags": lines("type=ref,event=tag", "type=ref,event=pr",
                                         "type=ref,event=branch", "type=sha",
                                         "type=sha,format=long")},
     "pr-15", ["org/app:pr-15", f"org/app:sha-{SHA_MASTER}",
               "org/app:sha-266574110acf203503badf966df2ea24b5d732d7"]),
    ("prt-baseref", "pull_request_target", "",
     {"images": "org/app", "tags": lines("type=raw,value=mytag-{{base_ref}}",
                                         "type=raw,mytag-defbranch,enable={{is_default_branch}}")},
     "mytag-master", ["org/app:mytag-master"]),
    # -- schedule -------------------------------------------------------------------------
    ("schedule-default", "schedule", "", {"images": "user/app"}, "nightly",
     one("nightly", "master")),
    ("schedule-date", "schedule", "",
     {"images": "user/app", "tags": "type=schedule,pattern={{date 'YYYYMMDD'}}"}, "20200110",
     one("20200110")),
    ("schedule-date-time", "schedule", "",
     {"images": "user/app", "tags": "type=schedule,pattern={{date 'YYYYMMDD-HHmmss'}}"},
     "20200110-003000", one("20200110-003000")),
    ("schedule-sha", "schedule", "",
     {"images": TWO, "tags": lines("type=schedule", "type=sha")}, "nightly",
     both("nightly", f"sha-{SHA_DEV}")),
    ("schedule-priority", "schedule", "",
     {"images": TWO, "tags": lines("type=schedule", "type=sha,priority=2000",
                                   "type=raw,value=defbranch,enable={{is_default_branch}}")},
     f"sha-{SHA_DEV}", both(f"sha-{SHA_DEV}", "nightly", "defbranch")),
    ("schedule-flavor", "schedule", "",
     {"images": TWO, "tags": "type=schedule", "flavor": lines("prefix=glo-", "suffix=-bal")},
     "glo-nightly-bal", both("glo-nightly-bal")),
    ("schedule-tokyo", "schedule", "",
     {"images": "user/app",
      "tags": "type=schedule,pattern={{date 'YYYYMMDD-HHmmss' tz='Asia/Tokyo'}}"},
     "20200110-093000", one("20200110-093000")),
    ("schedule-not-on-push", "push_default", "",
     {"images": "user/app", "tags": "type=schedule,pattern={{date 'YYYYMMDD'}}"}, "", []),
    # -- events that always run on the default branch's last commit ---------------------
    *[(f"{event}-is-default-branch", "push_branch", "",
       {"tags": lines("type=raw,value=def,enable={{is_default_branch}}",
                      "type=raw,value=notdef,enable={{is_not_default_branch}}")},
       "def", ["def"]) for event in ("create", "discussion", "issues")],
    # -- raw ------------------------------------------------------------------------------
    ("raw-several", "push_branch", "",
     {"images": "user/app", "tags": lines("type=ref,event=branch", "type=raw,my",
                                          "type=raw,custom", "type=raw,tags")},
     "dev", one("dev", "my", "custom", "tags")),
    ("raw-on-tag", "push_tag", "refs/tags/release1",
     {"images": "user/app", "tags": lines("type=ref,event=tag", "type=raw,my", "type=raw,custom")},
     "release1", one("release1", "my", "custom", "latest")),
    ("raw-after-semver", "push_tag", "",
     {"images": TWO, "tags": lines("type=semver,pattern={{version}}",
                                   "type=semver,pattern={{major}}.{{minor}}",
                                   "type=semver,pattern={{major}}", "type=raw,my")},
     "1.1.1", both("1.1.1", "1.1", "1", "my", "latest")),
    ("raw-only", "push_tag", "", {"images": TWO, "tags": lines("type=raw,my", "type=raw,custom")},
     "my", both("my", "custom")),
    ("raw-affixes", "push_branch", "",
     {"images": "user/app", "tags": lines("type=match,pattern=\\d{8}",
                                          "type=raw,my,prefix=foo-,suffix=-bar",
                                          "type=raw,custom", "type=raw,tags"),
      "flavor": lines("latest=false", "prefix=glo-", "suffix=-bal")},
     "foo-my-bar", one("foo-my-bar", "glo-custom-bal", "glo-tags-bal")),
    ("raw-enable", "push_branch", "",
     {"images": "user/app", "tags": lines("type=raw,foo", "type=raw,bar,enable=false",
                                          "type=raw,baz,enable=true"),
      "flavor": "latest=false"}, "foo", one("foo", "baz")),
    ("raw-no-type", "push_branch", "", {"images": "user/app", "tags": "plain"}, "plain",
     one("plain")),
]


@pytest.mark.parametrize(("row_id", "fixture", "ref_override", "inputs", "version", "tags"),
                         ROWS, ids=[r[0] for r in ROWS])
def test_tag_table(row_id: str, fixture: str, ref_override: str, inputs: dict[str, str],
                   version: str, tags: list[str]) -> None:
    env = {"GITHUB_REF": ref_override} if ref_override else {}
    if row_id.endswith("-is-default-branch"):
        env["GITHUB_EVENT_NAME"] = row_id.split("-")[0]
    result = run_meta(fixture, inputs, env=env)
    assert (result.version, list(result.tags)) == (version, tags)
    assert result.labels["org.opencontainers.image.version"] == version


def test_pr_head_sha_switch() -> None:
    result = run_meta("pull_request", {"images": "user/app", "tags": lines(
        "type=ref,event=pr", "type=sha")}, env={"DOCKER_METADATA_PR_HEAD_SHA": "true"})
    assert list(result.tags) == ["user/app:pr-15", "user/app:sha-3370e22"]
    assert result.labels["org.opencontainers.image.revision"] == \
        "3370e228f2209994d57af4427fe64e71bb79ac96"


def test_pr_head_sha_switch_on_target() -> None:
    result = run_meta("pull_request_target", {"images": "org/app", "tags": "type=sha"},
                      env={"DOCKER_METADATA_PR_HEAD_SHA": "true"})
    assert list(result.tags) == ["org/app:sha-3370e22"]


def test_pr_head_sha_ignored_on_push() -> None:
    result = run_meta("push_branch", {"tags": "type=sha"},
                      env={"DOCKER_METADATA_PR_HEAD_SHA": "true"})
    assert list(result.tags) == ["sha-860c190"]


@pytest.mark.parametrize(("length", "short"), [
    ("12", "860c1904a1ce"), ("1", "8"), (" 9 ", "860c1904a"),
    # beyond the sha's length: the whole sha, as metadata-action gives it
    ("99", "860c1904a1ce19322e91ac35af1ab07466440c37")])
def test_short_sha_length(length: str, short: str) -> None:
    result = run_meta("push_branch", {"tags": lines("type=sha", "type=raw,x-{{sha}}")},
                      env={"DOCKER_METADATA_SHORT_SHA_LENGTH": length})
    assert list(result.tags) == [f"x-{short}", f"sha-{short}"]  # raw outranks sha


SHA = "860c1904a1ce19322e91ac35af1ab07466440c37"


@pytest.mark.parametrize("length", ["+9", "09"])
def test_short_sha_length_in_other_whole_number_spellings(length: str) -> None:
    # JavaScript's Number reads both as 9, as metadata-action does
    result = run_meta("push_branch", {"tags": "type=sha"},
                      env={"DOCKER_METADATA_SHORT_SHA_LENGTH": length})
    assert list(result.tags) == [f"sha-{SHA[:9]}"]


def test_a_blank_short_sha_length_is_the_default() -> None:
    # metadata-action reads a blank (but set) value as 0, the empty short sha below
    result = run_meta("push_branch", {"tags": "type=sha"},
                      env={"DOCKER_METADATA_SHORT_SHA_LENGTH": "  "})
    assert list(result.tags) == [f"sha-{SHA[:7]}"]


@pytest.mark.parametrize("length", ["0", "00", "-3", "-0"])
@pytest.mark.parametrize("tags", ["type=sha", "type=sha,prefix=", "type=raw,value=x-{{sha}}",
                                  "type=ref,event=branch,suffix=-{{sha}}"])
def test_a_short_sha_length_below_1_is_refused_where_a_short_sha_is_made(
        length: str, tags: str) -> None:
    # metadata-action gives 'sha-' (every commit the same tag), no tag, 'x-' and 'main-'
    with pytest.raises(InputError) as info:
        run_meta("push_branch", {"tags": tags},
                 env={"DOCKER_METADATA_SHORT_SHA_LENGTH": length})
    assert str(info.value) == (
        f"DOCKER_METADATA_SHORT_SHA_LENGTH is {int(length)}, which makes the short sha empty "
        "(metadata-action would tag every commit 'sha-'); use a length from 1 up (40 or more "
        "for the whole sha)")


@pytest.mark.parametrize("tags", ["type=ref,event=branch", "type=sha,format=long",
                                  "type=raw,value={{branch}}-{{date 'YYYYMMDD'}}"])
def test_a_short_sha_length_below_1_has_no_effect_where_no_short_sha_is_made(
        tags: str) -> None:
    # As in metadata-action, which only reads the variable when it makes a short sha.
    plain = run_meta("push_branch", {"tags": tags}, env={"SOURCE_DATE_EPOCH": "1700000000"})
    zero = run_meta("push_branch", {"tags": tags},
                    env={"SOURCE_DATE_EPOCH": "1700000000",
                         "DOCKER_METADATA_SHORT_SHA_LENGTH": "0"})
    assert zero.tags == plain.tags and zero.tags
    assert zero.labels == plain.labels  # the revision label keeps the whole sha


def test_tag_names_without_images() -> None:
    result = run_meta("push_tag", {"images": TWO, "tags": "type=semver,pattern={{version}}"})
    assert result.tag_names == ("1.1.1", "latest")
    assert result.images == ("org/app", "ghcr.io/user/app")
