"""Benchmark of the broker path and the batch path (issue 15).

1. **Live**: the same prefix of the Weibo CED dev replay (``--posts`` posts of the first
   cascades in time order, as JSON lines in a mapped format) through the watch twice: from
   a Redis Streams topic (a redis-server started here, AOF fsync always) and, the baseline,
   from a watched folder (one file per chunk, renamed into place). Two runs each:
   *flood* (everything produced at once: posts/s until every post is held) and *paced*
   (``--chunk`` posts every ``--every`` s: end-to-end alert latency, from the produce time
   of the oldest post of the batch that raised the alert to the alert being consumed from
   the alert stream / the alert feed file; p50 / p99).
2. **Batch**: ``workbench ingest`` of the whole CED dev set, eager vs ``--streaming``, each
   in its own process: peak RSS and wall time, rows equal; then ``workbench embed`` of
   ``--embed-posts`` posts on a local Ray with 1 actor vs 2 actors (1 thread each): posts/s
   and the ratio.

    python benchmarks/bench_broker.py [--posts 2000] [--chunk 100] [--every 0.5]
        [--embedder use-multilingual] [--embed-posts 3000] [--skip-live] [--skip-batch]

Data: ``../shared/data/weibo-ced-dev`` (skips with a message when absent).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data" / "weibo-ced-dev"
sys.path.insert(0, str(ROOT / "tests"))

MAPPING = """\
name: ced_lines
format: jsonl
files: "chunk*.jsonl"
platform: weibo
timezone: UTC
columns:
  post_id: id
  created_at: time
  text: text
  author_id: author
  author_followers: followers
  author_verified: verified
  parent_id: parent
  root_id: root
  kind: kind
  reposts: reposts
  comments: comments
  likes: likes
"""


def _lines(posts) -> list[bytes]:
    import orjson
    import polars as pl

    frame = posts.select(
        pl.col("post_id").str.replace("^weibo:", "").alias("id"),
        pl.col("created_at").dt.strftime("%Y-%m-%dT%H:%M:%SZ").alias("time"),
        "text", pl.col("author_id").alias("author"), pl.col("author_followers").alias("followers"),
        pl.col("author_verified").alias("verified"),
        pl.col("parent_id").str.replace("^weibo:", "").alias("parent"),
        pl.col("root_id").str.replace("^weibo:", "").alias("root"),
        "kind", "reposts", "comments", "likes",
    )
    return [orjson.dumps(r) for r in frame.iter_rows(named=True)]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def live_run(kind: str, lines: list[bytes], args, work: Path, server, *, paced: bool) -> dict:
    """One watch over ``lines``; producer and alert consumer in threads."""
    import redis
    from workbench.pipeline import IncrementalPipeline
    from workbench.watch.broker import AlertStream, RedisStreamSource, parse_id, publish
    from workbench.watch.loop import WatchLoop
    from workbench.watch.sources import SourceDir

    run = work / f"{kind}-{'paced' if paced else 'flood'}"
    state = run / "state"
    run.mkdir(parents=True)
    (run / "ced_lines.mapping.yaml").write_text(MAPPING, "utf-8")
    topic = f"bench-{kind}-{paced}"
    client = redis.Redis.from_url(server.url)
    chunks = [lines[i:i + args.chunk] for i in range(0, len(lines), args.chunk)]
    produced: dict[int, float] = {}  # chunk -> produce time
    if kind == "broker":
        source = RedisStreamSource(server.url, topic, spool=state / "spool",
                                   mapping=run / "ced_lines.mapping.yaml", count=args.chunk * 5,
                                   block_s=0.05)
    else:
        incoming = run / "incoming"
        incoming.mkdir()
        shutil.copy(run / "ced_lines.mapping.yaml", incoming)
        old = time.time() - 5
        os.utime(incoming / "ced_lines.mapping.yaml", (old, old))
        source = SourceDir(incoming, settle_s=0.0)
    pipeline = IncrementalPipeline(embedder=args.embedder)
    received: dict[str, float] = {}
    stop = threading.Event()

    def produce():
        for k, chunk in enumerate(chunks):
            if paced:
                time.sleep(max(0.0, t0 + k * args.every - time.time()))
            if kind == "broker":
                produced[k] = time.time()
                publish(client, topic, chunk)
            else:
                tmp = incoming / f"chunk{k:06d}.jsonl.part"
                tmp.write_bytes(b"\n".join(chunk) + b"\n")
                produced[k] = time.time()
                os.replace(tmp, incoming / f"chunk{k:06d}.jsonl")

    def consume():
        if kind == "broker":
            last = "0"
            reader = redis.Redis.from_url(server.url)
            while not stop.is_set():
                reply = reader.xread({f"{topic}:alerts": last}, block=50, count=500)
                for _, entries in reply or []:
                    for entry_id, fields in entries:
                        received.setdefault(fields[b"alert_id"].decode(), time.time())
                        last = entry_id
        else:
            seen = 0
            while not stop.is_set():
                path = state / "alerts.jsonl"
                if path.exists():
                    data = path.read_bytes()
                    now = time.time()
                    for line in data[seen:].split(b"\n")[:-1]:
                        import orjson

                        received.setdefault(orjson.loads(line)["alert_id"], now)
                    seen = data.rfind(b"\n") + 1
                time.sleep(0.01)

    batch_oldest: dict[int, float] = {}  # batch -> produce time of its oldest post
    with WatchLoop(state, pipeline, source=source) as loop:
        stream = AlertStream(client, f"{topic}:alerts", key="bench", source=source) \
            if kind == "broker" else None
        consumer = threading.Thread(target=consume, daemon=True)
        consumer.start()
        t0 = time.time() + 0.2
        producer = threading.Thread(target=produce, daemon=True)
        producer.start()
        deadline = time.time() + args.max_wall
        while loop.state.n_posts < len(lines) and time.time() < deadline:
            before = set(loop.state.files)
            result = loop.step()
            if stream is not None:
                stream.publish(loop.feed.alerts)
            new = [name for name in loop.state.files if name not in before]
            if result.committed and new:
                if kind == "broker":
                    firsts = [parse_id(n.split("~")[1])[0] / 1000 for n in new if "~" in n]
                    batch_oldest[result.batch] = min(firsts) if firsts else time.time()
                else:
                    ks = [int(n[5:11]) for n in new if n.startswith("chunk")]
                    if ks:
                        batch_oldest[result.batch] = min(produced[k] for k in ks)
            if not result.new_posts:
                time.sleep(0.02)
        done = time.time()
        alerts = list(loop.feed.alerts)
        held = loop.state.n_posts
    time.sleep(0.3)
    stop.set()
    consumer.join(2)
    producer.join(2)
    latencies = [received[a["alert_id"]] - batch_oldest[a["batch"]] for a in alerts
                 if a["alert_id"] in received and a.get("batch") in batch_oldest]
    return {"posts": held, "seconds": done - t0, "posts_per_s": held / max(done - t0, 1e-9),
            "alerts": len(alerts), "consumed": len(received), "latencies": latencies}


def live(args) -> None:
    import polars as pl
    from redis_server import BINARY, RedisServer

    from workbench import ingest

    if BINARY is None:
        print("live: redis-server not installed (apt-get install redis-server): skipped")
        return
    posts = ingest.read([DATA], near_duplicates=False).posts
    posts = posts.filter(pl.col("created_at").is_not_null()).sort("created_at", "post_id")
    posts = posts.head(args.posts)
    lines = _lines(posts)
    span = f"{posts['created_at'][0]} .. {posts['created_at'][-1]}"
    print(f"live: {len(lines)} posts of the CED dev replay (first in time, {span}), chunks of "
          f"{args.chunk}, embedder {args.embedder}")
    work = Path(tempfile.mkdtemp(prefix="bench-broker-"))
    server = RedisServer(work / "redis").start()
    try:
        rows = {}
        for kind in ("folder", "broker"):
            for paced in (False, True):
                rows[(kind, paced)] = live_run(kind, lines, args, work, server, paced=paced)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'path':<8} {'posts/s (flood)':>16} {'alerts':>7} {'latency p50':>12} {'p99':>8}"
          f"  (paced: {args.chunk} posts every {args.every} s)")
    for kind in ("folder", "broker"):
        flood, paced = rows[(kind, False)], rows[(kind, True)]
        lat = paced["latencies"]
        print(f"{kind:<8} {flood['posts_per_s']:>16,.0f} {paced['alerts']:>7} "
              f"{_pct(lat, 0.5):>11.2f}s {_pct(lat, 0.99):>7.2f}s  "
              f"(held {flood['posts']}/{paced['posts']} posts, {len(lat)} latencies)")
    f, b = rows[("folder", False)], rows[("broker", False)]
    fl, bl = rows[("folder", True)]["latencies"], rows[("broker", True)]["latencies"]
    print(f"ratio broker/folder: posts/s {b['posts_per_s'] / f['posts_per_s']:.2f}x, "
          f"latency p50 {_pct(bl, 0.5) / _pct(fl, 0.5):.2f}x, p99 {_pct(bl, 0.99) / _pct(fl, 0.99):.2f}x")


INGEST = """
import resource, sys, time
t = time.perf_counter()
from workbench import ingest
if sys.argv[1] == "streaming":
    from workbench.ingest.streaming import read_streaming
    read_streaming([sys.argv[2]], sys.argv[3])
else:
    ingest.write(ingest.read([sys.argv[2]]), sys.argv[3])
print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def batch(args) -> None:
    import polars as pl

    work = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        figures = {}
        for mode in ("eager", "streaming"):
            out = subprocess.run([sys.executable, "-c", INGEST, mode, str(DATA), str(work / mode)],
                                 capture_output=True, text=True, env=env, check=True)
            seconds, rss = map(float, out.stdout.split()[-2:])
            figures[mode] = (seconds, rss)
        eager = pl.read_parquet(work / "eager" / "posts.parquet").sort("post_id")
        stream = pl.read_parquet(work / "streaming" / "posts.parquet").sort("post_id")
        print(f"ingest of CED dev ({eager.height:,} posts): same rows: {eager.equals(stream)}")
        for mode, (seconds, rss) in figures.items():
            print(f"  {mode:<10} peak RSS {rss:>7,.0f} MiB  {seconds:6.1f} s")
        print(f"  ratio streaming/eager: peak RSS {figures['streaming'][1] / figures['eager'][1]:.2f}x,"
              f" time {figures['streaming'][0] / figures['eager'][0]:.2f}x")
        # embedding on Ray Data, 1 actor vs 2
        sub = work / "subset"
        sub.mkdir()
        stream.head(args.embed_posts).write_parquet(sub / "posts.parquet")
        from workbench.batch.embed import embed_posts, ensure_ray

        t = time.perf_counter()
        ray = ensure_ray()
        print(f"embed {args.embed_posts:,} posts ({args.embedder}, no cache) on a local Ray "
              f"(started in {time.perf_counter() - t:.1f} s):")
        runs = {}
        for workers in (1, 2):
            runs[workers] = embed_posts(sub, work / f"emb{workers}", workers=workers,
                                        model=args.embedder, cache=False, threads=1)
            print(f"  {workers} worker(s): {runs[workers].posts_per_s:7,.0f} posts/s "
                  f"({runs[workers].seconds:.1f} s, actor start-up included)")
        print(f"  ratio 2 workers / 1 worker: {runs[2].posts_per_s / runs[1].posts_per_s:.2f}x")
        ray.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--every", type=float, default=0.5)
    parser.add_argument("--embedder", default="use-multilingual")
    parser.add_argument("--embed-posts", type=int, default=3000)
    parser.add_argument("--max-wall", type=float, default=300.0)
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    if not DATA.exists():
        print(f"skipped: {DATA} not found")
        return 0
    if not args.skip_live:
        live(args)
    if not args.skip_batch:
        batch(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
