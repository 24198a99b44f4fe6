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
from workbench.pipeline.frames import HeldIndexes, append, rows_with

SCHEMA = {"post_id": pl.Utf8, "parent_id": pl.Utf8, "depth": pl.Int64, "tree": pl.Utf8}


class CascadeDepths:
    def __init__(self) -> None:
        self.table = pl.DataFrame(schema=SCHEMA)  # every post held
        self.orphans = pl.DataFrame(schema={"post_id": pl.Utf8, "parent_id": pl.Utf8})
        self._index = HeldIndexes()  # the table by post_id

    def of(self, post_ids: pl.Series) -> pl.DataFrame:
        """(post_id, depth, tree) of held posts."""
        return self._index.rows_with("table", self.table, "post_id", post_ids).select(
            "post_id", "depth", "tree")

    def add(self, posts: pl.DataFrame) -> set[str]:
        """Take new posts (post_id, parent_id; none held yet). Returns the held posts whose
        depth or tree changed (their parent arrived in ``posts``)."""
        if not posts.height:
            return set()
        fresh = posts.select(pl.col("post_id").cast(pl.Utf8), pl.col("parent_id").cast(pl.Utf8))
        if fresh.height <= self.walk_max:
            walked = self._walk(fresh)
            if walked is not None:
                return self._take(fresh, *walked)
        return self._add_joined(fresh)

    walk_max = 5_000  # feeds up to this size are resolved by walking their parent links

    def _walk(self, fresh: pl.DataFrame):
        """(rows, present parents) of ``fresh`` resolved in Python, by walking each post's
        parent links through the feed to a held post, a root or an absent parent: a few
        lookups per post, where the joins below cost ~0.5 ms each whatever the feed's size.
        None when the feed's links hold a cycle (bad data: the joined path's pointer
        jumping decides what it means)."""
        ids = fresh.get_column("post_id").to_list()
        parents = fresh.get_column("parent_id").to_list()
        parent_of = dict(zip(ids, parents, strict=True))
        outside = pl.Series([q for q in parents if q is not None and q not in parent_of],
                            dtype=pl.Utf8)
        held = {} if not outside.len() else {
            post: (depth, tree) for post, depth, tree in self.of(outside).iter_rows()}
        info: dict[str, tuple[int, str]] = {}
        for post in ids:
            chain, cur = [], post
            while cur not in info:
                parent = parent_of[cur]
                if parent is None:
                    info[cur] = (0, cur)
                elif parent in parent_of:
                    if len(chain) > len(ids):
                        return None  # a cycle
                    chain.append(cur)
                    cur = parent
                    continue
                elif parent in held:
                    info[cur] = (held[parent][0] + 1, held[parent][1])
                else:
                    info[cur] = (1, cur)  # reposts something absent
            depth, tree = info[cur]
            for node in reversed(chain):
                depth += 1
                info[node] = (depth, tree)
        rows = pl.DataFrame({"post_id": ids, "parent_id": parents,
                             "depth": [info[i][0] for i in ids],
                             "tree": [info[i][1] for i in ids]}, schema=SCHEMA)
        return rows, pl.Series(list(held), dtype=pl.Utf8)

    def _add_joined(self, fresh: pl.DataFrame) -> set[str]:
        """``add`` by joins (large feeds, or links with a cycle)."""
        local = add_cascade_depth(fresh.lazy()).collect()
        tops = local.select("post_id", "tree", "depth").join(
            fresh.select(pl.col("post_id").alias("tree"), pl.col("parent_id").alias("_top_parent")),
            on="tree", how="left")
        held = self.of(tops.get_column("_top_parent")).select(
            pl.col("post_id").alias("_top_parent"), pl.col("depth").alias("_pd"),
            pl.col("tree").alias("_pt"))
        resolved = tops.join(held, on="_top_parent", how="left").select(
            "post_id",
            (pl.col("depth") + pl.col("_pd").fill_null(0)).alias("depth"),
            pl.coalesce("_pt", "tree").alias("tree"))
        rows = fresh.join(resolved, on="post_id", how="left").select(list(SCHEMA))
        held_parents = self.of(fresh.get_column("parent_id")).get_column("post_id")
        return self._take(fresh, rows, held_parents)

    def _take(self, fresh: pl.DataFrame, rows: pl.DataFrame, held_parents: pl.Series) -> set[str]:
        """Append ``rows`` (the feed's depths), keep the orphans (posts whose parent is
        absent) and recompute everything when the feed holds an orphan's parent."""
        adopted = rows_with(self.orphans, "parent_id", fresh.get_column("post_id"))
        before = self.table
        self.table = append(self.table, rows)
        self._index.grown("table", before, self.table)
        present = pl.concat([held_parents, fresh.get_column("post_id")])
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
