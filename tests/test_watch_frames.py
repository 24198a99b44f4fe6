"""The held-table helpers of the watch: look-ups by probing one column, appends that
re-chunk."""

from __future__ import annotations

import polars as pl

from workbench.pipeline.frames import append, rows_with


def test_rows_with_finds_the_wanted_rows_only():
    held = pl.DataFrame({"post_id": ["a", "b", "c", "d"], "root_id": ["a", "a", "c", None]})
    got = rows_with(held, "post_id", pl.Series(["c", "a", "zz", None, "a"]))
    assert got["post_id"].to_list() == ["a", "c"]  # held order, each once, unknowns and nulls ignored
    assert rows_with(held, "root_id", pl.Series(["a"]))["post_id"].to_list() == ["a", "b"]
    assert rows_with(held, "post_id", pl.Series([], dtype=pl.Utf8)).height == 0


def test_append_keeps_every_row_in_order_and_rechunks():
    held = pl.DataFrame({"post_id": ["p0"]})
    for i in range(1, 50):
        held = append(held, pl.DataFrame({"post_id": [f"p{i}"]}), max_chunks=8)
        assert held.n_chunks() <= 8
    assert held["post_id"].to_list() == [f"p{i}" for i in range(50)]
    empty = pl.DataFrame(schema={"post_id": pl.Utf8})
    assert append(empty, held).equals(held) and append(held, empty).equals(held)
