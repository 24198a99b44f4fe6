"""The case-study pipeline as small steps the notebooks call, one cell each:

ingest -> select -> detect events (+ findings) -> grade -> save.

Events, findings and grading are ``workbench.pipeline.IncrementalPipeline``, the one the
drill and the watch run: the case is one ``feed`` of every selected post (``detect``), and
``grade`` grades the events it holds at the case's ``now``.

Each step is timed (``Case.timings``) and counted (``Case.counts``); ``save`` writes the
tables and ``run_info.json`` that the runner folds into ``manifest.json``. Nothing reads the
wall clock for results: grading time is the ``now`` parameter or the latest post's time,
so re-running a case gives the same findings and grades.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.schema import FINDINGS_SCHEMA, GRADING_SCHEMA, POST_SCHEMA

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_RULES = REPO_ROOT / "rules"
DEFAULT_SALT = "workbench"


@dataclass
class Case:
    """Everything a case run produces, step by step."""

    name: str = "case"
    posts: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=POST_SCHEMA))
    quarantine: pl.DataFrame | None = None
    ingest_report: dict[str, Any] = field(default_factory=dict)
    assignments: pl.DataFrame | None = None
    topics: pl.DataFrame | None = None
    findings: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=FINDINGS_SCHEMA))
    gradings: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=GRADING_SCHEMA))
    events: Any = None  # the workbench.pipeline.IncrementalPipeline that found the events
    model_id: str | None = None
    rules_version: str | None = None
    rules_hash: str | None = None
    rules_path: str | None = None
    graded_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)

    @contextlib.contextmanager
    def timed(self, step: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[step] = round(time.perf_counter() - t0, 3)

    def posts_of(self, event_id: str) -> pl.DataFrame:
        """The posts assigned to one event."""
        if self.assignments is None:
            raise ValueError("no events yet: run detect() first")
        ids = self.assignments.filter(pl.col("event_id") == event_id).select("post_id")
        return self.posts.join(ids, on="post_id", how="semi")

    def event_posts(self) -> pl.DataFrame:
        """Posts with their event_id (posts without an event are left out)."""
        if self.assignments is None:
            raise ValueError("no events yet: run detect() first")
        return self.posts.join(
            self.assignments.select("post_id", "event_id"), on="post_id", how="inner"
        )

    def ranked(self) -> pl.DataFrame:
        """Findings joined to gradings, most severe first, then by volume."""
        g = self.gradings.select("event_id", "level", "level_rank", "level_name", "colour",
                                 "measures", "fired_rules", "trace")
        return (
            self.findings.join(g, on="event_id", how="left")
            .with_columns(pl.col("level_rank").fill_null(5), pl.col("level").fill_null("watch"))
            .sort(["level_rank", "n_posts", "event_id"], descending=[False, True, False])
        )


def parse_time(value: str | datetime | None) -> datetime | None:
    """ISO 8601 -> aware UTC datetime ('' / None -> None; naive = UTC)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip().replace("Z", "+00:00")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError as exc:
            raise ValueError(f"not an ISO 8601 time: {value!r}") from exc
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def resolve_salt(salt: str = "") -> str:
    """The pseudonymisation salt: ``salt``, else ``$WORKBENCH_PSEUDONYMISE_SALT`` (how
    ``workbench case run`` hands it to the notebook, so that it is never written into the
    executed notebook), else the default."""
    import os

    from workbench.ingest.privacy import ENV_VAR

    return salt or os.environ.get(ENV_VAR) or DEFAULT_SALT


# --------------------------------------------------------------------------------------
# steps
# --------------------------------------------------------------------------------------
def ingest(
    sources: Sequence[str | Path],
    *,
    name: str = "case",
    pseudonymise: bool = True,
    salt: str = "",
    progress: bool = True,
) -> Case:
    """Read every source into a new :class:`Case` (authors pseudonymised by default, with
    :func:`resolve_salt`)."""
    from workbench import ingest as ingest_mod

    case = Case(name=name)
    with case.timed("ingest"):
        result = ingest_mod.read(
            [str(s) for s in sources],
            pseudonymise_salt=resolve_salt(salt) if pseudonymise else None,
            progress=progress,
        )
    case.posts = result.posts
    case.quarantine = result.quarantine
    case.ingest_report = dict(result.report)
    total = result.report.get("total", result.report)
    for key in ("read", "accepted", "quarantined", "duplicates"):
        if isinstance(total, dict) and key in total:
            case.counts[f"ingest_{key}"] = int(total[key])
    case.counts["posts_ingested"] = result.posts.height
    return case


def select(
    case: Case,
    *,
    start: str = "",
    end: str = "",
    keywords: Sequence[str] = (),
    platforms: Sequence[str] = (),
    max_events: int = 0,
) -> Case:
    """Keep the posts of the case's window: time, platforms, threads that mention a keyword,
    and (``max_events``) the first N source events — a documented subset for speed."""
    with case.timed("select"):
        lf = case.posts.lazy()
        t0, t1 = parse_time(start), parse_time(end)
        if t0 is not None:
            lf = lf.filter(pl.col("created_at") >= t0)
        if t1 is not None:
            lf = lf.filter(pl.col("created_at") < t1)
        if platforms:
            lf = lf.filter(pl.col("platform").is_in(list(platforms)))
        posts = lf.collect()
        if keywords:
            pattern = "|".join(_escape(k) for k in keywords)
            roots = posts.filter(
                pl.col("text").str.contains("(?i)" + pattern)
            ).select(pl.coalesce("root_id", "post_id").alias("root")).unique()
            posts = posts.filter(
                pl.coalesce("root_id", "post_id").is_in(roots["root"].implode())
            )
        if max_events:
            group = pl.coalesce("event_label", "root_id", "post_id")
            keep = (
                posts.select(group.alias("g")).unique().sort("g").head(max_events)["g"]
            )
            posts = posts.filter(group.is_in(keep.implode()))
        case.posts = posts.sort(["created_at", "post_id"])
    case.selection = {"start": start, "end": end, "keywords": list(keywords),
                      "platforms": list(platforms), "max_events": max_events}
    case.counts["posts_selected"] = case.posts.height
    return case


def _escape(text: str) -> str:
    import re

    return re.escape(text)


def detect(case: Case, *, model: str = "", progress: bool = True) -> Case:
    """Cluster the posts into events and compute their findings: one ``feed`` of the
    pipeline (the grading waits for :func:`grade`)."""
    from workbench.embed import get_embedder
    from workbench.pipeline import IncrementalPipeline

    with case.timed("embed_model"):
        embedder = get_embedder(model or None)
    case.model_id = getattr(embedder, "model_id", str(model or "default"))
    pipe = IncrementalPipeline(embedder=embedder, progress=progress)
    delta = pipe.feed(case.posts, grade=False)
    case.timings["events"] = round(delta.seconds.get("assign", 0.0), 3)
    case.timings["findings"] = round(delta.seconds.get("findings", 0.0), 3)
    case.events = pipe
    case.assignments = pipe.state.assignments
    case.topics = pipe.state.topics
    case.findings = pipe.state.findings
    case.counts["events"] = case.findings.height
    case.counts["posts_assigned"] = case.assignments.filter(
        pl.col("event_id").is_not_null()
    ).height
    return case


def grade(case: Case, *, rules: str = "", now: str = "") -> Case:
    """Grade every event with the rule set (``rules`` folder, '' = the project's ``rules/``)
    at time ``now`` ('' = the latest post's time, never the wall clock)."""
    from workbench.grading import grade as grade_findings
    from workbench.grading import load_ruleset
    from workbench.pipeline import IncrementalPipeline

    path = Path(rules) if rules else DEFAULT_RULES
    with case.timed("grading"):
        ruleset = load_ruleset(path)
        when = parse_time(now)
        if when is None and case.posts.height:
            when = case.posts["created_at"].max()
        if isinstance(case.events, IncrementalPipeline):
            case.gradings = case.events.grade_held(when, rules=ruleset)  # the events it holds
        else:  # findings given without the pipeline (a case built by hand)
            case.gradings = grade_findings(case.findings, ruleset, now=when)
    case.rules_version = str(getattr(ruleset, "version", ""))
    case.rules_hash = str(getattr(ruleset, "hash", ""))
    case.rules_path = str(path)
    case.graded_at = when
    case.counts["gradings"] = case.gradings.height
    for level, n in case.gradings.group_by("level").len().iter_rows():
        case.counts[f"level_{level}"] = int(n)
    return case


# --------------------------------------------------------------------------------------
# outputs
# --------------------------------------------------------------------------------------
def frame_digest(frame: pl.DataFrame, key: str | None = "event_id") -> str:
    """sha256 of a frame's content (rows sorted by ``key``, floats to 12 significant digits,
    as NDJSON): equal digests = equal findings / gradings across runs. (Parallel float sums
    may differ in the last bit between runs; 12 digits hides that, nothing else.)"""
    if key and key in frame.columns:
        frame = frame.sort(key)
    frame = frame.with_columns(pl.col(pl.Float64, pl.Float32).round_sig_figs(12))
    return hashlib.sha256(frame.write_ndjson().encode("utf-8")).hexdigest()


def save(case: Case, out_dir: str | Path, *, write_posts: bool = False) -> dict[str, Any]:
    """Write findings, gradings, assignments (and optionally posts) as Parquet plus
    ``run_info.json`` (counts, rules, model, timings, content digests) into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {"findings": case.findings, "gradings": case.gradings}
    if case.assignments is not None:
        tables["assignments"] = case.assignments
    if write_posts:
        tables["posts"] = case.posts
    digests = {}
    for name, frame in tables.items():
        frame.write_parquet(out / f"{name}.parquet")
        digests[name] = frame_digest(frame, "event_id" if name != "posts" else "post_id")
    if case.assignments is not None:
        digests["assignments"] = frame_digest(case.assignments.sort(["post_id"]), None)
    info = {
        "case": case.name,
        "counts": case.counts,
        "ingest_report": case.ingest_report,
        "selection": case.selection,
        "model_id": case.model_id,
        "rules": {"version": case.rules_version, "hash": case.rules_hash,
                  "path": case.rules_path},
        "graded_at": case.graded_at.isoformat() if case.graded_at else None,
        "timings": case.timings,
        "digests": digests,
        "levels": case.gradings.group_by("level").len().sort("level").rows()
        if case.gradings.height else [],
    }
    (out / "run_info.json").write_text(
        json.dumps(info, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    return info
