"""Webhook delivery against a real HTTP server on 127.0.0.1: redirects, refusals, retries.

Only a 2xx is a delivery. 307/308 are followed with the POST body kept; 301/302/303 (which
would turn the POST into a body-less GET) and 401/404 are failures, kept in the outbox,
retried with backoff and delivered once the receiver answers.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from workbench.watch.alerts import IDEMPOTENCY_HEADER, AlertFeed, Outbox, WebhookSender, alert_id


def _alert(n: int) -> dict:
    return {"alert_id": alert_id("E", n), "kind": "new", "event_id": f"E{n}", "level": "IV",
            "title": "标题 " * 20}


class Receiver:
    """``/ok`` records what arrives (method, body, idempotency key) and answers 200;
    ``/r<code>`` redirects to ``/ok`` with that code; ``/fail<code>`` answers ``code`` while
    ``fail_left`` > 0, then 200 like ``/ok``."""

    def __init__(self, fail_left: int = 0):
        self.arrived: list[tuple[str, str, dict | None, str | None]] = []
        self.fail_left = fail_left
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _body(self):
                n = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(n)) if n else None

            def _answer(self, code: int, location: str | None = None) -> None:
                self.send_response(code)
                if location:
                    self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _handle(self):
                body = self._body() if self.command == "POST" else None
                if self.path.startswith("/r"):
                    return self._answer(int(self.path[2:5]), "/ok")
                if self.path.startswith("/fail") and receiver.fail_left > 0:
                    receiver.fail_left -= 1
                    return self._answer(int(self.path[5:8]))
                receiver.arrived.append((self.command, self.path, body,
                                         self.headers.get(IDEMPOTENCY_HEADER)))
                return self._answer(200)

            do_POST = do_GET = _handle  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.stop()


def _sender(url: str, **kw) -> WebhookSender:
    return WebhookSender(url, timeout=5, attempts=kw.pop("attempts", 2), backoff=0.001, **kw)


@pytest.mark.parametrize("code", [307, 308])
def test_307_308_are_followed_with_the_body_and_key_kept(receiver, code):
    alert = _alert(code)
    status, detail = _sender(f"{receiver.base}/r{code}").post(alert)
    assert (status, detail) == ("delivered", "HTTP 200")
    assert receiver.arrived == [("POST", "/ok", alert, alert["alert_id"])]


@pytest.mark.parametrize("code", [301, 302, 303])
def test_other_redirects_are_not_followed_and_not_delivered(tmp_path, receiver, code):
    feed = AlertFeed(tmp_path / "alerts.jsonl")
    feed.append_new([_alert(1), _alert(2)])
    outbox = Outbox(feed, tmp_path / "delivered.jsonl", _sender(f"{receiver.base}/r{code}"))
    assert outbox.flush(force=True) == 0
    assert receiver.arrived == []  # no body-less GET reached the target
    assert [a["alert_id"] for a in outbox.pending()] == [_alert(1)["alert_id"], _alert(2)["alert_id"]]
    assert f"HTTP {code}" in outbox.last_error
    assert not (tmp_path / "delivered.jsonl").exists() or not (tmp_path / "delivered.jsonl").read_text()
    # the receiver is fixed (the URL now answers): the same alerts go out, once, in order
    outbox.sender = _sender(f"{receiver.base}/ok")
    assert outbox.flush(force=True) == 2
    assert [(m, key) for m, _p, _b, key in receiver.arrived] == [
        ("POST", _alert(1)["alert_id"]), ("POST", _alert(2)["alert_id"])]


@pytest.mark.parametrize("code", [401, 404])
def test_401_404_are_retried_with_backoff_until_delivered(tmp_path, code):
    receiver = Receiver(fail_left=3)
    try:
        feed = AlertFeed(tmp_path / "alerts.jsonl")
        feed.append_new([_alert(1)])
        clock = [0.0]
        outbox = Outbox(feed, tmp_path / "delivered.jsonl",
                        _sender(f"{receiver.base}/fail{code}", attempts=1),
                        monotonic=lambda: clock[0])
        assert outbox.flush() == 0 and outbox.last_error == f"HTTP {code}"
        assert len(outbox.pending()) == 1  # shown as undelivered, not rejected
        assert outbox.flush() == 0 and receiver.fail_left == 2  # backing off: not even tried
        for _ in range(3):
            clock[0] += 120
            outbox.flush()
        assert outbox.pending() == []
        rows = [json.loads(x) for x in (tmp_path / "delivered.jsonl").read_text().splitlines()]
        assert [(r["alert_id"], r["status"]) for r in rows] == [(_alert(1)["alert_id"], "delivered")]
        assert [key for *_x, key in receiver.arrived] == [_alert(1)["alert_id"]]
    finally:
        receiver.stop()
