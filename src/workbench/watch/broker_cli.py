"""``workbench watch --from redis://... --topic T``: the watch loop on a broker topic."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def run_broker(args: argparse.Namespace, pipeline, *, print_alert: Callable[[dict], None]) -> int:
    from workbench.watch.broker import AlertStream, RedisStreamSource
    from workbench.watch.loop import WatchLoop

    args.state.mkdir(parents=True, exist_ok=True)
    source = RedisStreamSource(
        args.from_url, args.topic, spool=args.state / "spool", mapping=args.mapping,
        partitions=args.partition, group=args.group, consumer=args.consumer,
        count=args.count, block_s=min(args.interval, 5.0),
    )
    alerts = AlertStream(source.client, args.alerts_topic or f"{args.topic}:alerts",
                         key=f"{args.group}/{source.consumer}", source=source)
    try:
        # interval 0: the source's read blocks until entries come (up to --interval, 5 s at most)
        with WatchLoop(args.state, pipeline, source=source, webhook=args.webhook,
                       on_alert=print_alert, checkpoint_s=0.0,
                       quiet_hours=args.quiet_hours) as loop:
            alerts.publish(loop.feed.alerts)  # what a crash left unpublished
            print(f"watch: {args.from_url} {', '.join(source.streams)} (group {args.group}, "
                  f"consumer {source.consumer}) -> {args.state} (batch {loop.state.batch}, "
                  f"{loop.state.n_posts} posts, {len(loop.feed.alerts)} alerts so far)", flush=True)

            def step(result):
                alerts.publish(loop.feed.alerts)
                if result.committed and not args.quiet:
                    print(f"batch {result.batch}: {result.files} segments, {result.new_posts} new "
                          f"posts, {result.duplicates} duplicates, {result.touched} events touched, "
                          f"{len(result.alerts)} alerts ({result.seconds:.2f} s)", flush=True)

            loop.run(interval=0.0, once=args.once, on_step=step)
            alerts.publish(loop.feed.alerts)
    finally:
        source.close()
    return 0
