"""Replay a post stream through the pipeline on a simulated clock.

At each clock step (every ``every_hours``, aligned to the onset) the posts published since
the previous step are fed to the pipeline (``workbench.pipeline.IncrementalPipeline.feed``,
the one the watch and the case study run: new posts are assigned with the ledger, the
events they touch get their findings recomputed and are re-graded at the step's time). The
result is a timeline: one row per (step, event held) with the level, the measures and how
many of the event's posts truly belong to the incident (from ``event_label``, which
simulated posts carry).

Any ``IncrementalPipeline`` can be drilled: ``LabelledEventsPipeline`` takes the event
detector out (the events are the posts' true labels), so scoring can be tested without
models and the findings and rules drilled alone.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from workbench.drill.score import TIMELINE_SCHEMA, _as_utc, empty_timeline
from workbench.pipeline import IncrementalPipeline
from workbench.schema import ASSIGNMENT_SCHEMA, UTC_TIME, conform


class LabelledEventsPipeline(IncrementalPipeline):
    """The events the posts' ``event_label`` names (the simulator's ground truth) ->
    findings -> grading: a drill of the findings and rules alone, with the event detector
    taken out (``workbench drill --events labels``, ``rules evaluate --drills``). Posts
    without a label get no event (they are left out of every event's findings)."""

    def __init__(self, *, ruleset=None, findings_config=None, **kwargs):
        super().__init__(rules=ruleset, findings_config=findings_config, **kwargs)

    def assign(self, new_posts, *, posts, assignments, ledger):
        out = new_posts.select(
            "post_id", pl.col("event_label").alias("event_id"),
            how=pl.when(pl.col("event_label").is_not_null()).then(pl.lit("label")),
            score=pl.lit(None, dtype=pl.Float64))
        return conform(out, ASSIGNMENT_SCHEMA), ledger, None


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


def replay(posts: pl.DataFrame, truth: dict[str, Any], pipeline: IncrementalPipeline, *,
           every_hours: float = 1.0, until_hours: float | None = None,
           progress: bool = False) -> Replay:
    """Feed ``pipeline`` (a fresh one) at each clock step the posts published since the
    previous step; read the events it holds after each."""
    import time

    onset = _as_utc(truth["onset"])
    incident = truth["incident_event"]
    posts = posts.sort("created_at", "post_id")
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
    epoch_us = posts["created_at"].dt.epoch("us").to_numpy()
    is_incident = (posts["event_label"] == incident).fill_null(False).to_numpy()
    incident_seen = np.concatenate([[0], np.cumsum(is_incident)])
    rows: list[pl.DataFrame] = []
    totals: list[tuple[dt.datetime, int]] = []
    log: list[dict[str, Any]] = []
    fed = 0
    out = Replay(empty_timeline(), pl.DataFrame())
    for now in iterator:
        hi = int(np.searchsorted(epoch_us, int(now.timestamp() * 1_000_000), side="right"))
        totals.append((now, int(incident_seen[hi])))
        if hi == 0:
            continue
        t0 = time.perf_counter()
        if hi > fed:
            pipeline.feed(posts.slice(fed, hi - fed), now)
            fed = hi
        held = pipeline.state
        assignments, gradings, findings = held.assignments, held.gradings, held.findings
        step_rows = event_rows(assignments, gradings, held.posts, incident, now)
        rows.append(step_rows)
        log.append({"at": now, "posts": hi, "events": gradings.height,
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
