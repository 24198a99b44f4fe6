"""Spread findings on a tiny repost tree with known depth and breadth."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench.findings import spread
from workbench.schema import POST_SCHEMA, conform

FIXTURES = Path(__file__).parent / "fixtures" / "findings"


def load(name: str) -> pl.DataFrame:
    raw = pl.read_ndjson(FIXTURES / name, infer_schema_length=None)
    raw = raw.with_columns(pl.col("created_at").str.to_datetime(time_zone="UTC"))
    return conform(raw, POST_SCHEMA)


def test_depth_of_each_post():
    posts = load("cascade.jsonl").lazy()
    d = dict(spread.add_cascade_depth(posts).select("post_id", "depth").collect().iter_rows())
    assert d == {
        "weibo:r": 0, "weibo:a": 1, "weibo:b": 1, "weibo:c": 1, "weibo:a1": 2, "weibo:a2": 2,
        "weibo:a11": 3, "weibo:o": 1, "weibo:s": 0, "weibo:s1": 1,
    }


def test_tree_is_topmost_present_ancestor():
    posts = load("cascade.jsonl").lazy()
    t = dict(spread.add_cascade_depth(posts).select("post_id", "tree").collect().iter_rows())
    assert t["weibo:a11"] == "weibo:r"
    assert t["weibo:o"] == "weibo:o"  # its parent is missing from the data
    assert t["weibo:s1"] == "weibo:s"


def test_long_chain_and_cycle_terminate():
    n = 300
    ids = [f"p{i}" for i in range(n)]
    chain = pl.LazyFrame({"post_id": ids, "parent_id": [None] + ids[:-1]})
    depth = spread.add_cascade_depth(chain).collect()
    assert depth["depth"].max() == n - 1
    cycle = pl.LazyFrame({"post_id": ["x", "y"], "parent_id": ["y", "x"]})
    assert spread.add_cascade_depth(cycle).collect().height == 2  # no hang


def test_spread_per_event():
    posts = load("cascade.jsonl")
    ev = spread.add_cascade_depth(posts.lazy()).with_columns(event_id=pl.lit("E1"))
    out = spread.per_event(ev).collect().row(0, named=True)
    assert out["cascade_depth"] == 3
    assert out["cascade_breadth"] == 3  # a, b, c at depth 1 of tree r
    # authors: u_root u_a u_b u_c u_d u_e u_f u_g (u_a posts three times)
    assert out["unique_authors"] == 8
    assert out["reach"] == 250000 + 120 + 0 + 5000 + 10 + 300000 + 50 + 80000
    assert out["engagement"] == 40 + 12 + 100 + 3
    assert out["verified_share"] == pytest.approx(3 / 10)
    assert out["kol_share"] == pytest.approx(2 / 10)
    assert out["n_platforms"] == 1 and out["platforms"] == ["weibo"]


def test_event_without_reposts_or_followers():
    ev = pl.LazyFrame(
        {"event_id": ["E"], "post_id": ["twitter:1"], "platform": ["twitter"],
         "author_id": [None], "author_followers": [None], "author_verified": [None],
         "reposts": [None], "comments": [None], "likes": [None], "depth": [0],
         "tree": ["twitter:1"]},
        schema_overrides={"author_id": pl.Utf8, "author_followers": pl.Int64,
                          "author_verified": pl.Boolean, "reposts": pl.Int64,
                          "comments": pl.Int64, "likes": pl.Int64, "depth": pl.Int64},
    )
    out = spread.per_event(ev).collect().row(0, named=True)
    assert out["cascade_depth"] == 0 and out["cascade_breadth"] == 0
    assert out["unique_authors"] == 0 and out["engagement"] == 0
    assert out["verified_share"] == 0.0 and out["kol_share"] == 0.0


def _brute_depth(parents: dict[str, str | None]) -> dict[str, int]:
    def depth(p: str) -> int:
        parent = parents[p]
        if parent is None:
            return 0
        return 1 if parent not in parents else 1 + depth(parent)

    return {p: depth(p) for p in parents}


try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is a test dependency
    given = None

if given is not None:

    @settings(max_examples=60, deadline=None)
    @given(st.lists(st.integers(min_value=-2, max_value=60), min_size=1, max_size=60))
    def test_depth_matches_brute_force(links):
        # post i's parent is an earlier post (a forest), none (-1) or a missing one (-2)
        parents = {}
        for i, link in enumerate(links):
            if link == -1 or i == 0 and link >= 0:
                parents[f"p{i}"] = None
            elif link == -2:
                parents[f"p{i}"] = "gone"
            else:
                parents[f"p{i}"] = f"p{link % i}"
        frame = pl.LazyFrame({"post_id": list(parents), "parent_id": list(parents.values())},
                             schema={"post_id": pl.Utf8, "parent_id": pl.Utf8})
        got = dict(spread.add_cascade_depth(frame).select("post_id", "depth").collect()
                   .iter_rows())
        assert got == _brute_depth(parents)
