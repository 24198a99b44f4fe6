"""Stateful escalation over time, with durable-rules correlated facts.

Each watched event's state is kept here, in Python; every evaluation replays it as up to
three facts into one short durable-rules session, deleted right after:

- ``graded``: the highest level reached, with one due time per escalation rule
  (when the event reached that level + the deadline of the rule's measure at that level,
  or ``within_hours``; the event's first_seen is kept beside it for the trace);
- ``response``: an official response was seen (asserted once);
- ``tick``: the clock.

An escalation rule compiles to the correlated sequence
``graded(level in levels) , tick(at >= graded.due_i) , not response`` and fires an
:class:`Alert` (once per event, rule and level). The clock is whatever the caller says:
the watch drives it with real or simulated time::

    esc = Escalator()                       # rules/escalation.yaml
    esc.grading("E1", "II", at=t0, first_seen=t0)   # II reached at t0
    esc.advance(t0 + timedelta(hours=6))    # -> [Alert(rule_id='esc-major-no-response', ...)]

Deadlines run from when the level was reached (``grading(..., reached_at=)``, default the
grading's ``at``), not from the event's first post: a late escalation gets the full time
its stricter measures allow instead of starting with them already past.
    esc.official_response("E1", at=...)    # stops further escalation of E1
    esc.close("E1")                         # stop watching E1
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from workbench.grading.loader import RANKS, EscalationRule, RuleSet, load_ruleset
from workbench.schema import WATCH

_ESC_PREFIX = "esc:"
_WARM = "__warmup__"


@dataclass(frozen=True)
class Alert:
    """An escalation: ``level`` was reached and nothing official came by ``due_at``."""

    event_id: str
    rule_id: str
    at: datetime
    level: str
    escalate_to: str | None
    due_at: datetime
    notify: tuple[str, ...]
    because: str
    reached_at: datetime | None = None  # when ``level`` was reached (the deadline runs from it)
    first_seen: datetime | None = None  # the event's first post

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["at"], d["due_at"] = self.at.isoformat(), self.due_at.isoformat()
        for k in ("reached_at", "first_seen"):
            d[k] = None if d[k] is None else d[k].isoformat()
        d["notify"] = list(self.notify)
        return d


def _epoch(t: datetime) -> float:
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return round(t.timestamp(), 3)


def _dt(s: float) -> datetime:
    return datetime.fromtimestamp(s, UTC)


def compile_escalation(rules: tuple[EscalationRule, ...]) -> dict:
    body: dict[str, Any] = {}
    for i, r in enumerate(rules):
        ranks = [{"level_rank": RANKS[lv]} for lv in r.levels]
        level = ranks[0] if len(ranks) == 1 else {"$or": ranks}
        body[r.id] = {
            "all": [
                {"g": {"$and": [{"t": "graded"}, level]}},
                {"k": {"$and": [{"t": "tick"}, {"$gte": {"at": {"g": f"due_{i}"}}}]}},
                # $not must come last: placed first it never fires (measured, 2.0.28)
                {"m_1$not": {"t": "response"}},
            ],
            "pri": 1,
            "run": _ESC_PREFIX + r.id,
        }
    body[_WARM] = {"all": [{"m": {"$ex": {_WARM: 1}}}], "pri": 1, "run": _ESC_PREFIX + _WARM}
    return body


@dataclass
class _Event:
    first_seen: float
    nature: str | None = None
    rank: int = RANKS[WATCH]
    graded: dict | None = None
    tick: dict | None = None
    responded: bool = False
    clock: float = float("-inf")
    alerted: set = field(default_factory=set)


class Escalator:
    """Stateful escalation for the watch; see the module docstring.

    ``evaluator='engine'`` runs durable-rules; ``'reference'`` a plain-Python equivalent
    (used to cross-check the engine in ``rules check`` and the tests).
    """

    def __init__(self, ruleset: RuleSet | str | Path | None = None, *, evaluator: str = "engine"):
        self.ruleset = ruleset if isinstance(ruleset, RuleSet) else load_ruleset(ruleset)
        self.rules = tuple(r for r in self.ruleset.escalation if r.status != "deprecated")
        self.evaluator = evaluator
        self._events: dict[str, _Event] = {}
        self.name = f"wb_escalation_{self.ruleset.hash}"
        if evaluator == "engine":
            from workbench.grading.engine import register

            register(self.name, compile_escalation(self.rules), {_WARM: 1})
        elif evaluator != "reference":
            raise ValueError("evaluator must be 'engine' or 'reference'")

    # -- public API ------------------------------------------------------------------
    @property
    def open_events(self) -> list[str]:
        return list(self._events)

    def grading(self, event_id: str, level: str, at: datetime, *,
                first_seen: datetime | None = None, nature: str | None = None,
                reached_at: datetime | None = None) -> list[Alert]:
        """The event was graded ``level`` at ``at``. Only a rise in level changes the state;
        its deadlines run from ``reached_at`` (when the level was reached; default ``at``)."""
        if level not in RANKS:
            raise ValueError(f"unknown level {level!r}")
        ev = self._open(event_id, first_seen or at, nature)
        alerts = self._advance_one(event_id, ev, _epoch(at))
        rank = RANKS[level]
        if rank >= ev.rank:
            return alerts
        ev.rank = rank
        start = _epoch(reached_at) if reached_at is not None else _epoch(at)
        fact: dict[str, Any] = {"t": "graded", "level_rank": rank, "at": start}
        for i, r in enumerate(self.rules):
            hours = r.within_hours
            if hours is None and level != WATCH:
                hours = self.ruleset.deadline_hours(level, r.measure, ev.nature)
            if hours is not None:
                fact[f"due_{i}"] = round(start + hours * 3600.0, 3)
        ev.graded = fact
        return alerts + self._evaluate(event_id, ev)

    def official_response(self, event_id: str, at: datetime) -> list[Alert]:
        """An official response was seen at ``at`` (the clock advances to ``at`` first)."""
        ev = self._open(event_id, at, None)
        alerts = self._advance_one(event_id, ev, _epoch(at))
        ev.responded = True  # from now on no rule can fire for this event
        return alerts

    def advance(self, now: datetime) -> list[Alert]:
        """Move the clock of every open event to ``now``; returns the alerts that fall due."""
        t = _epoch(now)
        out: list[Alert] = []
        for eid, ev in list(self._events.items()):
            out += self._advance_one(eid, ev, t)
        return out

    def advance_events(self, event_ids, now: datetime) -> list[Alert]:
        """Move the clock of the events ``event_ids`` (open ones) to ``now``: ``advance`` for
        a few events, when the caller knows which deadlines fell due (``pending_due``)."""
        t = _epoch(now)
        out: list[Alert] = []
        for eid in event_ids:
            ev = self._events.get(eid)
            if ev is not None:
                out += self._advance_one(eid, ev, t)
        return out

    def pending_due(self, event_id: str) -> datetime | None:
        """The earliest due time at which one of the event's escalation rules could still
        fire (none: no rule can, until the event is graded again)."""
        ev = self._events.get(event_id)
        if ev is None or ev.graded is None or ev.responded:
            return None
        g = ev.graded
        level = next(lv for lv, rk in RANKS.items() if rk == g["level_rank"])
        dues = [g[f"due_{i}"] for i, r in enumerate(self.rules)
                if f"due_{i}" in g and g["level_rank"] in {RANKS[lv] for lv in r.levels}
                and (r.id, level) not in ev.alerted]
        return _dt(min(dues)) if dues else None

    def observe(self, gradings: pl.DataFrame, at: datetime,
                findings: pl.DataFrame | None = None, *, advance_all: bool = True) -> list[Alert]:
        """Feed a ``grade()`` result (and optionally the findings, for first_seen and the first
        official response) at clock time ``at``; returns the alerts. A ``level_reached_at``
        column (the watch adds it) says when each event reached its level (default ``at``).
        ``advance_all``: then move every open event's clock to ``at`` (False: only the events
        in ``gradings``, for a caller that tracks the deadlines of the others itself)."""
        info: dict[str, dict] = {}
        if findings is not None:
            cols = [c for c in ("event_id", "first_seen", "first_official_response_at", "nature")
                    if c in findings.columns]
            info = {r["event_id"]: r for r in findings.select(cols).to_dicts()}
        alerts: list[Alert] = []
        cols = ["event_id", "level", "nature", "measures"]
        cols += ["level_reached_at"] if "level_reached_at" in gradings.columns else []
        for row in gradings.select(cols).to_dicts():
            eid, f = row["event_id"], info.get(row["event_id"], {})
            first_seen = f.get("first_seen")
            if first_seen is None and row["measures"]:
                m = row["measures"][0]
                first_seen = m["due_at"] - timedelta(hours=m["deadline_hours"])
            resp = f.get("first_official_response_at")
            if resp is not None and resp <= at:  # the response comes first on the clock
                self._open(eid, first_seen or at, row["nature"])
                alerts += self.official_response(eid, resp)
            reached = row.get("level_reached_at")
            alerts += self.grading(eid, row["level"], at, first_seen=first_seen or at,
                                   nature=row["nature"],
                                   reached_at=reached if reached is not None and reached <= at else None)
        return alerts + self.advance(at) if advance_all else alerts

    def close(self, event_id: str) -> None:
        """Stop watching an event (forget its state)."""
        self._events.pop(event_id, None)

    def close_all(self) -> None:
        for eid in list(self._events):
            self.close(eid)

    def __enter__(self) -> Escalator:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close_all()

    # -- internals -------------------------------------------------------------------
    def _open(self, event_id: str, first_seen: datetime, nature: str | None) -> _Event:
        ev = self._events.get(event_id)
        if ev is None:
            ev = _Event(first_seen=_epoch(first_seen), nature=nature)
            self._events[event_id] = ev
        elif nature and not ev.nature:
            ev.nature = nature
        return ev

    def _advance_one(self, event_id: str, ev: _Event, t: float) -> list[Alert]:
        if t <= ev.clock:
            return []
        ev.clock = t
        ev.tick = {"t": "tick", "at": t}
        return self._evaluate(event_id, ev)

    def _evaluate(self, event_id: str, ev: _Event) -> list[Alert]:
        """Evaluate the event's facts in one short durable-rules session.

        The state lives here, in Python; each evaluation replays the (at most three) facts
        into a fresh session and deletes it. Long-lived sessions holding partial correlated
        matches corrupted durable-rules' heap when several were deleted (measured: 'double
        free' / segfault with 50 open events), short sessions did not.
        """
        if ev.graded is None or ev.tick is None:
            return []
        if self.evaluator == "reference":
            return self._alerts(event_id, ev, self._reference_fired(ev))
        from durable.engine import MessageNotHandledException

        from workbench.grading.engine import LOCK, EngineError, host, next_sid

        facts = [ev.graded] + ([{"t": "response", "at": ev.clock}] if ev.responded else [])
        facts.append(ev.tick)
        h = host()
        with LOCK:
            sid = next_sid("esc")
            h.fired.clear()
            try:
                for fact in facts:
                    try:
                        state = h.assert_fact(self.name, {**fact, "sid": sid})
                    except MessageNotHandledException:
                        state = None
                    if isinstance(state, dict) and state.get("exception"):
                        raise EngineError(f"escalation action failed: {state['exception']}")
                fired = [(name, m) for name, m in h.fired if name != _WARM]
            finally:
                h.delete_state(self.name, sid)
                h.fired.clear()
        return self._alerts(event_id, ev, fired)

    def _reference_fired(self, ev: _Event) -> list[tuple[str, dict]]:
        g, k = ev.graded, ev.tick
        if g is None or k is None or ev.responded:
            return []
        out = []
        for i, r in enumerate(self.rules):
            due = g.get(f"due_{i}")
            if g["level_rank"] in {RANKS[lv] for lv in r.levels} and due is not None and k["at"] >= due:
                out.append((r.id, {"g": g, "k": k}))
        return out

    def _alerts(self, event_id: str, ev: _Event, fired: list[tuple[str, Any]]) -> list[Alert]:
        by_id = {r.id: (i, r) for i, r in enumerate(self.rules)}
        out = []
        for name, m in fired:
            i, r = by_id[name]
            g, k = m["g"], m["k"]
            level = next(lv for lv, rk in RANKS.items() if rk == g["level_rank"])
            key = (r.id, level)
            if key in ev.alerted:
                continue
            ev.alerted.add(key)
            out.append(Alert(event_id=event_id, rule_id=r.id, at=_dt(k["at"]), level=level,
                             escalate_to=r.escalate_to, due_at=_dt(g[f"due_{i}"]),
                             notify=r.notify, because=r.because, reached_at=_dt(g["at"]),
                             first_seen=_dt(ev.first_seen)))
        return out


def run_fixture(ruleset: RuleSet, steps: tuple[dict, ...], rule_id: str,
                evaluator: str = "engine") -> bool:
    """Play a fixture timeline (hours from first_seen; deadlines run from each ``grade``
    step that raised the level); whether ``rule_id`` escalated."""
    t0 = datetime(2020, 1, 1, tzinfo=UTC)
    esc = Escalator(ruleset, evaluator=evaluator)
    alerts: list[Alert] = []
    try:
        for s in steps:
            at = t0 + timedelta(hours=float(s["at"]))
            if "grade" in s:
                alerts += esc.grading("fixture", s["grade"], at, first_seen=t0)
            if s.get("response"):
                alerts += esc.official_response("fixture", at)
            if s.get("tick"):
                alerts += esc.advance(at)
    finally:
        esc.close_all()
    return any(a.rule_id == rule_id for a in alerts)
