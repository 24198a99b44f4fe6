"""CascadeDepths fed in pieces holds what ``spread.add_cascade_depth`` gives all the posts at
once, whichever way a feed is resolved (walking its links in Python, or by joins), with
parents that arrive after their reposts, parents never seen, and links with cycles."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.findings.spread import add_cascade_depth
from workbench.pipeline.depths import SCHEMA, CascadeDepths


@st.composite
def forests(draw):
    """Posts p0..pn-1 whose parent is an earlier post, a later one (arrives after its
    repost), an absent post, or none; cut into feeds."""
    n = draw(st.integers(1, 40))
    parents = []
    for i in range(n):
        kind = draw(st.sampled_from(["root", "earlier", "later", "absent"]))
        if kind == "earlier" and i:
            parents.append(f"p{draw(st.integers(0, i - 1))}")
        elif kind == "later" and i < n - 1:
            parents.append(f"p{draw(st.integers(i + 1, n - 1))}")
        elif kind == "absent":
            parents.append(f"gone{draw(st.integers(0, 3))}")
        else:
            parents.append(None)
    cuts = sorted(set(draw(st.lists(st.integers(1, max(1, n - 1)), max_size=6))))
    return [f"p{i}" for i in range(n)], parents, cuts


def _fed(ids, parents, cuts, walk_max):
    depths = CascadeDepths()
    depths.walk_max = walk_max
    bounds = [0, *[c for c in cuts if 0 < c < len(ids)], len(ids)]
    changed = set()
    for a, b in zip(bounds, bounds[1:], strict=False):
        changed |= depths.add(pl.DataFrame({"post_id": ids[a:b], "parent_id": parents[a:b]},
                                           schema={"post_id": pl.Utf8, "parent_id": pl.Utf8}))
    return depths, changed


def _table(depths):
    return depths.table.select(list(SCHEMA)).sort("post_id")


@settings(max_examples=150, deadline=None)
@given(forests())
def test_walked_and_joined_feeds_hold_the_depths_of_all_posts_at_once(forest):
    ids, parents, cuts = forest
    # links between posts of one feed only, in both directions: a cycle is possible
    everything = pl.DataFrame({"post_id": ids, "parent_id": parents},
                              schema={"post_id": pl.Utf8, "parent_id": pl.Utf8})
    want = add_cascade_depth(everything.lazy()).collect().select(list(SCHEMA)).sort("post_id")
    walked, walked_changed = _fed(ids, parents, cuts, walk_max=10_000)
    joined, joined_changed = _fed(ids, parents, cuts, walk_max=0)
    assert _table(joined).equals(_table(walked))
    assert walked_changed == joined_changed
    if not _has_cycle(ids, parents):  # a cycle's hops follow the pointer jumping's rounds
        assert _table(walked).equals(want)
    assert sorted(walked.orphans.get_column("post_id").to_list()) == sorted(
        joined.orphans.get_column("post_id").to_list())


def _has_cycle(ids, parents) -> bool:
    parent_of = dict(zip(ids, parents, strict=True))
    for post in ids:
        seen, cur = set(), post
        while cur in parent_of and parent_of[cur] is not None:
            if cur in seen:
                return True
            seen.add(cur)
            cur = parent_of[cur]
    return False


def test_a_cycle_inside_one_feed_falls_back_to_the_joins():
    depths = CascadeDepths()
    feed = pl.DataFrame({"post_id": ["a", "b", "c"], "parent_id": ["b", "a", "a"]})
    assert depths._walk(feed) is None
    depths.add(feed)
    joined = CascadeDepths()
    joined._add_joined(feed)
    assert _table(depths).equals(_table(joined))
