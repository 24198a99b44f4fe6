"""Drill scoring as pure functions over a hand-made timeline of gradings (no models)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from workbench.drill.report import markdown, to_html, write_report
from workbench.drill.score import (
    TIMELINE_SCHEMA,
    canonical_measure,
    detection,
    evaluate,
    grading_accuracy,
    incident_track,
)

ONSET = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)
RANKS = {"I": 1, "II": 2, "III": 3, "IV": 4, "watch": 5}


def _measures(level: str) -> list[dict]:
    if level == "watch":
        return [{"measure": "monitor", "title": "持续监测研判", "owner": "on_duty_analyst", "deadline_hours": 24.0,
                 "due_at": ONSET + dt.timedelta(hours=24), "source": "default"}]
    spec = {"start_response": 2, "investigate": 4, "publish_info": 5, "guide_opinion": 6, "follow_up": 168}
    return [{"measure": m, "title": m, "owner": "owner_" + m, "deadline_hours": float(h),
             "due_at": ONSET + dt.timedelta(hours=h), "source": "default"} for m, h in spec.items()]


def _row(hour: int, event: str, level: str, n: int, inc: int) -> dict:
    return {"at": ONSET + dt.timedelta(hours=hour), "event_id": event, "level": level, "level_rank": RANKS[level],
            "n_posts": n, "incident_posts": inc, "measures": _measures(level), "fired_rules": []}


def timeline() -> pl.DataFrame:
    rows = []
    for h in range(-1, 11):
        rows.append(_row(h, "E9", "IV" if h == 5 else "watch", 10 + h, 0))  # background
        if h >= 0:
            level = "watch" if h == 0 else ("IV" if h == 1 else ("III" if h < 4 else "II"))
            rows.append(_row(h, "E1", level, 5 + 10 * h, 5 + 10 * h))
        if h == 3:
            rows.append(_row(h, "E2", "watch", 5, 4))  # a fragment of the incident
    return pl.DataFrame(rows, schema=TIMELINE_SCHEMA)


TRUTH = {
    "scenario": "handmade", "title": "测试事件", "seed": 0, "incident_event": "SIM-x", "nature": "social",
    "type": "chemical_explosion", "intended_level": "II", "onset": ONSET.isoformat(), "posts": 200,
    "incident_posts": 110, "files": {"weibo": 200},
    "responders": {"start_response": 0.5, "investigate": 4.5, "publish_info": None, "expert_interpretation": 3},
    "timeline": [{"at": ONSET.isoformat(), "hours_after_onset": 0, "what": "onset", "detail": "事件发生"}],
}


def test_track_detection_and_accuracy():
    track = incident_track(timeline(), ONSET)
    assert track.height == 12
    det = detection(track, ONSET)
    assert det["detected"] and det["delay_hours"] == pytest.approx(1.0) and det["first_level"] == "IV"
    assert det["seen_delay_hours"] == pytest.approx(0.0)
    acc = grading_accuracy(track, "II")
    assert acc["steps"] == 10  # from the first alert (h=1) to h=10
    assert acc["exact_share"] == pytest.approx(0.7)
    assert acc["under_share"] == pytest.approx(0.3) and acc["over_share"] == 0
    assert acc["hours_to_intended"] == pytest.approx(4.0)
    assert acc["peak_level"] == "II" and acc["final_level"] == "II"
    assert track.filter(pl.col("hours_after_onset") == 3)["n_events"].item() == 2  # split
    assert track.filter(pl.col("hours_after_onset") == 5)["false_alarms"].item() == 1
    assert track.filter(pl.col("hours_after_onset") == 3)["purity"].item() == pytest.approx(39 / 40)


def test_measures_on_time_late_missing_unprescribed():
    score = evaluate(timeline(), TRUTH)
    status = {m["measure"]: m for m in score.measures}
    # deadlines run from when IV was reached (1 h), not from the first post (0 h)
    assert status["start_response"]["status"] == "on_time"  # 1 h + 0.5 h <= 1 h + 2 h
    assert status["investigate"]["status"] == "late"  # 1 h + 4.5 h > 1 h + 4 h
    assert status["investigate"]["late_hours"] == pytest.approx(0.5)
    assert status["investigate"]["level_reached_at"] == ONSET + dt.timedelta(hours=1)
    assert status["investigate"]["due_from_first_post"] == ONSET + dt.timedelta(hours=4)
    assert status["publish_info"]["status"] == "missing"  # scripted as never done
    assert status["guide_opinion"]["status"] == "missing"  # not scripted, deadline passed in the drill
    assert status["follow_up"]["status"] == "open"  # not scripted, due after the drill ended
    assert status["expert_interpretation"]["status"] == "unprescribed"
    assert "monitor" not in status  # watch-level measures are not the incident's response
    assert 0 < score.total < 100
    text = " ".join(score.problems)
    assert "investigate" in text and "never done" in text and "false alarm" in text and "split" in text
    assert any("deadline" in s for s in score.suggestions)


def test_never_detected_scores_zero_detection():
    tl = timeline().with_columns(level=pl.lit("watch"), level_rank=pl.lit(5, pl.Int64))
    score = evaluate(tl, TRUTH)
    assert not score.detection["detected"]
    assert score.criteria[0]["score"] == 0 and score.measures[0]["status"] == "unprescribed"
    assert any("never alerted" in p for p in score.problems)


def test_over_grading_is_a_problem():
    tl = timeline().with_columns(
        level=pl.when(pl.col("event_id") == "E1").then(pl.lit("I")).otherwise(pl.col("level")),
        level_rank=pl.when(pl.col("event_id") == "E1").then(1).otherwise(pl.col("level_rank")),
    )
    score = evaluate(tl, {**TRUTH, "intended_level": "III"})
    assert score.accuracy["over_share"] == 1.0
    assert any("Over-grading" in p for p in score.problems)


@pytest.mark.parametrize(("name", "canon"), [
    ("publish_info", "publish_info"), ("publish_information", "publish_info"), ("发布权威信息", "publish_info"),
    ("Start-Response", "start_response"), ("加强舆情引导", "guide_opinion"), ("something_else", "something_else"),
])
def test_measure_names(name, canon):
    assert canonical_measure(name) == canon


def test_report_files(tmp_path):
    score = evaluate(timeline(), TRUTH)
    track = incident_track(timeline(), ONSET)
    md = markdown(score, TRUTH, track, every_hours=1)
    for section in ("Criteria and scores", "What happened when", "Problems found", "Lessons",
                    "Suggested changes to rules or measures", "Measures and deadlines"):
        assert section in md
    assert "✅ on time" in md and "⚠️ late" in md and "❌ missing" in md
    html = to_html(md, {"x": "<svg></svg>"}, "t")
    assert "<table>" in html and "<svg></svg>" in html and "cdn" not in html.lower()
    truth_posts = pl.DataFrame({
        "created_at": [ONSET + dt.timedelta(minutes=7 * i) for i in range(60)],
        "truth_event": ["SIM-x" if i % 3 else "BG-food" for i in range(60)],
    }, schema={"created_at": pl.Datetime("us", "UTC"), "truth_event": pl.Utf8})
    files = write_report(tmp_path, score, TRUTH, timeline(), truth_posts, every_hours=1)
    page = files["html"].read_text("utf-8")
    assert page.count("<svg") == 2  # both charts inline
    assert (tmp_path / "volume.svg").exists() and (tmp_path / "score.json").exists()


def test_deadlines_run_from_when_the_level_was_reached():
    """A late escalation (watch for 6 h, then II) gets the full time of II's measures from
    6 h; before, they ran from the first post and had passed before they were set."""
    tl = pl.DataFrame([_row(h, "E1", "watch" if h < 6 else "II", 50, 50) for h in range(0, 9)],
                      schema=TIMELINE_SCHEMA)
    score = evaluate(tl, TRUTH)
    start = next(m for m in score.measures if m["measure"] == "start_response")
    assert start["prescribed_at"] == start["level_reached_at"] == ONSET + dt.timedelta(hours=6)
    assert start["due_at"] == ONSET + dt.timedelta(hours=8)
    assert start["due_from_first_post"] == ONSET + dt.timedelta(hours=2)
    assert start["status"] == "on_time"  # detected at 6 h, done 0.5 h later
    assert not any("passed before they were set" in p for p in score.problems)


def test_report_keeps_hostile_scenario_text_inert(tmp_path):
    """Scenario titles, details and measure names are outside text: escaped in drill.md and
    drill.html (issue 14)."""
    import mistune
    from output_safety import HOSTILE, HOSTILE_TITLE, live_markup

    truth = {**TRUTH, "title": HOSTILE_TITLE, "nature": HOSTILE[1],
             "timeline": [{"at": ONSET.isoformat(), "hours_after_onset": 0, "what": "onset",
                           "detail": " ".join(HOSTILE)}],
             "rumour": {"claim": HOSTILE[2], "at_hours": 1, "debunk_at_hours": None}}
    score = evaluate(timeline(), truth)
    files = write_report(tmp_path, score, truth, timeline(), pl.DataFrame({
        "created_at": [ONSET + dt.timedelta(minutes=7 * i) for i in range(20)],
        "truth_event": ["SIM-x"] * 20}, schema={"created_at": pl.Datetime("us", "UTC"),
                                                "truth_event": pl.Utf8}), every_hours=1,
        charts=False)
    md = files["md"].read_text("utf-8")
    page = files["html"].read_text("utf-8")
    assert "<script" not in md and "<img" not in md and "alert(1)" in md
    for html in (page, mistune.html(md)):
        assert live_markup(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
