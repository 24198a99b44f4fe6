"""Assignments of a feed's new posts, given what the pipeline already holds.

- a repost whose cascade root is already held follows the root's event (``cascade``, no
  embedding, no clustering);
- a repost with no words whose root has not arrived waits for it (``waiting_root``, no
  event) once the pipeline holds posts: it carries nothing to cluster on, and its root will
  place it (on the first feed ``events.detect`` places such posts by time, as it always did);
- everything else (new cascades, with their reposts in the same feed) goes to
  ``events.detect`` with the ledger, which joins them to existing events or opens new ones;
- held posts that waited for a root that has now been placed follow it (``cascade``);
- held posts of an event that the ledger merged into another in this run come back as
  moved rows.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench.pipeline.frames import rows_with
from workbench.schema import ASSIGNMENT_SCHEMA, conform, empty


def _probe(role: str, frame: pl.DataFrame, column: str, values: pl.Series) -> pl.DataFrame:
    return rows_with(frame, column, values)


def resolve_roots(fresh: pl.DataFrame, held: pl.DataFrame, *, rows=_probe) -> pl.DataFrame:
    """A repost whose parent came in an earlier feed gets that parent's root.

    The reader resolves roots within one batch only: a post whose parent is outside the
    batch gets the parent as root. One look-up in the held posts (whose roots are resolved)
    finds the true root. ``rows(role, frame, column, values)``: how the held posts are
    probed (``frames.HeldIndexes.rows_with``; default ``frames.rows_with``).
    """
    if not held.height or not fresh.height:
        return fresh
    found = rows("posts", held, "post_id", fresh.get_column("root_id"))
    lookup = found.select(pl.col("post_id").alias("root_id"), pl.col("root_id").alias("_held_root"))
    return (
        fresh.join(lookup, on="root_id", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_held_root", "root_id").alias("root_id"))
        .drop("_held_root")
    )


def merged_this_run(ledger: Any) -> dict[str, str]:
    """{merged event id: event it now lives in} for merges the ledger made in its last run."""
    if getattr(ledger, "history", None) is None or not ledger.history.height:
        return {}
    rows = ledger.this_run("merge")
    return ledger.resolve_all(rows.get_column("event_id").to_list()) if rows.height else {}


def assign_new(new_posts: pl.DataFrame, *, posts: pl.DataFrame, assignments: pl.DataFrame,
               ledger: Any, embedder: Any, config: Any = None, progress: bool = False,
               rows=_probe) -> tuple[pl.DataFrame, Any, pl.DataFrame | None]:
    """(assignments of ``new_posts`` plus rows of held posts that moved, the ledger, the
    topics ``events.detect`` gave the events of this feed or None); see the module
    docstring. ``posts`` / ``assignments``: what is held before this feed; ``rows``: how
    they are probed (as in ``resolve_roots``)."""
    from workbench.events import detect
    from workbench.events.text import clean_expr

    held = rows("assignments", assignments, "post_id", new_posts.get_column("root_id")).select(
        pl.col("post_id").alias("root_id"), pl.col("event_id").alias("_root_event"))
    joined = new_posts.join(held, on="root_id", how="left", maintain_order="left")
    is_root = pl.col("root_id").is_null() | (pl.col("root_id") == pl.col("post_id"))
    followers = joined.filter(pl.col("_root_event").is_not_null() & ~is_root)
    rest = joined.filter(pl.col("_root_event").is_null() | is_root).drop("_root_event")
    out, topics = [], None
    if posts.height:
        batch_roots = rest.filter(is_root).get_column("post_id")
        waiting = rest.filter(~is_root & ~pl.col("root_id").is_in(batch_roots.implode()))
        waiting = waiting.filter(clean_expr("text").fill_null("") == "")
        if waiting.height:
            rest = rest.join(waiting.select("post_id"), on="post_id", how="anti")
            out.append(conform(waiting.select("post_id", pl.lit("waiting_root").alias("how")),
                               ASSIGNMENT_SCHEMA))
    if rest.height:
        events = detect(rest, embedder=embedder, config=config, ledger=ledger, progress=progress)
        ledger, topics = events.ledger, events.topics
        out.append(conform(events.assignments, ASSIGNMENT_SCHEMA))
    # held posts that were waiting for a root that has now arrived follow it
    if assignments.height and out:
        placed = pl.concat(out, how="vertical").filter(pl.col("event_id").is_not_null())
        waited = assignments.filter(pl.col("event_id").is_null())
        if waited.height:
            waited = waited.join(rows("posts", posts, "post_id", waited.get_column("post_id"))
                                 .select("post_id", "root_id"), on="post_id", how="inner")
        if waited.height and placed.height:
            root_event = placed.select(pl.col("post_id").alias("root_id"), "event_id")
            found = waited.drop("event_id").join(root_event, on="root_id", how="inner")
            if found.height:
                out.append(conform(found.with_columns(how=pl.lit("cascade"), score=None),
                                   ASSIGNMENT_SCHEMA))
    merged = merged_this_run(ledger)
    if followers.height:
        event = pl.col("_root_event")
        follow = followers.select(
            "post_id",
            (event.replace(merged) if merged else event).alias("event_id"),
            pl.lit("cascade").alias("how"),
            pl.lit(None, pl.Float64).alias("score"),
        )
        out.append(conform(follow, ASSIGNMENT_SCHEMA))
    if merged and assignments.height:
        moved = assignments.filter(pl.col("event_id").is_in(list(merged))).with_columns(
            pl.col("event_id").replace(merged))
        out.append(conform(moved, ASSIGNMENT_SCHEMA))
    if not out:
        return empty(ASSIGNMENT_SCHEMA), ledger, topics
    return pl.concat(out, how="vertical"), ledger, topics
