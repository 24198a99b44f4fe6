"""Volume and time shape of each event: counts, first/peak/last times, the hourly series,
growth.

Hours are UTC clock hours (``created_at`` truncated to the hour). The hourly series runs
from the hour of ``first_seen`` to the hour of ``last_seen`` with zero-filled gaps, cut at
``max_hours`` (default 2,016 = 12 weeks) so a stray repost years later cannot blow it up;
the counts, times and peak use every post whatever the cut.

``growth_rate`` = (posts in the last ``window`` hours of activity + 1) / (posts in the
``window`` hours before those + 1): above 1 the event was still growing when the data
ended. Windows are half-open, ending at ``last_seen``: (last_seen - w, last_seen] and
(last_seen - 2w, last_seen - w].
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

MAX_HOURS = 2016


def hour_counts(ev: pl.LazyFrame) -> pl.LazyFrame:
    """(event_id, hour, n): posts per UTC clock hour (posts without a time left out)."""
    return (ev.filter(pl.col("created_at").is_not_null())
            .group_by("event_id", pl.col("created_at").dt.truncate("1h").alias("hour"))
            .agg(pl.len().cast(pl.Int64).alias("n")))


def dense_series(counts: pl.LazyFrame, *, max_hours: int = MAX_HOURS) -> pl.LazyFrame:
    """The dense hourly series from (event_id, hour, n) counts (see :func:`hourly`)."""
    start = counts.group_by("event_id").agg(
        pl.col("hour").min().alias("h0"), pl.col("hour").max().alias("h1")
    )
    filled = (
        counts.join(start, on="event_id")
        .with_columns(((pl.col("hour") - pl.col("h0")).dt.total_hours()).alias("i"))
        .filter(pl.col("i") < max_hours)
        .group_by("event_id", "i")
        .agg(pl.col("n").sum().cast(pl.Int64).alias("count"))
    )
    grid = (
        start.with_columns(
            pl.int_ranges(
                0,
                pl.min_horizontal(
                    (pl.col("h1") - pl.col("h0")).dt.total_hours() + 1, pl.lit(max_hours)
                ),
                dtype=pl.Int64,
            ).alias("i")
        )
        .explode("i")
        .with_columns((pl.col("h0") + pl.duration(hours=pl.col("i"))).alias("hour"))
    )
    return (
        grid.join(filled, on=["event_id", "i"], how="left")
        .with_columns(pl.col("count").fill_null(0))
        .select("event_id", "i", "hour", "count")
        .sort("event_id", "i")
    )


def hourly(ev: pl.LazyFrame, *, max_hours: int = MAX_HOURS) -> pl.LazyFrame:
    """Dense hourly counts: one row per (event_id, hour_index) with ``hour`` and ``count``."""
    return dense_series(hour_counts(ev), max_hours=max_hours)


def per_event(
    ev: pl.LazyFrame, series: pl.LazyFrame, *, window_hours: float = 6.0
) -> pl.LazyFrame:
    """One row per event_id with the volume findings (``series`` from :func:`hourly`)."""
    w = timedelta(hours=window_hours)
    base = ev.group_by("event_id").agg(
        pl.len().cast(pl.Int64).alias("n_posts"),
        (
            (pl.col("kind") == "original").fill_null(pl.col("parent_id").is_null())
        ).sum().cast(pl.Int64).alias("n_originals"),
        pl.col("created_at").min().alias("first_seen"),
        pl.col("created_at").max().alias("last_seen"),
    )
    windows = (
        ev.join(base.select("event_id", "first_seen", "last_seen"), on="event_id")
        .group_by("event_id")
        .agg(
            (pl.col("created_at") < pl.col("first_seen") + timedelta(hours=24))
            .sum().cast(pl.Int64).alias("posts_first_24h"),
            (pl.col("created_at") > pl.col("last_seen") - w).sum().alias("_recent"),
            (
                (pl.col("created_at") > pl.col("last_seen") - 2 * w)
                & (pl.col("created_at") <= pl.col("last_seen") - w)
            ).sum().alias("_before"),
        )
        .with_columns(
            ((pl.col("_recent") + 1) / (pl.col("_before") + 1)).alias("growth_rate")
        )
        .drop("_recent", "_before")
    )
    # peak over all posts (not the cut series): busiest clock hour, earliest on ties
    peak = (
        ev.filter(pl.col("created_at").is_not_null())
        .group_by("event_id", pl.col("created_at").dt.truncate("1h").alias("hour"))
        .len()
        .sort(["event_id", "len", "hour"], descending=[False, True, False])
        .group_by("event_id", maintain_order=True)
        .agg(
            pl.col("hour").first().alias("peak_time"),
            pl.col("len").first().cast(pl.Int64).alias("peak_hour_posts"),
        )
    )
    series_list = series.group_by("event_id").agg(
        pl.col("count").sort_by("i").alias("hourly_counts")
    )
    return (
        base.join(windows, on="event_id", how="left")
        .join(peak, on="event_id", how="left")
        .join(series_list, on="event_id", how="left")
        .with_columns(
            ((pl.col("last_seen") - pl.col("first_seen")).dt.total_seconds(fractional=True)
             / 3600.0).alias("duration_hours")
        )
    )
