"""What an :class:`~workbench.pipeline.IncrementalPipeline` holds, and its saved form.

Saved form (a folder; ``FORMAT`` below is its version, written in ``pipeline.json``)::

    pipeline.json        {"format": "workbench-pipeline", "version": 1, "feeds": N,
                          "now": ISO time of the last feed, "model_id", "rules_version",
                          "rules_hash", "event_config", "findings_config"}
    posts.parquet        every post taken (POST_SCHEMA; cascade roots resolved across feeds)
    assignments.parquet  one row per post (ASSIGNMENT_SCHEMA; null event_id: waiting for
                         its root)
    findings.parquet     latest findings of every live event (FINDINGS_SCHEMA)
    gradings.parquet     latest grading of every live event (GRADING_SCHEMA; absent rows:
                         never graded)
    topics.parquet       title / keywords / representatives of each event, from the feed
                         that opened it (events.topics.TOPIC_SCHEMA)
    ledger/              the event ledger (``events.identity.Ledger.save``)

Only documented tables and JSON: no pickle. ``load`` refuses another format or version
with a message naming the file. The per-post findings columns (``PostColumns``) are a cache
and not saved: they are recomputed from the posts when needed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from workbench.schema import ASSIGNMENT_SCHEMA, FINDINGS_SCHEMA, GRADING_SCHEMA, POST_SCHEMA, empty

FORMAT_NAME = "workbench-pipeline"
FORMAT = 1


def empty_topics() -> pl.DataFrame:
    from workbench.events.topics import TOPIC_SCHEMA

    return pl.DataFrame(schema=TOPIC_SCHEMA)


@dataclass
class PipelineState:
    posts: pl.DataFrame = field(default_factory=lambda: empty(POST_SCHEMA))
    assignments: pl.DataFrame = field(default_factory=lambda: empty(ASSIGNMENT_SCHEMA))
    ledger: Any = None  # events.identity.Ledger (None before the first feed)
    findings: pl.DataFrame = field(default_factory=lambda: empty(FINDINGS_SCHEMA))
    gradings: pl.DataFrame = field(default_factory=lambda: empty(GRADING_SCHEMA))
    topics: pl.DataFrame = field(default_factory=empty_topics)
    feeds: int = 0
    now: str | None = None  # ISO time of the last feed

    def save(self, directory: str | Path, *, meta: dict | None = None) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        for name in ("posts", "assignments", "findings", "gradings", "topics"):
            getattr(self, name).write_parquet(d / f"{name}.parquet")
        if self.ledger is not None:
            self.ledger.save(d / "ledger")
        info = {"format": FORMAT_NAME, "version": FORMAT, "feeds": self.feeds, "now": self.now,
                **(meta or {})}
        (d / "pipeline.json").write_text(json.dumps(info, indent=2, ensure_ascii=False, default=str),
                                         "utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> tuple[PipelineState, dict]:
        """(the state, the ``pipeline.json`` record)."""
        from workbench.events.identity import Ledger
        from workbench.events.topics import TOPIC_SCHEMA
        from workbench.schema import conform

        d = Path(directory)
        info_path = d / "pipeline.json"
        if not info_path.exists():
            raise FileNotFoundError(f"no saved pipeline in {d} (missing pipeline.json)")
        info = json.loads(info_path.read_text("utf-8"))
        if info.get("format") != FORMAT_NAME or info.get("version") != FORMAT:
            raise ValueError(f"{info_path}: format {info.get('format')!r} version "
                             f"{info.get('version')!r}; this workbench reads {FORMAT_NAME!r} "
                             f"version {FORMAT}")
        tables = {}
        for name, schema in (("posts", POST_SCHEMA), ("assignments", ASSIGNMENT_SCHEMA),
                             ("findings", FINDINGS_SCHEMA), ("gradings", GRADING_SCHEMA),
                             ("topics", TOPIC_SCHEMA)):
            path = d / f"{name}.parquet"
            if not path.exists():
                raise FileNotFoundError(f"{path}: missing from the saved pipeline")
            tables[name] = conform(pl.read_parquet(path), schema)
        ledger = Ledger.load(d / "ledger") if (d / "ledger" / "meta.json").exists() else None
        return cls(**tables, ledger=ledger, feeds=int(info.get("feeds") or 0),
                   now=info.get("now")), info
