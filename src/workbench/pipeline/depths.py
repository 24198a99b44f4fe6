"""``CascadeDepths``: the cascade depth and tree of every post held, kept as posts arrive.

``findings.spread`` defines a post's depth (hops up to the top-most ancestor present, +1
when that one reposts something absent) and tree (that ancestor). Over all the posts the
pipeline holds, a new post's depth follows from its parent's: a feed's posts are resolved
among themselves (``spread.add_cascade_depth``), and a chain whose top reposts a held post
continues that post's depth and tree. A held post whose parent was absent and arrives now
(a repost fed before its original) changes its own depth and tree and its descendants':
then every depth is recomputed (rare in a stream in time order) and the posts whose
values changed are returned, so that their events can be rebuilt.
"""

from __future__ import annotations

import polars as pl

from workbench.findings.spread import add_cascade_depth
from workbench.pipeline.frames import append, rows_with

SCHEMA = {"post_id": pl.Utf8, "parent_id": pl.Utf8, "depth": pl.Int64, "tree": pl.Utf8}


class CascadeDepths:
    def __init__(self) -> None:
        self.table = pl.DataFrame(schema=SCHEMA)  # every post held
        self.orphans = pl.DataFrame(schema={"post_id": pl.Utf8, "parent_id": pl.Utf8})

    def of(self, post_ids: pl.Series) -> pl.DataFrame:
        """(post_id, depth, tree) of held posts."""
        return rows_with(self.table, "post_id", post_ids).select("post_id", "depth", "tree")

    def add(self, posts: pl.DataFrame) -> set[str]:
        """Take new posts (post_id, parent_id; none held yet). Returns the held posts whose
        depth or tree changed (their parent arrived in ``posts``)."""
        if not posts.height:
            return set()
        fresh = posts.select(pl.col("post_id").cast(pl.Utf8), pl.col("parent_id").cast(pl.Utf8))
        local = add_cascade_depth(fresh.lazy()).collect()
        tops = local.select("post_id", "tree", "depth").join(
            fresh.select(pl.col("post_id").alias("tree"), pl.col("parent_id").alias("_top_parent")),
            on="tree", how="left")
        held = rows_with(self.table, "post_id", tops.get_column("_top_parent")).select(
            pl.col("post_id").alias("_top_parent"), pl.col("depth").alias("_pd"),
            pl.col("tree").alias("_pt"))
        resolved = tops.join(held, on="_top_parent", how="left").select(
            "post_id",
            (pl.col("depth") + pl.col("_pd").fill_null(0)).alias("depth"),
            pl.coalesce("_pt", "tree").alias("tree"))
        rows = fresh.join(resolved, on="post_id", how="left").select(list(SCHEMA))
        adopted = rows_with(self.orphans, "parent_id", fresh.get_column("post_id"))
        before = self.table
        self.table = append(self.table, rows)
        present = pl.concat([rows_with(before, "post_id", fresh.get_column("parent_id"))
                             .get_column("post_id"), fresh.get_column("post_id")])
        new_orphans = fresh.filter(pl.col("parent_id").is_not_null()
                                   & ~pl.col("parent_id").is_in(present.implode()))
        orphans = self.orphans
        if adopted.height:
            orphans = orphans.join(adopted.select("post_id"), on="post_id", how="anti")
        self.orphans = append(orphans, new_orphans.select("post_id", "parent_id"))
        if not adopted.height:
            return set()
        return self._recompute(before)

    def _recompute(self, before: pl.DataFrame) -> set[str]:
        """Every depth again (a parent arrived after its reposts); the held posts whose depth
        or tree changed."""
        table = add_cascade_depth(self.table.select("post_id", "parent_id").lazy()).collect() \
            .select(list(SCHEMA))
        changed = before.join(table, on="post_id", how="inner", suffix="_now").filter(
            (pl.col("depth") != pl.col("depth_now")) | (pl.col("tree") != pl.col("tree_now")))
        self.table = table
        return set(changed.get_column("post_id").to_list())
