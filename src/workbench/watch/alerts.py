"""Alert records, the append-only alert feed, and webhook delivery through an outbox.

An **alert** is a JSON object (one line in the feed)::

    alert_id        deterministic id (same inputs -> same id), e.g. 'A-3f9c...'
    kind            'new' (first seen at a level) | 'up' | 'downgrade' (the event was graded
                    below its level for the level's quiet period: see levels.py) | 'escalation'
    event_id, title
    level, level_name, colour   the level held (the name and colour are that level's own)
    previous_level  the level held before ('watch' or null when new)
    graded_level    the level of the latest grading (below ``level`` during a quiet period)
    level_reached_at, first_seen   when the level was reached (deadlines run from it) and
                    the event's first post
    at              when it was raised (clock time, ISO 8601 UTC)
    batch           loop batch number that raised it
    why             the grading trace: each fired rule, its level, because, matched values
    fired_rules     rule ids
    owners          owner roles of the prescribed measures
    deadlines       the level's measures: measure, title, owner, deadline_hours, due_at
                    (= level_reached_at + deadline_hours; escalations: from the escalation)
    key_figures     a few findings (n_posts, first_seen, negative_share, ...)
    rules_version, rules_hash
    escalation      (escalation alerts only) what was due, when, and why it escalated

**Feed**: ``AlertFeed`` appends lines and fsyncs before returning; a torn last line left
by a crash is cut off on open (it was never fully written, so never delivered). Ids are
unique in the feed: appending an id already present is a no-op, which is how a restarted
watch avoids repeating an alert.

**Webhook**: ``Outbox`` delivers every feed alert not yet delivered, in feed order, with a
POST of the alert as JSON (header ``Idempotency-Key: <alert_id>``). Delivered ids are
appended (fsync) to ``delivered.jsonl``. Only a 2xx answer is a delivery. A failing webhook
is retried a few times at once and then on later loops with exponential backoff; nothing
is dropped, because the feed is the outbox. Delivery is at-least-once: a crash between the
receiver's 2xx and the delivered record re-sends that one alert with the same key, so
receivers de-duplicate on ``Idempotency-Key``.

Redirects: 307 and 308 are followed (http(s) only, a few hops) with the method, body and
headers kept. Any other 3xx (301/302/303 would turn the POST into a body-less GET) is not
followed: it is a failure, retried with backoff, the alert stays undelivered. So are 401,
403, 404 (a proxy mid-deploy), 408, 429 and 5xx. Only a refusal of the payload itself
(400, 413, 415, 422) is recorded as ``rejected`` and not retried: re-sending the same bytes
cannot succeed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path

import orjson

log = logging.getLogger("workbench.watch")

ALERT_KINDS = ("new", "up", "downgrade", "escalation")
#: answers that refuse the payload itself: recorded as rejected, not retried
REJECTED = frozenset({400, 413, 415, 422})
IDEMPOTENCY_HEADER = "Idempotency-Key"


def alert_id(*parts: object) -> str:
    """Deterministic id from the parts that define an alert."""
    digest = hashlib.sha256("|".join("" if p is None else str(p) for p in parts).encode())
    return "A-" + digest.hexdigest()[:20]


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class JsonlLog:
    """An append-only JSON-lines file, fsynced on every append, torn tail repaired on open."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.repaired_bytes = self._repair()

    def _repair(self) -> int:
        """Cut a last line that is incomplete or not valid JSON (a write torn by a crash)."""
        if not self.path.exists():
            return 0
        data = self.path.read_bytes()
        if not data:
            return 0
        keep = len(data)
        if not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
        else:
            start = data.rfind(b"\n", 0, len(data) - 1) + 1
            try:
                orjson.loads(data[start:])
            except orjson.JSONDecodeError:
                keep = start
        if keep == len(data):
            return 0
        with open(self.path, "r+b") as handle:
            handle.truncate(keep)
            handle.flush()
            os.fsync(handle.fileno())
        log.warning("%s: cut a torn last line (%d bytes) left by a crash", self.path, len(data) - keep)
        return len(data) - keep

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        rows = []
        with open(self.path, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    rows.append(orjson.loads(line))
                except orjson.JSONDecodeError as exc:
                    raise ValueError(f"{self.path}: line {number} is not valid JSON: {exc}") from exc
        return rows

    def append(self, rows: Iterable[dict]) -> int:
        payload = b"".join(orjson.dumps(r, option=orjson.OPT_NON_STR_KEYS) + b"\n" for r in rows)
        if not payload:
            return 0
        created = not self.path.exists()
        with open(self.path, "ab") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if created:
            _fsync_dir(self.path.parent)
        return payload.count(b"\n")


class AlertFeed(JsonlLog):
    """The alert feed: JSON lines, unique ``alert_id``s, fsynced appends."""

    def __init__(self, path: str | Path):
        super().__init__(path)
        self.alerts: list[dict] = self.read()
        self.ids: set[str] = {a["alert_id"] for a in self.alerts}

    def append_new(self, alerts: Iterable[dict]) -> list[dict]:
        """Append the alerts whose id is not yet in the feed; return those appended."""
        fresh = []
        for alert in alerts:
            if alert["alert_id"] in self.ids:
                continue
            self.ids.add(alert["alert_id"])
            fresh.append(alert)
        self.append(fresh)
        self.alerts.extend(fresh)
        return fresh


class _KeepBodyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow 307/308 with the method, body and headers kept; no other redirect."""

    max_redirections = 4

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if code not in (307, 308) or not newurl.startswith(("http://", "https://")):
            return None  # not followed: urllib raises HTTPError(code), a retried failure
        return urllib.request.Request(
            newurl, data=req.data, method=req.get_method(),
            headers=dict(req.header_items()), origin_req_host=req.origin_req_host,
        )


class WebhookSender:
    """POST one alert as JSON; a few quick retries with exponential backoff."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        attempts: int = 3,
        backoff: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ):
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"webhook URL must be http(s): {url!r}")
        self.url = url
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self._opener = urllib.request.build_opener(_KeepBodyRedirects())

    def post(self, alert: dict) -> tuple[str, str]:
        """('delivered' | 'rejected' | 'failed', detail); only a 2xx is 'delivered'."""
        body = orjson.dumps(alert)
        detail = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(
                self.url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", IDEMPOTENCY_HEADER: alert["alert_id"]},
            )
            try:
                with self._opener.open(request, timeout=self.timeout) as response:
                    response.read()
                    if 200 <= response.status < 300:
                        return "delivered", f"HTTP {response.status}"
                    detail = f"HTTP {response.status}"
            except urllib.error.HTTPError as exc:
                detail = f"HTTP {exc.code}"
                if 300 <= exc.code < 400:
                    detail += " redirect not followed (only 307/308 keep the POST body)"
                exc.close()
                if exc.code in REJECTED:
                    return "rejected", detail
            except (urllib.error.URLError, OSError) as exc:
                detail = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
        return "failed", detail


class Outbox:
    """Delivers feed alerts to a webhook, remembering what was delivered across restarts."""

    def __init__(
        self,
        feed: AlertFeed,
        path: str | Path,
        sender: WebhookSender,
        *,
        max_backoff: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self.feed = feed
        self.log = JsonlLog(path)
        self.sender = sender
        self.done: set[str] = {r["alert_id"] for r in self.log.read()}
        self.max_backoff = max_backoff
        self.monotonic = monotonic
        self._failures = 0
        self._next_try = 0.0
        self.last_error = ""

    def pending(self) -> list[dict]:
        return [a for a in self.feed.alerts if a["alert_id"] not in self.done]

    def flush(self, *, force: bool = False) -> int:
        """Deliver pending alerts in order; stop at the first failure. Returns delivered count."""
        if not force and self.monotonic() < self._next_try:
            return 0
        sent = 0
        for alert in self.pending():
            status, detail = self.sender.post(alert)
            if status == "failed":
                self._failures += 1
                delay = min(self.max_backoff, 2.0 ** (self._failures - 1))
                self._next_try = self.monotonic() + delay
                self.last_error = detail
                log.warning(
                    "webhook %s: %s; %d alerts kept in the outbox, next try in %.0f s",
                    self.sender.url, detail, len(self.pending()), delay,
                )
                break
            self.log.append([{"alert_id": alert["alert_id"], "status": status, "detail": detail,
                              "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}])
            self.done.add(alert["alert_id"])
            if status == "rejected":
                log.error("webhook %s refused alert %s (%s); not retried",
                          self.sender.url, alert["alert_id"], detail)
            else:
                sent += 1
            self._failures = 0
            self._next_try = 0.0
        return sent


def dumps_pretty(alert: dict) -> str:
    return json.dumps(alert, ensure_ascii=False, indent=2, default=str)
