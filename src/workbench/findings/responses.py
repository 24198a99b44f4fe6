"""Official responses in an event's timeline and their effect (the plan's follow-up tracking).

A post is an **official response** when its author_type is "government", or when its
author is verified and the author's name contains a fragment of
rules/lexicons/officials.yaml ``name_words`` (平安XX, XX发布, XX公安局, ...).

Effect of a response at time t, over a window of w hours (default 6):

* ``posts_before``: the event's posts in [t - w, t); ``posts_after``: in [t, t + w), the
  response itself left out;
* ``volume_change`` = (posts_after + 1) / (posts_before + 1) (equal windows, so this is
  the ratio of posts per hour, +1 smoothed so that an empty window is not a division by
  zero); < 1 means the discussion slowed after the response;
* ``negative_before`` / ``negative_after``: share of negative posts among the posts of the
  window that carry a sentiment (null when none do); ``negative_change`` = after - before.

:func:`table` gives one row per official post (for notebooks); :func:`first_effect` gives the
effect of each event's first one (``findings.partial`` counts the official posts).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from workbench.findings.lexicons import Lexicons
from workbench.findings.matching import contains_any

WINDOW_HOURS = 6.0

TABLE_SCHEMA = pl.Schema({
    "event_id": pl.Utf8,
    "post_id": pl.Utf8,
    "created_at": pl.Datetime("us", "UTC"),
    "author_name": pl.Utf8,
    "author_type": pl.Utf8,
    "text": pl.Utf8,
    "response_rank": pl.Int64,
    "posts_before": pl.Int64,
    "posts_after": pl.Int64,
    "volume_change": pl.Float64,
    "negative_before": pl.Float64,
    "negative_after": pl.Float64,
    "negative_change": pl.Float64,
})


def is_official(lex: Lexicons) -> pl.Expr:
    """Per-post flag: the author is an official (government) account."""
    by_type = pl.col("author_type").fill_null("") == "government"
    by_name = pl.col("author_verified").fill_null(False) & contains_any(
        pl.col("author_name"), lex.official_name_words
    )
    return (by_type | by_name).alias("is_official")


def _effects(ev: pl.LazyFrame, window_hours: float) -> pl.LazyFrame:
    w = timedelta(hours=window_hours)
    official = (
        ev.filter(pl.col("is_official") & pl.col("created_at").is_not_null())
        .select("event_id", "post_id", "created_at", "author_name", "author_type", "text")
        .sort("event_id", "created_at", "post_id")
        .with_columns(
            pl.col("created_at").rank("ordinal").over("event_id").cast(pl.Int64)
            .alias("response_rank")
        )
    )
    others = ev.select(
        "event_id",
        pl.col("post_id").alias("other_id"),
        pl.col("created_at").alias("other_at"),
        "sentiment_negative",
    )
    t, at = pl.col("created_at"), pl.col("other_at")
    before = (at >= t - w) & (at < t)
    after = (at >= t) & (at < t + w) & (pl.col("other_id") != pl.col("post_id"))
    neg = pl.col("sentiment_negative").cast(pl.Float64)
    windows = (
        official.select("event_id", "post_id", "created_at")
        .join(others, on="event_id", how="inner")
        .filter(before | after)
        .group_by("post_id")
        .agg(
            before.sum().cast(pl.Int64).alias("posts_before"),
            after.sum().cast(pl.Int64).alias("posts_after"),
            neg.filter(before).mean().alias("negative_before"),
            neg.filter(after).mean().alias("negative_after"),
        )
    )
    return (
        official.join(windows, on="post_id", how="left")
        .with_columns(pl.col("posts_before").fill_null(0), pl.col("posts_after").fill_null(0))
        .with_columns(
            ((pl.col("posts_after") + 1) / (pl.col("posts_before") + 1)).alias("volume_change"),
            (pl.col("negative_after") - pl.col("negative_before")).alias("negative_change"),
        )
        .select(list(TABLE_SCHEMA))
        .sort("event_id", "created_at", "post_id")
    )


def table(
    posts: pl.DataFrame | pl.LazyFrame,
    assignments: pl.DataFrame | pl.LazyFrame,
    *,
    window_hours: float = WINDOW_HOURS,
    lexicon_dir=None,
) -> pl.DataFrame:
    """One row per official post of every event, with its before/after effect (TABLE_SCHEMA)."""
    from workbench.findings import lexicons
    from workbench.findings.frame import event_posts
    from workbench.findings.sentiment import default_model

    lex = lexicons.load(lexicon_dir)
    ev = event_posts(posts, assignments).with_columns(is_official(lex))
    ev = default_model(None if lexicon_dir is None else str(lexicon_dir)).transform(ev)
    return _effects(ev, window_hours).collect()


def first_effect(ev: pl.LazyFrame, *, window_hours: float = WINDOW_HOURS) -> pl.LazyFrame:
    """(event_id, first_official_response_at, response_volume_change,
    response_negative_change) for the events of ``ev`` that have an official post."""
    return _effects(ev, window_hours).filter(pl.col("response_rank") == 1).select(
        "event_id",
        pl.col("created_at").alias("first_official_response_at"),
        pl.col("volume_change").alias("response_volume_change"),
        pl.col("negative_change").alias("response_negative_change"),
    )


def hours_to_response(first_seen: pl.Expr) -> pl.Expr:
    return ((pl.col("first_official_response_at") - first_seen)
            .dt.total_seconds(fractional=True) / 3600.0).alias("hours_to_official_response")
