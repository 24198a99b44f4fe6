"""Rule tuning across archived cases: a threshold copy of the rules, and the diff of the
gradings (the rules package's diff) in both directions."""

from __future__ import annotations

from pathlib import Path

import frames  # tests/fixtures/cases, put on sys.path by conftest.py
import polars as pl
import pytest
import yaml

from workbench.cases import tuning

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    # calm (no negative-share rule fires) but troubled enough for the volume rules' gate
    calm = frames.findings().with_columns(negative_share=pl.lit(0.1), mentions_officials=pl.lit(6))
    for run in ("a/r1", "b/r2"):
        (root / run).mkdir(parents=True)
        calm.write_parquet(root / run / "findings.parquet")
    return root


def test_archived_findings_keys_by_case(archive):
    f = tuning.archived_findings([archive])
    assert f.height == 6 and sorted(f["case"].unique()) == ["a/r1", "b/r2"]
    assert f["key"].n_unique() == 6
    with pytest.raises(FileNotFoundError, match="no findings.parquet"):
        tuning.archived_findings([archive / "nothing"])


def _conditions(when: dict) -> list[dict]:
    if "all" in when or "any" in when:
        return [c for sub in when.get("all", []) + when.get("any", []) for c in _conditions(sub)]
    return [when]


def test_with_thresholds_changes_only_the_named_condition(tmp_path):
    out = tuning.with_thresholds(ROOT / "rules", {"volume-iv-noticeable": {"n_posts": 50}},
                                 tmp_path / "tuned")
    rules = yaml.safe_load((out / "grading" / "volume.yaml").read_text(encoding="utf-8"))["rules"]
    rule = next(r for r in rules if r["id"] == "volume-iv-noticeable")
    assert {"field": "n_posts", "op": "gte", "value": 50} in _conditions(rule["when"])
    other = next(r for r in rules if r["id"] == "volume-iii-sizeable")
    assert {"field": "n_posts", "op": "gte", "value": 2000} in _conditions(other["when"])
    with pytest.raises(KeyError, match="no-such-rule"):
        tuning.with_thresholds(ROOT / "rules", {"no-such-rule": {"n_posts": 1}}, tmp_path / "x")


def test_compare_raises_and_flags_lowered_as_breaking(archive, tmp_path):
    f = tuning.archived_findings([archive])
    tuned = tuning.with_thresholds(ROOT / "rules", {"volume-iv-noticeable": {"n_posts": 50}},
                                   tmp_path / "tuned")
    up = tuning.compare(f, ROOT / "rules", tuned)
    assert up.diff.height == 6 and set(up.diff["change"]) == {"raised"}
    assert up.diff["rules_gained"].to_list() == [["volume-iv-noticeable"]] * 6
    assert up.levels.height == 12
    down = tuning.compare(f, tuned, ROOT / "rules")
    assert down.diff["breaking"].all()
    assert "**breaking**" in tuning.summary(down) and "6 of 6" in tuning.summary(down)
    same = tuning.compare(f, ROOT / "rules", ROOT / "rules")
    assert same.diff.height == 0 and "**0 of 6" in tuning.summary(same)
