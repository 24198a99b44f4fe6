"""The small interface between the watch machinery and the analysis stages.

The loop only needs five things, so any pipeline that provides them can be watched::

    read(paths)                          -> Batch(posts POST_SCHEMA, quarantined, report)
    assign(new_posts, *, posts, assignments, ledger)
                                         -> (assignments ASSIGNMENT_SCHEMA, ledger)
    findings(posts, assignments)         -> FINDINGS_SCHEMA, one row per event given
    grade(findings, *, now)              -> GRADING_SCHEMA
    escalations(gradings, findings, *, now) -> list[Escalation]

``WorkbenchPipeline`` wires the real stages: ``workbench.ingest.read``,
``workbench.events.detect(new_posts, ledger=...)``, ``workbench.findings.compute``,
``workbench.grading.grade`` and the grading package's escalation check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import polars as pl


@dataclass
class Batch:
    posts: pl.DataFrame
    quarantined: int = 0
    report: dict = field(default_factory=dict)
    quarantine: pl.DataFrame | None = None  # the rejected rows (QUARANTINE_SCHEMA), if known


@dataclass(frozen=True)
class Escalation:
    """A deadline passed with no official response (or whatever the rules say escalates)."""

    key: str  # unique per event and cause: an escalation is alerted once per key
    event_id: str
    level: str  # level the event escalates to (or the level it holds, if the rules say so)
    due_at: datetime | None
    reason: str
    detail: dict = field(default_factory=dict)


class Pipeline(Protocol):
    def read(self, paths: list[Path]) -> Batch: ...

    def assign(
        self, new_posts: pl.DataFrame, *, posts: pl.DataFrame, assignments: pl.DataFrame, ledger: Any
    ) -> tuple[pl.DataFrame, Any]:
        """Assignments of the new posts, plus rows for held posts that moved (merges)."""

    def findings(self, posts: pl.DataFrame, assignments: pl.DataFrame) -> pl.DataFrame: ...

    def grade(self, findings: pl.DataFrame, *, now: datetime) -> pl.DataFrame: ...

    def escalations(
        self, gradings: pl.DataFrame, findings: pl.DataFrame, *, now: datetime
    ) -> list[Escalation]: ...
