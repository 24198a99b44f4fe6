"""Repost structure: every post follows the root of its repost/reply tree.

A *unit* is what gets clustered: with the structure, one unit per cascade (the root and
everything that reposts or replies to it, whatever its text); without it, one per post.
"""

from __future__ import annotations

import polars as pl


def cascade_keys(posts: pl.DataFrame, *, use_structure: bool = True) -> pl.Series:
    """The unit key of each post (same order as ``posts``): the root of its cascade.

    The root is ``root_id`` when given, else the root of ``parent_id`` (followed through the
    table as far as it goes), else the post itself.
    """
    if not use_structure or posts.height == 0:
        return posts["post_id"].alias("unit")
    frame = posts.select("post_id", "parent_id", "root_id").with_columns(
        unit=pl.coalesce("root_id", "parent_id", "post_id")
    )
    # Follow units that are themselves non-root posts of the table (a parent whose root
    # is elsewhere). A few rounds settle any realistic depth; ids that leave the table stop.
    up = frame.select(pl.col("post_id").alias("unit"),
                      pl.coalesce("root_id", "parent_id", "post_id").alias("up"))
    for _ in range(8):
        nxt = frame.join(up, on="unit", how="left").with_columns(
            pl.coalesce("up", "unit").alias("unit")
        ).drop("up")
        if nxt["unit"].equals(frame["unit"]):
            break
        frame = nxt
    return frame["unit"]
