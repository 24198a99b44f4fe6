"""The one pipeline: fed in random pieces it holds the same findings as the reference
(every event recomputed from all its posts at once), and its saved form resumes exactly.
The events come from the posts' labels (``LabelledEventsPipeline``): the subject here is
the incremental bookkeeping, not the embedding model."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from workbench.drill.replay import LabelledEventsPipeline
from workbench.findings import compute
from workbench.grading import load_ruleset
from workbench.pipeline import IncrementalPipeline
from workbench.schema import POST_SCHEMA, conform

ROOT = Path(__file__).parents[1]
RS = load_ruleset(ROOT / "rules")
T0 = datetime(2024, 6, 1, 8, tzinfo=UTC)
WORDS = ["化工厂爆炸", "3人死亡", "有毒气体泄漏是谣言", "应急管理局通报", "转发微博", "", "太可怕了",
         "政府回应", "27人受伤", "市政府通报：爆炸造成3人死亡，网传有毒气体泄漏是谣言",
         "据新华社报道，北京一化工厂爆炸致5人受伤", "支持//@某网友: 太可怕了",
         "天津港爆炸已造成12人死亡", "天津挺住", "5 people killed in Texas", "北京加油"]
PLATFORMS = ["weibo", "news", "forum"]


def _posts(spec: list[tuple[int, int, int, int, int]]) -> pl.DataFrame:
    """(event, jitter, word, author, parent offset: 0 = original) -> a post table, the i-th
    post at 8 i + jitter minutes. A repost's parent is the post ``offset`` places before it
    (a chain: depths above 1); a large jitter dates it after its repost, so a parent can
    arrive in a later feed than its reposts. Author 6
    is a government account, author 5 a verified media one."""
    rows = []
    for i, (event, minutes, word, author, parent) in enumerate(spec):
        pid = f"p{i:03d}"
        up = rows[i - parent] if parent and i - parent >= 0 else None
        rows.append({"post_id": pid, "root_id": up["root_id"] if up else pid,
                     "parent_id": up["post_id"] if up else None,
                     "created_at": T0 + timedelta(minutes=8 * i + minutes), "text": WORDS[word],
                     "author_id": f"a{author}", "author_followers": 10 ** (author % 6),
                     "author_type": {6: "government", 5: "media"}.get(author),
                     "author_verified": author in (5, 6), "author_name": f"作者{author}",
                     "reposts": (i * 7) % 5, "likes": i % 4,
                     "kind": "repost" if up else "original",
                     "event_label": f"L{event}", "platform": PLATFORMS[author % 3]})
    return conform(pl.DataFrame(rows), POST_SCHEMA).sort("created_at", "post_id")


post = st.tuples(st.integers(0, 2), st.integers(0, 30), st.integers(0, len(WORDS) - 1),
                 st.integers(0, 7), st.integers(0, 3))


def _reference(posts: pl.DataFrame) -> pl.DataFrame:
    assignments = posts.select("post_id", pl.col("event_label").alias("event_id"),
                               how=pl.lit("label"), score=pl.lit(None, pl.Float64))
    return compute(posts, assignments)


class MergingPipeline(LabelledEventsPipeline):
    """Events from the labels, but from the third feed on L1 is merged into L0: new L1 posts
    go to L0 and the held ones move there (as the ledger's merges move them)."""

    def assign(self, new_posts, *, posts, assignments, ledger):
        out, ledger, topics = super().assign(new_posts, posts=posts, assignments=assignments,
                                             ledger=ledger)
        if self.state.feeds < 2:
            return out, ledger, topics
        out = out.with_columns(pl.col("event_id").replace("L1", "L0"))
        moved = assignments.filter(pl.col("event_id") == "L1").with_columns(
            pl.lit("L0").alias("event_id"))
        return pl.concat([out, moved], how="vertical"), ledger, topics


def _assert_same(held: pl.DataFrame, ref: pl.DataFrame) -> None:
    held = held.drop("title", "representative_post_ids").sort("event_id")
    ref = ref.drop("title", "representative_post_ids").sort("event_id")
    assert_frame_equal(held, ref, check_exact=False)


def _feed_in_pieces(pipe, posts, cuts, *, check: bool = False):
    """Feed ``posts`` in pieces of ``cuts`` (then the rest), each with two posts again;
    ``check``: after every feed, the findings held equal the reference over the posts fed."""
    start = 0
    for size in cuts + [posts.height]:
        piece = posts.slice(start, size)
        if piece.height:
            delta = pipe.feed(pl.concat([piece, posts.head(min(start, 2))]), T0)  # with repeats
            assert delta.duplicates == min(start, 2)
            # the events of the new posts, and those whose posts' cascade depths changed
            assert set(delta.touched) >= set(piece["event_label"].unique().to_list()) or \
                isinstance(pipe, MergingPipeline)
            if check:
                seen = posts.head(start + size)
                if isinstance(pipe, MergingPipeline) and pipe.state.feeds >= 3:
                    seen = seen.with_columns(pl.col("event_label").replace("L1", "L0"))
                _assert_same(pipe.state.findings, _reference(seen))
        start += size


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(post, min_size=1, max_size=40), st.lists(st.integers(1, 15), min_size=1, max_size=6),
       st.booleans())
def test_fed_in_pieces_holds_the_reference_findings(spec, cuts, merge):
    """After every feed, the incremental findings (tables merged feed by feed; events rebuilt
    when posts move or a parent arrives after its reposts) equal ``compute`` over all posts
    fed so far at once."""
    posts = _posts(spec)
    pipe = (MergingPipeline if merge else LabelledEventsPipeline)(ruleset=RS)
    _feed_in_pieces(pipe, posts, cuts, check=True)
    ref = _reference(posts.with_columns(pl.col("event_label").replace("L1", "L0"))
                     if merge and pipe.state.feeds >= 3 else posts)
    assert set(pipe.state.gradings["event_id"]) == set(ref["event_id"])


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(post, min_size=1, max_size=40), st.lists(st.integers(1, 15), min_size=1, max_size=6),
       st.booleans())
def test_fed_in_pieces_through_the_held_indexes(spec, cuts, merge):
    """The same with every held frame read through its ``KeyIndex`` (not only frames of
    5,000 rows or more), rebuilt after every third appended row."""
    from workbench.pipeline.frames import HeldIndexes, KeyIndex

    saved = HeldIndexes.min_rows, KeyIndex.rebuild_tail
    HeldIndexes.min_rows, KeyIndex.rebuild_tail = 0, 3
    try:
        test_fed_in_pieces_holds_the_reference_findings.hypothesis.inner_test(spec, cuts, merge)
    finally:
        HeldIndexes.min_rows, KeyIndex.rebuild_tail = saved


def test_reference_path_holds_the_same_findings(monkeypatch):
    """``incremental=False`` (each touched event recomputed from all its posts) and the
    default agree on a stream whose parents arrive after their reposts, with the held tables
    compacted every second feed."""
    from workbench.findings.incremental import IncrementalFindings

    monkeypatch.setattr(IncrementalFindings, "compact_every", 2)
    spec = [(i % 3, (37 * i) % 30, i % len(WORDS), i % 8, 0 if i % 5 == 0 else i % 3 + 1)
            for i in range(60)]
    posts = _posts(spec)
    fast, slow = (LabelledEventsPipeline(ruleset=RS, incremental=flag) for flag in (True, False))
    for pipe in (fast, slow):
        _feed_in_pieces(pipe, posts, [7, 11, 5, 9, 3, 20], check=pipe is fast)
    _assert_same(fast.state.findings, _reference(posts))
    _assert_same(slow.state.findings, _reference(posts))


def test_saved_state_resumes_where_it_stopped(tmp_path):
    posts = _posts([(e % 2, 5 * i, i % len(WORDS), i % 5, i % 3) for i, e in enumerate(range(30))])
    whole = LabelledEventsPipeline(ruleset=RS)
    whole.feed(posts.head(15), T0)
    whole.feed(posts.slice(15), T0 + timedelta(hours=3))
    first = LabelledEventsPipeline(ruleset=RS)
    first.feed(posts.head(15), T0)
    first.save(tmp_path / "saved")
    info = json.loads((tmp_path / "saved" / "pipeline.json").read_text("utf-8"))
    assert (info["format"], info["version"], info["feeds"]) == ("workbench-pipeline", 1, 1)
    assert not list((tmp_path / "saved").rglob("*.pkl"))
    resumed = LabelledEventsPipeline.load(tmp_path / "saved", ruleset=RS)
    delta = resumed.feed(posts, T0 + timedelta(hours=3))  # the first half again: duplicates
    assert delta.duplicates == 15 and delta.new_posts.height == 15
    for name in ("posts", "assignments", "findings"):
        assert_frame_equal(getattr(resumed.state, name).sort(pl.first()),
                           getattr(whole.state, name).sort(pl.first()))
    assert_frame_equal(resumed.state.gradings.drop("graded_at", strict=False).sort("event_id"),
                       whole.state.gradings.drop("graded_at", strict=False).sort("event_id"))


def test_another_format_is_refused_naming_the_file(tmp_path):
    pipe = IncrementalPipeline(rules=RS)
    pipe.save(tmp_path / "s")
    meta = tmp_path / "s" / "pipeline.json"
    meta.write_text(json.dumps({**json.loads(meta.read_text("utf-8")), "version": 99}), "utf-8")
    with pytest.raises(ValueError, match="pipeline.json.*version 99"):
        IncrementalPipeline.load(tmp_path / "s")
