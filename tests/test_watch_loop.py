"""The watch loop on real files, the real readers and the real engine.

The data is written here in the mapping-file format (JSONL + ``*.mapping.yaml``): three
incidents over a few hours — a chemical-plant explosion with casualties that grows fast
and gets no official response, a subway fare rise, and a cat video — split into files
that land in the watched folder one after another.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

pytestmark = pytest.mark.slow

MAPPING = """\
name: watch_test
format: jsonl
files: "posts*.jsonl"
platform: weibo
timezone: Asia/Shanghai
columns:
  post_id: id
  created_at: time
  text: content
  author_id: user.id
  author_name: user.name
  author_followers: user.followers
  author_verified: user.verified
  author_type: user.type
  parent_id: parent
  root_id: root
  kind: kind
  reposts: reposts
  comments: comments
  likes: likes
"""

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)

EXPLOSION = [
    "突发！{city}化工厂发生爆炸，现场浓烟滚滚，已造成{n}人死亡{m}人受伤",
    "{city}化工园区爆炸事故伤亡人数上升，{n}人遇难，多名工人被困",
    "化工厂爆炸后周边居民紧急疏散，孩子们都吓坏了，学校停课",
    "{city}爆炸事故：{n}人死亡，官方至今没有任何回应，家属在厂门口讨说法",
    "网传{city}化工厂爆炸是违规生产导致，安监部门官员涉嫌失职",
    "爆炸现场视频曝光，冲击波震碎几公里外的玻璃，{m}人受伤送医",
]
FARE = [
    "{city}地铁票价下月起上涨，起步价从2元涨到3元，市民吐槽",
    "地铁涨价听证会被指走过场，{city}网友质疑价格不合理",
    "{city}地铁调价方案公布，通勤族每月多花一百多元",
]
CAT = [
    "我家猫今天学会开门了，太聪明了哈哈",
    "分享一个猫咪视频，萌化了",
]
CITIES = ["江城", "江城", "江城"]


def _user(rng: random.Random, i: int, big: bool = False) -> dict:
    followers = rng.choice([50, 300, 2_000, 20_000]) if not big else rng.choice([500_000, 2_000_000])
    return {"id": f"u{i}", "name": f"用户{i}", "followers": followers,
            "verified": big, "type": "media" if big else "individual"}


def make_posts(seed: int = 7) -> list[dict]:
    """~330 posts over 6 hours, three incidents; deterministic for a seed."""
    rng = random.Random(seed)
    posts: list[dict] = []
    uid = 0

    def add(topic, minute, templates, *, big=False, root=None, text=None):
        nonlocal uid
        uid += 1
        pid = f"{topic}{len(posts)}"
        body = text if text is not None else rng.choice(templates).format(
            city=rng.choice(CITIES), n=rng.choice([3, 5, 7]), m=rng.choice([12, 20, 31]))
        posts.append({
            "id": pid,
            "time": (START + timedelta(minutes=minute)).astimezone().isoformat(),
            "content": body,
            "user": _user(rng, uid, big),
            "parent": root, "root": root, "kind": "repost" if root else "original",
            "reposts": rng.randint(0, 500), "comments": rng.randint(0, 300),
            "likes": rng.randint(0, 2_000),
        })
        return pid

    # the explosion: a few originals, then a growing cascade of reposts
    roots = [add("x", m, EXPLOSION, big=(m % 2 == 0)) for m in (0, 3, 10, 25, 40, 70)]
    for i in range(200):
        minute = int(360 * (i / 200) ** 0.7)
        text = rng.choice(["", "转发微博", "太惨了，求真相", "//@用户1: 官方怎么还不回应"])
        add("x", minute, EXPLOSION, root=rng.choice(roots), text=text)
    for m in (95, 130, 180, 240):
        roots.append(add("x", m, EXPLOSION))
    # the fare rise: slower
    fare_roots = [add("f", m, FARE) for m in (20, 90, 200)]
    for i in range(80):
        add("f", 20 + int(340 * i / 80), FARE, root=rng.choice(fare_roots),
            text=rng.choice(["", "涨价太离谱了", "支持听证"]))
    # the cat
    cat = add("c", 50, CAT)
    for i in range(12):
        add("c", 50 + 20 * i, CAT, root=cat, text="")
    return sorted(posts, key=lambda p: (p["time"], p["id"]))


def write_files(posts: list[dict], folder: Path, n_files: int = 6) -> list[Path]:
    """Split posts into ``n_files`` time-ordered JSONL files (in a staging folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    size = -(-len(posts) // n_files)
    paths = []
    for i in range(n_files):
        path = folder / f"posts{i:02d}.jsonl"
        chunk = posts[i * size:(i + 1) * size]
        path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in chunk), "utf-8")
        paths.append(path)
    return paths


def land(path: Path, source: Path) -> Path:
    """Drop a file into the watched folder atomically (temp name, then rename), settled."""
    tmp = source / (path.name + ".part")
    shutil.copyfile(path, tmp)
    old = time.time() - 5
    os.utime(tmp, (old, old))
    final = source / path.name
    os.replace(tmp, final)
    return final


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("watchdata")
    posts = make_posts()
    files = write_files(posts, root / "staging")
    return {"posts": posts, "files": files, "root": root}


@pytest.fixture(scope="module")
def pipeline():
    from workbench.pipeline import IncrementalPipeline

    return IncrementalPipeline()


def _source(tmp_path: Path) -> Path:
    src = tmp_path / "incoming"
    src.mkdir()
    (src / "watch_test.mapping.yaml").write_text(MAPPING, "utf-8")
    old = time.time() - 5
    os.utime(src / "watch_test.mapping.yaml", (old, old))
    return src


def check_feed(alerts: list[dict]) -> None:
    """Ids unique; per event each alert starts from the level the previous one reached."""
    ids = [a["alert_id"] for a in alerts]
    assert len(ids) == len(set(ids)), "an alert id repeats in the feed"
    last: dict[str, str] = {}
    escalations = set()
    for a in alerts:
        if a["kind"] == "escalation":
            key = (a["event_id"], a["escalation"]["key"])
            assert key not in escalations, f"escalation repeated: {key}"
            escalations.add(key)
            continue
        assert a["level"] != last.get(a["event_id"], "watch" if a["kind"] != "new" else None), a
        if a["event_id"] in last:
            assert a["previous_level"] == last[a["event_id"]], f"alert repeated or skipped: {a}"
        last[a["event_id"]] = a["level"]


def test_loop_ingests_files_as_they_land_and_alerts(tmp_path, dataset, pipeline):
    from workbench.watch.loop import WatchLoop
    from workbench.watch.sources import SourceDir

    src = _source(tmp_path)
    state = tmp_path / "state"
    seen_alerts = []
    with WatchLoop(state, pipeline, source=SourceDir(src, settle_s=0)) as loop:
        assert loop.step().new_posts == 0  # only the mapping file: nothing to read
        for path in dataset["files"]:
            land(path, src)
            step = loop.step()
            assert step.files == 1 and step.new_posts > 0
            seen_alerts += step.alerts
        assert loop.step().new_posts == 0  # nothing new: no batch
        n_posts = loop.state.n_posts
        batches = loop.state.batch
        events = set(loop.state.assignments["event_id"].to_list())
    assert n_posts == len(dataset["posts"])
    assert len(events) >= 1
    feed = [json.loads(x) for x in (state / "alerts.jsonl").read_text("utf-8").splitlines()]
    assert feed == seen_alerts and feed, "no alert raised"
    check_feed(feed)
    top = feed[0]
    for key in ("alert_id", "kind", "event_id", "level", "previous_level", "why", "owners",
                "deadlines", "at", "title", "rules_version"):
        assert key in top
    assert top["kind"] == "new" and top["level"] in ("I", "II", "III", "IV")
    assert top["why"], "an alert must say why (the trace)"
    assert top["owners"] and all(d["due_at"] for d in top["deadlines"])
    # a file re-landed with the same content is not read again; an appended file only adds
    # its new posts
    with WatchLoop(state, pipeline, source=SourceDir(src, settle_s=0)) as loop:
        assert loop.state.batch == batches and loop.state.n_posts == n_posts
        first = src / dataset["files"][0].name
        os.utime(first, (time.time() - 2, time.time() - 2))
        assert loop.step().new_posts == 0
        extra = dict(dataset["posts"][0], id="late1", content="江城化工厂爆炸又有新情况")
        with open(first, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(extra, ensure_ascii=False) + "\n")
        os.utime(first, (time.time() - 1, time.time() - 1))
        step = loop.step()
        assert (step.new_posts, step.duplicates) == (1, sum(1 for _ in open(first)) - 1)
        assert loop.state.n_posts == n_posts + 1


def test_replay_on_simulated_clock_resumes_without_repeats(tmp_path, dataset, pipeline):
    from workbench import ingest
    from workbench.watch.clock import SimulatedClock
    from workbench.watch.loop import WatchLoop
    from workbench.watch.replay import floor_time, replay

    src = _source(tmp_path)
    for path in dataset["files"]:
        land(path, src)
    posts = ingest.read([src]).posts
    # the first run sees the stream up to a slice boundary (a replay stopped there)
    middle = floor_time(posts["created_at"].sort()[posts.height // 2], 300)
    half = posts.filter(pl.col("created_at") < middle)
    state = tmp_path / "state"
    clock = SimulatedClock(floor_time(posts["created_at"].min(), 300))
    with WatchLoop(state, pipeline, clock=clock, checkpoint_s=0) as loop:
        first = replay(loop, half, tick_s=300, tail_hours=0)
    assert first.posts_fed == half.height
    # restart on the whole dataset with the same state: resumes at the cursor
    clock = SimulatedClock(floor_time(posts["created_at"].min(), 300))
    with WatchLoop(state, pipeline, clock=clock, checkpoint_s=0) as loop:
        cursor = loop.state.cursor
        second = replay(loop, posts, tick_s=300, tail_hours=2)
        assert loop.state.n_posts == posts.height
        assert second.posts_fed <= posts.height - half.height + 50  # resumed, not restarted
        alerts = loop.feed.alerts
    assert cursor is not None
    check_feed(alerts)
    # alerts carry simulated times inside the data's span (plus the tail)
    t_min, t_max = posts["created_at"].min(), posts["created_at"].max()
    for a in alerts:
        at = datetime.fromisoformat(a["at"].replace("Z", "+00:00"))
        assert t_min <= at <= t_max + timedelta(hours=2, minutes=5)


# -- kill -9 ------------------------------------------------------------------------------
class _Receiver:
    def __init__(self):
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.ids: list[str] = []  # every delivery, repeats included
        self.alerts: dict[str, dict] = {}  # de-duplicated on the Idempotency-Key header
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                key = self.headers["Idempotency-Key"]
                assert key == body["alert_id"]
                receiver.ids.append(key)
                receiver.alerts.setdefault(key, body)  # a repeat is acknowledged, not applied
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/alerts"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _watch(src: Path, state: Path, url: str, *, kill_at: str | None = None, once: bool = False):
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", PYTHONUNBUFFERED="1")
    env.pop("WORKBENCH_WATCH_KILL_AT", None)
    if kill_at:
        env["WORKBENCH_WATCH_KILL_AT"] = kill_at
    cmd = [sys.executable, "-m", "workbench", "watch", str(src), "--state", str(state),
           "--interval", "0.2", "--settle", "0", "--webhook", url]
    if once:
        cmd.append("--once")
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_kill_9_at_any_point_loses_nothing_and_repeats_nothing(tmp_path, dataset):
    """kill -9 right after alerts reach the feed, in the middle of a checkpoint, right
    after a checkpoint, and from outside at a random moment; restart each time."""
    src = _source(tmp_path)
    state = tmp_path / "state"
    files = list(dataset["files"])
    receiver = _Receiver()
    logs = []
    try:
        for path in files[:2]:
            land(path, src)
        for kill_at, more in (("after_feed:1", 1), ("mid_commit:1", 1), ("after_commit:2", 1)):
            proc = _watch(src, state, receiver.url, kill_at=kill_at)
            out, _ = proc.communicate(timeout=240)
            logs.append(out)
            assert proc.returncode == -signal.SIGKILL, f"{kill_at}: exited {proc.returncode}\n{out}"
            landed = len(list(src.glob("posts*.jsonl")))
            for path in files[landed:landed + more]:
                land(path, src)
        # from outside: SIGKILL at a random moment once it has started a batch
        for path in files[len(list(src.glob("posts*.jsonl"))):]:
            land(path, src)
        proc = _watch(src, state, receiver.url)
        deadline = time.time() + 240
        while time.time() < deadline and not (state / "pending.json").exists():
            time.sleep(0.05)
        time.sleep(random.Random(1).uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate(timeout=60)
        logs.append(out)
        # finally: drain what is left and exit
        proc = _watch(src, state, receiver.url, once=True)
        out, _ = proc.communicate(timeout=240)
        logs.append(out)
        assert proc.returncode == 0, out
    finally:
        receiver.stop()

    from workbench.watch.alerts import AlertFeed
    from workbench.watch.state import StateDir

    held = StateDir(state).load()
    want = sorted(f"weibo:{p['id']}" for p in dataset["posts"])
    got = held.posts["post_id"].to_list()
    assert len(got) == len(set(got)), "a post was counted twice"
    assert sorted(got) == want, "a post was lost"
    assigned = held.assignments["post_id"].to_list()
    assert sorted(assigned) == want
    feed = AlertFeed(state / "alerts.jsonl").alerts
    assert feed, "no alerts raised:\n" + "\n".join(logs)
    check_feed(feed)
    # the webhook got every alert exactly once after de-duplication on the Idempotency-Key
    # header (at-least-once delivery: a kill between the receiver's answer and the delivery
    # record may resend one alert with the same key, never lose one)
    assert list(receiver.alerts) == [a["alert_id"] for a in feed]
    assert all(receiver.alerts[a["alert_id"]] == a for a in feed)
    assert len(receiver.ids) - len(receiver.alerts) <= 1
    assert held.stats["posts"] == len(want)


def test_escalation_on_simulated_clock_once_and_not_after_restart(tmp_path, dataset, pipeline):
    """The explosion reaches a level with an escalation rule, no official response ever comes,
    the simulated clock passes the deadline: one escalation alert per (event, rule), naming
    the event and the owners the rule notifies, at or after its due time; a restart that
    runs the clock further raises none again."""
    from workbench import ingest
    from workbench.watch.clock import SimulatedClock
    from workbench.watch.loop import WatchLoop
    from workbench.watch.replay import floor_time, replay

    src = _source(tmp_path)
    for path in dataset["files"]:
        land(path, src)
    posts = ingest.read([src]).posts.filter(pl.col("post_id").str.starts_with("weibo:x"))
    state = tmp_path / "state"
    start = floor_time(posts["created_at"].min(), 300)
    with WatchLoop(state, pipeline, clock=SimulatedClock(start), checkpoint_s=0) as loop:
        replay(loop, posts, tick_s=300, tail_hours=80, live_hours=200)
        alerts = list(loop.feed.alerts)
        levels = {e: v["level"] for e, v in loop.state.levels.items()}
        first_seen = dict(loop.state.findings.select("event_id", "first_seen").iter_rows())
    check_feed(alerts)
    esc = [a for a in alerts if a["kind"] == "escalation"]
    assert esc, f"no escalation raised; levels reached: {levels}"
    keys = [(a["event_id"], a["escalation"]["rule_id"]) for a in esc]
    assert len(keys) == len(set(keys)), "an escalation repeats"
    for a in esc:
        assert a["event_id"] in first_seen and a["title"]
        assert a["owners"] and set(a["escalation"]["notify"]) <= set(a["owners"])
        assert a["escalation"]["reached_level"] in ("I", "II", "III", "IV")
        due = datetime.fromisoformat(a["escalation"]["due_at"].replace("Z", "+00:00"))
        at = datetime.fromisoformat(a["at"].replace("Z", "+00:00"))
        assert first_seen[a["event_id"]] < due <= at <= due + timedelta(hours=1, minutes=5)
        assert a["level"] in ("I", "II", "III", "IV")
    # restart on the same state; the clock runs a week further: nothing is alerted again
    clock = SimulatedClock(start)
    with WatchLoop(state, pipeline, clock=clock, checkpoint_s=0) as loop:
        assert len(loop.feed.alerts) == len(alerts)
        clock.set(posts["created_at"].max() + timedelta(days=7))
        step = loop.step()
        assert step.alerts == [], f"repeated after restart: {step.alerts}"
        assert len(loop.feed.alerts) == len(alerts)
    feed = [json.loads(x) for x in (state / "alerts.jsonl").read_text("utf-8").splitlines()]
    assert len(feed) == len(alerts)


def test_replay_widens_trickles_and_feeds_every_post_once(tmp_path, dataset, pipeline):
    """``max_tick_s``: slices with fewer than ``min_posts`` posts widen up to max_tick_s;
    every post is still fed once, in fewer steps, and alerts stay within a slice of the data."""
    from workbench import ingest
    from workbench.watch.clock import SimulatedClock
    from workbench.watch.loop import WatchLoop
    from workbench.watch.replay import floor_time, replay

    src = _source(tmp_path)
    for path in dataset["files"]:
        land(path, src)
    posts = ingest.read([src]).posts.filter(~pl.col("post_id").str.starts_with("weibo:x"))
    start = floor_time(posts["created_at"].min(), 300)
    with WatchLoop(tmp_path / "a", pipeline, clock=SimulatedClock(start)) as loop:
        plain = replay(loop, posts, tick_s=300, tail_hours=0)
    with WatchLoop(tmp_path / "b", pipeline, clock=SimulatedClock(start)) as loop:
        wide = replay(loop, posts, tick_s=300, tail_hours=0, max_tick_s=3600, min_posts=20)
        assert loop.state.n_posts == posts.height
        alerts = loop.feed.alerts
    assert plain.posts_fed == wide.posts_fed == posts.height
    assert wide.steps < plain.steps
    # widening merges trickling slices: fewer feeds, none beyond the steps
    assert 0 < wide.feeds < plain.feeds <= plain.steps and wide.feeds <= wide.steps
    check_feed(alerts)
    t_max = posts["created_at"].max()
    for a in alerts:
        assert datetime.fromisoformat(a["at"].replace("Z", "+00:00")) <= t_max + timedelta(hours=1)
