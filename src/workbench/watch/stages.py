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
        self.sentiment = MemoSentiment()
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
        return Batch(posts=result.posts, quarantined=result.quarantine.height, report=report)

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

        held = assignments.select(pl.col("post_id").alias("root_id"), pl.col("event_id").alias("_root_event"))
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
            waited = assignments.filter(pl.col("event_id").is_null()).join(
                posts.select("post_id", "root_id"), on="post_id", how="inner")
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

        with self.sentiment.installed():
            return compute(posts, assignments)

    def prepare(self, posts: pl.DataFrame) -> None:
        """Before a replay: score every text's sentiment in one pass (see ``MemoSentiment``)."""
        self.sentiment.prime(posts.get_column("text"))

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


class MemoSentiment:
    """The findings' sentiment model, scoring each distinct text once per process.

    ``workbench.findings.compute`` scores every post of the events it is given, and one
    call of the lexicon model costs ~2 s whatever the number of posts (it builds its
    matcher over ~120,000 lexicon words on every call). The watch re-computes the findings
    of the touched events at every batch, so it would pay that on every batch and score
    the same posts again and again. This wrapper keeps a table text -> sentiment columns and
    asks the real model only for texts it has not seen (the same scores, since a post's
    sentiment depends on its text alone). ``installed()`` puts it in place of
    ``workbench.findings.sentiment.default_model`` for the duration of one ``compute``.
    """

    COLUMNS = ("sentiment_raw", "sentiment_score", "sentiment_negative")

    def __init__(self):
        self.table: pl.DataFrame | None = None
        self._inner = None

    @property
    def inner(self):
        if self._inner is None:
            from workbench.findings.sentiment import default_model

            self._inner = default_model(None)
        return self._inner

    def prime(self, texts: pl.Series) -> None:
        fresh = pl.DataFrame({"text": texts.fill_null("").unique()})
        if self.table is not None:
            fresh = fresh.join(self.table.select("text"), on="text", how="anti")
        if not fresh.height:
            return
        scored = self.inner.transform(fresh, "text").collect().select("text", *self.COLUMNS)
        self.table = scored if self.table is None else pl.concat([self.table, scored], how="vertical")

    def transform(self, frame, text: str = "text") -> pl.LazyFrame:
        df = frame.lazy().collect()
        self.prime(df.get_column(text))
        keyed = df.with_columns(pl.col(text).fill_null("").alias("__memo_text"))
        table = self.table.rename({"text": "__memo_text"})
        return keyed.join(table, on="__memo_text", how="left", maintain_order="left").drop("__memo_text").lazy()

    def installed(self):
        import contextlib

        import workbench.findings.sentiment as sentiment

        @contextlib.contextmanager
        def swap():
            original = sentiment.default_model
            if self._inner is None:
                self._inner = original(None)
            sentiment.default_model = lambda lexicon_dir=None: self
            try:
                yield
            finally:
                sentiment.default_model = original

        return swap()


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
