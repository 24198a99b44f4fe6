"""A small drill end to end: simulate -> ingest -> events -> findings -> grading on a
simulated clock -> scores and report (real embedder, real rules)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

ROOT = Path(__file__).parents[1]
TINY = ROOT / "tests" / "fixtures" / "simulate" / "tiny.yaml"


@pytest.mark.slow
def test_small_drill_end_to_end(tmp_path):
    from workbench import drill

    res = drill.run(TINY, tmp_path, every_hours=6, rules=ROOT / "rules")
    s = res.score
    tl = res.replay.timeline
    assert tl.select("at").n_unique() >= 4  # clock steps over the 30-hour scenario
    assert s.detection["detected"], "a 200-post explosion with casualties must raise an alert"
    assert 0 <= s.detection["delay_hours"] <= 12
    assert s.accuracy["peak_level"] in {"I", "II", "III", "IV"}
    assert {m["status"] for m in s.measures} <= {"on_time", "late", "missing", "open", "unprescribed"}
    assert any(m["status"] in {"on_time", "late", "missing"} for m in s.measures)
    assert 0 <= s.total <= 100
    # the incident's main event keeps its id across clock steps (the ledger carries it)
    inc = tl.filter(pl.col("incident_posts") * 2 >= pl.col("n_posts")).sort("at")
    main = inc.group_by("event_id").agg(pl.len()).sort("len", descending=True)["event_id"][0]
    assert inc.filter(pl.col("event_id") == main).height >= 3
    md = (tmp_path / "drill.md").read_text("utf-8")
    assert "Criteria and scores" in md and "Suggested changes" in md
    assert (tmp_path / "drill.html").read_text("utf-8").count("<svg") == 2
    saved = json.loads((tmp_path / "score.json").read_text("utf-8"))
    assert saved["scenario"] == "tiny" and saved["intended_level"] == "III"


def test_drill_cli_help_and_bad_input(tmp_path, capsys):
    from workbench.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["drill", "--help"])
    assert exc.value.code == 0
    assert "detection delay" in capsys.readouterr().out
    assert main(["drill", str(tmp_path), "--out", str(tmp_path / "o")]) == 2  # a folder without truth.json
