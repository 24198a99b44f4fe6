"""Bursts: hours whose volume stands far above the event's usual hour (robust z-score).

For each event's dense hourly series x (see ``volume.hourly``), with m = median(x) and
MAD = median(|x - m|), the modified z-score of Iglewicz and Hoaglin (1993) is

    z = 0.6745 * (x - m) / MAD.

When MAD is 0 (more than half of the hours share one value, usually 0 in a spiky series),
the mean absolute deviation is used instead, ``z = (x - m) / (1.253314 * MeanAD)``; when that
is 0 too (a flat series), z = 0. An hour is a **burst hour** when z >= ``threshold``
(default 3.5, Iglewicz and Hoaglin's outlier cut) *and* it has at least ``min_posts``
posts (default 3), so that one post in an otherwise empty series is not a burst.

In a long-tailed cascade (a busy first day, then weeks of silence) the median hour is 0, so
every hour of the first wave with >= ``min_posts`` posts is a burst hour: ``burst_count``
then measures how long the wave lasted, and ``first_burst_at`` when it took off.

Per event: ``burst_count`` (burst hours), ``max_burst_z`` (largest z, 0 for a single-hour
series), ``first_burst_at`` (start of the first burst hour, null = none).
"""

from __future__ import annotations

import polars as pl

THRESHOLD = 3.5
MIN_POSTS = 3


def robust_z(count: pl.Expr, over: str = "event_id") -> pl.Expr:
    """Modified z-score of ``count`` within each ``over`` group (see module docs)."""
    med = count.median().over(over)
    dev = (count - med).abs()
    mad = dev.median().over(over)
    mean_ad = dev.mean().over(over)
    return (
        pl.when(mad > 0)
        .then(0.6745 * (count - med) / mad)
        .when(mean_ad > 0)
        .then((count - med) / (1.253314 * mean_ad))
        .otherwise(0.0)
        .cast(pl.Float64)
    )


def scored(series: pl.LazyFrame, *, threshold: float = THRESHOLD,
           min_posts: int = MIN_POSTS) -> pl.LazyFrame:
    """The hourly series with ``z`` and ``burst`` per hour."""
    return series.with_columns(robust_z(pl.col("count")).alias("z")).with_columns(
        ((pl.col("z") >= threshold) & (pl.col("count") >= min_posts)).alias("burst")
    )


def per_event(series: pl.LazyFrame, *, threshold: float = THRESHOLD,
              min_posts: int = MIN_POSTS) -> pl.LazyFrame:
    """One row per event_id: burst_count, max_burst_z, first_burst_at."""
    return (
        scored(series, threshold=threshold, min_posts=min_posts)
        .group_by("event_id")
        .agg(
            pl.col("burst").sum().cast(pl.Int64).alias("burst_count"),
            pl.col("z").max().fill_null(0.0).alias("max_burst_z"),
            pl.col("hour").filter(pl.col("burst")).min().alias("first_burst_at"),
        )
    )
