"""The watch on a real Redis Streams broker (a redis-server started here, AOF fsync always).

The posts are the three incidents of ``test_watch_loop`` (mapping-file JSON lines), produced
to a topic; the watch reads them through a consumer group. The model is not the subject:
the subprocess watches use the light ``use-multilingual`` embedder (numpy, a real model).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from redis_server import BINARY, RedisServer
from test_watch_loop import MAPPING, check_feed, make_posts

from workbench.watch.alerts import AlertFeed
from workbench.watch.broker import (
    AlertStream,
    RedisStreamSource,
    _line,
    partition_of,
    publish,
    stream_names,
)
from workbench.watch.state import StateDir

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BINARY is None, reason="redis-server is not installed "
                       "(apt-get install redis-server; .ci/run installs it)"),
]

EMBEDDER = "use-multilingual"


@pytest.fixture(scope="session")
def broker(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture()
def client(broker):
    import redis

    c = redis.Redis.from_url(broker.url)
    yield c
    c.close()


def _mapping(tmp_path: Path) -> Path:
    path = tmp_path / "collector.mapping.yaml"
    path.write_text(MAPPING, "utf-8")
    return path


def _watch(url: str, topic: str, state: Path, mapping: Path, *, kill_at: str | None = None,
           once: bool = False, count: int = 60) -> subprocess.Popen:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    env.pop("WORKBENCH_WATCH_KILL_AT", None)
    if kill_at:
        env["WORKBENCH_WATCH_KILL_AT"] = kill_at
    cmd = [sys.executable, "-m", "workbench", "watch", "--from", url, "--topic", topic,
           "--mapping", str(mapping), "--state", str(state), "--count", str(count),
           "--interval", "0.3", "--embedder", EMBEDDER, "--quiet"]
    if once:
        cmd.append("--once")
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _alerts_stream(client, stream: str) -> list[dict]:
    return [orjson.loads(f[b"alert"]) for _, f in client.xrange(stream)]


def _check(state: Path, posts: list[dict], client, topic: str, logs: list[str]) -> None:
    held = StateDir(state).load()
    want = sorted(f"weibo:{p['id']}" for p in posts)
    got = held.posts["post_id"].to_list()
    assert len(got) == len(set(got)), "a post was counted twice"
    assert sorted(got) == want, "a post was lost"
    assert sorted(held.assignments["post_id"].to_list()) == want
    feed = AlertFeed(state / "alerts.jsonl").alerts
    assert feed, "no alerts raised:\n" + "\n".join(logs)
    check_feed(feed)
    # the alert stream holds the feed, once each, in order
    assert [a["alert_id"] for a in _alerts_stream(client, f"{topic}:alerts")] == \
        [a["alert_id"] for a in feed]
    # the group acknowledged everything; the spool is empty
    assert client.xpending(topic, "workbench")["pending"] == 0
    assert not list((state / "spool").glob("*~*.jsonl"))


def test_source_reads_through_the_group_and_acks_after_the_checkpoint(tmp_path, client, broker):
    """In one process: the loop consumes a topic, entries without a post are quarantined
    by row, and a redelivery of committed entries is acknowledged without being read."""
    from workbench.pipeline import IncrementalPipeline
    from workbench.watch.loop import WatchLoop

    topic = "inproc"
    posts = make_posts()[:120]
    publish(client, topic, posts[:80])
    client.xadd(topic, {b"other": b"x"})  # no 'post' field: a quarantined row
    state = tmp_path / "state"
    source = RedisStreamSource(broker.url, topic, spool=state / "spool",
                               mapping=_mapping(tmp_path), count=50, block_s=0.1)
    stream = AlertStream(source.client, f"{topic}:alerts", key="t", source=source)
    pipeline = IncrementalPipeline(embedder=EMBEDDER)
    with WatchLoop(state, pipeline, source=source) as loop:
        loop.run(interval=0, once=True, on_step=lambda r: stream.publish(loop.feed.alerts))
        assert loop.state.n_posts == 80
        publish(client, topic, posts[80:])
        loop.run(interval=0, once=True, on_step=lambda r: stream.publish(loop.feed.alerts))
        assert loop.state.n_posts == 120
        # one segment per stream is kept in the checkpoint: it carries the offset
        assert list(source.offsets(loop.state.files)) == [topic]
        assert len(loop.state.files) == 1
        feed = list(loop.feed.alerts)
    assert client.xpending(topic, "workbench")["pending"] == 0
    bad = [json.loads(line) for line in (state / "quarantine.jsonl").read_text().splitlines()]
    assert len(bad) == 1 and "has no 'post' field" in str(bad[0]["raw"]), bad
    assert [a["alert_id"] for a in _alerts_stream(client, f"{topic}:alerts")] == \
        [a["alert_id"] for a in feed]
    assert stream.publish(feed) == 0  # published once

    # the broker forgets the group (as a broker without its disk would): the watch starts
    # again from its checkpoint's offset, reads nothing twice
    client.xgroup_destroy(topic, "workbench")
    source = RedisStreamSource(broker.url, topic, spool=state / "spool",
                               mapping=_mapping(tmp_path), count=50, block_s=0.1)
    with WatchLoop(state, pipeline, source=source) as loop:
        result = loop.step()
        assert (result.files, result.new_posts, loop.state.n_posts) == (0, 0, 120)
        # an entry the group delivers again at or below the offset is acknowledged unread
        client.xgroup_setid(topic, "workbench", id="0")
        result = loop.step()
        assert (result.files, result.new_posts) == (0, 0)
    assert client.xpending(topic, "workbench")["pending"] == 0


def test_kill_9_worker_and_broker_lose_nothing_repeat_nothing(tmp_path, client, broker):
    """kill -9 of the worker mid-batch (a segment read, nothing committed), then right after
    a checkpoint (before its acknowledgement); then kill -9 of the broker under a running
    worker, which goes on once the broker is back; then kill -9 of that worker."""
    topic = "killed"
    posts = make_posts()
    mapping = _mapping(tmp_path)
    state = tmp_path / "state"
    logs: list[str] = []
    third = len(posts) // 3
    publish(client, topic, posts[:third])
    for kill_at in ("after_read:1", "before_ack:2"):
        proc = _watch(broker.url, topic, state, mapping, kill_at=kill_at)
        out, _ = proc.communicate(timeout=180)
        logs.append(out)
        assert proc.returncode == -signal.SIGKILL, f"{kill_at}: exited {proc.returncode}\n{out}"
    assert client.xpending(topic, "workbench")["pending"] > 0  # committed, not acknowledged
    publish(client, topic, posts[third:2 * third])

    def held() -> int:
        return StateDir(state).read_checkpoint()["stats"]["posts"]

    def done() -> bool:
        feed = AlertFeed(state / "alerts.jsonl").alerts
        return (held() == len(posts) and client.xpending(topic, "workbench")["pending"] == 0
                and client.xlen(f"{topic}:alerts") == len(feed))

    proc = _watch(broker.url, topic, state, mapping)
    try:
        deadline = time.time() + 120
        while time.time() < deadline and held() < 2 * third:
            time.sleep(0.1)
        broker.kill()  # the broker dies under the worker ...
        time.sleep(0.5)
        broker.start()  # ... and comes back with its append-only file
        publish(client, topic, posts[2 * third:])
        deadline = time.time() + 120
        while time.time() < deadline and not done():
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        logs.append(out)
    _check(state, posts, client, topic, logs)


@settings(max_examples=200, deadline=None)
@given(payload=st.binary(max_size=200), n=st.integers(1, 16))
def test_every_entry_is_one_line_and_partitions_are_stable(payload, n):
    line = _line("T", b"1-0", {b"post": payload})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert _line("T", b"1-0", {b"x": payload}).startswith(b"!no-post-field")
    post = {"id": "p" + payload.hex(), "root": None, "platform": "weibo", "text": "化工厂爆炸"}
    p = partition_of(post, n)
    assert 0 <= p < n and p == partition_of(dict(post), n)
    assert partition_of({**post, "id": "r", "root": post["id"]}, n, by="root") == \
        partition_of({**post, "root": post["id"]}, n, by="root")  # reposts go with their root
    assert stream_names("T", range(n))[p] == f"T:{p}"
