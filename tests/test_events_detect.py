"""Events on a small written fixture with the real m3e-small model.

tests/fixtures/events/posts.jsonl: batch 1 = a Wuhan flood (July), a school-canteen food
scandal (same days), a Zhengzhou flood 90 days later, and reposts (bare, chain-only, and
one with off-topic words); batch 2 = more Wuhan-flood posts, a late repost, and an
unrelated concert-ticket story.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from workbench.events import EventConfig, Ledger, detect
from workbench.schema import ASSIGNMENT_SCHEMA

FIXTURE = Path(__file__).parent / "fixtures" / "events" / "posts.jsonl"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def posts() -> pl.DataFrame:
    return pl.read_ndjson(FIXTURE).with_columns(
        pl.col("created_at").str.to_datetime(time_zone="UTC")
    )


@pytest.fixture(scope="module")
def batch1(posts) -> pl.DataFrame:
    return posts.filter(pl.col("batch") == 1)


@pytest.fixture(scope="module")
def first(batch1, embedder):
    return detect(batch1, embedder=embedder)


def _event(ev, post: str) -> str:
    return ev.assignments.filter(pl.col("post_id") == f"weibo:{post}")["event_id"].item()


def test_assignments_schema_and_coverage(first, batch1):
    assert first.assignments.schema == ASSIGNMENT_SCHEMA
    assert first.assignments.height == batch1.height
    assert first.assignments["event_id"].null_count() == 0
    assert set(first.assignments["event_id"]) == set(first.topics["event_id"])


def test_three_events_found(first):
    flood = {_event(first, f"A{i}") for i in range(8)}
    food = {_event(first, f"B{i}") for i in range(8)}
    flood2 = {_event(first, f"C{i}") for i in range(6)}
    assert len(flood) == len(food) == len(flood2) == 1
    # the same topic months apart is another event; a different topic the same days too
    assert len(flood | food | flood2) == 3
    assert first.assignments["event_id"].n_unique() == 3


def test_reposts_follow_their_root(first):
    root = _event(first, "A0")
    for repost in ("A0r1", "A0r2", "A0r3"):  # bare, chain-only, off-topic words
        assert _event(first, repost) == root
    assert _event(first, "B0r2") == _event(first, "B0")
    how = dict(first.assignments.select("post_id", "how").iter_rows())
    assert how["weibo:A0r3"] == "cascade" and how["weibo:A0"] == "cluster"
    score = dict(first.assignments.select("post_id", "score").iter_rows())
    assert score["weibo:A0r3"] is None and score["weibo:A0"] > 0.5


def test_ids_are_readable_and_ordered_by_time(first):
    assert _event(first, "A0") == "E000001"
    assert all(re.fullmatch(r"E\d{6}", e) for e in first.topics["event_id"])


def test_deterministic_across_runs(first, batch1, embedder):
    again = detect(batch1, embedder=embedder)
    assert again.assignments.equals(first.assignments)
    assert again.topics.equals(first.topics)


def test_chinese_keywords_and_representatives(first):
    topics = {r["event_id"]: r for r in first.topics.iter_rows(named=True)}
    flood = topics[_event(first, "A0")]
    assert flood["keywords"] and all(CJK.search(w) for w in flood["keywords"][:5])
    assert "武汉" in flood["keywords"] or "暴雨" in flood["keywords"]
    assert "转发微博" not in flood["keywords"]
    assert flood["title"] and CJK.search(flood["title"])
    assert len(flood["representative_post_ids"]) == 3
    assert all(p.startswith("weibo:A") for p in flood["representative_post_ids"])


def test_rerun_with_ledger_keeps_ids(first, batch1, embedder, tmp_path):
    first.ledger.save(tmp_path / "ledger")
    ledger = Ledger.load(tmp_path / "ledger")
    again = detect(batch1, embedder=embedder, ledger=ledger)
    a = first.assignments.select("post_id", "event_id")
    b = again.assignments.select("post_id", "event_id")
    assert a.equals(b)
    assert ledger.runs == 2 and ledger.next_number == 4


def test_new_posts_join_existing_events_or_open_new_ones(first, posts, embedder, tmp_path):
    first.ledger.save(tmp_path / "ledger")
    ledger = Ledger.load(tmp_path / "ledger")
    ev = detect(posts, embedder=embedder, ledger=ledger)
    flood = _event(first, "A0")
    old_ids = set(first.assignments["event_id"])
    # every old post keeps its event
    kept = first.assignments.select("post_id", "event_id").join(
        ev.assignments.select("post_id", pl.col("event_id").alias("now")), on="post_id")
    assert (kept["event_id"] == kept["now"]).all()
    how = dict(ev.assignments.select("post_id", "how").iter_rows())
    # more of the flood joins the flood; a late bare repost follows its root
    assert _event(ev, "A10") == _event(ev, "A11") == flood
    assert how["weibo:A10"] == "nearest"
    assert _event(ev, "A0r9") == flood and how["weibo:A0r9"] == "cascade"
    # an unrelated story opens one new event with the next id
    concert = {_event(ev, f"D{i}") for i in range(4)}
    assert len(concert) == 1 and concert.isdisjoint(old_ids)
    assert concert == {"E000004"}
    opened = ledger.history.filter(pl.col("kind") == "open")["event_id"].to_list()
    assert opened[-1] == "E000004"


def test_recluster_maps_to_old_ids(first, batch1, embedder, tmp_path):
    first.ledger.save(tmp_path / "ledger")
    ledger = Ledger.load(tmp_path / "ledger")
    ev = detect(batch1, embedder=embedder, ledger=ledger, config=EventConfig(recluster=True))
    assert ev.assignments.select("post_id", "event_id").equals(
        first.assignments.select("post_id", "event_id"))


def test_merge_recorded_when_new_posts_bring_events_together(batch1, posts, embedder):
    # a strict cut splits the flood; new flood posts then pull its pieces together
    ledger = Ledger()
    ev1 = detect(batch1, embedder=embedder, config=EventConfig(threshold=0.08), ledger=ledger)
    n1 = ev1.assignments["event_id"].n_unique()
    assert n1 > 3
    same = detect(batch1, embedder=embedder, config=EventConfig(threshold=0.08), ledger=ledger)
    assert same.assignments.equals(ev1.assignments)  # nothing new: nothing merges
    loose = EventConfig(threshold=0.08, merge_threshold=0.3)
    ev2 = detect(posts, embedder=embedder, config=loose, ledger=ledger)
    merges = ledger.history.filter(pl.col("kind") == "merge")
    assert merges.height > 0
    gone = merges["event_id"][0]
    assert ledger.resolve(gone) != gone
    assert gone not in set(ev2.assignments["event_id"])
    old_flood = set(ev1.assignments.filter(pl.col("post_id").str.starts_with("weibo:A"))[
        "event_id"])
    new_flood = set(ev2.assignments.filter(pl.col("post_id").str.starts_with("weibo:A"))[
        "event_id"])
    assert len(new_flood) < len(old_flood)


def test_bad_input_names_the_row(batch1, embedder):
    bad = batch1.with_columns(
        created_at=pl.when(pl.col("post_id") == "weibo:B3").then(None)
        .otherwise(pl.col("created_at"))
    )
    with pytest.raises(ValueError, match="created_at"):
        detect(bad, embedder=embedder)
    with pytest.raises(ValueError, match="unique"):
        detect(pl.concat([batch1, batch1.head(1)]), embedder=embedder)


def test_findings_via_findings_module(first):
    pytest.importorskip("workbench.findings")
    from workbench.schema import FINDINGS_SCHEMA

    findings = first.findings()
    assert findings.schema == FINDINGS_SCHEMA
    assert set(findings["event_id"]) == set(first.topics["event_id"])


def test_cli_writes_outputs_and_keeps_ids(batch1, posts, tmp_path, embedder):
    from workbench.cli import main

    store = tmp_path / "store"
    store.mkdir()
    batch1.drop("batch").write_parquet(store / "posts.parquet")
    out = tmp_path / "out"
    args = ["events", str(store), "--out", str(out), "--no-findings",
            "--cache-dir", str(embedder.cache.directory.parent)]
    assert main(args) == 0
    for name in ("assignments.parquet", "topics.parquet", "ledger/meta.json"):
        assert (out / name).exists(), name
    first = pl.read_parquet(out / "assignments.parquet")
    posts.drop("batch").write_parquet(store / "posts.parquet")
    assert main(args) == 0
    second = pl.read_parquet(out / "assignments.parquet")
    kept = first.join(second, on="post_id", suffix="_2")
    assert kept.height == first.height
    assert (kept["event_id"] == kept["event_id_2"]).all()


def test_recluster_records_a_split(batch1, embedder):
    # a loose cut lumps the flood and the canteen scandal together; re-clustering at the
    # default cut splits them: the larger part keeps the id, the other is a recorded split
    ledger = Ledger()
    loose = detect(batch1, embedder=embedder, config=EventConfig(threshold=0.5), ledger=ledger)
    lumped = _event(loose, "A0")
    assert _event(loose, "B0") == lumped
    ev = detect(batch1, embedder=embedder, config=EventConfig(recluster=True), ledger=ledger)
    assert _event(ev, "A0") != _event(ev, "B0")
    assert lumped in {_event(ev, "A0"), _event(ev, "B0")}
    splits = ledger.history.filter(pl.col("kind") == "split")
    assert splits.height == 1 and splits["other"][0] == lumped
    assert splits["event_id"][0] in {_event(ev, "A0"), _event(ev, "B0")} - {lumped}
