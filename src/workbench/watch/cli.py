"""``workbench watch``: 24-hour monitoring of a folder, or a replay of a dataset."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

EPILOG = """\
examples:
  workbench watch incoming/ --state state/watch --webhook http://127.0.0.1:8080/alerts
  workbench watch incoming/ --state state/watch --once          # one pass, then exit
  workbench watch --replay ../shared/data/weibo-ced-dev --speed 0 --state /tmp/ced-watch
  workbench watch --from redis://127.0.0.1:6379/0 --topic posts --partition 0 \
      --mapping collector.mapping.yaml --state state/watch-p0     # a Redis Streams topic

Alerts are appended to STATE/alerts.jsonl (one JSON object per line) and, with --webhook,
POSTed as JSON (header Idempotency-Key = alert_id); a webhook that is down keeps its alerts
in the outbox until it answers. The state folder survives kill -9: restart with the same
--state and nothing is lost, counted twice or alerted twice.
"""


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "watch",
        help="monitor a folder for new posts (or replay a dataset) and raise level alerts",
        description=(
            "Pick up files as they land in SOURCE_DIR (any format the ingest readers know: "
            "a mapping file's data files, a Weibo CED tree, CrisisLexT26), assign new posts "
            "to events, re-grade, and alert when an event first reaches a level I-IV, moves "
            "up, is downgraded (after a quiet period below its level), or passes a deadline "
            "with no official response (escalation)."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source_dir", nargs="?", type=Path, help="folder to watch for new files")
    p.add_argument("--state", type=Path, required=True, help="state folder (checkpoints, alert feed)")
    p.add_argument("--webhook", help="POST every alert as JSON to this http(s) URL")
    p.add_argument("--interval", type=float, default=10.0, help="seconds between scans (default 10)")
    p.add_argument("--once", action="store_true", help="read what is in the folder now (until a pass finds nothing new), then exit")
    p.add_argument("--settle", type=float, default=0.5,
                   help="ignore files modified less than this many seconds ago (default 0.5)")
    p.add_argument("--replay", type=Path, metavar="DATASET",
                   help="replay DATASET in timestamp order on a simulated clock instead")
    p.add_argument("--speed", type=float, default=0.0,
                   help="replay speed: simulated seconds per real second (0 = as fast as possible)")
    p.add_argument("--tick", type=float, default=300.0,
                   help="replay slice length in simulated seconds (default 300)")
    p.add_argument("--max-tick", type=float, default=None, metavar="S",
                   help="replay: widen a slice holding fewer than --min-posts posts tick by tick "
                        "up to S simulated seconds (fewer, fuller steps on trickles; alerts there "
                        "can be up to S late instead of --tick). Default: off")
    p.add_argument("--min-posts", type=int, default=20,
                   help="replay: posts a slice should hold before --max-tick widening stops "
                        "(default 20)")
    p.add_argument("--checkpoint", type=float, default=None, metavar="S",
                   help="commit the state at most every S seconds (default: after every batch "
                        "when watching a folder, every 10 s in a replay)")
    p.add_argument("--quiet-hours", type=_quiet_hours, default=None, metavar="H | LEVEL=H,...",
                   help="hysteresis: a level holds until the event has been graded below it for "
                        "this many hours, then a 'downgrade' alert (one number for every level, "
                        "or e.g. 'IV=24,III=72'). Default: the level's quiet_hours in "
                        "rules/levels.yaml (168 h at IV), else its follow_up measure's deadline "
                        "(rules/measures.yaml: 168 h at I-III); 0 = downgrade at once")
    broker = p.add_argument_group("stream broker (Redis Streams; see README)")
    broker.add_argument("--from", dest="from_url", metavar="URL",
                        help="read posts from this broker (redis://host:port/db) instead of a folder")
    broker.add_argument("--topic", help="the topic: stream T, or T:<n> per --partition")
    broker.add_argument("--partition", type=int, action="append", metavar="N",
                        help="consume partition N of the topic (repeatable; default: unpartitioned)")
    broker.add_argument("--mapping", type=Path, metavar="FILE",
                        help="*.mapping.yaml (format: jsonl) describing the posts' JSON lines")
    broker.add_argument("--group", default="workbench", help="consumer group (default workbench)")
    broker.add_argument("--consumer", default=None,
                        help="consumer name, stable across restarts (default: from the streams)")
    broker.add_argument("--count", type=int, default=500,
                        help="entries per stream per batch (default 500)")
    broker.add_argument("--alerts-topic", default=None,
                        help="stream the alerts are produced to (default: <topic>:alerts)")
    p.add_argument("--rules", type=Path, default=None, help="rules folder (default: rules/)")
    p.add_argument("--embedder", default=None, help="embedding model name (default: the project's)")
    p.add_argument("--quiet", action="store_true", help="print alerts only, no step summaries")
    p.set_defaults(func=run)


def _quiet_hours(text: str) -> float | dict[str, float]:
    """'24' -> 24.0; 'IV=24,III=72' -> {'IV': 24.0, 'III': 72.0}."""
    from workbench.schema import LEVELS

    try:
        if "=" not in text:
            value = float(text)
            if value < 0:
                raise ValueError
            return value
        out = {}
        for part in text.split(","):
            level, _, hours = part.partition("=")
            level = level.strip()
            if level not in LEVELS or float(hours) < 0:
                raise ValueError
            out[level] = float(hours)
        return out
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--quiet-hours: {text!r} is not hours >= 0 or LEVEL=hours,... (levels {', '.join(LEVELS)})"
        ) from None


def _print_alert(alert: dict) -> None:
    owners = ", ".join(alert.get("owners") or []) or "-"
    due = min((d.get("due_at") or "" for d in alert.get("deadlines") or []), default="") or "-"
    prev = alert.get("previous_level") or "-"
    line = (
        f"ALERT {alert['at']} {alert['kind']:<10} {alert['event_id']} {prev} -> {alert['level']}"
        f" {alert.get('level_name') or ''} | owners: {owners} | first due: {due}"
        f" | {alert.get('title') or ''} [{alert['alert_id']}]"
    )
    print(line, flush=True)


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    given = [x is not None for x in (args.source_dir, args.replay, args.from_url)]
    if sum(given) != 1:
        print("watch: give one of SOURCE_DIR, --replay DATASET or --from URL", file=sys.stderr)
        return 2
    if args.from_url is not None and (not args.topic or args.mapping is None):
        print("watch: --from needs --topic and --mapping", file=sys.stderr)
        return 2
    from workbench.pipeline import IncrementalPipeline
    from workbench.watch.loop import WatchLoop
    from workbench.watch.state import StateLocked

    pipeline = IncrementalPipeline(rules=args.rules, embedder=args.embedder)
    try:
        if args.replay is not None:
            return _replay(args, pipeline)
        if args.from_url is not None:
            from workbench.watch.broker_cli import run_broker

            return run_broker(args, pipeline, print_alert=_print_alert)
        from workbench.watch.sources import SourceDir

        source = SourceDir(args.source_dir, settle_s=args.settle)
        with WatchLoop(args.state, pipeline, source=source, webhook=args.webhook,
                       on_alert=_print_alert, checkpoint_s=args.checkpoint or 0.0,
                       quiet_hours=args.quiet_hours) as loop:
            print(f"watch: {args.source_dir} -> {args.state} (batch {loop.state.batch}, "
                  f"{loop.state.n_posts} posts, {len(loop.feed.alerts)} alerts so far)", flush=True)

            def summary(step):
                if step.committed and not args.quiet:
                    undelivered = len(loop.outbox.pending()) if loop.outbox else 0
                    late = (f", {undelivered} undelivered (webhook: {loop.outbox.last_error})"
                            if undelivered else "")
                    print(f"batch {step.batch}: {step.files} files, {step.new_posts} new posts, "
                          f"{step.duplicates} duplicates, {step.touched} events touched, "
                          f"{len(step.alerts)} alerts{late} ({step.seconds:.2f} s)", flush=True)

            loop.run(interval=args.interval, once=args.once, on_step=summary)
    except (StateLocked, FileNotFoundError) as exc:
        print(f"watch: {exc}", file=sys.stderr)
        return 1
    return 0


def _replay(args: argparse.Namespace, pipeline) -> int:
    from workbench.watch.clock import SimulatedClock
    from workbench.watch.loop import WatchLoop
    from workbench.watch.replay import floor_time, order_posts, replay

    if not args.replay.exists():
        print(f"watch: dataset {args.replay} does not exist", file=sys.stderr)
        return 1
    from workbench.watch.reader import FileReader

    batch = FileReader().read([args.replay])
    posts = order_posts(batch.posts)
    if not posts.height:
        print(f"watch: no posts with a timestamp in {args.replay}", file=sys.stderr)
        return 1
    clock = SimulatedClock(floor_time(posts["created_at"][0], args.tick), speed=args.speed)
    checkpoint_s = 10.0 if args.checkpoint is None else args.checkpoint
    with WatchLoop(args.state, pipeline, clock=clock, webhook=args.webhook,
                   on_alert=_print_alert, checkpoint_s=checkpoint_s,
                   quiet_hours=args.quiet_hours) as loop:
        print(f"replay: {posts.height} posts from {args.replay}, {posts['created_at'][0]} .. "
              f"{posts['created_at'][-1]}, speed {args.speed or 'max'}", flush=True)
        result = replay(loop, posts, tick_s=args.tick, speed=args.speed, progress=not args.quiet,
                        max_tick_s=args.max_tick, min_posts=args.min_posts)
        print(f"replay done: {result.posts_fed} posts fed in {result.steps} steps, "
              f"{result.alerts} alerts, {result.posts_per_s:,.0f} posts/s; feed: {loop.feed.path}",
              flush=True)
    return 0
