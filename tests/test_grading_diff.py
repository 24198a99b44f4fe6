"""`workbench rules diff` and `rules grade` on archived findings parquet files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.cli import main
from workbench.grading.diff import diff_rulesets
from workbench.schema import FINDINGS_SCHEMA, GRADING_SCHEMA, conform

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "findings_small.json"


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    rows = json.loads(FIXTURE.read_text("utf-8"))
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.col("first_seen").str.to_datetime(time_zone="UTC"))
    d = tmp_path / "cases" / "case-a"
    d.mkdir(parents=True)
    conform(frame, FINDINGS_SCHEMA).write_parquet(d / "findings.parquet")
    pl.DataFrame({"post_id": ["x"]}).write_parquet(d / "posts.parquet")  # not findings: skipped
    return tmp_path / "cases"


def _variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    dst = tmp_path / name
    shutil.copytree(ROOT / "rules", dst, ignore=shutil.ignore_patterns("lexicons"))
    f = dst / "grading" / "casualties.yaml"
    text = f.read_text("utf-8")
    assert old in text
    f.write_text(text.replace(old, new), "utf-8")
    return dst


def test_same_rules_no_change(cases: Path, capsys):
    assert main(["rules", "diff", str(ROOT / "rules"), str(ROOT / "rules"), "--cases", str(cases)]) == 0
    assert "0 events changed level" in capsys.readouterr().out


def test_lowered_level_is_breaking(cases: Path, tmp_path: Path, capsys):
    # raising the level-I casualty threshold to 50 lowers E-casualty (36 stated) from I to II
    new = _variant(tmp_path, "new", "{field: deaths_reported, op: gte, value: 30}",
                   "{field: deaths_reported, op: gte, value: 50}")
    out_file = tmp_path / "diff.json"
    code = main(["rules", "diff", str(ROOT / "rules"), str(new), "--cases", str(cases),
                 "--out", str(out_file)])
    out = capsys.readouterr().out
    assert code == 1
    assert "BREAKING case-a/findings.parquet E-casualty: I -> II (lowered)" in out
    assert "lost ['casualties-i-mass']" in out
    diff, summary = diff_rulesets(ROOT / "rules", new, cases)
    assert summary["lowered"] == 1 and summary["files"] == 1 and summary["events"] == 6
    assert diff.row(0, named=True)["rules_lost"] == ["casualties-i-mass"]
    assert out_file.exists()


def test_raised_level_is_not_breaking(cases: Path, tmp_path: Path, capsys):
    new = _variant(tmp_path, "new2", "{field: mentions_casualties, op: gte, value: 5}\n",
                   "{field: mentions_casualties, op: gte, value: 5}\n")  # unchanged file ...
    f = new / "grading" / "volume.yaml"
    f.write_text(f.read_text("utf-8").replace("{field: n_posts, op: gte, value: 300}",
                                              "{field: n_posts, op: gte, value: 10}")
                 .replace("{field: negative_share, op: gte, value: 0.3}",
                          "{field: negative_share, op: gte, value: 0.1}"), "utf-8")
    assert main(["rules", "diff", str(ROOT / "rules"), str(new), "--cases", str(cases)]) == 0
    out = capsys.readouterr().out
    assert "E-quiet: watch -> IV (raised)" in out and "BREAKING" not in out


def test_rules_grade_cli(cases: Path, tmp_path: Path, capsys):
    out = tmp_path / "g.parquet"
    assert main(["rules", "grade", str(cases / "case-a" / "findings.parquet"), "--out", str(out)]) == 0
    g = pl.read_parquet(out)
    assert g.schema == GRADING_SCHEMA and g.height == 6
    assert "I: 1" in capsys.readouterr().out
    csv = tmp_path / "g.csv"
    assert main(["rules", "grade", str(cases / "case-a" / "findings.parquet"), "--out", str(csv),
                 "--reference"]) == 0
    assert "fired_rules" in csv.read_text("utf-8").splitlines()[0]
