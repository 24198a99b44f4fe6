"""The watch's held levels end to end on a simulated clock: raises at once, no flapping,
one downgrade when the quiet period runs out (stamped then, not at the next post),
level names of the level itself, deadlines from when the level was reached.

The gradings are scripted (the level an event gets at each time): what is under test is
the loop, its hysteresis and the real escalation engine with the real rules; the rest of
the pipeline (names, measures, quiet periods, Escalator) is the project's own.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from workbench.pipeline import IncrementalPipeline
from workbench.schema import (
    ASSIGNMENT_SCHEMA,
    FINDINGS_SCHEMA,
    GRADING_SCHEMA,
    POST_SCHEMA,
    conform,
)
from workbench.watch.clock import SimulatedClock
from workbench.watch.loop import WatchLoop
from workbench.watch.replay import replay

T0 = datetime(2024, 6, 1, 0, tzinfo=UTC)
SCRIPT = {0: "IV", 2: "III", 3: "IV", 4: "watch", 5: "III", 6: "IV", 400: "IV"}


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


class ScriptedGrades(IncrementalPipeline):
    """Every post belongs to E1; E1's level at a time is the script's latest entry."""

    def prepare(self, posts):
        pass

    def assign(self, new_posts, *, posts, assignments, ledger):
        return conform(new_posts.select("post_id", event_id=pl.lit("E1"), how=pl.lit("cluster")),
                       ASSIGNMENT_SCHEMA), ledger, None

    def findings(self, posts, assignments):
        return conform(posts.select(
            event_id=pl.lit("E1"), title=pl.lit("化工厂爆炸"), n_posts=pl.len().cast(pl.Int64),
            first_seen=pl.col("created_at").min(), last_seen=pl.col("created_at").max()),
            FINDINGS_SCHEMA)

    def grade(self, findings, *, now):
        level = SCRIPT[max(t for t in SCRIPT if h(t) <= now)]
        first_seen = findings["first_seen"][0]
        info = self.ruleset.levels[level]
        measures = [{**m, "due_at": first_seen + timedelta(hours=m["deadline_hours"])}
                    for m in self.ruleset.measures_for(level, "social")]
        return conform(pl.DataFrame({
            "event_id": ["E1"], "level": [level], "level_name": [info["name"]],
            "colour": [info["colour"]], "nature": ["social"], "fired_rules": [[f"scripted-{level}"]],
            "trace": ["[]"], "measures": [measures],
        }), GRADING_SCHEMA)


def test_hysteresis_names_and_deadlines_through_a_replay(tmp_path):
    posts = conform(pl.DataFrame({
        "post_id": [f"p{t}" for t in SCRIPT], "created_at": [h(t) for t in SCRIPT],
        "text": ["江城化工厂爆炸"] * len(SCRIPT), "kind": ["original"] * len(SCRIPT),
    }).with_columns(root_id=pl.col("post_id")), POST_SCHEMA)
    with WatchLoop(tmp_path / "state", ScriptedGrades(), clock=SimulatedClock(T0)) as loop:
        replay(loop, posts, tick_s=300, tail_hours=1)
        alerts = list(loop.feed.alerts)
        held = loop.state.levels["E1"]
    levels = [(a["kind"], a["previous_level"], a["level"], a["level_name"]) for a in alerts]
    assert levels == [
        ("new", None, "IV", "一般"),
        ("up", "IV", "III", "较大"),
        ("escalation", "III", "II", "重大"),  # the name of the level escalated to, not III's
        ("downgrade", "III", "IV", "一般"),
    ], levels
    at = {a["kind"]: datetime.fromisoformat(a["at"].replace("Z", "+00:00")) for a in alerts}
    # graded below III from the slice ending 6 h 05 on; III's quiet period (the follow_up
    # window, 168 h) ran out at 174 h 05: the downgrade is stamped in the slice after, not
    # when the next post came (400 h)
    assert h(174) < at["downgrade"] <= h(174) + timedelta(minutes=10)
    up = alerts[1]
    reached = datetime.fromisoformat(up["level_reached_at"].replace("Z", "+00:00"))
    assert h(2) <= reached <= h(2) + timedelta(minutes=5)
    assert up["first_seen"].startswith("2024-06-01T00:00")  # first_seen kept beside it
    for d in up["deadlines"]:
        due = datetime.fromisoformat(d["due_at"].replace("Z", "+00:00"))
        assert due == reached + timedelta(hours=d["deadline_hours"]), d
    esc = alerts[2]["escalation"]
    # esc-relatively-major-no-response: 24 h from reaching III, not from the first post
    assert esc["rule_id"] == "esc-relatively-major-no-response"
    assert datetime.fromisoformat(esc["due_at"].replace("Z", "+00:00")) == reached + timedelta(hours=24)
    assert held["level"] == "IV" and held["graded"] == "IV" and held["n"] == 3


def test_quiet_hours_zero_downgrades_at_once(tmp_path):
    posts = conform(pl.DataFrame({
        "post_id": ["a", "b", "c"], "created_at": [h(0), h(2), h(3)], "text": ["x"] * 3,
        "kind": ["original"] * 3,
    }).with_columns(root_id=pl.col("post_id")), POST_SCHEMA)
    with WatchLoop(tmp_path / "s", ScriptedGrades(), clock=SimulatedClock(T0), quiet_hours=0) as loop:
        replay(loop, posts, tick_s=300, tail_hours=0)
        kinds = [(a["kind"], a["level"]) for a in loop.feed.alerts if a["kind"] != "escalation"]
    assert kinds == [("new", "IV"), ("up", "III"), ("downgrade", "IV")]
