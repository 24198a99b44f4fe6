"""The sentiment matcher is built once per lexicon content, not on every findings.compute."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
from polars.testing import assert_frame_equal

from workbench.findings import compute, lexicons
from workbench.findings.sentiment import LexiconSentiment, default_model
from workbench.schema import POST_SCHEMA, conform

FIXTURES = Path(__file__).parent / "fixtures" / "findings"


def _posts() -> pl.DataFrame:
    raw = pl.read_ndjson(FIXTURES / "cascade.jsonl", infer_schema_length=None)
    raw = raw.with_columns(pl.col("created_at").str.to_datetime(time_zone="UTC"))
    return conform(raw, POST_SCHEMA)


def test_second_compute_reuses_the_matcher_and_gives_the_same_findings():
    posts = _posts()
    assignments = posts.select("post_id", pl.lit("e1").alias("event_id"),
                               pl.lit("cluster").alias("how"), pl.lit(None, pl.Float64).alias("score"))
    model = default_model(None)
    first = compute(posts, assignments)
    builds = model.matcher_builds_
    second = compute(posts, assignments)
    assert default_model(None) is model
    assert model.matcher_builds_ == builds  # no rebuild for texts already scored
    assert_frame_equal(first, second)
    # a new post costs one build at most, and only its text is matched
    extra = posts.head(1).with_columns(pl.lit("weibo:new-1").alias("post_id"),
                                       pl.lit("一场全新的悲剧，令人愤怒").alias("text"))
    compute(pl.concat([posts, extra]), pl.concat([assignments, assignments.head(1).with_columns(
        pl.lit("weibo:new-1").alias("post_id"))]))
    assert model.matcher_builds_ == builds + 1


def test_memo_scores_equal_fresh_scores():
    texts = ["今天天气很好，开心", "火灾遇难者悲痛 //@a: 好", "", None, "转发微博", "GOOD day", "悲剧"]
    frame = pl.DataFrame({"text": texts}, schema={"text": pl.Utf8})
    model = LexiconSentiment().fit()
    once = model.transform(frame).collect()
    again = model.transform(frame.reverse()).collect().reverse()
    fresh = LexiconSentiment().fit().transform(frame.reverse()).collect().reverse()
    assert model.matcher_builds_ == 1
    assert_frame_equal(once, again)
    assert_frame_equal(once, fresh)
    assert once["sentiment_score"].null_count() == 3  # no own words: '', None, bare repost


def test_edited_lexicon_gives_a_new_model(tmp_path):
    folder = tmp_path / "lexicons"
    shutil.copytree(lexicons.find_lexicon_dir(), folder)
    first = default_model(str(folder))
    assert default_model(str(folder)) is first
    path = folder / "sentiment.yaml"
    path.write_text(path.read_text("utf-8") + "\n# edited\n", "utf-8")
    assert default_model(str(folder)) is not first
