"""The real pipeline behind the watch: ingest -> events -> findings -> grading.

Each stage is the project's own module; the adapter only fits their calls to the loop's
small interface (see ``pipeline.py``).
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.watch.pipeline import Batch, Escalation

log = logging.getLogger("workbench.watch")


class WorkbenchPipeline:
    """``read`` with ``workbench.ingest``, ``assign`` with ``workbench.events.detect``,
    ``findings`` with ``workbench.findings.compute``, ``grade`` and ``escalations`` with
    ``workbench.grading``."""

    def __init__(self, *, rules: str | Path | None = None, embedder: Any = None, config: Any = None):
        self.rules_path = rules
        self._embedder = embedder
        self.config = config
        self._ruleset = None

    # -- ingest ---------------------------------------------------------------------------
    def read(self, paths: list[Path]) -> Batch:
        from workbench import ingest

        readable, unreadable = [], {}
        for path in paths:
            path = Path(path)
            if path.name.endswith(".mapping.yaml"):
                continue  # describes data files; they are read as they land
            if path.is_dir():
                readable.append(path)
                continue
            try:
                ingest.plan([path])
            except (ValueError, FileNotFoundError) as exc:
                unreadable[str(path)] = str(exc)
                continue
            readable.append(path)
        if not readable:
            return Batch(posts=pl.DataFrame(), report={"unreadable": unreadable})
        result = ingest.read(readable)
        report = dict(result.report)
        report["unreadable"] = unreadable
        return Batch(posts=result.posts, quarantined=result.quarantine.height, report=report)

    # -- events ---------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None or isinstance(self._embedder, str):
            from workbench.embed import get_embedder

            self._embedder = get_embedder(self._embedder)
        return self._embedder

    def assign(self, new_posts: pl.DataFrame, *, posts: pl.DataFrame, ledger: Any):
        from workbench.events import detect

        events = detect(new_posts, embedder=self.embedder, config=self.config, ledger=ledger)
        return events.assignments, events.ledger

    # -- findings -------------------------------------------------------------------------
    def findings(self, posts: pl.DataFrame, assignments: pl.DataFrame) -> pl.DataFrame:
        from workbench.findings import compute

        return compute(posts, assignments)

    # -- grading --------------------------------------------------------------------------
    @property
    def ruleset(self):
        if self._ruleset is None:
            from workbench.grading import load_ruleset

            self._ruleset = load_ruleset(self.rules_path) if self.rules_path else load_ruleset()
        return self._ruleset

    def grade(self, findings: pl.DataFrame, *, now: datetime) -> pl.DataFrame:
        from workbench.grading import grade

        return grade(findings, self.ruleset, now=now)

    def escalations(self, gradings: pl.DataFrame, findings: pl.DataFrame, *, now: datetime) -> list[Escalation]:
        return []
