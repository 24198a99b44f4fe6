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

import polars as pl

KOL_FOLLOWERS = 100_000
MAX_ROUNDS = 40


def add_cascade_depth(posts: pl.LazyFrame) -> pl.LazyFrame:
    """Add ``depth`` (Int64) and ``tree`` (Utf8) to a post frame (see module docs)."""
    base = posts.select("post_id", "parent_id").unique("post_id", keep="first").collect()
    ids = base.select("post_id")
    # parent present in the data -> jump pointer; absent -> the hop is counted, chain ends
    state = base.join(
        ids.with_columns(pl.col("post_id").alias("anc")), left_on="parent_id",
        right_on="post_id", how="left",
    ).select(
        "post_id",
        pl.col("anc"),
        pl.col("parent_id").is_not_null().cast(pl.Int64).alias("hops"),
        pl.col("post_id").alias("top"),
    ).with_columns(pl.coalesce("anc", "top").alias("top"))
    for _ in range(MAX_ROUNDS):
        if state["anc"].null_count() == state.height:
            break
        step = state.select(
            pl.col("post_id").alias("anc"),
            pl.col("anc").alias("anc2"),
            pl.col("hops").alias("hops2"),
            pl.col("top").alias("top2"),
        )
        state = (
            state.join(step, on="anc", how="left")
            .with_columns(
                (pl.col("hops") + pl.col("hops2").fill_null(0)).alias("hops"),
                pl.coalesce("top2", "top").alias("top"),
                pl.col("anc2").alias("anc"),
            )
            .select("post_id", "anc", "hops", "top")
        )
    depth = state.select("post_id", pl.col("hops").alias("depth"), pl.col("top").alias("tree"))
    return posts.join(depth.lazy(), on="post_id", how="left")


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
