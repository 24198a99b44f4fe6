"""Who carried an event and how far: authors, reach, engagement, platforms, cascades.

Cascade depth (per post) is the number of repost/reply hops from the post up to the top of
its tree: 0 for an original (no ``parent_id``); 1 for a repost whose parent is not in the
data (it reposts something unseen); otherwise its parent's depth + 1. It is computed for all
posts at once by pointer jumping (each round, every post jumps to its ancestor's ancestor
and adds its hops), so a chain of length L takes log2(L) joins. A cycle in the parent links
(bad data) stops after 40 rounds; the posts on it get the hops counted so far.

A post's ``tree`` is the top-most ancestor present in the data (itself for originals).
Per event: ``cascade_depth`` = the largest depth; ``cascade_breadth`` = the most posts at
one depth >= 1 of one tree (0 when the event has no reposts).
"""

from __future__ import annotations

import numpy as np
import polars as pl

KOL_FOLLOWERS = 100_000
MAX_ROUNDS = 40


def add_cascade_depth(posts: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``depth`` (Int64) and ``tree`` (Utf8) to a post frame (see module docs)."""
    frame = posts.collect()
    base = frame.select("post_id", "parent_id").unique("post_id", keep="first",
                                                         maintain_order=True)
    n = base.height
    ids = base.select(pl.col("post_id").alias("parent_id"), pl.int_range(n).alias("pidx"))
    parents = base.join(ids, on="parent_id", how="left", maintain_order="left")
    # pointer jumping on integer positions: anc = ancestor still to jump to (-1 = none)
    anc = parents["pidx"].fill_null(-1).to_numpy().astype(np.int64)
    hops = parents["parent_id"].is_not_null().to_numpy().astype(np.int64)
    top = np.where(anc >= 0, anc, np.arange(n, dtype=np.int64))
    for _ in range(MAX_ROUNDS):
        live = np.flatnonzero(anc >= 0)
        if live.size == 0:
            break
        jump = anc[live]
        hops_next, top_next, anc_next = hops.copy(), top.copy(), anc.copy()
        hops_next[live] = hops[live] + hops[jump]
        top_next[live] = top[jump]
        anc_next[live] = anc[jump]
        hops, top, anc = hops_next, top_next, anc_next
    post_ids = base["post_id"]
    depth = pl.DataFrame({
        "post_id": post_ids,
        "depth": pl.Series(hops, dtype=pl.Int64),
        "tree": post_ids.gather(pl.Series(top)),
    })
    if n == frame.height:  # post_ids unique: attach by position, no join
        return frame.with_columns(depth["depth"], depth["tree"]).lazy()
    return frame.lazy().join(depth.lazy(), on="post_id", how="left")


def per_event(ev: pl.LazyFrame, *, kol_followers: int = KOL_FOLLOWERS) -> pl.LazyFrame:
    """One row per event_id with the spread findings."""
    authors = (
        ev.filter(pl.col("author_id").is_not_null())
        .group_by("event_id", "author_id")
        .agg(pl.col("author_followers").max())
        .group_by("event_id")
        .agg(
            pl.len().cast(pl.Int64).alias("unique_authors"),
            pl.col("author_followers").sum().cast(pl.Int64).alias("reach"),
        )
    )
    counts = ev.group_by("event_id").agg(
        (
            pl.col("reposts").fill_null(0)
            + pl.col("comments").fill_null(0)
            + pl.col("likes").fill_null(0)
        ).sum().cast(pl.Int64).alias("engagement"),
        pl.col("author_verified").fill_null(False).mean().alias("verified_share"),
        (pl.col("author_followers").fill_null(0) >= kol_followers).mean().alias("kol_share"),
        pl.col("platform").drop_nulls().n_unique().cast(pl.Int64).alias("n_platforms"),
        pl.col("depth").max().fill_null(0).cast(pl.Int64).alias("cascade_depth"),
    )
    platforms = (
        ev.filter(pl.col("platform").is_not_null())
        .group_by("event_id", "platform")
        .len()
        .sort(["event_id", "len", "platform"], descending=[False, True, False])
        .group_by("event_id", maintain_order=True)
        .agg(pl.col("platform").alias("platforms"))
    )
    breadth = (
        ev.filter(pl.col("depth") >= 1)
        .group_by("event_id", "tree", "depth")
        .len()
        .group_by("event_id")
        .agg(pl.col("len").max().cast(pl.Int64).alias("cascade_breadth"))
    )
    return (
        counts.join(authors, on="event_id", how="left")
        .join(platforms, on="event_id", how="left")
        .join(breadth, on="event_id", how="left")
        .with_columns(
            pl.col("unique_authors").fill_null(0),
            pl.col("cascade_breadth").fill_null(0),
            pl.col("platforms").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        )
    )
