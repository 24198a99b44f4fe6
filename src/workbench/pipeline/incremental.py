"""``IncrementalPipeline``: posts in, what changed out (see the package docstring)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.pipeline.assign import assign_new, merged_this_run, resolve_roots
from workbench.pipeline.frames import HeldIndexes, append, rows_with, small_queries
from workbench.pipeline.postcols import PostColumns
from workbench.pipeline.state import PipelineState
from workbench.schema import (
    ASSIGNMENT_SCHEMA,
    FINDINGS_SCHEMA,
    GRADING_SCHEMA,
    POST_SCHEMA,
    conform,
    empty,
)


@dataclass
class Delta:
    """What one ``feed`` changed.

    ``new_posts``: the posts taken (POST_SCHEMA, roots resolved); ``duplicates``: posts of
    the feed not taken (their post_id was held or repeated). ``assignments``: rows added or
    moved (ASSIGNMENT_SCHEMA; a post that moved has its new event). ``touched``: events whose
    posts changed; ``opened``: new events among them; ``merged``: {event: event it was merged
    into} in this feed; ``emptied``: events left without posts (they leave the tables).
    ``findings`` / ``gradings``: of the touched events that still have posts (gradings empty
    when the feed was not graded).
    """

    now: datetime | None
    new_posts: pl.DataFrame = field(default_factory=lambda: empty(POST_SCHEMA))
    duplicates: int = 0
    assignments: pl.DataFrame = field(default_factory=lambda: empty(ASSIGNMENT_SCHEMA))
    touched: list[str] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    merged: dict[str, str] = field(default_factory=dict)
    emptied: list[str] = field(default_factory=list)
    findings: pl.DataFrame = field(default_factory=lambda: empty(FINDINGS_SCHEMA))
    gradings: pl.DataFrame = field(default_factory=lambda: empty(GRADING_SCHEMA))
    seconds: dict[str, float] = field(default_factory=dict)  # per stage

    @property
    def changed(self) -> bool:
        return bool(self.new_posts.height)


def latest_assignments(assignments: pl.DataFrame) -> pl.DataFrame:
    """One row per post: the last assignment made."""
    return assignments.unique(subset="post_id", keep="last", maintain_order=True)


def upsert(old: pl.DataFrame, new: pl.DataFrame, drop=frozenset()) -> pl.DataFrame:
    """Rows of ``new`` replace rows of ``old`` with the same event_id; ``drop`` ids go."""
    if drop and old.height:
        old = old.filter(~pl.col("event_id").is_in(list(drop)))
    if not new.height:
        return old
    if not old.height:
        return new
    return pl.concat([old.join(new.select("event_id"), on="event_id", how="anti"), new],
                     how="vertical")


def empty_rows() -> pl.DataFrame:
    """No event-post rows (``IncrementalFindings.update`` with nothing new)."""
    return pl.DataFrame(schema={"event_id": pl.Utf8})


def _config_dict(config: Any) -> Any:
    if config is None:
        return None
    if is_dataclass(config):
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(config).items()}
    return dict(config)


class IncrementalPipeline:
    """events -> findings -> grading, fed a batch of posts at a time.

    ``embedder``: a ``workbench.embed`` embedder or its name (None: the default model,
    loaded on first use). ``rules``: a loaded ``RuleSet`` or a rules folder (None: the
    project's ``rules/``). ``event_config`` / ``findings_config``: ``events.EventConfig``
    and ``findings.FindingsConfig``. ``regrade_all``: re-compute and re-grade every event at
    every feed (the naive baseline of the watch benchmark), not only the touched ones.
    ``incremental``: keep the findings' tables and merge each feed's new posts into them
    (``findings.incremental``); False recomputes the touched events from all their posts
    (``findings.compute``, the reference).

    The three stages are methods that a subclass may replace (tests script them):
    ``assign(new_posts, *, posts, assignments, ledger) -> (assignments, ledger, topics)``,
    ``findings(posts, assignments) -> FINDINGS_SCHEMA`` over the events given, and
    ``grade(findings, *, now) -> GRADING_SCHEMA``.
    """

    def __init__(self, *, embedder: Any = None, rules: Any = None, event_config: Any = None,
                 findings_config: Any = None, regrade_all: bool = False, progress: bool = False,
                 incremental: bool = True):
        self._embedder = embedder
        self.rules = rules
        self.event_config = event_config
        self.findings_config = findings_config
        self.regrade_all = regrade_all
        self.progress = progress
        self._ruleset = None
        self.incremental = incremental
        self.post_columns = PostColumns(findings_config)
        self.state = PipelineState()
        self._synced: PipelineState | None = None  # the state the tables below follow
        self._inc = None  # findings.incremental.IncrementalFindings
        self._depths = None  # pipeline.depths.CascadeDepths
        self._held = HeldIndexes()  # the held posts and assignments, by post and event

    # -- parts ---------------------------------------------------------------------------
    @property
    def embedder(self):
        if self._embedder is None or isinstance(self._embedder, str):
            from workbench.embed import get_embedder

            self._embedder = get_embedder(self._embedder)
        return self._embedder

    @property
    def ruleset(self):
        if self._ruleset is None:
            from workbench.grading import load_ruleset

            if self.rules is not None and not isinstance(self.rules, str | Path):
                self._ruleset = self.rules
            else:
                self._ruleset = load_ruleset(self.rules) if self.rules else load_ruleset()
        return self._ruleset

    # -- the stages (replaceable) ----------------------------------------------------------
    def assign(self, new_posts: pl.DataFrame, *, posts: pl.DataFrame, assignments: pl.DataFrame,
               ledger: Any) -> tuple[pl.DataFrame, Any, pl.DataFrame | None]:
        """See ``workbench.pipeline.assign``."""
        return assign_new(new_posts, posts=posts, assignments=assignments, ledger=ledger,
                          embedder=self.embedder, config=self.event_config,
                          progress=self.progress, rows=self._held.rows_with)

    def findings(self, posts: pl.DataFrame, assignments: pl.DataFrame) -> pl.DataFrame:
        """Findings of the events of ``assignments`` from all their posts (the reference:
        recomputed from scratch; the per-post columns come from ``PostColumns``)."""
        from workbench.findings import compute

        topics = self.state.topics
        if topics.height and assignments.height:
            topics = rows_with(topics, "event_id", assignments.get_column("event_id"))
        return compute(self.post_columns.attach(posts), assignments,
                       topics if topics.height else None, config=self.findings_config,
                       enriched=True)

    def grade(self, findings: pl.DataFrame, *, now: datetime | None) -> pl.DataFrame:
        from workbench.grading import grade

        return grade(findings, self.ruleset, now=now)

    def prepare(self, posts: pl.DataFrame) -> None:
        """Before a replay: the per-post findings columns of every post, in one pass."""
        self.post_columns.prime(posts)

    # -- feeding ---------------------------------------------------------------------------
    def feed(self, posts: pl.DataFrame | pl.LazyFrame, now: datetime | None = None, *,
             grade: bool = True) -> Delta:
        """Take ``posts`` (any new ones: posts already held are skipped by ``post_id``),
        assign them, recompute the findings of the events they touched and (``grade``)
        re-grade those at ``now``. The state is replaced only once everything succeeded."""
        with small_queries():
            return self._feed(posts, now, grade=grade)

    def _feed(self, posts: pl.DataFrame | pl.LazyFrame, now: datetime | None, *,
              grade: bool) -> Delta:
        import time

        if isinstance(posts, pl.LazyFrame):
            posts = posts.collect()
        st = self.state
        delta = Delta(now=now)
        posts = conform(posts, POST_SCHEMA) if posts.height else empty(POST_SCHEMA)
        fresh = posts.unique(subset="post_id", keep="first", maintain_order=True) if posts.height else posts
        if st.posts.height and fresh.height:
            held = self._held.rows_with("posts", st.posts, "post_id", fresh.get_column("post_id"))
            fresh = fresh.join(held.select("post_id"), on="post_id", how="anti")
            fresh = resolve_roots(fresh, st.posts, rows=self._held.rows_with)
        delta.duplicates = posts.height - fresh.height
        if not fresh.height:
            return delta
        delta.new_posts = fresh

        t = time.perf_counter()
        new_assign, ledger, topics = self.assign(fresh, posts=st.posts, assignments=st.assignments,
                                                 ledger=st.ledger)
        new_assign = conform(new_assign, ASSIGNMENT_SCHEMA)
        delta.seconds["assign"] = time.perf_counter() - t
        delta.assignments = new_assign
        touched = set(new_assign.get_column("event_id").drop_nulls().to_list())
        before = self._held.rows_with("assignments", st.assignments, "post_id",
                                      new_assign.get_column("post_id"))
        moved = new_assign.join(before, on="post_id", how="inner", suffix="_old")
        touched |= set(moved.get_column("event_id_old").drop_nulls().to_list())
        all_posts = append(st.posts, fresh)
        self._held.grown("posts", st.posts, all_posts)
        if moved.height or new_assign.get_column("post_id").is_duplicated().any():
            all_assign = latest_assignments(
                pl.concat([st.assignments, new_assign], how="vertical")).rechunk()
        else:  # only new posts (the common case): no O(held) de-duplication
            all_assign = append(st.assignments, new_assign)
            self._held.grown("assignments", st.assignments, all_assign)
        if self.regrade_all:  # the naive baseline: every event, every feed
            touched |= set(all_assign.get_column("event_id").drop_nulls().unique().to_list())
        if topics is not None and topics.height:  # an event's topics: from the feed that opened it
            known = st.topics.get_column("event_id") if st.topics.height else pl.Series([], dtype=pl.Utf8)
            topics = topics.filter(~pl.col("event_id").is_in(known.implode()))
            all_topics = append(st.topics, topics)  # re-chunked now and then: probed every feed
        else:
            all_topics = st.topics
        findings, gradings, emptied = empty(FINDINGS_SCHEMA), empty(GRADING_SCHEMA), set()
        if self._incremental_findings():
            t = time.perf_counter()
            try:
                findings, touched, emptied = self._findings_incremental(
                    st, fresh, new_assign, before, all_posts, all_assign, all_topics, touched)
            except BaseException:
                self._synced = None  # the tables may be half updated: rebuilt next feed
                raise
            delta.seconds["findings"] = time.perf_counter() - t
        elif touched:
            t = time.perf_counter()
            ev_assign = all_assign.filter(pl.col("event_id").is_in(list(touched)))
            ev_posts = all_posts.join(ev_assign.select("post_id"), on="post_id", how="semi")
            st_topics, st.topics = st.topics, all_topics  # the findings read the new topics
            try:
                findings = conform(self.findings(ev_posts, ev_assign), FINDINGS_SCHEMA)
            finally:
                st.topics = st_topics
            # events left with no posts (merged into another) leave the tables
            emptied = touched - set(ev_assign.get_column("event_id").unique().to_list())
            delta.seconds["findings"] = time.perf_counter() - t
        if grade and findings.height:
            t = time.perf_counter()
            gradings = conform(self.grade(findings, now=now), GRADING_SCHEMA)
            delta.seconds["grade"] = time.perf_counter() - t
        held_events = set(st.findings.get_column("event_id").to_list()) if st.findings.height else set()
        delta.touched = sorted(touched)
        delta.emptied = sorted(emptied)
        delta.opened = sorted(set(findings.get_column("event_id").to_list()) - held_events)
        delta.merged = merged_this_run(ledger) if ledger is not None and new_assign.height else {}
        delta.findings, delta.gradings = findings, gradings
        # the new state, in one go
        self.state = PipelineState(
            posts=all_posts, assignments=all_assign, ledger=ledger,
            findings=upsert(st.findings, findings, drop=emptied),
            gradings=upsert(st.gradings, gradings, drop=emptied),
            topics=all_topics.filter(~pl.col("event_id").is_in(list(emptied))) if emptied else all_topics,
            feeds=st.feeds + 1, now=now.isoformat() if now is not None else st.now,
        )
        if self._synced is st:
            self._synced = self.state
        return delta

    # -- incremental findings ----------------------------------------------------------------
    def _incremental_findings(self) -> bool:
        """The incremental findings run unless the reference is asked for (``incremental=
        False``, ``regrade_all``) or a subclass replaced ``findings``."""
        return (self.incremental and not self.regrade_all
                and type(self).findings is IncrementalPipeline.findings)

    @property
    def _include_outliers(self) -> bool:
        return bool(getattr(self.findings_config, "include_outliers", False))

    def _effective(self, assignments: pl.DataFrame, name: str) -> pl.DataFrame:
        """(post_id, ``name``): the event whose findings count the post (null: none)."""
        keep = pl.col("event_id").is_not_null()
        if not self._include_outliers:
            keep = keep & (pl.col("how").fill_null("") != "outlier")
        return assignments.select("post_id", pl.when(keep).then(pl.col("event_id")).alias(name))

    def _event_rows(self, posts: pl.DataFrame, assignments: pl.DataFrame) -> pl.DataFrame:
        """The findings' event-post rows of ``posts`` under ``assignments``."""
        from workbench.findings.frame import event_posts

        return event_posts(self.post_columns.attach(posts), assignments,
                           include_outliers=self._include_outliers,
                           extra=self.post_columns.columns,
                           depths=self._depths.of(posts.get_column("post_id"))).collect()

    def _rows_of(self, posts: pl.DataFrame, assignments: pl.DataFrame, *, indexed: bool = True):
        """rows_of(event ids) -> their event-post rows; ``indexed``: probe ``posts`` and
        ``assignments`` through the held indexes (they are the held frames)."""
        held = self._held.rows_with if indexed else \
            (lambda role, frame, column, values: rows_with(frame, column, values))

        def rows_of(ids: list[str]) -> pl.DataFrame:
            a = held("assignments", assignments, "event_id", pl.Series(ids, dtype=pl.Utf8))
            return self._event_rows(held("posts", posts, "post_id", a.get_column("post_id")), a)
        return rows_of

    def _sync(self, st: PipelineState) -> None:
        """Build the findings' tables and the depths from ``st`` when they do not follow it
        (first feed, a loaded state, a failed feed)."""
        from workbench.findings.incremental import IncrementalFindings
        from workbench.pipeline.depths import CascadeDepths

        if self._synced is st:
            return
        self._depths = CascadeDepths()
        self._depths.add(st.posts.select("post_id", "parent_id"))
        self._inc = IncrementalFindings(self.findings_config)
        if st.assignments.height:
            ids = st.assignments.get_column("event_id").drop_nulls().unique().to_list()
            self._inc.update(empty_rows(), self._rows_of(st.posts, st.assignments, indexed=False),
                             rebuild=ids,
                             topics=st.topics if st.topics.height else None)
        self._synced = st

    def _findings_incremental(self, st, fresh, new_assign, before, all_posts, all_assign,
                              all_topics, touched):
        """(findings of the touched events, touched, emptied) from the held tables."""
        self._sync(st)
        changed_depth = self._depths.add(fresh.select("post_id", "parent_id"))
        latest = latest_assignments(new_assign)
        moves = self._effective(latest, "_new").join(
            self._effective(before, "_old"), on="post_id", how="left")
        joined = moves.filter(pl.col("_new").is_not_null() & pl.col("_old").is_null())
        left = moves.filter(pl.col("_old").is_not_null()
                            & (pl.col("_new").is_null() | (pl.col("_new") != pl.col("_old"))))
        rebuild = set(left.get_column("_old").to_list()) | set(left.get_column("_new").drop_nulls().to_list())
        if changed_depth:
            moved_depth = self._held.rows_with("assignments", all_assign, "post_id",
                                               pl.Series(sorted(changed_depth), dtype=pl.Utf8))
            rebuild |= set(self._effective(moved_depth, "_e").get_column("_e").drop_nulls().to_list())
        touched = set(touched) | rebuild
        if not touched:
            return empty(FINDINGS_SCHEMA), touched, set()
        alive = set(self._held.rows_with("assignments", all_assign, "event_id",
                                         pl.Series(sorted(touched), dtype=pl.Utf8))
                    .get_column("event_id").unique().to_list())
        emptied = touched - alive
        rebuild &= alive
        ids = joined.get_column("post_id")
        held = self._held.rows_with
        rows = self._event_rows(held("posts", all_posts, "post_id", ids),
                                held("assignments", all_assign, "post_id", ids)) \
            if ids.len() else empty_rows()
        topics = rows_with(all_topics, "event_id", pl.Series(sorted(touched), dtype=pl.Utf8))
        findings = self._inc.update(rows, self._rows_of(all_posts, all_assign), rebuild=rebuild,
                                    drop=emptied, topics=topics if topics.height else None)
        return conform(findings, FINDINGS_SCHEMA), touched, emptied

    def grade_held(self, now: datetime | None = None, *, rules: Any = None) -> pl.DataFrame:
        """Grade every event held (e.g. after ``feed(..., grade=False)``), keep and return it;
        ``rules`` (a RuleSet or folder) replaces the pipeline's rule set first."""
        if rules is not None:
            self.rules, self._ruleset = rules, None
        findings = self.state.findings
        gradings = conform(self.grade(findings, now=now), GRADING_SCHEMA) if findings.height \
            else empty(GRADING_SCHEMA)
        self.state.gradings = gradings
        return gradings

    # -- saving ----------------------------------------------------------------------------
    def meta(self) -> dict:
        ledger = self.state.ledger
        rs = self._ruleset
        return {
            "model_id": getattr(ledger, "model_id", None),
            "rules_version": str(getattr(rs, "version", "")) if rs is not None else None,
            "rules_hash": str(getattr(rs, "hash", "")) if rs is not None else None,
            "event_config": _config_dict(self.event_config),
            "findings_config": _config_dict(self.findings_config),
            "saved_at": datetime.now(UTC).isoformat(),
        }

    def save(self, directory: str | Path) -> Path:
        """Write the state (see ``workbench.pipeline.state`` for the format)."""
        return self.state.save(directory, meta=self.meta())

    @classmethod
    def load(cls, directory: str | Path, **kwargs) -> IncrementalPipeline:
        """A pipeline built with ``kwargs`` (as ``__init__``), resumed from ``directory``."""
        state, _info = PipelineState.load(directory)
        pipe = cls(**kwargs)
        pipe.state = state
        return pipe
