"""The incremental watch loop.

One **step** (one batch):

1. take the new posts: files that landed in the source folder (read with the pipeline's
   reader) or a slice of a replay; drop posts whose ``post_id`` the state already holds;
2-3. feed them to the pipeline (``workbench.pipeline.IncrementalPipeline.feed``, the same
   one the case study and the drill run): it assigns them to existing events or opens new
   ones, recomputes the findings of the events they touched and re-grades those;
4. raise an alert when an event first appears at a level I–IV (``new``) or moves up
   (``up``); a level holds until the event has been graded below it for the level's quiet
   period, then drops (``downgrade``, including back to ``watch``): see ``levels.py``;
5. run the time-based escalation from the rules (a deadline passed with no official
   response -> ``escalation``, once per event and cause): the durable-rules escalator is
   told of the re-graded events and advanced only for events whose deadline fell due
   (``escalate.py``: a deadline heap);
6. append the alerts to the feed (fsync), commit the checkpoint (atomic), then deliver the
   feed to the webhook through the outbox.

Alert ids are deterministic: (event, number of alerts the event had, previous level, level)
for level changes and (event, escalation key) for escalations. A batch redone after a crash
starts from the last checkpoint, reads the same inputs (``pending.json``), recomputes the
same ids, and the feed skips those it already holds: no alert is repeated.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import polars as pl

from workbench.pipeline import IncrementalPipeline
from workbench.pipeline.frames import small_queries
from workbench.schema import ASSIGNMENT_SCHEMA, POST_SCHEMA, WATCH, conform, empty
from workbench.watch.alerts import AlertFeed, Outbox, WebhookSender, alert_id
from workbench.watch.clock import Clock, RealClock
from workbench.watch.escalate import Escalations
from workbench.watch.faults import crash_point
from workbench.watch.levels import LevelPolicy, downgrade_due, observe, pending, record, settle
from workbench.watch.pipeline import Escalation, Reader
from workbench.watch.quarantine import QuarantineLog, file_entry, read_isolated, row_entries
from workbench.watch.reader import FileReader
from workbench.watch.sources import SourceDir
from workbench.watch.state import StateDir

log = logging.getLogger("workbench.watch")

KEY_FIGURES = (
    "n_posts", "first_seen", "last_seen", "unique_authors", "reach", "growth_rate",
    "negative_share", "official_responses", "first_official_response_at",
    "deaths_reported", "injuries_reported", "deaths_evidence", "rumour_share", "debunked_by",
    "domestic_stake", "nature", "nature_confidence",
)


@dataclass
class StepResult:
    batch: int
    new_posts: int = 0
    duplicates: int = 0
    files: int = 0
    quarantined: int = 0
    touched: int = 0
    alerts: list[dict] = field(default_factory=list)
    committed: bool = False
    seconds: float = 0.0


def _iso(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return str(value)


def _jsonable(value):
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class WatchLoop:
    """Owns the state folder (locked while open), the feed and the outbox.

    ``checkpoint_s``: 0 commits after every batch that changed something (the default, and
    always for batches read from files); N > 0 commits at most every N seconds (replays). A
    crash then redoes the batches since the last checkpoint; they recompute the same alert
    ids, which the feed already holds, so nothing is repeated.
    """

    def __init__(
        self,
        state_dir: str | Path,
        pipeline: IncrementalPipeline | None = None,
        *,
        reader: Reader | None = None,
        clock: Clock | None = None,
        source: SourceDir | None = None,
        webhook: str | WebhookSender | None = None,
        on_alert: Callable[[dict], None] | None = None,
        checkpoint_s: float = 0.0,
        quiet_hours: float | dict[str, float] | None = None,
    ):
        self.store = StateDir(state_dir)
        self.store.lock()
        self.state = self.store.load()
        self.feed = AlertFeed(self.store.feed_path)
        self.quarantine = QuarantineLog(self.store.quarantine_path)
        self.pipeline = pipeline if pipeline is not None else IncrementalPipeline()
        self.pipeline.state = self.state.pipeline
        self.reader = reader if reader is not None else FileReader()
        self.clock = clock or RealClock()
        self.source = source
        if isinstance(webhook, str):
            webhook = WebhookSender(webhook)
        self.outbox = Outbox(self.feed, self.store.delivered_path, webhook) if webhook else None
        self.on_alert = on_alert
        # level names, measures and quiet periods from the pipeline's rule set (if it has one)
        self.policy = LevelPolicy(self.pipeline.ruleset, quiet_hours)
        self.escalations = Escalations(self.pipeline.ruleset)
        self.timings: dict[str, float] = {}
        self._warned: set[tuple[str, str]] = set()
        self.checkpoint_s = checkpoint_s
        self._unsaved_posts: list[pl.DataFrame] = []
        self._unsaved_assign: list[pl.DataFrame] = []
        self._ledger_dirty = self._gradings_dirty = False
        self._last_commit = time.monotonic()
        self._committed_batch = self.state.batch

    def close(self) -> None:
        """Commit what is unsaved and release the state folder."""
        try:
            self.commit()
        finally:
            self.store.unlock()

    def __enter__(self) -> WatchLoop:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- inputs ---------------------------------------------------------------------------
    def _file_inputs(self, batch: int) -> tuple[list, pl.DataFrame, int]:
        note = self.store.pending_note(batch)
        if note is None:
            scan = self.source.scan(self.state.files)
            for stamp in scan.touched:
                self.state.files[stamp.path] = stamp
            stamps, attempts, suspect = scan.changed, 0, None
            if not stamps:
                return [], empty(POST_SCHEMA), 0
            self.store.write_pending(batch, stamps)
        elif note.get("failed") and len(note["files"]) == 1:  # it failed alone: poison
            [stamp] = note["files"]
            self.quarantine.add([file_entry(stamp, batch, "processing_failed", note["failed"])])
            self.state.stats["quarantined_files"] = self.state.stats.get("quarantined_files", 0) + 1
            log.error("%s: quarantined as a whole file (processing_failed): %s", stamp.path, note["failed"])
            self.store.write_pending(batch, [stamp])
            return [stamp], empty(POST_SCHEMA), 0
        elif note.get("failed"):  # the batch failed: its first file alone (the rest come later)
            stamps, attempts, suspect = note["files"][:1], 0, None
            self.store.write_pending(batch, stamps)
        else:  # a crash cut this batch short: the same files, one more attempt noted
            stamps, attempts, suspect = note["files"], note["attempts"] + 1, note.get("reading")
            self.store.write_pending(batch, stamps, attempts=attempts, reading=suspect)
        isolated = read_isolated(
            self.reader, stamps, self.source.resolve, attempts=attempts, suspect=suspect,
            note=lambda path: self.store.write_pending(batch, stamps, attempts=attempts, reading=path),
        )
        read = isolated.batch
        crash_point("after_read")
        for name, row in (read.report.get("files") or {}).items():
            if row.get("quarantined"):
                log.warning("%s: %d rows quarantined", name, row["quarantined"])
        by_path = {str(self.source.resolve(s)): s for s in stamps}
        entries = row_entries(read.quarantine, by_path, batch)
        entries += [file_entry(stamp, batch, reason, detail) for stamp, reason, detail in isolated.poison]
        self.quarantine.add(entries)
        self.state.stats["quarantined_files"] = (
            self.state.stats.get("quarantined_files", 0) + len(isolated.poison))
        unreadable = {str(p) for p in read.report.get("unreadable", {})}
        kept = []
        for stamp in stamps:
            path = str(self.source.resolve(stamp))
            if path in unreadable:  # not recorded: read again once it can be (e.g. its mapping lands)
                if (stamp.path, stamp.sha256) not in self._warned:
                    self._warned.add((stamp.path, stamp.sha256))
                    log.warning("%s: %s", path, read.report["unreadable"][path])
                continue
            kept.append(stamp)  # poison files too: recorded as read, never read again
        return kept, read.posts, read.quarantined

    # -- one step -------------------------------------------------------------------------
    def step(self, posts: pl.DataFrame | None = None, *, cursor: datetime | None = None) -> StepResult:
        """Run one batch: files from the source folder, or ``posts`` given (replay).

        A batch of files whose processing raises (a value the reader took but a later stage
        cannot) is not retried as it was: the state is reloaded from the last checkpoint,
        the failure is noted in ``pending.json``, and the next step takes the batch's first
        file alone; a single file that still fails is quarantined (``quarantine.jsonl``) and
        recorded as read. The files beside it go on; nothing replays into the same crash."""
        self._batch_stamps: list = []
        try:
            with small_queries():  # a batch's queries are small (see small_queries)
                return self._step(posts, cursor=cursor)
        except Exception as exc:  # noqa: BLE001 - attributed to the batch's files, see above
            stamps = self._batch_stamps
            if not stamps or isinstance(exc, OSError | MemoryError):  # not the content's doing
                raise
            batch = self.state.batch + 1
            note = self.store.pending_note(batch) or {"attempts": 0}
            detail = f"{type(exc).__name__}: {exc}".splitlines()[0][:500]
            log.error("batch %d (%d files) failed: %s; %s", batch, len(stamps), detail,
                      "quarantining the file" if len(stamps) == 1 else "retrying its first file alone")
            self.store.write_pending(batch, stamps, attempts=note["attempts"], failed=detail)
            self.state = self.store.load()  # the last checkpoint is the truth
            self.pipeline.state = self.state.pipeline
            self.escalations.reset()
            self._unsaved_posts, self._unsaved_assign = [], []
            self._ledger_dirty = self._gradings_dirty = False
            return StepResult(batch=batch, files=len(stamps))

    def _step(self, posts: pl.DataFrame | None, *, cursor: datetime | None) -> StepResult:
        started = time.perf_counter()
        state = self.state
        batch = state.batch + 1
        result = StepResult(batch=batch)
        now = self.clock.now()
        stamps: list = []
        if posts is None and self.source is not None:
            stamps, posts, result.quarantined = self._file_inputs(batch)
            self._batch_stamps = stamps
            result.files = len(stamps)
        if posts is None:
            posts = empty(POST_SCHEMA)
        posts = conform(posts, POST_SCHEMA) if posts.height else empty(POST_SCHEMA)

        delta = self.pipeline.feed(posts, now)
        for name, seconds in delta.seconds.items():
            self.timings[name] = self.timings.get(name, 0.0) + seconds
        fresh, new_assign = delta.new_posts, delta.assignments
        findings, gradings = delta.findings, delta.gradings
        result.duplicates = delta.duplicates
        result.new_posts = fresh.height
        result.touched = len(delta.touched)
        held = self.pipeline.state
        all_gradings, all_findings = held.gradings, held.findings
        level_alerts, levels = self._level_alerts(gradings, findings, now, batch)
        down_alerts, settled = self._downgrades(all_gradings, all_findings, now, batch, skip=levels)
        level_alerts += down_alerts
        levels.update(settled)
        t = time.perf_counter()
        if self.escalations.primed:
            escalations = self.escalations.step(self._with_reached(gradings, levels), findings, now=now)
        else:  # first call since start: the escalation state is rebuilt from all events
            escalations = self.escalations.step(
                self._with_reached(all_gradings, {**state.levels, **levels}), all_findings, now=now)
        self._tick("escalations", t)
        esc_alerts = [
            self._escalation_alert(e, all_gradings, all_findings, now, batch)
            for e in escalations
            if e.key not in state.escalated
        ]
        alerts = level_alerts + esc_alerts

        changed = bool(fresh.height or stamps or alerts or gradings.height or settled)
        if not changed:  # nothing worth a checkpoint (an empty replay slice is redone cheaply)
            if cursor is not None:
                state.cursor = _iso(cursor)
            result.seconds = time.perf_counter() - started
            return result

        self._batch_stamps = []  # from here on a failure is not the files' doing
        # 1. the feed (fsync): an alert exists once it is here
        t = time.perf_counter()
        result.alerts = self.feed.append_new(alerts)
        if result.alerts:
            crash_point("after_feed")
        # 2. the new state, committed atomically
        state.batch = batch
        state.pipeline = held
        state.levels.update(levels)
        state.escalated |= {e.key for e in escalations}
        for stamp in stamps:
            state.files[stamp.path] = stamp
        if cursor is not None:
            state.cursor = _iso(cursor)
        state.clock = _iso(now)
        stats = state.stats
        stats["posts"] = state.posts.height
        stats["duplicates"] = stats.get("duplicates", 0) + result.duplicates
        stats["quarantined"] = stats.get("quarantined", 0) + result.quarantined
        stats["alerts"] = len(self.feed.alerts)
        self._unsaved_posts.append(fresh)
        self._unsaved_assign.append(new_assign)
        self._ledger_dirty |= bool(fresh.height)
        self._gradings_dirty |= bool(gradings.height or fresh.height)
        if stamps or self.checkpoint_s <= 0 or time.monotonic() - self._last_commit >= self.checkpoint_s:
            self.commit()
            result.committed = True
            crash_point("after_commit")
        self._tick("commit", t)
        for alert in result.alerts:
            if self.on_alert:
                self.on_alert(alert)
        # 3. deliveries
        if self.outbox is not None:
            self.outbox.flush()
        result.seconds = time.perf_counter() - started
        return result

    def _tick(self, name: str, started: float) -> None:
        self.timings[name] = self.timings.get(name, 0.0) + time.perf_counter() - started

    def commit(self) -> None:
        """Write what changed since the last checkpoint, then the checkpoint itself."""
        if not self._unsaved_posts and not self._ledger_dirty and not self._gradings_dirty:
            if self.state.batch == self._committed_batch:
                return
        posts = [p for p in self._unsaved_posts if p.height]
        assign = [a for a in self._unsaved_assign if a.height]
        self.store.commit(
            self.state,
            new_posts=pl.concat(posts, how="vertical") if posts else empty(POST_SCHEMA),
            new_assignments=(
                pl.concat(assign, how="vertical") if assign else empty(ASSIGNMENT_SCHEMA)
            ),
            ledger_changed=self._ledger_dirty,
            gradings_changed=self._gradings_dirty,
        )
        self._unsaved_posts, self._unsaved_assign = [], []
        self._ledger_dirty = self._gradings_dirty = False
        self._last_commit = time.monotonic()
        self._committed_batch = self.state.batch
        committed = getattr(self.source, "committed", None)
        if committed is not None:  # a broker source acknowledges what the checkpoint holds
            committed(self.state)

    # -- alerts ---------------------------------------------------------------------------
    def _level_alerts(self, gradings, findings, now, batch) -> tuple[list[dict], dict]:
        """Alerts for the events graded in this batch: raises at once, downgrades once the
        held level's quiet period has run out (``levels.observe``)."""
        alerts, levels = [], {}
        if not gradings.height:
            return alerts, levels
        figures = {r["event_id"]: r for r in findings.iter_rows(named=True)}
        for row in gradings.iter_rows(named=True):
            event = row["event_id"]
            finding = figures.get(event, {})
            nature = row.get("nature")
            entry, change = observe(
                self.state.levels.get(event), row["level"] or WATCH, now,
                lambda level, nature=nature: self.policy.quiet_hours(level, nature),
                first_seen=finding.get("first_seen"), nature=nature,
            )
            levels[event] = entry
            if change is not None:
                alerts.append(self._alert(kind=change.kind, event=event, level=change.level,
                                          previous=change.previous, n=change.n, grading=row,
                                          finding=finding, now=now, batch=batch, entry=entry))
        return alerts, levels

    def _downgrades(self, gradings, findings, now, batch, *, skip) -> tuple[list[dict], dict]:
        """The sweep: events not graded in this batch whose downgrade fell due by ``now``."""
        alerts, levels = [], {}
        candidates = [e for e in pending(self.state.levels) if e not in skip]
        if not candidates:
            return alerts, levels
        live = set(gradings.get_column("event_id").to_list()) if gradings.height else set()
        for event in candidates:
            if event not in live:  # merged into another event: no longer graded
                continue
            nature = record(self.state.levels[event]).get("nature")
            entry, change = settle(self.state.levels[event], now,
                                   lambda level, nature=nature: self.policy.quiet_hours(level, nature))
            if change is None:
                continue
            levels[event] = entry
            alerts.append(self._alert(kind=change.kind, event=event, level=change.level,
                                      previous=change.previous, n=change.n,
                                      grading=_row(gradings, event), finding=_row(findings, event),
                                      now=now, batch=batch, entry=entry))
        return alerts, levels

    @staticmethod
    def _with_reached(gradings: pl.DataFrame, levels: dict) -> pl.DataFrame:
        """``gradings`` for the escalation: each event at the level it holds, with
        ``level_reached_at``, when it reached that level (the deadlines run from there)."""
        if not gradings.height:
            return gradings
        ids = gradings.get_column("event_id").to_list()
        entries = [record(levels.get(e)) for e in ids]
        held = [e["level"] for e in entries]
        reached = [e.get("reached_at") for e in entries]
        return gradings.with_columns(
            pl.Series("level", held, dtype=pl.Utf8).fill_null(gradings.get_column("level")),
            pl.Series("level_reached_at", reached, dtype=pl.Utf8)
            .str.to_datetime(time_zone="UTC", strict=False)
            .cast(pl.Datetime("us", "UTC"))
        )

    def _deadlines(self, level: str, grading: dict, start: datetime | None) -> list[dict]:
        """The measures of ``level`` with their due times counted from ``start``, when the
        level was reached (the grading's own are counted from the event's first post)."""
        measures = list(grading.get("measures") or []) if grading.get("level") == level else None
        if measures is None:
            measures = self.policy.measures(level, grading.get("nature")) or []
        out = []
        for m in measures:
            m = dict(m)
            if start is not None and m.get("deadline_hours") is not None:
                m["due_at"] = start + timedelta(hours=float(m["deadline_hours"]))
            out.append(_jsonable(m))
        return out

    def _alert(self, *, kind, event, level, previous, n, grading, finding, now, batch,
               entry=None, deadlines_from: datetime | None = None) -> dict:
        try:
            why = orjson.loads(grading["trace"]) if grading.get("trace") else []
        except orjson.JSONDecodeError:
            why = grading.get("trace")
        same = grading.get("level") == level
        entry = record(entry) if entry else {}
        start = deadlines_from or _parse(entry.get("reached_at"))
        deadlines = self._deadlines(level, grading, start)
        return {
            "alert_id": alert_id(event, n, previous, level),
            "kind": kind,
            "event_id": event,
            "title": finding.get("title"),
            "level": level,
            "level_name": self.policy.name(level) or (grading.get("level_name") if same else None),
            "colour": self.policy.colour(level) or (grading.get("colour") if same else None),
            "previous_level": previous,
            "graded_level": grading.get("level"),
            "at": _iso(now),
            "batch": batch,
            "nature": grading.get("nature"),
            "why": why,
            "fired_rules": grading.get("fired_rules") or [],
            "owners": sorted({m["owner"] for m in deadlines if m.get("owner")}),
            "deadlines": deadlines,
            "level_reached_at": entry.get("reached_at"),
            "first_seen": entry.get("first_seen") or _iso(finding.get("first_seen")),
            "key_figures": {k: _jsonable(finding.get(k)) for k in KEY_FIGURES if k in finding},
            "rules_version": grading.get("rules_version"),
            "rules_hash": grading.get("rules_hash"),
        }

    def _escalation_alert(self, esc: Escalation, gradings, findings, now, batch) -> dict:
        grading = _row(gradings, esc.event_id)
        finding = _row(findings, esc.event_id)
        entry = self.state.levels.get(esc.event_id)
        prev = record(entry)["level"]
        # the measures of the level escalated to run from the escalation
        alert = self._alert(
            kind="escalation", event=esc.event_id, level=esc.level, previous=prev, n=0,
            grading=grading, finding=finding, now=now, batch=batch, entry=entry,
            deadlines_from=now,
        )
        alert["alert_id"] = alert_id(esc.event_id, "escalation", esc.key)
        if esc.detail.get("notify"):
            alert["owners"] = sorted(set(alert["owners"]) | set(esc.detail["notify"]))
        alert["escalation"] = {
            "key": esc.key, "due_at": _iso(esc.due_at), "reason": esc.reason, **_jsonable(esc.detail),
        }
        return alert

    # -- running --------------------------------------------------------------------------
    def run(self, *, interval: float = 10.0, once: bool = False, max_steps: int | None = None,
            on_step: Callable[[StepResult], None] | None = None) -> None:
        """Step every ``interval`` seconds; ``once``: step until a pass finds nothing new."""
        steps = 0
        while True:
            result = self.step()
            steps += 1
            if on_step:
                on_step(result)
            if once and not result.files and not result.new_posts:
                return
            if max_steps is not None and steps >= max_steps:
                return
            if not once:
                self.clock.sleep(interval)

    def next_downgrade_at(self) -> datetime | None:
        """The earliest time a held level's quiet period runs out (a replay does not jump
        over it, so the downgrade is stamped when it fell due)."""
        due = [
            d for event in pending(self.state.levels)
            if (d := downgrade_due(self.state.levels[event], lambda level, e=event: self.policy.quiet_hours(
                level, record(self.state.levels[e]).get("nature")))) is not None
        ]
        return min(due, default=None)

    def live_levels(self) -> bool:
        """Any event currently at a level I–IV (its deadlines may still escalate)."""
        return any(record(v)["level"] not in (None, WATCH) for v in self.state.levels.values())


def _parse(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


def _row(frame: pl.DataFrame, event_id: str) -> dict:
    if not frame.height:
        return {}
    hit = frame.filter(pl.col("event_id") == event_id)
    return hit.row(0, named=True) if hit.height else {}
