"""Benchmark of the broker path and the batch path (issue 15).

1. **Live**: the same prefix of the Weibo CED dev replay (``--posts`` posts of the first
   cascades in time order, as JSON lines in a mapped format) through the watch twice: from
   a Redis Streams topic (a redis-server started here, AOF fsync always) and, the baseline,
   from a watched folder (one file per chunk, renamed into place). Two runs each:
   *flood* (everything produced at once: posts/s until every post is held) and *paced*
   (``--chunk`` posts every ``--every`` s, below what the pipeline takes: end-to-end alert
   latency, from the produce time of the oldest post of the batch that raised the alert to
   the alert being consumed from the alert stream / the alert feed file; p50 / p99). One
   model for the four runs (``--embedder``, uncached: each batch embeds its posts), loaded
   before, and an untimed warm-up run first.
2. **Batch**: ``workbench ingest`` of the whole CED dev set, eager vs ``--streaming``, each
   in its own process: peak RSS and wall time, rows equal; then ``workbench embed`` on a
   local Ray with 1 actor vs 2 actors (1 thread each) for each ``--embed MODEL[:POSTS]``
   (default: the static model over the whole set, USE over the first 5,000 posts, the default
   transformer m3e-small over the first 2,000): posts/s (actor start-up and model load
   included, after an untimed warm-up over 8 rows) and the ratio.

    python benchmarks/bench_broker.py [--posts 8000] [--chunk 100] [--every 1.5]
        [--embedder use-multilingual] [--embed m3e-small-static:all ...] [--skip-live]
        [--skip-batch]

The CED dev prefix needs about 8,000 posts for 20 alerts (600 posts: 2).

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


def live_run(kind: str, lines: list[bytes], args, work: Path, server, *, paced: bool,
             embedder) -> dict:
    """One watch over ``lines``; producer and alert consumer in threads.

    Flood: each path takes what is there at each step (the folder every settled file, the
    broker up to every post of the run in one read); paced: the broker reads ``5 * chunk``
    entries at most (one produced chunk, as a rule, like the folder's one file)."""
    import redis

    from workbench.pipeline import IncrementalPipeline
    from workbench.watch.broker import FIELD, AlertStream, RedisStreamSource, parse_id
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
                                   mapping=run / "ced_lines.mapping.yaml",
                                   count=args.chunk * 5 if paced else len(lines),
                                   block_s=0.05)
    else:
        incoming = run / "incoming"
        incoming.mkdir()
        shutil.copy(run / "ced_lines.mapping.yaml", incoming)
        old = time.time() - 5
        os.utime(incoming / "ced_lines.mapping.yaml", (old, old))
        source = SourceDir(incoming, settle_s=0.0)
    pipeline = IncrementalPipeline(embedder=embedder)
    received: dict[str, float] = {}
    stop = threading.Event()

    def produce():
        for k, chunk in enumerate(chunks):
            if paced:
                time.sleep(max(0.0, t0 + k * args.every - time.time()))
            if kind == "broker":
                produced[k] = time.time()
                # one MULTI/EXEC a chunk: it lands at once, as a renamed file does (with
                # one XADD after another, a blocked read takes the chunk's first entries
                # and the rest a batch later)
                with client.pipeline(transaction=True) as pipe:
                    for line in chunk:
                        pipe.xadd(topic, {FIELD: line})
                    pipe.execute()
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
    batch_seconds: list[float] = []
    batch_end: dict[int, float] = {}  # batch -> when its step (and the alerts' publish) ended
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
            if result.new_posts:
                batch_seconds.append(result.seconds)
            if stream is not None:
                stream.publish(loop.feed.alerts)
            batch_end[result.batch] = time.time()
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
    timed = [a for a in alerts if a["alert_id"] in received and a.get("batch") in batch_oldest]
    latencies = [received[a["alert_id"]] - batch_oldest[a["batch"]] for a in timed]
    # the parts: produced -> the step that raised it ended; that end -> consumed
    to_step = [batch_end[a["batch"]] - batch_oldest[a["batch"]] for a in timed]
    delivery = [received[a["alert_id"]] - batch_end[a["batch"]] for a in timed]
    return {"posts": held, "seconds": done - t0, "posts_per_s": held / max(done - t0, 1e-9),
            "alerts": len(alerts), "consumed": len(received), "latencies": latencies,
            "to_step": to_step, "delivery": delivery,
            "batches": len(batch_seconds), "batch_p50": _pct(batch_seconds, 0.5),
            "alert_ids": {a["alert_id"] for a in alerts}}


def live(args) -> None:
    import polars as pl
    from redis_server import BINARY, RedisServer

    from workbench import ingest
    from workbench.embed import get_embedder

    if BINARY is None:
        print("live: redis-server not installed (apt-get install redis-server): skipped")
        return
    posts = ingest.read([DATA], near_duplicates=False).posts
    posts = posts.filter(pl.col("created_at").is_not_null()).sort("created_at", "post_id")
    posts = posts.head(args.posts)
    lines = _lines(posts)
    span = f"{posts['created_at'][0]} .. {posts['created_at'][-1]}"
    print(f"live: {len(lines)} posts of the CED dev replay (first in time, {span}), chunks of "
          f"{args.chunk}, embedder {args.embedder} (no cache: every post is embedded in its batch)")
    # one model for the four runs, loaded and warmed here; an untimed warm-up run first
    # (imports, the rule set, Polars' first queries), on a folder, over the first chunks
    embedder = get_embedder(args.embedder, cache=False)
    embedder.encode(["预热", "warm-up"])
    work = Path(tempfile.mkdtemp(prefix="bench-broker-"))
    server = RedisServer(work / "redis").start()
    try:
        t = time.perf_counter()
        warm = argparse.Namespace(**{**vars(args), "max_wall": 60.0})
        live_run("warmup", lines[:min(len(lines), 3 * args.chunk)], warm, work, server,
                 paced=False, embedder=embedder)
        print(f"  warm-up ({min(len(lines), 3 * args.chunk)} posts, folder): "
              f"{time.perf_counter() - t:.1f} s")
        rows = {}
        for kind in ("folder", "broker"):
            for paced in (False, True):
                rows[(kind, paced)] = r = live_run(kind, lines, args, work, server, paced=paced,
                                                   embedder=embedder)
                print(f"  {kind} {'paced' if paced else 'flood'}: {r['posts']} posts in "
                      f"{r['seconds']:.1f} s, {r['batches']} batches (p50 {r['batch_p50']:.2f} s), "
                      f"{r['alerts']} alerts, {r['consumed']} consumed", flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    offered = args.chunk / args.every
    print(f"{'path':<8} {'posts/s (flood)':>16} {'posts/s (paced)':>16} {'alerts':>7} "
          f"{'latency p50':>12} {'p90':>7} {'p99':>7} {'max':>7}"
          f"  (paced: {args.chunk} posts every {args.every} s = {offered:,.0f} posts/s offered)")
    for kind in ("folder", "broker"):
        flood, paced = rows[(kind, False)], rows[(kind, True)]
        lat = paced["latencies"]
        print(f"{kind:<8} {flood['posts_per_s']:>16,.0f} {paced['posts_per_s']:>16,.0f} "
              f"{paced['alerts']:>7} {_pct(lat, 0.5):>11.2f}s {_pct(lat, 0.9):>6.2f}s "
              f"{_pct(lat, 0.99):>6.2f}s {max(lat, default=float('nan')):>6.2f}s  "
              f"(held {flood['posts']}/{paced['posts']} posts, {len(lat)} latencies)")
    for kind in ("folder", "broker"):
        paced = rows[(kind, True)]
        print(f"  {kind} latency parts, p50: produced -> end of the step that raised it "
              f"{_pct(paced['to_step'], 0.5):.3f} s (step p50 {paced['batch_p50']:.3f} s), "
              f"end of step -> alert consumed {_pct(paced['delivery'], 0.5):.3f} s "
              f"(max {max(paced['delivery'], default=float('nan')):.3f} s)")
    f, b = rows[("folder", False)], rows[("broker", False)]
    fp, bp = rows[("folder", True)], rows[("broker", True)]
    fl, bl = fp["latencies"], bp["latencies"]
    print(f"ratio broker/folder (baseline: the folder): posts/s flood "
          f"{b['posts_per_s'] / f['posts_per_s']:.2f}x, latency p50 "
          f"{_pct(bl, 0.5) / _pct(fl, 0.5):.2f}x, p99 {_pct(bl, 0.99) / _pct(fl, 0.99):.2f}x; "
          f"paced alerts: {len(fp['alert_ids'] & bp['alert_ids'])} of "
          f"{len(fp['alert_ids'] | bp['alert_ids'])} ids in both")


INGEST = """
import sys, time
t = time.perf_counter()
from workbench import ingest
if sys.argv[1] == "streaming":
    from workbench.ingest.streaming import read_streaming
    read_streaming([sys.argv[2]], sys.argv[3])
else:
    ingest.write(ingest.read([sys.argv[2]]), sys.argv[3])
# VmHWM: the peak RSS of this process's own memory. ru_maxrss is not: Linux keeps across
# exec the peak of the forked copy of the parent (after the live runs, 1.26 GB for both)
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM"))
print(time.perf_counter() - t, hwm / 1024)
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
        # embedding on Ray Data, 1 actor vs 2, for each MODEL[:POSTS] asked
        if args.embed == ["none"]:
            return
        from workbench.batch.embed import embed_posts, ensure_ray
        from workbench.embed import get_embedder

        t = time.perf_counter()
        for attempt in range(5):
            # on a loaded machine the raylet can give up waiting (15 s, fixed in Ray) for the
            # dashboard agent's port file ("The current node timed out during startup")
            try:
                ray = ensure_ray()
                break
            except Exception as exc:  # noqa: BLE001 - Ray raises a bare Exception here
                import ray

                ray.shutdown()
                print(f"  local Ray did not start ({str(exc).splitlines()[0][:90]}); "
                      f"{'again' if attempt < 4 else 'giving up'}", flush=True)
                if attempt == 4:
                    raise
        print(f"embed on a local Ray (started in {time.perf_counter() - t:.1f} s), no cache, "
              f"1 thread an actor, actor start-up (model load) included:")
        for spec in args.embed:
            model, _, count = spec.partition(":")
            count = stream.height if count in ("", "all") else min(int(count), stream.height)
            sub = work / f"posts-{model}-{count}"
            sub.mkdir()
            stream.head(count).write_parquet(sub / "posts.parquet")
            # built / loaded once here first (the static model is distilled on first use)
            get_embedder(model, cache=False).encode(["预热"])
            # a warm-up over 8 rows with as many actors first (Ray's worker processes, the
            # model files in the page cache); not subtracted: on a loaded machine it took
            # longer (50-64 s) than the whole run after it, start-up is not a fixed part
            tiny = work / f"tiny-{model}"
            tiny.mkdir()
            stream.head(8).write_parquet(tiny / "posts.parquet")
            runs = {}
            for workers in (1, 2):
                warm = embed_posts(tiny, work / "emb-tiny", workers=workers, model=model,
                                   cache=False, threads=1).seconds
                runs[workers] = r = embed_posts(sub, work / f"emb-{model}-{workers}",
                                                workers=workers, model=model, cache=False,
                                                threads=1)
                print(f"  {model}, {count:,} posts, {workers} worker(s): {r.posts_per_s:7,.0f} "
                      f"posts/s ({r.seconds:.1f} s, {r.posts:,} rows out; warm-up {warm:.1f} s)",
                      flush=True)
                shutil.rmtree(work / f"emb-{model}-{workers}", ignore_errors=True)
            print(f"  {model}: ratio 2 workers / 1 worker (baseline): "
                  f"{runs[2].posts_per_s / runs[1].posts_per_s:.2f}x")
            shutil.rmtree(tiny, ignore_errors=True)
            shutil.rmtree(sub, ignore_errors=True)
        ray.shutdown()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=8000)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--every", type=float, default=1.5)
    parser.add_argument("--embedder", default="use-multilingual")
    parser.add_argument("--embed", action="append", metavar="MODEL[:POSTS]",
                        help="an embedding run on Ray (1 worker, then 2) over the first POSTS "
                             "posts ('all': the whole set); repeatable; 'none': no embedding (default: "
                             "m3e-small-static:all, use-multilingual:5000 and m3e-small:2000)")
    parser.add_argument("--max-wall", type=float, default=300.0)
    parser.add_argument("--skip-live", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    args.embed = args.embed or ["m3e-small-static:all", "use-multilingual:5000", "m3e-small:2000"]
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
