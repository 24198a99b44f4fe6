"""Volume series, growth and robust-z bursts on hand-built series with known answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from workbench.findings import bursts, volume
from workbench.schema import UTC_TIME

T0 = datetime(2024, 5, 1, 8, 0, tzinfo=UTC)


def _ev(times: list[datetime], event: str = "E1") -> pl.LazyFrame:
    return pl.LazyFrame(
        {
            "event_id": [event] * len(times),
            "post_id": [f"p{i}" for i in range(len(times))],
            "kind": ["original"] * len(times),
            "parent_id": [None] * len(times),
            "created_at": times,
        },
        schema={"event_id": pl.Utf8, "post_id": pl.Utf8, "kind": pl.Utf8,
                "parent_id": pl.Utf8, "created_at": UTC_TIME},
    )


def _spike_times() -> list[datetime]:
    """24 hours with one post each, plus 11 more in hour 10 (12 posts there)."""
    times = [T0 + timedelta(hours=h, minutes=5) for h in range(24)]
    times += [T0 + timedelta(hours=10, minutes=10 + i) for i in range(11)]
    return times


def test_hourly_series_is_dense_and_zero_filled():
    times = [T0, T0 + timedelta(minutes=59), T0 + timedelta(hours=3, minutes=1)]
    s = volume.hourly(_ev(times)).collect()
    assert s["count"].to_list() == [2, 0, 0, 1]
    assert s["hour"][0] == T0


def test_hourly_series_is_capped():
    times = [T0, T0 + timedelta(days=400)]
    s = volume.hourly(_ev(times), max_hours=48).collect()
    assert s.height == 48 and s["count"].sum() == 1


def test_volume_findings():
    ev = _ev(_spike_times())
    out = volume.per_event(ev, volume.hourly(ev)).collect().row(0, named=True)
    assert out["n_posts"] == 35 and out["n_originals"] == 35
    assert out["peak_time"] == T0 + timedelta(hours=10)
    assert out["peak_hour_posts"] == 12
    assert out["hourly_counts"][10] == 12 and len(out["hourly_counts"]) == 24
    assert out["posts_first_24h"] == 35
    assert out["duration_hours"] == pytest.approx(23.0)
    # last 6 h (hours 18-23: 6 posts) vs the 6 h before (12-17: 6 posts) -> 7/7
    assert out["growth_rate"] == pytest.approx(1.0)


def test_growth_rate_rising():
    # 1 post in the earlier window, 5 in the last 6 hours
    times = [T0, T0 + timedelta(hours=7)] + [T0 + timedelta(hours=11, minutes=i) for i in range(4)]
    out = volume.per_event(_ev(times), volume.hourly(_ev(times))).collect().row(0, named=True)
    # last_seen = T0+11h03; recent (5h03, 11h03] = 5 posts; before (-0h57, 5h03] = 1 post
    assert out["growth_rate"] == pytest.approx((5 + 1) / (1 + 1))


def test_robust_z_with_mad():
    frame = pl.DataFrame({"event_id": ["E"] * 5, "count": [1, 2, 2, 3, 20]})
    z = frame.select(bursts.robust_z(pl.col("count")).alias("z"))["z"].to_list()
    # median 2, |dev| = 1,0,0,1,18 -> MAD 1
    assert z == pytest.approx([-0.6745, 0.0, 0.0, 0.6745, 0.6745 * 18])


def test_robust_z_falls_back_to_mean_absolute_deviation():
    ev = _ev(_spike_times())
    scored = bursts.scored(volume.hourly(ev)).collect()
    # median 1, MAD 0 -> MeanAD = 11/24; z(12) = 11 / (1.253314 * 11/24)
    assert scored["z"][10] == pytest.approx(24 / 1.253314)
    assert scored["z"].drop_nans().to_list().count(0.0) == 23


def test_bursts_per_event():
    ev = _ev(_spike_times())
    out = bursts.per_event(volume.hourly(ev)).collect().row(0, named=True)
    assert out["burst_count"] == 1
    assert out["first_burst_at"] == T0 + timedelta(hours=10)
    assert out["max_burst_z"] > 3.5


def test_no_burst_for_flat_or_single_post_series():
    flat = _ev([T0 + timedelta(hours=h) for h in range(10)], "flat")
    single = _ev([T0], "single")
    sparse = _ev([T0, T0 + timedelta(hours=30)], "sparse")  # one post stands out, but < 3 posts
    ev = pl.concat([flat, single, sparse])
    out = bursts.per_event(volume.hourly(ev)).collect().sort("event_id")
    assert out["burst_count"].to_list() == [0, 0, 0]
    assert out["max_burst_z"].to_list()[0] == 0.0
    assert out["first_burst_at"].null_count() == 3
