"""Stable levels over time: the level the watch *holds* for each event, with hysteresis.

Grading is stateless: each batch re-grades the events it touched, and an event near a
threshold can come out IV, watch, IV within hours. The watch does not pass that on. It
holds a level per event:

- a **raise** (the graded level is above the held level) is taken at once: alert ``new``
  (first time at I-IV) or ``up``; the time the level was reached is recorded;
- a **downgrade** waits: the held level stays until the event has been graded below it,
  continuously, for the level's quiet period (``quiet_hours``), counted from the first
  grading below it; one grading at or above it resets that clock. Then the held level
  drops to the highest level the event has not yet been below for that level's own quiet
  period (often the graded level), and the alert is ``downgrade``. An event that simply
  goes silent keeps its level (its grading stands). The sweep runs at every step, so a
  downgrade falls due with the clock even when no post arrives.

Quiet period of a level (hours), first match wins:

1. the watch's own setting (``workbench watch --quiet-hours H``, ``WatchLoop(quiet_hours=)``:
   one number for every level, or ``{level: hours}``);
2. ``quiet_hours`` of the level in ``rules/levels.yaml`` (optional; the shipped rules set
   168 h at IV, measured: with IV's 72 h follow-up, 2.8% of CED events still flapped);
3. the deadline of the level's ``follow_up`` measure in ``rules/measures.yaml`` (后续跟踪与
   评估: the plan's own window for watching an event after its response; 168 h at I-III
   with the shipped rules), for the event's nature;
4. the longest deadline among the level's measures; 0 when the level prescribes none (or no
   rule set is known: then a downgrade is immediate, the watch's behaviour before hysteresis).

Each event's record (``WatchState.levels[event_id]``, a JSON object in the checkpoint)::

    level       the held level ('I'..'IV' or 'watch')
    graded      the level of the latest grading
    n           level alerts raised so far (part of the deterministic alert ids)
    held        1 once the event has held a level I-IV (a later 'watch' is a downgrade)
    reached_at  when the held level was reached (deadlines run from here)
    first_seen  the event's first post (kept for the trace)
    nature      the nature of the latest grading (quiet periods may depend on it)
    below       {level: since when the event has been graded below it (absent: it is not)}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from workbench.schema import LEVELS, WATCH

RANK = {level: i + 1 for i, level in enumerate(LEVELS)} | {WATCH: len(LEVELS) + 1}
FOLLOW_UP = "follow_up"


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Change:
    """A change of the held level: ``kind`` is 'new', 'up' or 'downgrade'."""

    kind: str
    previous: str | None
    level: str
    n: int  # alerts the event had before this one


class LevelPolicy:
    """Level names, colours, measures and quiet periods, from a rule set when one is given."""

    def __init__(self, ruleset: Any = None, quiet_hours: float | Mapping[str, float] | None = None):
        self.ruleset = ruleset
        self.quiet_setting = quiet_hours
        self._quiet: dict[tuple[str, str | None], float] = {}

    def name(self, level: str) -> str | None:
        info = self.ruleset.levels.get(level, {}) if self.ruleset is not None else {}
        return info.get("name")

    def colour(self, level: str) -> str | None:
        info = self.ruleset.levels.get(level, {}) if self.ruleset is not None else {}
        return info.get("colour")

    def measures(self, level: str, nature: str | None) -> list[dict] | None:
        """The level's measures (measure, title, owner, deadline_hours, source); None when
        no rule set is known."""
        if self.ruleset is None:
            return None
        return self.ruleset.measures_for(level, nature)

    def quiet_hours(self, level: str, nature: str | None = None) -> float:
        """How long an event must be graded below ``level`` before it is downgraded."""
        key = (level, nature)
        if key not in self._quiet:
            self._quiet[key] = self._resolve_quiet(level, nature)
        return self._quiet[key]

    def _resolve_quiet(self, level: str, nature: str | None) -> float:
        setting = self.quiet_setting
        if isinstance(setting, Mapping):
            if level in setting:
                return float(setting[level])
        elif setting is not None:
            return float(setting)
        if self.ruleset is None:
            return 0.0
        configured = self.ruleset.levels.get(level, {}).get("quiet_hours")
        if configured is not None:
            return float(configured)
        measures = self.ruleset.measures_for(level, nature)
        follow = [m["deadline_hours"] for m in measures if m["measure"] == FOLLOW_UP]
        if follow:
            return float(follow[0])
        return float(max((m["deadline_hours"] for m in measures), default=0.0))


def record(entry: Any) -> dict:
    """The event's level record; upgrades the checkpoint's older ``[level, n, held]`` lists."""
    if isinstance(entry, dict):
        return entry
    if entry is None:
        return {"level": None, "graded": None, "n": 0, "held": 0, "reached_at": None,
                "first_seen": None, "below": {}}
    level, n, held = (list(entry) + [None, 0, 0])[:3]
    return {"level": level, "graded": level, "n": n, "held": held, "reached_at": None,
            "first_seen": None, "below": {}}


def held_level(entry: Mapping) -> str | None:
    """The level an event holds (None when never graded)."""
    return record(entry)["level"]


def _mark(entry: dict, graded: str, now: datetime) -> None:
    """Note that the event was graded ``graded`` at ``now``: levels above it start (or keep)
    their time below; levels at or below it are reached again."""
    for level in LEVELS:
        if RANK[level] < RANK[graded]:
            entry["below"].setdefault(level, _iso(now))
        else:
            entry["below"].pop(level, None)


def _settled(entry: dict, now: datetime, quiet: Callable[[str], float]) -> str:
    """The level to hold now: the highest level (at most the held one) that the event has
    not been below for its quiet period yet; the graded level at least."""
    graded = entry["graded"] or WATCH
    for level in LEVELS:
        if RANK[level] >= RANK[graded] or RANK[level] < RANK.get(entry["level"] or WATCH, RANK[WATCH]):
            continue
        since = _time(entry["below"].get(level))
        if since is None or now - since < timedelta(hours=quiet(level)):
            return level
    return graded


def observe(entry: Any, graded: str, now: datetime, quiet: Callable[[str], float], *,
            first_seen: datetime | None = None, nature: str | None = None,
            ) -> tuple[dict, Change | None]:
    """The event was graded ``graded`` at ``now``: its new record and the change, if any."""
    entry = record(entry)
    entry = {**entry, "graded": graded, "below": dict(entry.get("below") or {})}
    if nature is not None:
        entry["nature"] = nature
    if first_seen is not None and entry.get("first_seen") is None:
        entry["first_seen"] = _iso(first_seen)
    _mark(entry, graded, now)
    previous = entry["level"]
    if previous is None or RANK[graded] < RANK[previous]:
        entry["level"] = graded
        if previous is None and graded == WATCH:
            return entry, None
        entry["reached_at"] = _iso(now)
        kind = "up" if entry["held"] else "new"
        change = Change(kind=kind, previous=previous, level=graded, n=entry["n"])
        entry["n"] += 1
        entry["held"] = 1
        return entry, change
    return settle(entry, now, quiet)


def settle(entry: Any, now: datetime, quiet: Callable[[str], float]) -> tuple[dict, Change | None]:
    """Apply a downgrade whose quiet period has run out by ``now`` (the per-step sweep)."""
    entry = record(entry)
    previous = entry["level"]
    if previous is None or entry["graded"] is None or RANK[entry["graded"]] <= RANK[previous]:
        return entry, None
    level = _settled(entry, now, quiet)
    if level == previous:
        return entry, None
    entry = {**entry, "level": level, "reached_at": _iso(now)}
    change = Change(kind="downgrade", previous=previous, level=level, n=entry["n"])
    entry["n"] += 1
    return entry, change


def downgrade_due(entry: Any, quiet: Callable[[str], float]) -> datetime | None:
    """When the held level's quiet period runs out (None: no downgrade pending)."""
    e = record(entry)
    if e["level"] is None or e["graded"] is None or RANK[e["graded"]] <= RANK[e["level"]]:
        return None
    since = _time((e.get("below") or {}).get(e["level"]))
    return None if since is None else since + timedelta(hours=quiet(e["level"]))


def pending(levels: Mapping[str, Any]) -> list[str]:
    """Events graded below the level they hold (a downgrade may fall due)."""
    out = []
    for event, entry in levels.items():
        e = record(entry)
        if e["level"] is not None and e["graded"] is not None and RANK[e["graded"]] > RANK[e["level"]]:
            out.append(event)
    return out
