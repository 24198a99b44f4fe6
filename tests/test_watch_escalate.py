"""The watch's escalations behind a deadline heap (``watch.escalate``) raise the same
escalations, at the same steps, as advancing every open event at every step (the loop's
way before), on random timelines; and evaluate only the events whose deadline fell due."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.grading import Escalator, load_ruleset
from workbench.schema import FINDINGS_SCHEMA, GRADING_SCHEMA, conform
from workbench.watch.escalate import Escalations

ROOT = Path(__file__).parents[1]
RS = load_ruleset(ROOT / "rules")
T0 = datetime(2024, 6, 1, 8, tzinfo=UTC)
LEVELS = ["watch", "IV", "III", "II", "I"]


def _frames(rows: list[tuple[str, str, bool]], at: datetime):
    """gradings + findings of events (id, level, responded by ``at``)."""
    gradings = conform(pl.DataFrame({
        "event_id": [r[0] for r in rows], "level": [r[1] for r in rows],
        "nature": ["social"] * len(rows)}), GRADING_SCHEMA)
    findings = conform(pl.DataFrame({
        "event_id": [r[0] for r in rows], "first_seen": [T0] * len(rows),
        "first_official_response_at": [at if r[2] else None for r in rows]}), FINDINGS_SCHEMA)
    return gradings, findings


steps = st.lists(
    st.tuples(st.floats(0.1, 12.0),  # hours to the next step
              st.lists(st.tuples(st.sampled_from(["E1", "E2", "E3", "E4"]),
                                 st.sampled_from(LEVELS), st.booleans()),
                       max_size=3, unique_by=lambda r: r[0])),
    min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_heap_escalates_like_advancing_everything(timeline):
    heap = Escalations(RS, evaluator="reference")
    every = Escalator(RS, evaluator="reference")
    now = T0
    for hours, rows in timeline:
        now = now + timedelta(hours=hours)
        gradings, findings = _frames(rows, now)
        levelled = gradings.filter(pl.col("level") != "watch")
        old = every.observe(levelled, now, findings=findings) if levelled.height else every.advance(now)
        new = heap.step(gradings, findings, now=now)
        assert sorted(e.key for e in new) == sorted(
            f"{a.event_id}:{a.rule_id}:{a.level}" for a in old), (now, rows)


def test_only_events_with_a_passed_deadline_are_advanced():
    heap = Escalations(RS, evaluator="reference")
    gradings, findings = _frames([("E1", "II", False), ("E2", "IV", False)], T0)
    assert heap.step(gradings, findings, now=T0) == []
    assert heap.next_due() is not None and heap.next_due() > T0
    empty_g, empty_f = _frames([], T0)
    assert heap.step(empty_g, empty_f, now=T0 + timedelta(hours=1)) == []
    assert heap.evaluations == 0  # nothing fell due: no engine session at all
    [esc] = heap.step(empty_g, empty_f, now=T0 + timedelta(hours=6))
    assert esc.event_id == "E1" and esc.level == "I"
    assert heap.evaluations == 1  # E1 only (E2's IV deadline is later)
