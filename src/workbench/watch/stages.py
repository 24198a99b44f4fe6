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

from workbench.schema import ASSIGNMENT_SCHEMA, POST_SCHEMA, conform, empty
from workbench.watch.frames import append, rows_with
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
        self.post_columns = PostColumns()
        self._escalator = None

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
            return Batch(posts=empty(POST_SCHEMA), report={"unreadable": unreadable})
        result = ingest.read(readable)
        report = dict(result.report)
        report["unreadable"] = unreadable
        return Batch(posts=result.posts, quarantined=result.quarantine.height, report=report,
                     quarantine=result.quarantine)

    # -- events ---------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None or isinstance(self._embedder, str):
            from workbench.embed import get_embedder

            self._embedder = get_embedder(self._embedder)
        return self._embedder

    def assign(self, new_posts: pl.DataFrame, *, posts: pl.DataFrame, assignments: pl.DataFrame,
               ledger: Any):
        """New posts whose cascade root is already held follow the root's event (how
        'cascade', no embedding); the rest go to ``events.detect`` with the ledger, which
        assigns them to existing events or opens new ones. Held posts of an event that the
        ledger merged into another in this run come back as moved rows."""
        from workbench.events import detect

        held = rows_with(assignments, "post_id", new_posts.get_column("root_id")).select(
            pl.col("post_id").alias("root_id"), pl.col("event_id").alias("_root_event"))
        joined = new_posts.join(held, on="root_id", how="left", maintain_order="left")
        is_root = pl.col("root_id").is_null() | (pl.col("root_id") == pl.col("post_id"))
        followers = joined.filter(pl.col("_root_event").is_not_null() & ~is_root)
        rest = joined.filter(pl.col("_root_event").is_null() | is_root).drop("_root_event")
        # reposts whose root is in this batch wait for the root's event (no embedding)
        batch_roots = rest.filter(is_root).get_column("post_id")
        later = rest.filter(~is_root & pl.col("root_id").is_in(batch_roots.implode()))
        rest = rest.join(later.select("post_id"), on="post_id", how="anti")
        # reposts with no words whose root has not arrived wait for it (no event yet): they
        # carry nothing to cluster on, and their root will place them
        from workbench.events.text import clean_expr

        waiting = rest.filter(~is_root).filter(clean_expr("text").fill_null("") == "")
        rest = rest.join(waiting.select("post_id"), on="post_id", how="anti")
        out = []
        if waiting.height:
            out.append(conform(waiting.select("post_id", pl.lit("waiting_root").alias("how")),
                               ASSIGNMENT_SCHEMA))
        if rest.height:
            with _tolerant_keywords():
                events = detect(rest, embedder=self.embedder, config=self.config, ledger=ledger)
            ledger = events.ledger
            found = conform(events.assignments, ASSIGNMENT_SCHEMA)
            out.append(found)
            if later.height:
                root_event = found.select(pl.col("post_id").alias("root_id"), pl.col("event_id").alias("_root_event"))
                followers = pl.concat([
                    followers,
                    later.join(root_event, on="root_id", how="left", maintain_order="left"),
                ], how="vertical_relaxed")
        # held posts that were waiting for a root that has now arrived follow it
        if assignments.height and out:
            placed = pl.concat(out, how="vertical").filter(pl.col("event_id").is_not_null())
            waited = assignments.filter(pl.col("event_id").is_null())
            if waited.height:
                waited = waited.join(rows_with(posts, "post_id", waited.get_column("post_id"))
                                     .select("post_id", "root_id"), on="post_id", how="inner")
            if waited.height and placed.height:
                root_event = placed.select(pl.col("post_id").alias("root_id"), "event_id")
                found = waited.drop("event_id").join(root_event, on="root_id", how="inner")
                if found.height:
                    out.append(conform(found.with_columns(how=pl.lit("cascade"), score=None),
                                       ASSIGNMENT_SCHEMA))
        merged = _merged_this_run(ledger)
        if followers.height:
            follow = followers.select(
                "post_id",
                pl.col("_root_event").replace(merged).alias("event_id") if merged else pl.col("_root_event").alias("event_id"),
                pl.lit("cascade").alias("how"),
                pl.lit(None, pl.Float64).alias("score"),
            )
            out.append(conform(follow, ASSIGNMENT_SCHEMA))
        if merged and assignments.height:
            moved = assignments.filter(pl.col("event_id").is_in(list(merged))).with_columns(
                pl.col("event_id").replace(merged)
            )
            out.append(conform(moved, ASSIGNMENT_SCHEMA))
        if not out:
            return empty(ASSIGNMENT_SCHEMA), ledger
        return pl.concat(out, how="vertical"), ledger

    # -- findings -------------------------------------------------------------------------
    def findings(self, posts: pl.DataFrame, assignments: pl.DataFrame) -> pl.DataFrame:
        from workbench.findings import compute

        return compute(self.post_columns.attach(posts), assignments, enriched=True)

    def prepare(self, posts: pl.DataFrame) -> None:
        """Before a replay: the per-post findings columns of every post, in one pass (see
        ``PostColumns``)."""
        self.post_columns.prime(posts)

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

    def reset_escalations(self) -> None:
        """Forget the escalator's events (a new loop primes it from its own state)."""
        self._escalator = None

    def escalations(self, gradings: pl.DataFrame, findings: pl.DataFrame, *, now: datetime) -> list[Escalation]:
        """Time-based escalation with the grading package's ``Escalator`` (durable-rules).

        ``gradings``/``findings``: the events (re)graded since the last call (all of them on
        the first call after a start, which rebuilds the escalator's state). Events below IV
        are not watched for escalation. The clock then advances to ``now``.
        """
        from workbench.grading.escalation import Escalator

        if self._escalator is None:
            self._escalator = Escalator(self.ruleset)
        levelled = gradings.filter(pl.col("level") != "watch") if gradings.height else gradings
        alerts = self._escalator.observe(levelled, now, findings=findings) if levelled.height else []
        alerts += self._escalator.advance(now)
        out = []
        for a in alerts:
            out.append(Escalation(
                key=f"{a.event_id}:{a.rule_id}:{a.level}", event_id=a.event_id, level=a.escalate_to or a.level,
                due_at=a.due_at, reason=a.because,
                detail={"rule_id": a.rule_id, "reached_level": a.level, "escalate_to": a.escalate_to,
                        "notify": list(a.notify)},
            ))
        return out


def _merged_this_run(ledger: Any) -> dict[str, str]:
    """{merged event id: event it now lives in} for merges the ledger made in its last run."""
    history = getattr(ledger, "history", None)
    if history is None or not history.height:
        return {}
    rows = history.filter((pl.col("run") == ledger.runs) & (pl.col("kind") == "merge"))
    return {r["event_id"]: ledger.resolve(r["event_id"]) for r in rows.iter_rows(named=True)}


class PostColumns:
    """The findings' per-post columns (``workbench.findings.enrich``: sentiment, official
    author, rumour and sensitive flags, stated counts, nature words), computed once per post
    and kept by ``post_id`` for the life of the process.

    The watch re-computes the findings of every event a batch touches, over all of that
    event's posts; without this it would score the same posts' sentiment and lexicon
    matches again at every batch (and build the ~120,000-word sentiment matcher each time).
    A post's columns depend on the post alone, so the findings are the same (tested in
    ``tests/test_findings_compute.py``). Look-ups filter the table by ``is_in`` (a probe of
    the post_id column) rather than join it, so a batch does not hash every post held.
    """

    def __init__(self, config: Any = None):
        self.config = config
        self.table: pl.DataFrame | None = None
        self._columns: list[str] | None = None

    @property
    def columns(self) -> list[str]:
        if self._columns is None:
            from workbench.findings import post_columns

            self._columns = post_columns(self.config)
        return self._columns

    def _split(self, posts: pl.DataFrame) -> tuple[pl.DataFrame | None, pl.DataFrame]:
        """(held rows for ``posts``, the posts not held yet, each once)."""
        if self.table is None:
            held, fresh = None, posts
        else:
            held = rows_with(self.table, "post_id", posts.get_column("post_id"))
            fresh = posts.join(held.select("post_id"), on="post_id", how="anti")
        return held, fresh.unique("post_id", keep="first", maintain_order=True)

    def _compute(self, fresh: pl.DataFrame) -> pl.DataFrame:
        """The columns of ``fresh`` (posts not held), added to the table."""
        from workbench.findings import enrich

        rows = enrich(fresh, config=self.config).collect().select("post_id", *self.columns)
        self.table = rows if self.table is None else append(self.table, rows)
        return rows

    def prime(self, posts: pl.DataFrame) -> None:
        """Compute the columns of every post not held yet, in one pass."""
        _, fresh = self._split(posts)
        if fresh.height:
            self._compute(fresh)

    def attach(self, posts: pl.DataFrame) -> pl.DataFrame:
        """``posts`` with the per-post columns (computed for the posts not held yet)."""
        held, fresh = self._split(posts)
        if fresh.height:
            rows = self._compute(fresh)
            held = rows if held is None else pl.concat([held, rows], how="vertical")
        return posts.join(held, on="post_id", how="left", maintain_order="left")


def _tolerant_keywords():
    """Keep the watch running when the keyword step fails on a tiny batch.

    ``events.topics.represent`` (BERTopic c-TF-IDF) raised on a batch whose vocabulary is a
    single word (scipy ``diags`` got a scalar). Keywords only decorate an event; the watch
    then gives the batch's new events no keywords (titles fall back to the first post)
    rather than stopping.
    """
    import contextlib
    import importlib

    # sys.modules' entry: the package re-exports a function under the same name
    detect_module = importlib.import_module("workbench.events.detect")

    @contextlib.contextmanager
    def swap():
        original = getattr(detect_module, "represent", None)
        if original is None:
            yield
            return

        def represent(docs, labels, *args, **kwargs):
            try:
                return original(docs, labels, *args, **kwargs)
            except (TypeError, ValueError) as exc:
                log.info("keywords skipped for a batch of %d texts: %s", len(docs), exc)
                return {}

        detect_module.represent = represent
        try:
            yield
        finally:
            detect_module.represent = original

    return swap()
