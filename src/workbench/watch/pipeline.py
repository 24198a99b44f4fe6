"""The small interfaces between the watch machinery and the rest.

- a **reader**: ``read(paths) -> Batch`` (``watch.reader.FileReader``: ``workbench.ingest``);
- the **pipeline**: a ``workbench.pipeline.IncrementalPipeline`` (``feed(posts, now) ->
  Delta``, its ``state`` and ``ruleset``), the same one the case study and the drill run;
- the **escalations**: ``watch.escalate.Escalations`` (the grading package's durable-rules
  ``Escalator`` behind a deadline heap).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

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


class Reader(Protocol):
    def read(self, paths: list[Path]) -> Batch: ...
