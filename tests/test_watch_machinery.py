"""The watch's machinery on real files and a real HTTP server: feed, outbox, sources, state."""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import polars as pl
import pytest

from workbench.events.identity import Ledger
from workbench.schema import ASSIGNMENT_SCHEMA, POST_SCHEMA, conform
from workbench.watch.alerts import AlertFeed, Outbox, WebhookSender, alert_id
from workbench.watch.clock import SimulatedClock
from workbench.watch.sources import SourceDir
from workbench.watch.state import StateDir, StateLocked


def _alert(n: int) -> dict:
    return {"alert_id": alert_id("E1", n), "kind": "new", "event_id": f"E{n}", "level": "IV"}


# -- feed ---------------------------------------------------------------------------------
def test_feed_appends_unique_ids_and_survives_reopen(tmp_path):
    feed = AlertFeed(tmp_path / "alerts.jsonl")
    assert len(feed.append_new([_alert(1), _alert(2)])) == 2
    assert feed.append_new([_alert(2), _alert(3)]) == [_alert(3)]
    again = AlertFeed(tmp_path / "alerts.jsonl")
    assert [a["alert_id"] for a in again.alerts] == [_alert(i)["alert_id"] for i in (1, 2, 3)]
    assert again.append_new([_alert(1)]) == []


def test_feed_cuts_a_torn_last_line(tmp_path):
    path = tmp_path / "alerts.jsonl"
    AlertFeed(path).append_new([_alert(1), _alert(2)])
    whole = path.read_bytes()
    with open(path, "ab") as handle:  # a crash in the middle of an append
        handle.write(b'{"alert_id": "A-torn", "kin')
    feed = AlertFeed(path)
    assert feed.repaired_bytes > 0
    assert path.read_bytes() == whole
    assert len(feed.alerts) == 2
    # a complete last line that is not JSON (torn exactly before its newline) is cut too
    with open(path, "ab") as handle:
        handle.write(b'{"alert_id": \n')
    assert len(AlertFeed(path).alerts) == 2


# -- webhook ------------------------------------------------------------------------------
class _Receiver:
    """A real HTTP server on 127.0.0.1 that records POSTed alerts; can answer 503 first."""

    def __init__(self, port: int, fail_first: int = 0):
        self.received: list[dict] = []
        self.headers: list[str] = []
        self.fail_left = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if receiver.fail_left > 0:
                    receiver.fail_left -= 1
                    self.send_response(503)
                    self.end_headers()
                    return
                receiver.received.append(json.loads(body))
                receiver.headers.append(self.headers["Idempotency-Key"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_webhook_down_then_up_loses_nothing(tmp_path):
    port = _free_port()
    url = f"http://127.0.0.1:{port}/alerts"
    feed = AlertFeed(tmp_path / "alerts.jsonl")
    feed.append_new([_alert(i) for i in range(5)])
    sender = WebhookSender(url, timeout=2, attempts=2, backoff=0.01)
    outbox = Outbox(feed, tmp_path / "delivered.jsonl", sender)
    # down: nothing listens on the port
    assert outbox.flush() == 0
    assert len(outbox.pending()) == 5
    assert "Connection" in outbox.last_error or "refused" in outbox.last_error.lower()
    # backoff: an immediate second flush does not even try
    assert outbox.flush() == 0
    # more alerts arrive while the webhook is down, then the process restarts
    feed.append_new([_alert(5), _alert(6)])
    outbox = Outbox(AlertFeed(tmp_path / "alerts.jsonl"), tmp_path / "delivered.jsonl", sender)
    receiver = _Receiver(port, fail_first=3)  # up, but answers 503 three times first
    try:
        delivered = 0
        for _ in range(10):
            delivered += outbox.flush(force=True)
            if not outbox.pending():
                break
        ids = [_alert(i)["alert_id"] for i in range(7)]
        assert [a["alert_id"] for a in receiver.received] == ids  # all, in feed order, once
        assert receiver.headers == ids
        assert delivered == 7
        # after a restart nothing is pending and nothing is sent again
        again = Outbox(AlertFeed(tmp_path / "alerts.jsonl"), tmp_path / "delivered.jsonl", sender)
        assert again.pending() == []
        assert again.flush(force=True) == 0
        assert len(receiver.received) == 7
    finally:
        receiver.stop()


def test_webhook_refusal_is_recorded_not_retried(tmp_path):
    port = _free_port()

    class Refuse(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(400)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        feed = AlertFeed(tmp_path / "alerts.jsonl")
        feed.append_new([_alert(1)])
        outbox = Outbox(feed, tmp_path / "delivered.jsonl",
                        WebhookSender(f"http://127.0.0.1:{port}/", attempts=1))
        assert outbox.flush() == 0
        assert outbox.pending() == []
        rows = [json.loads(x) for x in (tmp_path / "delivered.jsonl").read_text().splitlines()]
        assert rows[0]["status"] == "rejected" and rows[0]["detail"] == "HTTP 400"
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_url_must_be_http():
    with pytest.raises(ValueError, match="http"):
        WebhookSender("ftp://example/")


# -- sources ------------------------------------------------------------------------------
def test_sources_pick_up_settled_new_and_changed_files(tmp_path):
    src = SourceDir(tmp_path, settle_s=0.2)
    old = time.time() - 10
    a = tmp_path / "a.jsonl"
    a.write_text('{"id": 1}\n')
    os.utime(a, (old, old))
    (tmp_path / "b.jsonl.part").write_text("partial")  # temporary name
    (tmp_path / ".hidden.jsonl").write_text("x")
    fresh = tmp_path / "c.jsonl"
    fresh.write_text('{"id": 3}\n')  # just written: not settled yet
    scan = src.scan({})
    assert [s.path for s in scan.changed] == ["a.jsonl"]
    known = {s.path: s for s in scan.changed}
    time.sleep(0.25)
    scan = src.scan(known)
    assert [s.path for s in scan.changed] == ["c.jsonl"]
    known |= {s.path: s for s in scan.changed}
    # touched, same content: not picked again, but recorded
    os.utime(a, (old + 5, old + 5))
    scan = src.scan(known)
    assert scan.changed == [] and [s.path for s in scan.touched] == ["a.jsonl"]
    known |= {s.path: s for s in scan.touched}
    # appended: picked again with a new hash
    with open(a, "a") as handle:
        handle.write('{"id": 2}\n')
    os.utime(a, (old + 6, old + 6))
    scan = src.scan(known)
    assert [s.path for s in scan.changed] == ["a.jsonl"]
    assert scan.changed[0].sha256 != known["a.jsonl"].sha256
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "d.jsonl").write_text("{}\n")
    os.utime(sub / "d.jsonl", (old, old))
    assert "sub/d.jsonl" in [s.path for s in src.scan(known).changed]


def test_source_dir_must_exist(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        SourceDir(tmp_path / "nope")


# -- state --------------------------------------------------------------------------------
def _posts(ids: list[str]) -> pl.DataFrame:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    frame = pl.DataFrame({
        "post_id": ids,
        "created_at": [t0 + timedelta(minutes=i) for i in range(len(ids))],
        "text": [f"post {i}" for i in ids],
    })
    return conform(frame, POST_SCHEMA)


def _assign(ids: list[str], event: str) -> pl.DataFrame:
    return conform(pl.DataFrame({"post_id": ids, "event_id": [event] * len(ids)}), ASSIGNMENT_SCHEMA)


def test_state_commit_load_and_crash_leftovers(tmp_path):
    store = StateDir(tmp_path)
    state = store.load()
    assert state.batch == 0 and state.n_posts == 0
    state.batch = 1
    state.posts = _posts(["p1", "p2"])
    state.assignments = _assign(["p1", "p2"], "E1")
    state.ledger = Ledger(next_number=2, runs=1, model_id="m")
    state.levels = {"E1": ["IV", 1, 1]}
    store.commit(state, new_posts=state.posts, new_assignments=state.assignments)
    # batch 2 is cut short by a crash: its segment files exist, its checkpoint does not
    store.path("posts", 2).write_bytes(b"half a parquet file")
    (tmp_path / ".checkpoint.json.123.tmp").write_text("{")
    loaded = StateDir(tmp_path).load()
    assert loaded.batch == 1
    assert loaded.posts["post_id"].to_list() == ["p1", "p2"]
    assert (loaded.ledger.next_number, loaded.ledger.runs, loaded.ledger.model_id) == (2, 1, "m")
    assert not list(tmp_path.glob("*.pkl"))  # the ledger is saved as tables, never pickled
    assert loaded.levels == {"E1": ["IV", 1, 1]}
    assert not store.path("posts", 2).exists()
    assert not (tmp_path / ".checkpoint.json.123.tmp").exists()


def test_state_segments_compact_and_later_assignment_wins(tmp_path):
    store = StateDir(tmp_path, compact_every=3)
    state = store.load()
    for b in range(1, 6):
        state.batch = b
        new = _posts([f"p{b}"])
        state.posts = pl.concat([state.posts, new])
        moved = _assign(["p1"], f"E{b}") if b == 5 else _assign([], "x")
        assign = pl.concat([_assign([f"p{b}"], "E1"), moved])
        state.assignments = pl.concat([state.assignments, assign]).unique(
            "post_id", keep="last", maintain_order=True)
        store.commit(state, new_posts=new, new_assignments=assign)
    assert len(state.segments) <= 3
    loaded = StateDir(tmp_path).load()
    assert loaded.posts["post_id"].to_list() == [f"p{b}" for b in range(1, 6)]
    got = dict(zip(*loaded.assignments.select("post_id", "event_id").to_dict(as_series=False).values(), strict=True))
    assert got["p1"] == "E5" and got["p2"] == "E1"
    assert len(list(tmp_path.glob("posts-*.parquet"))) == len(loaded.segments)


def test_state_folder_is_locked(tmp_path):
    first = StateDir(tmp_path)
    first.lock()
    try:
        with pytest.raises(StateLocked):
            StateDir(tmp_path).lock()
    finally:
        first.unlock()
    StateDir(tmp_path).lock()


def test_simulated_clock():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    clock = SimulatedClock(start)
    clock.sleep(3600)
    assert clock.now() == start + timedelta(hours=1)
    clock.set(start)  # never backwards
    assert clock.now() == start + timedelta(hours=1)
    with pytest.raises(ValueError):
        SimulatedClock(datetime(2026, 1, 1))
