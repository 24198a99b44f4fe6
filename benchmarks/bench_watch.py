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

    python benchmarks/bench_watch.py [--events N | --every K] [--tick 300] [--max-tick 3600]
        [--min-posts 20] [--max-wall S] [--baseline-events 2]
    python benchmarks/bench_watch.py --posts 20000 [--reference-posts 3000]   # a prefix
    python benchmarks/bench_watch.py --posts 20000 --batch-sizes 20,100,500   # by feed size
    python benchmarks/bench_watch.py --storm 20000 [--max-wall S]             # the storm

By default the whole dev set is replayed (865 cascades, 319,561 posts with a timestamp);
``--events N`` (first N cascades) or ``--every K`` (every K-th) give quicker partial runs.

The main replay widens trickling slices (``--max-tick``, see ``workbench.watch.replay``):
bursts keep ``--tick`` resolution, trickles are graded once per ``--max-tick`` at most.
The baseline is the naive watch as it was: ``--tick`` slices, every event re-graded at every
step; the same slice is also replayed incrementally at ``--tick`` without widening.

Stability of levels, in the same run: alerts per event and the share of events that *flap*
(their level goes down and up again within 24 h), with the watch's hysteresis (default
quiet periods, ``workbench.watch.levels``) and, as the baseline, the same replay without it
(quiet period 0: a level drops as soon as a grading is lower). ``--no-flap-baseline`` skips
that second replay.

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


def subset(posts, n_events: int | None, every: int | None = None):
    """Posts of the first ``n_events`` cascades in time order, or of every ``every``-th
    cascade (a sample stratified over the whole time range); all when neither."""
    import polars as pl

    if not n_events and not every:
        return posts
    roots = posts.filter(pl.col("kind") == "original").sort("created_at", "post_id")
    roots = (roots.gather_every(every) if every else roots.head(n_events)).get_column("post_id")
    return posts.filter(pl.col("root_id").is_in(roots.implode()))


def run_replay(posts, *, tick_s: float, regrade_all: bool = False, label: str = "replay",
               max_tick_s: float | None = None, min_posts: int = 1,
               max_wall_s: float | None = None, quiet_hours: float | None = None,
               incremental: bool = True):
    import polars as pl
    import psutil

    from workbench.pipeline import IncrementalPipeline
    from workbench.watch.clock import SimulatedClock
    from workbench.watch.loop import WatchLoop
    from workbench.watch.replay import floor_time, order_posts, replay

    posts = order_posts(posts)
    pipeline = IncrementalPipeline(regrade_all=regrade_all, incremental=incremental)
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as state:
        clock = SimulatedClock(floor_time(posts["created_at"][0], tick_s))
        loop = WatchLoop(state, pipeline, clock=clock, checkpoint_s=10.0, quiet_hours=quiet_hours)
        result = replay(loop, posts, tick_s=tick_s, progress=True, max_tick_s=max_tick_s,
                        min_posts=min_posts, max_wall_s=max_wall_s)
        loop.close()
        rss = psutil.Process().memory_info().rss
        alerts = list(loop.feed.alerts)
        gradings = loop.state.gradings
        findings = loop.state.findings
        timings = dict(loop.timings)
    stop = f" STOPPED at {result.end} (--max-wall)" if result.stopped else ""
    print(f"[{label}]{stop} {result.posts_fed:,} posts, {result.steps:,} steps, {len(alerts)} alerts, "
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


LOWER_KINDS = ("down", "downgrade")  # 'down': the loop's name before hysteresis


def flapping(alerts, n_events: int, window_h: float = 24.0) -> dict:
    """Alerts per event and flapping: an event *flaps* when its level goes down and up again
    within ``window_h`` hours (a lowering alert followed by a raise within the window)."""
    from datetime import datetime, timedelta

    per_event: dict[str, list] = {}
    for a in alerts:
        per_event.setdefault(a["event_id"], []).append(a)
    flappers, examples = 0, []
    window = timedelta(hours=window_h)
    for rows in per_event.values():
        levels = sorted((datetime.fromisoformat(a["at"].replace("Z", "+00:00")), a["kind"])
                        for a in rows if a["kind"] != "escalation")
        downs = [t for t, kind in levels if kind in LOWER_KINDS]
        ups = [t for t, kind in levels if kind == "up"]
        if any(d <= u <= d + window for d in downs for u in ups):
            flappers += 1
            if len(examples) < 3:
                examples.append(" ".join(
                    f"{a['at'][:16]} {a['kind']} {a.get('previous_level')}->{a['level']}"
                    for a in sorted(rows, key=lambda a: a["at"]) if a["kind"] != "escalation"))
    level_alerts = sum(1 for a in alerts if a["kind"] != "escalation")
    lowering = sum(1 for a in alerts if a["kind"] in LOWER_KINDS)
    return {
        "events": n_events,
        "alerts_per_event": len(alerts) / n_events if n_events else float("nan"),
        "level_alerts_per_event": level_alerts / n_events if n_events else float("nan"),
        "lowering_alerts": lowering,
        "max_alerts_one_event": max((len(v) for v in per_event.values()), default=0),
        "flapping_events": flappers,
        "flapping_share": flappers / n_events if n_events else float("nan"),
        "examples": examples,
    }


def print_flapping(label: str, f: dict) -> None:
    print(f"[{label}] alerts per event {f['alerts_per_event']:.2f} (level changes "
          f"{f['level_alerts_per_event']:.2f}; most for one event {f['max_alerts_one_event']}); "
          f"lowering alerts {f['lowering_alerts']}; events that flap (down and up again within "
          f"24 h): {f['flapping_events']} of {f['events']} = {f['flapping_share']:.1%}")
    for example in f["examples"]:
        print(f"  flapping event: {example}")


def describe(series) -> str:
    return (f"median {series.median():.2f} h, p90 {series.quantile(0.9, 'nearest'):.2f} h "
            f"(n={series.len()})")


def storm_posts(n_posts: int, hours: float = 24.0, seed: int = 13):
    """One simulated incident (the flagship scenario, ``n_posts`` posts, background
    included, over ``hours``) as a post table."""
    import dataclasses

    from workbench import ingest, simulate

    sc = simulate.load(ROOT / "scenarios" / "flagship.yaml")
    total = sc.incident_posts + sc.background_posts
    sc = dataclasses.replace(sc.scaled(n_posts / total), duration_hours=hours)
    with tempfile.TemporaryDirectory(prefix="bench-storm-") as out:
        simulate.run(sc, out, seed=seed)
        return ingest.read([out]).posts


def keep_up(step_seconds, batch_s: float, speed: float) -> dict:
    """Lag behind a stream replayed ``speed`` times faster than real time, in batches of
    ``batch_s`` simulated seconds: batch k is available at wall time k * batch_s / speed;
    the loop takes it when it is available and the previous batch is done."""
    import numpy as np

    every = batch_s / speed
    done, lags = 0.0, []
    for k, seconds in enumerate(step_seconds):
        start = max(k * every, done)
        done = start + seconds
        lags.append(done - k * every)
    lags = np.asarray(lags)
    return {"max_lag_s": float(lags.max()) if len(lags) else 0.0,
            "final_lag_s": float(lags[-1]) if len(lags) else 0.0,
            "keeps_up": bool(len(lags) == 0 or lags[-1] <= 60.0)}  # within a minute of wall time at the end


def run_storm(n_posts: int, *, hours: float = 24.0, speed: float = 20.0,
              max_wall_s: float | None = None) -> None:
    """The storm: one large incident fed in 1-minute batches, as fast as possible; then
    whether that keeps up with ``speed`` x real time (see ``keep_up``)."""
    import numpy as np
    import polars as pl

    t = time.perf_counter()
    posts = storm_posts(n_posts, hours)
    print(f"[storm] simulated {posts.height:,} posts over {hours:.0f} h in "
          f"{time.perf_counter() - t:.1f} s (not in the figures)")
    from workbench.embed import get_embedder
    from workbench.events.text import clean_expr

    t = time.perf_counter()
    roots = posts.filter(pl.col("root_id").is_null() | (pl.col("root_id") == pl.col("post_id")))
    texts = [x for x in roots.select(clean_expr("text")).to_series().unique().to_list() if x]
    get_embedder().encode(texts)  # into the on-disk cache: the model's speed is bench_embed's
    print(f"[storm] embedded the {len(texts):,} distinct texts of original posts in "
          f"{time.perf_counter() - t:.1f} s (cached before the replay; not in the figures)")
    result, rss, alerts, gradings, findings, _ = run_replay(
        posts, tick_s=60.0, max_wall_s=max_wall_s,
        label=f"storm {posts.height:,} posts / {hours:.0f} h, 1-minute batches")
    if result.stopped:
        print(f"[storm] stopped by --max-wall after {result.steps:,} batches "
              f"({result.steps / 60:.1f} h of the {hours:.0f} h); the figures cover those")
    steps = np.asarray(result.step_seconds)
    busy = steps[steps > 0]
    lag = keep_up(result.step_seconds, 60.0, speed)
    sizes = findings.sort("n_posts", descending=True).get_column("n_posts").to_list()
    print(f"[storm] sustained {result.posts_fed / max(steps.sum(), 1e-9):,.0f} posts/s over "
          f"{result.steps:,} steps; step latency p50 {np.percentile(busy, 50):.3f} s, p99 "
          f"{np.percentile(busy, 99):.3f} s, max {busy.max():.3f} s; largest event "
          f"{sizes[0] if sizes else 0:,} posts; RSS {rss / 2**20:,.0f} MiB")
    print(f"[storm] {len(sizes):,} events; the five largest {sizes[:5]}; "
          f"{sum(sizes[:5]) / max(sum(sizes), 1):.0%} of the assigned posts in them")
    need = posts.height / (hours * 3600) * speed
    print(f"[storm] at {speed:.0f}x real time ({need:,.0f} posts/s, a batch every "
          f"{60 / speed:.1f} s): max lag {lag['max_lag_s']:.1f} s, lag at the end "
          f"{lag['final_lag_s']:.1f} s -> {'keeps up' if lag['keeps_up'] else 'falls behind'}")


def run_batch_sizes(posts, args) -> None:
    """Throughput against the posts a feed holds: the same prefix replayed with slices widened
    until they hold ``n`` posts (up to ``--max-tick-batch``), for each ``n`` of
    ``--batch-sizes``; the first size is the baseline of the ratios. A live watch that falls
    behind reads every file that has landed, so its feeds grow with the inflow: this is its
    capacity at each batch size, and what the wider batches cost in time to the first alert."""
    sizes = [int(x) for x in args.batch_sizes.split(",")]
    rows = []
    for n in sizes:
        result, rss, alerts, gradings, findings, _ = run_replay(
            posts, tick_s=args.tick, max_tick_s=args.max_tick_batch, min_posts=n,
            label=f"first {posts.height:,} posts, feeds of >= {n} posts")
        per_event = latency(alerts, gradings, findings)
        first = (float(per_event["to_first"].median()) if per_event is not None
                 and per_event.height else float("nan"))
        rows.append((n, result, rss, len(alerts), first, result.feeds))
    base = rows[0][1].posts_per_s
    print(f"throughput by batch size, first {posts.height:,} posts of CED dev in time order "
          f"(tick {args.tick:.0f} s, widened up to {args.max_tick_batch:.0f} s until a feed "
          f"holds n posts):")
    print(f"  n | steps | posts/feed | posts/s | ratio to n={sizes[0]} | alerts | first alert, median h | "
          "RSS MiB")
    for n, result, rss, n_alerts, first, feeds in rows:
        print(f"  {n} | {result.steps:,} | {result.posts_fed / max(feeds, 1):,.1f} | "
              f"{result.posts_per_s:,.1f} | {result.posts_per_s / base if base else float('nan'):.2f}x"
              f" | {n_alerts} | {first:.2f} | {rss / 2**20:,.0f}")


def alerts_diff(a, b) -> list[str]:
    """Alerts (kind, event, level, time) in one feed and not the other."""
    def key(x):
        return (x["at"], x["kind"], x["event_id"], x.get("previous_level"), x["level"])
    left, right = {key(x) for x in a}, {key(x) for x in b}
    return ([f"- {k}" for k in sorted(left - right)] + [f"+ {k}" for k in sorted(right - left)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=0,
                        help="first N cascades in time order (0, the default: all 865, the whole "
                             "dev set; ~1.5 h on 2 cores)")
    parser.add_argument("--every", type=int, default=None,
                        help="every K-th cascade in time order instead (stratified sample)")
    parser.add_argument("--tick", type=float, default=300.0, help="replay slice, seconds")
    parser.add_argument("--max-tick", type=float, default=3600.0,
                        help="widen slices with fewer than --min-posts posts up to this (seconds)")
    parser.add_argument("--min-posts", type=int, default=20)
    parser.add_argument("--max-wall", type=float, default=None,
                        help="stop the main replay after this many seconds (figures then cover "
                             "the cascades replayed so far)")
    parser.add_argument("--posts", type=int, default=0,
                        help="only a prefix: the first N posts in time order; with it, the same "
                             "prefix through the reference path (every event recomputed and "
                             "re-graded at every batch) and the diff of the two alert feeds")
    parser.add_argument("--batch-sizes", default="", metavar="N,N,...",
                        help="with --posts: instead, throughput when feeds hold at least N posts "
                             "(slices widened up to --max-tick-batch), one replay per N")
    parser.add_argument("--max-tick-batch", type=float, default=6 * 3600.0,
                        help="with --batch-sizes: the widest slice, seconds (default 6 h)")
    parser.add_argument("--reference-posts", type=int, default=3000,
                        help="with --posts: the reference path on the first N posts only")
    parser.add_argument("--storm", type=int, default=0, metavar="N",
                        help="instead: the synthetic storm, one simulated incident of N posts in "
                             "24 h fed in 1-minute batches (see run_storm)")
    parser.add_argument("--baseline-events", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline runs")
    parser.add_argument("--quiet-hours", default=None, metavar="H | LEVEL=H,...",
                        help="the main replay's quiet periods (as workbench watch --quiet-hours; "
                             "default: the rules' defaults)")
    parser.add_argument("--no-flap-baseline", action="store_true",
                        help="skip the replay without hysteresis (--quiet-hours 0) that the "
                             "flapping figures are compared with")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"bench_watch: {DATA} not found; skipped")
        return 0
    import polars as pl

    from workbench import ingest

    if args.storm:
        run_storm(args.storm, max_wall_s=args.max_wall)
        return 0
    t = time.perf_counter()
    posts = ingest.read([DATA]).posts
    print(f"read {posts.height:,} posts in {time.perf_counter() - t:.1f} s (not in the loop figures)")

    # one-time costs (imports of BERTopic and jsonschema, the embedding model) are paid by a
    # short warm-up replay, not by whichever timed run happens to come first
    run_replay(subset(posts, 1).head(60), tick_s=args.tick, label="warm-up, not counted")

    from workbench.watch.replay import order_posts

    if args.posts and args.batch_sizes:
        run_batch_sizes(order_posts(posts).head(args.posts), args)
        return 0
    if args.posts:
        ordered = order_posts(posts)
        ref_posts = ordered.head(min(args.reference_posts, args.posts))
        ref, _, ref_alerts, *_ = run_replay(
            ref_posts, tick_s=args.tick, regrade_all=True, max_tick_s=args.max_tick,
            min_posts=args.min_posts, label=f"reference path, first {ref_posts.height:,} posts")
        inc, _, inc_alerts, *_ = run_replay(
            ref_posts, tick_s=args.tick, max_tick_s=args.max_tick, min_posts=args.min_posts,
            label=f"incremental, first {ref_posts.height:,} posts")
        diff = alerts_diff(ref_alerts, inc_alerts)
        print(f"alerts: reference {len(ref_alerts)}, incremental {len(inc_alerts)}; diff "
              f"{'empty' if not diff else f'{len(diff)} lines'}")
        for line in diff[:20]:
            print("  " + line)
        print(f"throughput on the first {ref_posts.height:,} posts: incremental "
              f"{inc.posts_per_s:,.1f} posts/s vs reference {ref.posts_per_s:,.1f} posts/s -> "
              f"ratio {inc.posts_per_s / ref.posts_per_s if ref.posts_per_s else float('nan'):.2f}x")
        if not args.no_baseline:  # the findings recomputed from the touched events' posts
            before, *_ = run_replay(ordered.head(args.posts), tick_s=args.tick,
                                    max_tick_s=args.max_tick, min_posts=args.min_posts,
                                    incremental=False, max_wall_s=args.max_wall,
                                    label=f"findings from scratch (incremental=False), first "
                                          f"{args.posts:,} posts")
        result, rss, *_ = run_replay(ordered.head(args.posts), tick_s=args.tick,
                                     max_tick_s=args.max_tick, min_posts=args.min_posts,
                                     label=f"incremental, first {args.posts:,} posts")
        print(f"throughput {result.posts_per_s:,.1f} posts/s over the first {result.posts_fed:,} "
              f"posts ({result.steps:,} steps); RSS {rss / 2**20:,.0f} MiB")
        if not args.no_baseline:
            print(f"incremental findings vs findings from scratch: {result.posts_per_s:,.1f} vs "
                  f"{before.posts_per_s:,.1f} posts/s -> ratio "
                  f"{result.posts_per_s / before.posts_per_s if before.posts_per_s else float('nan'):.2f}x"
                  + (" (from scratch stopped by --max-wall)" if before.stopped else ""))
        return 0

    # baseline first (smaller), then the incremental loop on the same subset
    if not args.no_baseline:
        small = subset(posts, args.baseline_events)
        base, *_ = run_replay(small, tick_s=args.tick, regrade_all=True,
                              label=f"baseline: re-grade all, tick {args.tick:.0f} s")
        old, *_ = run_replay(small, tick_s=args.tick,
                             label=f"incremental, tick {args.tick:.0f} s, same subset")
        inc, *_ = run_replay(small, tick_s=args.tick, max_tick_s=args.max_tick,
                             min_posts=args.min_posts,
                             label=f"incremental + widening to {args.max_tick:.0f} s, same subset")
        for name, run in (("incremental", old), ("incremental + widening", inc)):
            ratio = run.posts_per_s / base.posts_per_s if base.posts_per_s else float("nan")
            print(f"throughput on {args.baseline_events} cascades ({small.height:,} posts): "
                  f"{name} {run.posts_per_s:,.1f} posts/s ({run.steps:,} steps) vs re-grade-all "
                  f"{base.posts_per_s:,.1f} posts/s ({base.steps:,} steps) -> ratio {ratio:.2f}x")

    # the stream in time order, once: the raw read is let go (the replay holds no second copy)
    data = order_posts(subset(posts, args.events or None, args.every))
    del posts
    n_roots = data.filter(pl.col("kind") == "original").height
    label = f"replay ({n_roots} cascades, {data.height:,} posts)"
    from workbench.watch.cli import _quiet_hours

    quiet = _quiet_hours(args.quiet_hours) if args.quiet_hours else None
    result, rss, alerts, gradings, findings, _ = run_replay(
        data, tick_s=args.tick, label=label, max_tick_s=args.max_tick, min_posts=args.min_posts,
        max_wall_s=args.max_wall, quiet_hours=quiet)
    if result.stopped:
        done = data.filter((pl.col("kind") == "original") & (pl.col("created_at") < result.end))
        print(f"replay stopped by --max-wall at {result.end}: {done.height} of {n_roots} "
              f"cascades had started; the figures below cover those")
    per_event = latency(alerts, gradings, findings)
    n_events = gradings.height
    flaps = flapping(alerts, n_events)
    print_flapping(label + f", hysteresis (quiet periods: {args.quiet_hours or 'rules defaults'})", flaps)
    if not args.no_flap_baseline:
        # baseline: the same replay without hysteresis (a level drops as soon as it is
        # graded lower, the watch's behaviour before)
        _, _, base_alerts, base_gradings, *_ = run_replay(
            data, tick_s=args.tick, label=label + ", baseline without hysteresis",
            max_tick_s=args.max_tick, min_posts=args.min_posts, max_wall_s=args.max_wall,
            quiet_hours=0.0)
        base = flapping(base_alerts, base_gradings.height)
        print_flapping(label + ", baseline without hysteresis (quiet 0)", base)
        ratio = (flaps["alerts_per_event"] / base["alerts_per_event"]
                 if base["alerts_per_event"] else float("nan"))
        print(f"hysteresis vs none on the same replay: flapping {flaps['flapping_share']:.1%} vs "
              f"{base['flapping_share']:.1%}; alerts per event {flaps['alerts_per_event']:.2f} vs "
              f"{base['alerts_per_event']:.2f} -> ratio {ratio:.2f}x")
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
    print(f"throughput {result.posts_per_s:,.1f} posts/s over {result.posts_fed:,} posts in "
          f"{result.steps:,} steps; RSS after replay {rss / 2**20:,.0f} MiB; tick {args.tick:.0f} s,"
          f" widened to {args.max_tick:.0f} s below {args.min_posts} posts (simulated)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
