"""The findings' per-post columns, computed once per post (see ``PostColumns``)."""

from __future__ import annotations

from typing import Any

import polars as pl

from workbench.pipeline.frames import HeldIndexes, append


class PostColumns:
    """The findings' per-post columns (``workbench.findings.enrich``: sentiment, official
    author, rumour and sensitive flags, stated counts, nature words), computed once per post
    and kept by ``post_id`` for the life of the process.

    The pipeline re-computes the findings of every event a batch touches, over all of that
    event's posts; without this it would score the same posts' sentiment and lexicon
    matches again at every feed (and build the ~120,000-word sentiment matcher each time).
    A post's columns depend on the post alone, so the findings are the same (tested in
    ``tests/test_findings_compute.py``). Look-ups filter the table by ``is_in`` (a probe of
    the post_id column, ``frames.HeldIndexes``) rather than join it, so a feed does not hash
    every post held.
    """

    def __init__(self, config: Any = None):
        self.config = config
        self.table: pl.DataFrame | None = None
        self._columns: list[str] | None = None
        self._index = HeldIndexes()  # the table by post_id

    @property
    def columns(self) -> list[str]:
        if self._columns is None:
            from workbench.findings import post_columns

            self._columns = post_columns(self.config)
        return self._columns

    def _split(self, posts: pl.DataFrame) -> tuple[pl.DataFrame | None, pl.DataFrame]:
        """(held rows for ``posts``, the posts not held yet, each once)."""
        if self.table is None:
            held, fresh = None, posts
        else:
            held = self._index.rows_with("table", self.table, "post_id", posts.get_column("post_id"))
            fresh = posts.join(held.select("post_id"), on="post_id", how="anti")
        return held, fresh.unique("post_id", keep="first", maintain_order=True)

    def _compute(self, fresh: pl.DataFrame) -> pl.DataFrame:
        """The columns of ``fresh`` (posts not held), added to the table."""
        from workbench.findings import enrich

        rows = enrich(fresh, config=self.config).collect().select("post_id", *self.columns)
        before = self.table
        self.table = rows if before is None else append(before, rows)
        if before is not None:
            self._index.grown("table", before, self.table)
        return rows

    def prime(self, posts: pl.DataFrame) -> None:
        """Compute the columns of every post not held yet, in one pass."""
        _, fresh = self._split(posts)
        if fresh.height:
            self._compute(fresh)

    def attach(self, posts: pl.DataFrame) -> pl.DataFrame:
        """``posts`` with the per-post columns (computed for the posts not held yet)."""
        held, fresh = self._split(posts)
        if fresh.height:
            rows = self._compute(fresh)
            held = rows if held is None else pl.concat([held, rows], how="vertical")
        return posts.join(held, on="post_id", how="left", maintain_order="left")
