"""Replay a post stream through the pipeline on a simulated clock.

At each clock step (every ``every_hours``, aligned to the onset) the posts published so far go
through ``events.detect`` (with the ledger carried over, so event ids stay stable), then
``findings.compute`` and ``grading.grade(now=step)``. The result is a timeline: one row per
(step, event) with the level, the measures and how many of the event's posts truly belong to
the incident (from ``event_label``, which simulated posts carry).

The pipeline is pluggable (anything with ``step(posts, now) -> (assignments, gradings,
findings)``), so scoring can be tested without models and other pipelines can be drilled.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any, Protocol

import polars as pl

from workbench.drill.score import TIMELINE_SCHEMA, _as_utc, empty_timeline
from workbench.schema import UTC_TIME


class Pipeline(Protocol):
    def step(self, posts: pl.DataFrame, now: dt.datetime) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """posts so far -> (assignments, gradings, findings)."""


class WorkbenchPipeline:
    """events.detect (ledger carried between steps) -> findings.compute -> grading.grade."""

    def __init__(self, *, embedder=None, ruleset=None, event_config=None):
        self.embedder = embedder
        self.ruleset = ruleset
        self.event_config = event_config
        self.ledger = None

    def step(self, posts: pl.DataFrame, now: dt.datetime):
        import importlib

        from workbench import events, grading

        grade = importlib.import_module("workbench.grading.grade").grade

        if self.embedder is None:
            from workbench.embed import get_embedder

            self.embedder = get_embedder()
        if self.ruleset is None:
            self.ruleset = grading.load_ruleset()
        ev = events.detect(posts, embedder=self.embedder, config=self.event_config, ledger=self.ledger)
        self.ledger = ev.ledger
        findings = ev.findings()
        gradings = grade(findings, self.ruleset, now=now)
        return ev.assignments, gradings, findings


class LabelledEventsPipeline:
    """The events the posts' ``event_label`` names (the simulator's ground truth) ->
    findings.compute -> grading.grade: a drill of the findings and rules alone, with the
    event detector taken out (``workbench drill --events labels``, ``rules evaluate
    --drills``). Posts without a label are left out."""

    def __init__(self, *, ruleset=None, findings_config=None):
        self.ruleset = ruleset
        self.findings_config = findings_config

    def step(self, posts: pl.DataFrame, now: dt.datetime):
        from workbench import findings as findings_mod
        from workbench import grading
        from workbench.grading.grade import grade

        if self.ruleset is None:
            self.ruleset = grading.load_ruleset()
        labelled = posts.filter(pl.col("event_label").is_not_null())
        assignments = labelled.select(
            "post_id", pl.col("event_label").alias("event_id"), how=pl.lit("label"),
            score=pl.lit(None, dtype=pl.Float64))
        found = findings_mod.compute(labelled, assignments, config=self.findings_config)
        return assignments, grade(found, self.ruleset, now=now), found


@dataclass
class Replay:
    timeline: pl.DataFrame  # score.TIMELINE_SCHEMA
    incident_total: pl.DataFrame  # at, incident_posts_seen
    steps: list[dict[str, Any]] = field(default_factory=list)  # per-step log (posts, events, seconds)
    last_findings: pl.DataFrame | None = None  # findings of the incident's events at the last step
    graded_nature: str | None = None
    rules_version: str | None = None
    rules_hash: str | None = None


def clock(onset: dt.datetime, first: dt.datetime, last: dt.datetime, every_hours: float) -> list[dt.datetime]:
    """Steps ``onset + k * every`` from the first one after ``first`` to the first at/after ``last``."""
    k0 = math.ceil((first - onset).total_seconds() / 3600 / every_hours)
    k1 = math.ceil((last - onset).total_seconds() / 3600 / every_hours)
    return [onset + dt.timedelta(hours=k * every_hours) for k in range(k0, k1 + 1)]


def event_rows(assignments: pl.DataFrame, gradings: pl.DataFrame, posts: pl.DataFrame, incident: str,
               now: dt.datetime) -> pl.DataFrame:
    """Timeline rows for one step: each graded event with its true-incident post count."""
    counts = (
        assignments.join(posts.select("post_id", "event_label"), on="post_id", how="left")
        .group_by("event_id")
        .agg(n_posts=pl.len(), incident_posts=(pl.col("event_label") == incident).sum())
    )
    g = gradings.select("event_id", "level", "level_rank", "measures", "fired_rules")
    return (
        g.join(counts, on="event_id", how="left")
        .with_columns(at=pl.lit(now, dtype=UTC_TIME))
        .with_columns(pl.col("n_posts").fill_null(0), pl.col("incident_posts").fill_null(0))
        .select(list(TIMELINE_SCHEMA))
        .cast(dict(TIMELINE_SCHEMA))
    )


def replay(posts: pl.DataFrame, truth: dict[str, Any], pipeline: Pipeline, *, every_hours: float = 1.0,
           until_hours: float | None = None, progress: bool = False) -> Replay:
    """Run ``pipeline`` at each clock step over the posts published by then."""
    import time

    onset = _as_utc(truth["onset"])
    incident = truth["incident_event"]
    posts = posts.sort("created_at")
    if posts.height == 0:
        return Replay(empty_timeline(), pl.DataFrame(schema={"at": UTC_TIME, "incident_posts_seen": pl.Int64}))
    first, last = posts["created_at"].min(), posts["created_at"].max()
    if until_hours is not None:
        last = min(last, onset + dt.timedelta(hours=until_hours))
    steps = clock(onset, first, last, every_hours)
    iterator = steps
    if progress:
        from tqdm import tqdm

        iterator = tqdm(steps, desc="drill", unit="step")
    rows: list[pl.DataFrame] = []
    totals: list[tuple[dt.datetime, int]] = []
    log: list[dict[str, Any]] = []
    seen_n = -1
    out = Replay(empty_timeline(), pl.DataFrame())
    prev: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame] | None = None
    for now in iterator:
        so_far = posts.filter(pl.col("created_at") <= now)
        totals.append((now, int((so_far["event_label"] == incident).sum())))
        if so_far.height == 0:
            continue
        t0 = time.perf_counter()
        if so_far.height != seen_n or prev is None:
            prev = pipeline.step(so_far, now)
            seen_n = so_far.height
        assignments, gradings, findings = prev
        step_rows = event_rows(assignments, gradings, so_far, incident, now)
        rows.append(step_rows)
        log.append({"at": now, "posts": so_far.height, "events": gradings.height,
                    "seconds": time.perf_counter() - t0})
        inc_events = step_rows.filter(pl.col("incident_posts") * 2 >= pl.col("n_posts").clip(lower_bound=1))
        if inc_events.height and findings is not None and findings.height:
            main = inc_events.sort("incident_posts", descending=True)["event_id"][0]
            out.last_findings = findings.filter(pl.col("event_id").is_in(inc_events["event_id"].implode()))
            nat = gradings.filter(pl.col("event_id") == main)
            if nat.height and "nature" in nat.columns:
                out.graded_nature = nat["nature"][0]
        if gradings.height and "rules_version" in gradings.columns:
            out.rules_version, out.rules_hash = gradings["rules_version"][0], gradings["rules_hash"][0]
    out.timeline = pl.concat(rows) if rows else empty_timeline()
    out.incident_total = pl.DataFrame(totals, schema={"at": UTC_TIME, "incident_posts_seen": pl.Int64},
                                      orient="row")
    out.steps = log
    return out
