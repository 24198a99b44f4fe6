"""Held levels with hysteresis (``workbench.watch.levels``) on a simulated clock."""

from __future__ import annotations

import argparse
import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.grading import load_ruleset
from workbench.watch.cli import _quiet_hours
from workbench.watch.levels import RANK, LevelPolicy, observe, pending, record, settle

ROOT = Path(__file__).parents[1]
T0 = datetime(2024, 6, 1, 8, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def play(steps, quiet_h: float = 24.0):
    """[(hours, graded level or None for a clock tick)] -> changes as (hours, kind, prev, level)."""
    entry, out = None, []
    for at, graded in steps:
        if graded is None:
            entry, change = settle(entry, h(at), lambda _lv: quiet_h)
        else:
            entry, change = observe(entry, graded, h(at), lambda _lv: quiet_h, first_seen=T0)
        if change:
            out.append((at, change.kind, change.previous, change.level))
    return entry, out


def test_raise_at_once_downgrade_only_after_the_quiet_period():
    entry, changes = play([(0, "watch"), (1, "IV"), (2, "watch"), (5, "IV"), (6, "watch"),
                           (20, "watch"), (29, None), (31, None)])
    # IV -> watch -> IV within hours is not passed on; the downgrade comes 24 h after the
    # event went below IV for good (6 h), at the first step after that (31 h)
    assert changes == [(1, "new", "watch", "IV"), (31, "downgrade", "IV", "watch")]
    assert entry["level"] == "watch" and entry["held"] == 1
    assert entry["reached_at"] == "2024-06-02T15:00:00Z" and entry["first_seen"] == "2024-06-01T08:00:00Z"


def test_an_event_that_goes_silent_keeps_its_level():
    """Graded IV, then nothing for weeks (the grading stands); a revival graded watch once
    and IV again is not a flap: the quiet clock starts at the first lower grading."""
    _, changes = play([(0, "IV"), (500, None), (900, "watch"), (901, "IV"), (990, None)])
    assert changes == [(0, "new", None, "IV")]


def test_downgrade_lands_on_the_highest_level_still_within_its_quiet_period():
    _, changes = play([(0, "II"), (1, "IV"), (10, "IV"), (24.5, "IV"), (30, "watch"), (55, None)])
    # below II and III since 1 h: at 30 h both quiet periods have run out, IV's has not
    # (below IV only since 30 h), so II -> IV; then IV -> watch 24 h later
    assert changes == [(0, "new", None, "II"), (30, "downgrade", "II", "IV"),
                       (55, "downgrade", "IV", "watch")]


def test_a_raise_during_the_quiet_period_is_an_up_and_resets_the_reached_time():
    entry, changes = play([(0, "III"), (2, "IV"), (3, "II"), (4, "III")])
    assert changes == [(0, "new", None, "III"), (3, "up", "III", "II")]
    assert entry["level"] == "II" and entry["reached_at"] == "2024-06-01T11:00:00Z"
    assert pending({"E": entry}) == ["E"]


def test_zero_quiet_period_is_the_old_behaviour():
    _, changes = play([(0, "IV"), (1, "watch"), (2, "IV")], quiet_h=0)
    assert [c[1] for c in changes] == ["new", "downgrade", "up"]


def test_watch_never_held_raises_nothing_and_old_checkpoint_records_load():
    _, changes = play([(0, "watch"), (5, "watch"), (9, None)])
    assert changes == []
    old = record(["III", 2, 1])
    assert (old["level"], old["n"], old["held"], old["below"]) == ("III", 2, 1, {})
    entry, change = observe(["III", 2, 1], "II", h(0), lambda _lv: 24)
    assert (change.kind, change.n, entry["n"]) == ("up", 2, 3)


def test_quiet_periods_come_from_the_follow_up_measures_unless_configured():
    rs = load_ruleset(ROOT / "rules")
    follow = {lv: rs.deadline_hours(lv, "follow_up") for lv in ("I", "II", "III", "IV")}
    bare = dataclasses.replace(rs, levels={k: {f: v for f, v in d.items() if f != "quiet_hours"}
                                           for k, d in rs.levels.items()})
    assert {lv: LevelPolicy(bare).quiet_hours(lv) for lv in follow} == follow
    policy = LevelPolicy(rs)  # rules/levels.yaml sets quiet_hours at IV
    assert policy.quiet_hours("IV") == rs.levels["IV"]["quiet_hours"] == 168
    assert [policy.quiet_hours(lv) for lv in ("I", "II", "III")] == [follow[lv] for lv in ("I", "II", "III")]
    assert LevelPolicy(rs, 6).quiet_hours("II") == 6
    assert LevelPolicy(rs, {"IV": 12}).quiet_hours("IV") == 12
    assert LevelPolicy(rs, {"IV": 12}).quiet_hours("III") == follow["III"]
    assert LevelPolicy(None).quiet_hours("I") == 0  # no rule set: immediate (as before)
    assert (policy.name("III"), policy.name("II"), policy.name("watch")) == ("较大", "重大", "关注")


levels = st.sampled_from(["I", "II", "III", "IV", "watch"])


@settings(max_examples=80, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.floats(0, 200), st.one_of(levels, st.none())), max_size=30),
       st.sampled_from([0.0, 0.5, 6.0, 24.0, 48.0]))
def test_changes_chain_and_no_downgrade_within_the_quiet_period(steps, quiet_h):
    """Each change starts from the level the last one reached, raises go up and downgrades
    down; the held level is never below the graded one; a downgrade never comes while the
    event was graded at or above the held level within the quiet period."""
    steps = sorted(steps, key=lambda s: s[0])
    entry, graded_before = None, []
    last = None
    for at, graded in steps:
        if graded is None:
            entry, change = settle(entry, h(at), lambda _lv: quiet_h)
        else:
            entry, change = observe(entry, graded, h(at), lambda _lv: quiet_h)
            graded_before.append((at, graded))
        if entry["graded"]:
            assert RANK[entry["level"]] <= RANK[entry["graded"]]
        if change is None:
            continue
        assert change.previous == last or (change.kind == "new" and change.previous in (None, "watch"))
        assert (RANK[change.level] < RANK[change.previous or "watch"]) == (change.kind in ("new", "up"))
        if change.kind == "downgrade":
            # graded below the held level, continuously, for the whole quiet period
            seen = list(enumerate(graded_before))  # the gradings so far, this one included
            last_at_or_above = max(i for i, (_t, lv) in seen if RANK[lv] <= RANK[change.previous])
            first_below = next(t for i, (t, lv) in seen if i > last_at_or_above)
            assert at - first_below >= quiet_h, (at, change, graded_before)
        last = change.level


def test_cli_quiet_hours_option():
    assert _quiet_hours("24") == 24.0
    assert _quiet_hours("IV=24,III=72") == {"IV": 24.0, "III": 72.0}
    for bad in ("-1", "V=3", "IV=x", "soon"):
        with pytest.raises(argparse.ArgumentTypeError, match="quiet-hours"):
            _quiet_hours(bad)
