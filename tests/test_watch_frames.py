"""The held-table helpers of the pipeline: look-ups by probing one column or through an
index that follows a growing frame, appends that re-chunk, the findings' tables picked by
event."""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.findings.held import HeldTables
from workbench.pipeline.frames import HeldIndexes, KeyIndex, append, rows_with


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


keys = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d", "é", ""])), max_size=40)


@settings(max_examples=200, deadline=None)
@given(keys, st.lists(st.integers(0, 40), max_size=4), st.integers(0, 12),
       st.lists(st.one_of(st.none(), st.sampled_from(["a", "c", "é", "", "zz"])), max_size=6))
def test_key_index_finds_what_a_probe_finds(values, cuts, tail, wanted):
    """A ``KeyIndex`` grown by appends (its sorted part rebuilt when the tail outgrows
    ``rebuild_tail``) returns exactly the rows ``rows_with`` returns, in the same order:
    nulls match nothing, repeats count once."""
    frame = pl.DataFrame({"k": values, "i": list(range(len(values)))},
                         schema={"k": pl.Utf8, "i": pl.Int64})
    ends = sorted({min(c, frame.height) for c in cuts} | {frame.height})
    ix = KeyIndex(frame.head(0), "k")
    for end in ends:
        ix.rebuild_tail = tail
        ix = ix.extended(frame.head(end))
        q = pl.Series(wanted, dtype=pl.Utf8)
        assert ix.rows(q).equals(rows_with(frame.head(end), "k", q))
    if frame.height:
        with pytest.raises(ValueError, match="lost rows"):
            ix.extended(frame.head(0))


def test_held_indexes_follow_the_latest_frame_and_probe_others():
    held = HeldIndexes()
    held.min_rows = 0
    a = pl.DataFrame({"post_id": ["p1", "p2"]})
    b = append(a, pl.DataFrame({"post_id": ["p3"]}))
    assert held.rows_with("posts", a, "post_id", pl.Series(["p2"]))["post_id"].to_list() == ["p2"]
    held.grown("posts", a, b)
    assert held.slots[("posts", "post_id")].frame is b
    assert held.rows_with("posts", b, "post_id", pl.Series(["p3", "p1"]))["post_id"].to_list() \
        == ["p1", "p3"]
    # a frame the index does not follow is indexed afresh, not read through a stale index
    c = pl.DataFrame({"post_id": ["p9"]})
    assert held.rows_with("posts", c, "post_id", pl.Series(["p9"])).height == 1


tables = st.lists(st.tuples(st.sampled_from(["E1", "E2", "E3", "E4"]), st.integers(0, 3),
                            st.integers(1, 5)), max_size=12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(tables, st.lists(st.sampled_from(["E1", "E2", "E3", "E4"]), max_size=2),
                          st.booleans()), max_size=8),
       st.lists(st.sampled_from(["E1", "E2", "E3", "E4"]), min_size=1, max_size=3))
def test_held_tables_pick_what_a_filter_of_all_held_rows_picks(feeds, wanted):
    """Appends, drops and compactions in any order: the rows picked per event, merged, equal
    those of one plain table kept alongside (appended, filtered on drop, merged)."""
    held, plain = HeldTables(), None
    for rows, drop, compact in feeds:
        fresh = pl.DataFrame(rows, schema={"event_id": pl.Utf8, "hour": pl.Int64, "n": pl.Int64},
                             orient="row")
        held.append({"hours": fresh})
        plain = fresh if plain is None else pl.concat([plain, fresh])
        if drop:
            held.drop(drop)
            plain = plain.filter(~pl.col("event_id").is_in(drop))
        if compact:
            held.compact()
    if plain is None:
        return
    got = held.pick(wanted)["hours"]
    want = plain.filter(pl.col("event_id").is_in(wanted))

    def merged(frame):
        return frame.group_by("event_id", "hour").agg(pl.col("n").sum()).sort("event_id", "hour")

    assert merged(got).equals(merged(want))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.one_of(st.none(), st.integers(0, 5)), st.sampled_from(["a", "b", "c"])),
                max_size=12))
def test_order_posts_sorts_by_time_then_id_and_keeps_a_stream_already_in_order(rows):
    """The replay's order: by time, then post_id, posts without a time left out; a frame
    already in that order is returned itself (a replay of 320,000 posts holds no copy)."""
    from datetime import UTC, datetime, timedelta

    from workbench.watch.replay import order_posts

    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame({"created_at": [None if m is None else t0 + timedelta(minutes=m)
                                         for m, _ in rows],
                          "post_id": [p for _, p in rows]},
                         schema={"created_at": pl.Datetime("us", "UTC"), "post_id": pl.Utf8})
    got = order_posts(frame)
    want = frame.drop_nulls("created_at").sort("created_at", "post_id")
    assert got.equals(want)
    assert order_posts(want) is want
