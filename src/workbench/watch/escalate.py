"""Time-based escalation for the watch, advanced only when something falls due.

The grading package's ``Escalator`` (durable-rules) holds each event's facts; evaluating an
event runs one short engine session. Advancing every open event at every batch costs one
session per event per batch, almost all of them for nothing. Here the Escalator is told
only what changed (the events re-graded in the batch: a fact changed) and, through a
deadline heap, which events have a deadline that passed since the last batch: only those
are advanced. The alerts are the same as advancing everything at every batch (a rule fires
at the first batch whose clock is at or past its due time, either way;
``tests/test_watch_escalate.py``).
"""

from __future__ import annotations

import heapq
from datetime import datetime

import polars as pl

from workbench.schema import WATCH
from workbench.watch.pipeline import Escalation


class Escalations:
    """``step(gradings, findings, now)``: the escalations that fell due by ``now``.

    ``gradings`` / ``findings``: the events (re)graded since the last call; on the first call
    after ``reset`` (a start), every event, which rebuilds the Escalator's state. Events at
    ``watch`` are not watched for escalation."""

    def __init__(self, ruleset, *, evaluator: str = "engine"):
        self.ruleset = ruleset
        self.evaluator = evaluator
        self._escalator = None
        self._heap: list[tuple[datetime, str]] = []
        self.evaluations = 0  # events advanced because a deadline fell due (for the benchmark)

    @property
    def primed(self) -> bool:
        return self._escalator is not None

    def reset(self) -> None:
        self._escalator = None
        self._heap = []

    def next_due(self) -> datetime | None:
        """The earliest pending deadline (None: nothing can escalate until a fact changes)."""
        return self._heap[0][0] if self._heap else None

    def _push(self, event_id: str, after: datetime | None = None) -> None:
        due = self._escalator.pending_due(event_id)
        if due is not None and (after is None or due > after):
            heapq.heappush(self._heap, (due, event_id))

    def step(self, gradings: pl.DataFrame, findings: pl.DataFrame, *, now: datetime) -> list[Escalation]:
        from workbench.grading.escalation import Escalator

        if self._escalator is None:
            self._escalator = Escalator(self.ruleset, evaluator=self.evaluator)
        esc = self._escalator
        alerts = []
        levelled = gradings.filter(pl.col("level") != WATCH) if gradings.height else gradings
        if levelled.height:
            alerts += esc.observe(levelled, now, findings=findings, advance_all=False)
            for event_id in levelled.get_column("event_id").to_list():
                self._push(event_id)
        due = set()
        while self._heap and self._heap[0][0] <= now:
            due.add(heapq.heappop(self._heap)[1])
        if due:
            self.evaluations += len(due)
            alerts += esc.advance_events(sorted(due), now)
            for event_id in sorted(due):
                self._push(event_id, after=now)  # a due time not after now was evaluated
        return [
            Escalation(
                key=f"{a.event_id}:{a.rule_id}:{a.level}", event_id=a.event_id,
                level=a.escalate_to or a.level, due_at=a.due_at, reason=a.because,
                detail={"rule_id": a.rule_id, "reached_level": a.level,
                        "escalate_to": a.escalate_to, "notify": list(a.notify)},
            )
            for a in alerts
        ]
