"""Vectorised timestamp parsing shared by the readers. Everything ends as UTC, tz-aware."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from workbench.schema import UTC_TIME

# Anything outside this window is not a plausible social-media timestamp (typos, year 0001,
# milliseconds read as seconds): such rows are quarantined as 'implausible_timestamp'.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)

NAIVE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
)
AWARE_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%d %H:%M:%S%z",
    "%Y-%m-%dT%H:%M%z",
    "%a %b %d %H:%M:%S %z %Y",  # Twitter / Weibo API style
)


def localise(naive: pl.Expr, timezone: str) -> pl.Expr:
    """Naive wall-clock times in ``timezone`` -> UTC (ambiguous/non-existent -> null)."""
    return (
        naive.dt.replace_time_zone(timezone, ambiguous="null", non_existent="null")
        .dt.convert_time_zone("UTC")
        .cast(UTC_TIME)
    )


def parse_text(text: pl.Expr, timezone: str = "UTC", time_format: str | None = None) -> pl.Expr:
    """Strings -> UTC datetimes (null where unparseable).

    With ``time_format`` (strftime) that format alone; a format with %z is offset-aware,
    otherwise the wall clock is in ``timezone``. Without it: a Unix epoch (digits, optional
    fraction; seconds, milliseconds, microseconds or nanoseconds told apart by magnitude, see
    :func:`from_epoch`) or ISO 8601 (naive in ``timezone``, or with Z / an offset), or the Twitter
    ``"Mon May 27 12:07:05 +0800 2013"`` form.
    """
    s = text.str.strip_chars()
    if time_format:
        if "%z" in time_format or "%Z" in time_format:
            return s.str.strptime(pl.Datetime("us", "UTC"), time_format, strict=False).cast(UTC_TIME)
        return localise(s.str.strptime(pl.Datetime("us"), time_format, strict=False), timezone)
    iso = s.str.replace(r"(?i)z$", "+00:00")
    aware = [iso.str.strptime(pl.Datetime("us", "UTC"), f, strict=False) for f in AWARE_FORMATS]
    naive = [iso.str.strptime(pl.Datetime("us"), f, strict=False) for f in NAIVE_FORMATS]
    date_only = iso.str.strptime(pl.Date, "%Y-%m-%d", strict=False).cast(pl.Datetime("us"))
    unix = pl.when(s.str.contains(r"^-?[0-9]+(\.[0-9]+)?$")).then(from_epoch(s.cast(pl.Float64, strict=False)))
    return pl.coalesce(
        unix,
        *[a.cast(UTC_TIME) for a in aware],
        localise(pl.coalesce(*naive, date_only), timezone),
    )


def from_unix(seconds: pl.Expr) -> pl.Expr:
    """Unix seconds (int or float) -> UTC datetime; absurd magnitudes -> null."""
    micros = (seconds * 1_000_000).round(0)
    ok = micros.abs() < 4e15  # about year 2096
    return pl.when(ok).then(micros.cast(pl.Int64, strict=False)).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


# |epoch| below this is seconds; each factor of 1,000 above it the next unit (ms, µs, ns).
# 1e11 s is year 5138 and 1e11 ms is 1973, so plausible times (1990..2100) never straddle.
EPOCH_SECONDS_BELOW = 1e11


def from_epoch(number: pl.Expr) -> pl.Expr:
    """A Unix epoch in s, ms, µs or ns (by magnitude) -> UTC datetime; absurd ones -> null."""
    size = number.abs()
    seconds = (
        pl.when(size < EPOCH_SECONDS_BELOW).then(number)
        .when(size < EPOCH_SECONDS_BELOW * 1e3).then(number / 1e3)
        .when(size < EPOCH_SECONDS_BELOW * 1e6).then(number / 1e6)
        .when(size < EPOCH_SECONDS_BELOW * 1e9).then(number / 1e9)
    )
    return from_unix(seconds)


TWITTER_EPOCH_MS = 1288834974657
# the smallest id taken as a snowflake: one day after Twitter's epoch (older, sequential tweet
# ids were below 3e10 and would all read as the epoch's first second)
SNOWFLAKE_MIN = 86_400_000 << 22


def from_snowflake(ids: pl.Expr) -> pl.Expr:
    """Twitter snowflake ids (text, digits) -> UTC datetime: ``(id >> 22) + 1288834974657`` ms.
    Ids that are not snowflakes (not digits, beyond int64, too small) -> null."""
    s = ids.str.strip_chars()
    n = pl.when(s.str.contains(r"^[0-9]{1,19}$")).then(s.cast(pl.Int64, strict=False))
    ms = pl.when(n >= SNOWFLAKE_MIN).then(n // (1 << 22) + TWITTER_EPOCH_MS)
    return (ms * 1000).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")


def plausible(ts: pl.Expr) -> pl.Expr:
    return ts.is_between(pl.lit(EARLIEST, UTC_TIME), pl.lit(LATEST, UTC_TIME))
