"""Stateful escalation over a simulated clock (durable-rules correlated facts), checked
against the plain-Python reference on random timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.grading import Escalator, load_ruleset
from workbench.grading.grade import grade

ROOT = Path(__file__).parents[1]
RS = load_ruleset(ROOT / "rules")
T0 = datetime(2024, 6, 1, 8, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def test_level_ii_without_official_response_escalates_once():
    with Escalator(RS) as esc:
        assert esc.grading("E1", "II", at=h(0.5), first_seen=T0) == []
        assert esc.advance(h(5.4)) == []  # 5 h from reaching II (0.5 h), not from first_seen
        [alert] = esc.advance(h(5.6))
        assert alert.rule_id == "esc-major-no-response"
        assert (alert.level, alert.escalate_to) == ("II", "I")
        assert alert.due_at == h(5.5) and alert.at == h(5.6)
        assert (alert.reached_at, alert.first_seen) == (h(0.5), T0)  # first_seen kept
        assert "leadership_group" in alert.notify and alert.to_dict()["due_at"].startswith("2024")
        assert esc.advance(h(9)) == []  # once per event, rule and level


def test_official_response_in_time_prevents_escalation():
    with Escalator(RS) as esc:
        esc.grading("E2", "II", at=h(0), first_seen=T0)
        assert esc.official_response("E2", at=h(3)) == []
        assert esc.advance(h(30)) == []


def test_late_response_still_escalates_at_the_response_time():
    with Escalator(RS) as esc:
        esc.grading("E3", "I", at=h(1), first_seen=T0)
        [alert] = esc.official_response("E3", at=h(6))
        assert alert.at == h(6) and alert.level == "I"


def test_rising_level_replaces_the_deadline():
    with Escalator(RS) as esc:
        esc.grading("E4", "IV", at=h(0), first_seen=T0)
        esc.grading("E4", "III", at=h(2))
        assert esc.advance(h(25)) == []  # III reached at 2 h: due at 26 h
        [alert] = esc.advance(h(26.5))
        assert (alert.rule_id, alert.level, alert.escalate_to) == (
            "esc-relatively-major-no-response", "III", "II")
        # graded II at 27 h: its 5-hour deadline runs from 27 h, not from the first post
        assert esc.grading("E4", "II", at=h(27)) == []
        assert esc.advance(h(31.5)) == []
        assert [a.rule_id for a in esc.advance(h(32))] == ["esc-major-no-response"]
        assert esc.advance(h(100)) == []  # the IV rule no longer applies: the level rose


def test_deadline_runs_from_the_given_reached_time():
    """The watch says when a level was reached (e.g. after a restart): due from there."""
    with Escalator(RS) as esc:
        assert esc.grading("E5", "II", at=h(10), first_seen=T0, reached_at=h(8)) == []
        [alert] = esc.advance(h(13))
        assert alert.due_at == h(13) and alert.reached_at == h(8)
        assert alert.to_dict()["reached_at"].startswith("2024-06-01T16")


def test_many_events_and_close():
    esc = Escalator(RS)
    for i in range(50):
        esc.grading(f"E{i}", "II" if i % 2 else "III", at=h(0), first_seen=T0)
        if i % 5 == 0:
            esc.official_response(f"E{i}", at=h(1))
    alerts = esc.advance(h(6))
    assert sorted(a.event_id for a in alerts) == sorted(
        f"E{i}" for i in range(50) if i % 2 and i % 5)
    esc.close_all()
    assert esc.open_events == []


def test_observe_gradings_and_findings():
    findings = pl.DataFrame({
        "event_id": ["A", "B"], "n_posts": [12000, 12000], "negative_share": [0.5, 0.5],
        "domestic_stake": [True, True], "first_seen": [T0, T0], "first_official_response_at": [None, h(2)],
    }, schema_overrides={"first_official_response_at": pl.Datetime("us", "UTC")})
    g = grade(findings, RS)
    with Escalator(RS) as esc:
        assert esc.observe(g, at=h(1), findings=findings) == []
        alerts = esc.observe(g, at=h(6), findings=findings)
        assert [a.event_id for a in alerts] == ["A"]


step = st.one_of(
    st.tuples(st.just("grade"), st.sampled_from(["I", "II", "III", "IV", "watch"])),
    st.tuples(st.just("response"), st.none()),
    st.tuples(st.just("tick"), st.none()),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(min_value=0, max_value=100), step), min_size=1, max_size=12))
def test_engine_equals_reference_on_random_timelines(steps):
    steps = sorted(steps, key=lambda s: s[0])
    results = []
    for evaluator in ("engine", "reference"):
        with Escalator(RS, evaluator=evaluator) as esc:
            alerts = []
            for at, (kind, arg) in steps:
                if kind == "grade":
                    alerts += esc.grading("X", arg, at=h(at), first_seen=T0)
                elif kind == "response":
                    alerts += esc.official_response("X", at=h(at))
                else:
                    alerts += esc.advance(h(at))
            results.append([(a.rule_id, a.level, a.at, a.due_at) for a in alerts])
    assert results[0] == results[1]
