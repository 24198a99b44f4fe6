"""End to end: findings.compute on fixture posts (cascade, official response, CrisisLex-like
English/Spanish tweets), official-response effects with known before/after numbers."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from workbench.findings import compute, official_responses
from workbench.findings.frame import FindingsInputError
from workbench.schema import FINDINGS_COLUMNS, FINDINGS_SCHEMA, POST_SCHEMA, conform

FIXTURES = Path(__file__).parent / "fixtures" / "findings"


def load(*names: str) -> pl.DataFrame:
    frames = []
    for name in names:
        raw = pl.read_ndjson(FIXTURES / name, infer_schema_length=None)
        raw = raw.with_columns(pl.col("created_at").str.to_datetime(time_zone="UTC"))
        frames.append(conform(raw, POST_SCHEMA))
    return pl.concat(frames)


def by_label(posts: pl.DataFrame) -> pl.DataFrame:
    return posts.select("post_id", pl.col("event_label").alias("event_id"),
                        pl.lit("cluster").alias("how"), pl.lit(None, pl.Float64).alias("score"))


@pytest.fixture(scope="module")
def posts() -> pl.DataFrame:
    return load("cascade.jsonl", "response.jsonl", "crisislex_like.jsonl")


@pytest.fixture(scope="module")
def findings(posts) -> dict[str, dict]:
    out = compute(posts, by_label(posts))
    assert out.schema == FINDINGS_SCHEMA
    return {r["event_id"]: r for r in out.iter_rows(named=True)}


def test_one_row_per_event_in_schema(findings):
    assert sorted(findings) == ["cascade", "flood", "quake", "response"]
    for row in findings.values():
        assert row["n_posts"] >= 1
        assert 0.0 <= row["nature_confidence"] <= 1.0


def test_every_column_is_documented():
    assert [c.name for c in FINDINGS_COLUMNS] == list(FINDINGS_SCHEMA)
    assert all(len(c.doc) > 10 for c in FINDINGS_COLUMNS)


def test_cascade_event(findings):
    c = findings["cascade"]
    assert c["n_posts"] == 10 and c["n_originals"] == 2
    assert c["cascade_depth"] == 3 and c["cascade_breadth"] == 3
    assert c["first_seen"] == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert c["peak_time"] == datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert c["peak_hour_posts"] == 4
    assert c["hourly_counts"] == [4, 2, 1, 1, 2]
    assert c["title"].startswith("某小区电梯坠落")
    assert c["representative_post_ids"][0] == "weibo:r"
    assert c["mentions_minors"] >= 2  # 男孩, 孩子
    assert c["official_responses"] == 0 and c["first_official_response_at"] is None


def test_response_event_known_numbers(findings):
    r = findings["response"]
    assert r["official_responses"] == 2  # by author_type, and verified 平安某市 by name
    assert r["first_official_response_at"] == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert r["hours_to_official_response"] == pytest.approx(7.0)
    # before [04:00, 10:00): x1 x2 x3 (negative) x4 (positive) = 4
    # after [10:00, 16:00) without the response: x5 x6 x8 (positive) = 3
    assert r["response_volume_change"] == pytest.approx((3 + 1) / (4 + 1))
    assert r["response_negative_change"] == pytest.approx(0.0 - 0.75)
    assert r["debunked"] is True
    assert r["injuries_reported"] == 2
    assert r["deaths_reported"] is None


def test_official_response_table(posts):
    table = official_responses(posts, by_label(posts))
    assert table["post_id"].to_list() == ["weibo:gov", "weibo:x8"]
    first = table.row(0, named=True)
    assert (first["posts_before"], first["posts_after"]) == (4, 3)
    assert first["negative_before"] == pytest.approx(0.75)
    assert first["negative_after"] == pytest.approx(0.0)
    assert table["response_rank"].to_list() == [1, 2]


def test_english_and_spanish_tweets(findings):
    f = findings["flood"]
    assert f["nature"] == "natural"
    assert "flood" in f["nature_evidence"] or "flooding" in f["nature_evidence"]
    # Corroboration: two independent authors state at least 2 deaths (2 and 3); the 5
    # injured are stated by one unverified author only, so they are not a finding yet.
    assert f["deaths_reported"] == 2 and f["injuries_reported"] is None
    assert set(f["deaths_evidence"]) == {"twitter:2", "twitter:4"}
    # "the dam rumor is a hoax" debunks: it does not spread the rumour; one author is no crowd
    assert (f["rumour_signals"], f["debunk_posts"], f["debunked_by"]) == (0, 1, "none")
    assert f["debunked"] is False
    assert f["reach"] == 0 and f["cascade_depth"] == 0
    q = findings["quake"]  # an event with one post
    assert q["n_posts"] == 1 and q["hourly_counts"] == [1] and q["burst_count"] == 0
    assert q["nature"] == "natural"


def test_topics_fill_titles_and_keywords(posts):
    topics = pl.DataFrame({"event_id": ["flood"], "title": ["Alberta floods"],
                           "keywords": [["flood", "calgary"]],
                           "representative_post_ids": [["twitter:2"]]})
    out = compute(posts.filter(pl.col("platform") == "twitter"),
                  by_label(posts.filter(pl.col("platform") == "twitter")), topics)
    rows = {r["event_id"]: r for r in out.iter_rows(named=True)}
    assert rows["flood"]["title"] == "Alberta floods"
    assert rows["flood"]["keywords"] == ["flood", "calgary"]
    assert rows["quake"]["title"].startswith("Earthquake")  # no topic: fallback


def test_outliers_and_unassigned_left_out(posts):
    a = by_label(posts).with_columns(
        pl.when(pl.col("event_id") == "quake").then(pl.lit("outlier")).otherwise("how")
        .alias("how"),
        pl.when(pl.col("event_id") == "flood").then(None).otherwise("event_id").alias("event_id"),
    )
    out = compute(posts, a)
    assert sorted(out["event_id"]) == ["cascade", "response"]


def test_bad_assignments_are_named(posts):
    a = pl.DataFrame({"post_id": ["weibo:nope"], "event_id": ["E1"]})
    with pytest.raises(FindingsInputError, match="weibo:nope"):
        compute(posts, a)
    dup = pl.DataFrame({"post_id": ["weibo:r", "weibo:r"], "event_id": ["E1", "E2"]})
    with pytest.raises(FindingsInputError, match="more than one event"):
        compute(posts, dup)


def test_no_events_gives_empty_table(posts):
    out = compute(posts, pl.DataFrame(schema={"post_id": pl.Utf8, "event_id": pl.Utf8}))
    assert out.height == 0 and out.schema == FINDINGS_SCHEMA


def test_enriched_posts_give_the_same_findings(posts):
    """Per-post columns computed once (``enrich``) and passed with ``enriched=True`` give
    the same table as computing them inside ``compute``; without them it refuses."""
    from workbench.findings import enrich, post_columns

    assign = by_label(posts)
    plain = compute(posts, assign)
    rich = enrich(posts).collect()
    assert set(post_columns()) <= set(rich.columns)
    assert {"nature_words", "subject_words", "sentiment_score", "is_official"} <= set(rich.columns)
    from polars.testing import assert_frame_equal

    def same(a, b):  # exact, except the last bit of parallel float sums
        assert_frame_equal(a, b, check_exact=False, rel_tol=1e-12, abs_tol=0.0)

    same(compute(rich, assign, enriched=True), plain)
    # enriched rows for part of the posts only (what the watch passes: one event's posts)
    one = rich.filter(pl.col("event_label") == "cascade")
    part = compute(one, assign.filter(pl.col("event_id") == "cascade"), enriched=True)
    same(part, plain.filter(pl.col("event_id") == "cascade"))
    with pytest.raises(ValueError, match="enrich columns"):
        compute(posts, assign, enriched=True)
