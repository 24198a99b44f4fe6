"""Repost / reply trees: fill ``root_id`` where a reader could not.

A post with no ``root_id`` gets its parent's root (followed up the chain through the posts
table), or the top-most ancestor found in the table, or its parent when the parent is not in
the table; a post with neither parent nor root is its own root (an original).
Run after duplicate ids are collapsed (each post_id once).
"""

from __future__ import annotations

import polars as pl

MAX_DEPTH = 256


def resolve_roots(posts: pl.DataFrame) -> pl.DataFrame:
    if posts.height == 0 or posts["root_id"].null_count() == 0:
        return posts
    lookup = posts.select(
        pl.col("post_id").alias("_up"),
        pl.col("parent_id").alias("_p_parent"),
        pl.col("root_id").alias("_p_root"),
        pl.lit(True).alias("_known"),
    )
    frame = posts.with_columns(
        pl.when(pl.col("root_id").is_not_null()).then(pl.col("root_id"))
        .when(pl.col("parent_id").is_null()).then(pl.col("post_id"))
        .alias("_root"),
        pl.col("parent_id").alias("_up"),
    )
    for _ in range(MAX_DEPTH):
        if frame["_root"].null_count() == 0:
            break
        frame = frame.join(lookup, on="_up", how="left", maintain_order="left")
        new_root = (
            pl.when(pl.col("_root").is_not_null()).then(pl.col("_root"))
            .when(pl.col("_known").is_null()).then(pl.col("_up"))  # parent outside the table
            .when(pl.col("_p_root").is_not_null()).then(pl.col("_p_root"))
            .when(pl.col("_p_parent").is_null()).then(pl.col("_up"))  # parent is an original
        )
        frame = frame.with_columns(new_root.alias("_root"), pl.col("_p_parent").alias("_up")).drop(
            "_p_parent", "_p_root", "_known"
        )
    # a cycle (or a chain deeper than MAX_DEPTH) falls back to the parent
    return frame.with_columns(pl.coalesce("_root", "parent_id", "post_id").alias("root_id")).drop(
        "_root", "_up"
    )
