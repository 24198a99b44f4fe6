"""Join posts to their events: the one per-post frame every finding aggregates.

``event_posts(posts, assignments)`` returns a LazyFrame with every POST_SCHEMA column,
``event_id``, the cascade ``depth`` and ``tree`` of each post (computed over *all* posts
given, so a repost whose parent sits in another event still gets its true depth) and
the per-post sentiment columns.
"""

from __future__ import annotations

import polars as pl

from workbench.schema import ASSIGNMENT_SCHEMA, POST_SCHEMA, conform


class FindingsInputError(ValueError):
    """Posts or assignments that cannot be joined (named in the message)."""


def as_lazy(frame: pl.DataFrame | pl.LazyFrame, schema: pl.Schema) -> pl.LazyFrame:
    return conform(frame.lazy(), schema)


def check_assignments(posts: pl.LazyFrame, assignments: pl.LazyFrame) -> None:
    """Raise when an assignment names a post that is not there, or a post twice."""
    dup = (
        assignments.group_by("post_id").len().filter(pl.col("len") > 1).select("post_id")
        .head(5).collect()
    )
    if dup.height:
        raise FindingsInputError(
            f"assignments give more than one event to post_id(s) {dup['post_id'].to_list()}"
        )
    missing = (
        assignments.join(posts.select("post_id"), on="post_id", how="anti")
        .select("post_id").head(5).collect()
    )
    if missing.height:
        raise FindingsInputError(
            f"assignments name post_id(s) not in posts, e.g. {missing['post_id'].to_list()}"
        )


def event_posts(
    posts: pl.DataFrame | pl.LazyFrame,
    assignments: pl.DataFrame | pl.LazyFrame,
    *,
    include_outliers: bool = False,
    extra: tuple[str, ...] | list[str] = (),
    depths: pl.DataFrame | None = None,
) -> pl.LazyFrame:
    """Posts that belong to an event, with ``event_id``, ``depth`` and ``tree``.

    Assignments with a null ``event_id`` are left out (those posts have no event); so are
    ``how == 'outlier'`` rows unless ``include_outliers``. ``extra``: columns of ``posts``
    beyond POST_SCHEMA to keep (e.g. the per-post columns of ``findings.enrich``).
    ``depths`` (post_id, depth, tree): the posts' cascade depths when the caller holds them
    (computed over more posts than these, e.g. the pipeline's); else computed here.
    """
    from workbench.findings.spread import add_cascade_depth

    p = as_lazy(posts, POST_SCHEMA)
    if extra:
        p = pl.concat([p, posts.lazy().select(list(extra))], how="horizontal")
    a = as_lazy(assignments, ASSIGNMENT_SCHEMA)
    check_assignments(p, a)
    a = a.filter(pl.col("event_id").is_not_null())
    if not include_outliers:
        a = a.filter(pl.col("how").fill_null("") != "outlier")
    if depths is None:
        p = p.pipe(add_cascade_depth)
    else:
        p = p.join(depths.lazy().select("post_id", "depth", "tree"), on="post_id", how="left")
    return a.select("post_id", "event_id").join(p, on="post_id", how="inner")
