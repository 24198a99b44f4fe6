"""Benchmark of the watch: replay Weibo CED (dev) through the incremental loop.

Early-warning speed, per detected event: the time from its first post to its first alert,
and to the moment it reached its final level (median, p90), and the share of events that
reach their final level within the first 2 hours of their cascade. In the same run: the
loop's throughput (posts/s through the replay, simulated clock as fast as possible) and its
memory (RSS) after the whole replay.

Baseline, beside it in the same run: the naive watch that re-computes findings and grades
*every* event at every tick (instead of only the events the new posts touched), replayed
over the first ``--baseline-events`` cascades; the incremental loop is timed on the same
subset and the ratio printed.

    python benchmarks/bench_watch.py [--events N] [--tick 300] [--baseline-events 100]

Data: ``../shared/data/weibo-ced-dev`` (skips with a message when absent).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "weibo-ced-dev"


def subset(posts, n_events: int | None):
    """Posts of the first ``n_events`` cascades in time order (all when None)."""
    import polars as pl

    if not n_events:
        return posts
    roots = (
        posts.filter(pl.col("kind") == "original").sort("created_at", "post_id")
        .head(n_events).get_column("post_id")
    )
    return posts.filter(pl.col("root_id").is_in(roots.implode()))


def run_replay(posts, *, tick_s: float, regrade_all: bool = False, label: str = "replay"):
    import polars as pl
    import psutil

    from workbench.watch.clock import SimulatedClock
    from workbench.watch.loop import WatchLoop
    from workbench.watch.replay import floor_time, order_posts, replay
    from workbench.watch.stages import WorkbenchPipeline

    posts = order_posts(posts)
    pipeline = WorkbenchPipeline()
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as state:
        clock = SimulatedClock(floor_time(posts["created_at"][0], tick_s))
        loop = WatchLoop(state, pipeline, clock=clock, checkpoint_s=10.0)
        loop.regrade_all = regrade_all
        result = replay(loop, posts, tick_s=tick_s, progress=True)
        loop.close()
        rss = psutil.Process().memory_info().rss
        alerts = list(loop.feed.alerts)
        gradings = loop.state.gradings
        findings = loop.state.findings
        timings = dict(loop.timings)
    print(f"[{label}] {result.posts_fed:,} posts, {result.steps:,} steps, {len(alerts)} alerts, "
          f"{result.wall_s:.1f} s -> {result.posts_per_s:,.0f} posts/s; RSS {rss / 2**20:,.0f} MiB; "
          f"stage seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in sorted(timings.items())))
    return result, rss, alerts, gradings, findings, pl


def latency(alerts, gradings, findings):
    """Per event: hours from first post to first alert, and to the final level."""
    import polars as pl

    level_alerts = [a for a in alerts if a["kind"] != "escalation"]
    if not level_alerts:
        return None
    frame = pl.DataFrame({
        "event_id": [a["event_id"] for a in level_alerts],
        "level": [a["level"] for a in level_alerts],
        "at": [a["at"] for a in level_alerts],
    }).with_columns(pl.col("at").str.to_datetime(time_zone="UTC"))
    final = gradings.select("event_id", pl.col("level").alias("final_level"))
    first_seen = findings.select("event_id", "first_seen")
    per_event = (
        frame.group_by("event_id").agg(
            first_alert=pl.col("at").min(),
            # the last alert sets the final level (a level alert fires on every change)
            reached_final=pl.col("at").max(),
            last_level=pl.col("level").sort_by("at").last(),
        )
        .join(final, on="event_id", how="left")
        .join(first_seen, on="event_id", how="left")
        .with_columns(
            to_first=(pl.col("first_alert") - pl.col("first_seen")).dt.total_seconds() / 3600,
            to_final=(pl.col("reached_final") - pl.col("first_seen")).dt.total_seconds() / 3600,
        )
    )
    return per_event


def describe(series) -> str:
    return (f"median {series.median():.2f} h, p90 {series.quantile(0.9, 'nearest'):.2f} h "
            f"(n={series.len()})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=12,
                        help="first N cascades in time order (0 = all 865; hours on 2 cores)")
    parser.add_argument("--tick", type=float, default=300.0, help="replay slice, seconds")
    parser.add_argument("--baseline-events", type=int, default=5)
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline runs")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"bench_watch: {DATA} not found; skipped")
        return 0
    import polars as pl

    from workbench import ingest

    t = time.perf_counter()
    posts = ingest.read([DATA]).posts
    print(f"read {posts.height:,} posts in {time.perf_counter() - t:.1f} s (not in the loop figures)")

    # baseline first (smaller), then the incremental loop on the same subset
    if not args.no_baseline:
        small = subset(posts, args.baseline_events)
        base, *_ = run_replay(small, tick_s=args.tick, regrade_all=True,
                              label="baseline: re-grade all")
        inc, *_ = run_replay(small, tick_s=args.tick, label="incremental, same subset")
        ratio = inc.posts_per_s / base.posts_per_s if base.posts_per_s else float("nan")
        print(f"throughput on {args.baseline_events} cascades: incremental "
              f"{inc.posts_per_s:,.1f} posts/s vs re-grade-all {base.posts_per_s:,.1f} posts/s"
              f" -> ratio {ratio:.2f}x")

    data = subset(posts, args.events or None)
    label = f"replay ({'all' if not args.events else args.events} cascades)"
    result, rss, alerts, gradings, findings, _ = run_replay(data, tick_s=args.tick, label=label)
    per_event = latency(alerts, gradings, findings)
    n_events = gradings.height
    levels = gradings.group_by("level").len().sort("level")
    print("final levels: " + ", ".join(f"{r['level']}: {r['len']}" for r in levels.iter_rows(named=True)))
    if per_event is None:
        print("no level alerts: nothing to time")
        return 0
    alerted = per_event.height
    print(f"events detected: {n_events}; events alerted at least once: {alerted}")
    print(f"first post -> first alert: {describe(per_event['to_first'])}")
    at_level = per_event.filter(pl.col("final_level") != "watch")
    print(f"first post -> final level (events ending at I-IV): {describe(at_level['to_final'])}")
    share = (at_level["to_final"] <= 2.0).mean() if at_level.height else float("nan")
    print(f"share reaching their final level within 2 h of the cascade's first post: {share:.1%}")
    print(f"throughput {result.posts_per_s:,.0f} posts/s over {result.posts_fed:,} posts; "
          f"RSS after replay {rss / 2**20:,.0f} MiB; tick {args.tick:.0f} s simulated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
