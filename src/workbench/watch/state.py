"""The watch's checkpointed state, written so that ``kill -9`` at any moment loses nothing.

Layout of the state folder::

    checkpoint.json            the commit point: batch number, files read, the segment list,
                               the current ledger / gradings files, levels, replay cursor
    posts-<batch>.parquet      posts accepted in that batch (POST_SCHEMA)
    assign-<batch>.parquet     assignments made in that batch (ASSIGNMENT_SCHEMA; a later
                               row for the same post wins)
    ledger-<batch>/            the event ledger after that batch (``Ledger.save``: Parquet
                               tables and meta.json, no pickle)
    gradings-<batch>.parquet   latest grading of every event after that batch
    findings-<batch>.parquet   latest findings of every event after that batch
    topics-<batch>.parquet     titles / keywords of every event after that batch
    pending.json               write-ahead note of the files the next batch reads (a batch
                               redone after a crash reads the same files), with the number of
                               attempts and the file being read (poison files: quarantine.py)
    quarantine.jsonl           rows and whole files the watch could not take (quarantine.py)
    alerts.jsonl               the alert feed (see alerts.py)
    delivered.jsonl            webhook deliveries (see alerts.py)
    lock                       held (flock) by the running watch

These are the tables of ``workbench.pipeline.PipelineState`` (the pipeline's own saved form,
``workbench.pipeline.state``, holds the same tables in one folder); the loop's
``WatchState.pipeline`` is the state the pipeline feeds on. Checkpoint format 2 (format 1
pickled the ledger; such a folder is refused with a message: replay it into a new one).

Every file is written to a temporary name, fsynced and renamed (``os.replace``); the new
``checkpoint.json`` is written the same way last, so a batch is committed exactly when its
checkpoint lands. Files that no checkpoint references (a batch cut short by a crash) are
removed on load, and the batch is redone from its inputs: files not recorded as read are
read again, and posts whose ``post_id`` is already in the state are dropped, so no post is
lost or counted twice. Alerts are appended to the feed (fsync) *before* the checkpoint; a
redone batch recomputes the same deterministic alert ids and the feed skips ids it holds.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import polars as pl

from workbench.pipeline import PipelineState, latest_assignments
from workbench.schema import (
    FINDINGS_SCHEMA,
    GRADING_SCHEMA,
    conform,
)
from workbench.watch.faults import crash_point
from workbench.watch.sources import FileStamp

CHECKPOINT = "checkpoint.json"
FORMAT = 2
_VERSIONED = re.compile(r"^((posts|assign|gradings|findings|topics)-(\d+)\.parquet|ledger-(\d+))$")


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def atomic_write_parquet(path: Path, frame: pl.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    frame.write_parquet(tmp)
    with open(tmp, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


def atomic_write_dir(path: Path, write) -> None:
    """``write(folder)`` into a temporary folder, fsync its files, rename it to ``path``
    (a crash leaves either no ``path`` or a complete one)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    write(tmp)
    for child in tmp.iterdir():
        with open(child, "rb") as handle:
            os.fsync(handle.fileno())
    fsync_dir(tmp)
    if path.exists():
        shutil.rmtree(path)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass
class WatchState:
    """Everything the loop knows, in memory. ``StateDir`` loads and commits it."""

    batch: int = 0
    files: dict[str, FileStamp] = field(default_factory=dict)
    # posts, assignments, ledger, findings, gradings, topics: what the pipeline feeds on
    pipeline: PipelineState = field(default_factory=PipelineState)
    # event_id -> [last graded level, alerts raised so far, ever held a level I-IV (0/1)]
    levels: dict[str, list] = field(default_factory=dict)
    escalated: set[str] = field(default_factory=set)  # escalation keys already alerted
    cursor: str | None = None  # replay: ISO time up to which posts were fed (exclusive)
    clock: str | None = None  # clock time of the last committed batch
    stats: dict = field(default_factory=dict)
    segments: list[int] = field(default_factory=list)  # batches with posts/assign files

    @property
    def n_posts(self) -> int:
        return self.posts.height

    # the pipeline's tables, by name
    posts = property(lambda self: self.pipeline.posts,
                     lambda self, v: setattr(self.pipeline, "posts", v))
    assignments = property(lambda self: self.pipeline.assignments,
                           lambda self, v: setattr(self.pipeline, "assignments", v))
    ledger = property(lambda self: self.pipeline.ledger,
                      lambda self, v: setattr(self.pipeline, "ledger", v))
    gradings = property(lambda self: self.pipeline.gradings,
                        lambda self, v: setattr(self.pipeline, "gradings", v))
    findings = property(lambda self: self.pipeline.findings,
                        lambda self, v: setattr(self.pipeline, "findings", v))
    topics = property(lambda self: self.pipeline.topics,
                      lambda self, v: setattr(self.pipeline, "topics", v))


class StateLocked(RuntimeError):
    pass


class StateDir:
    """Load and commit ``WatchState`` in a folder (see the module docstring)."""

    def __init__(self, root: str | Path, *, compact_every: int = 64):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.compact_every = compact_every
        self._lock_handle = None

    # -- locking ------------------------------------------------------------------------
    def lock(self) -> None:
        handle = open(self.root / "lock", "a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise StateLocked(f"{self.root} is in use by another watch") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._lock_handle = handle

    def unlock(self) -> None:
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    # -- paths --------------------------------------------------------------------------
    def path(self, kind: str, batch: int) -> Path:
        if kind == "ledger":  # a folder (Ledger.save)
            return self.root / f"ledger-{batch:08d}"
        return self.root / f"{kind}-{batch:08d}.parquet"

    @property
    def feed_path(self) -> Path:
        return self.root / "alerts.jsonl"

    @property
    def quarantine_path(self) -> Path:
        return self.root / "quarantine.jsonl"

    @property
    def delivered_path(self) -> Path:
        return self.root / "delivered.jsonl"

    # -- write-ahead note of the next batch's files ----------------------------------------
    def write_pending(self, batch: int, stamps: list[FileStamp], *, attempts: int = 0,
                      reading: str | None = None, failed: str | None = None) -> None:
        """``attempts``: earlier starts of this batch (cut short by a crash); ``reading``: the
        file being read when reading file by file (see ``quarantine.py``); ``failed``: the
        error that processing the batch raised (see ``WatchLoop.step``)."""
        note = {"batch": batch, "files": [s.to_dict() for s in stamps], "attempts": attempts,
                "reading": reading, "failed": failed}
        atomic_write_bytes(self.root / "pending.json", orjson.dumps(note))

    def pending_note(self, batch: int) -> dict | None:
        """The note of ``batch`` (files as FileStamps) if a crash cut that batch short."""
        path = self.root / "pending.json"
        if not path.exists():
            return None
        note = orjson.loads(path.read_bytes())
        if note.get("batch") != batch:
            return None
        return {**note, "files": [FileStamp.from_dict(d) for d in note["files"]],
                "attempts": int(note.get("attempts") or 0)}

    def read_pending(self, batch: int) -> list[FileStamp] | None:
        """The files noted for ``batch`` if a crash cut that batch short, else None."""
        note = self.pending_note(batch)
        return None if note is None else note["files"]

    # -- load ---------------------------------------------------------------------------
    def read_checkpoint(self) -> dict | None:
        path = self.root / CHECKPOINT
        if not path.exists():
            return None
        try:
            data = orjson.loads(path.read_bytes())
        except orjson.JSONDecodeError as exc:  # cannot happen with atomic writes
            raise ValueError(f"{path}: corrupt checkpoint: {exc}") from exc
        if data.get("format") != FORMAT:
            hint = (" (format 1 pickled the event ledger; replay the data into a new state folder)"
                    if data.get("format") == 1 else "")
            raise ValueError(f"{path}: checkpoint format {data.get('format')} != {FORMAT}{hint}")
        return data

    def load(self) -> WatchState:
        data = self.read_checkpoint()
        state = WatchState()
        if data is not None:
            state.batch = data["batch"]
            state.files = {k: FileStamp.from_dict(v) for k, v in data["files"].items()}
            state.segments = list(data["segments"])
            state.levels = dict(data["levels"])
            state.escalated = set(data["escalated"])
            state.cursor = data.get("cursor")
            state.clock = data.get("clock")
            state.stats = dict(data.get("stats", {}))
            posts = [pl.read_parquet(self.path("posts", b)) for b in state.segments]
            if posts:
                state.posts = pl.concat(posts, how="vertical").rechunk()
            assign = [pl.read_parquet(self.path("assign", b)) for b in state.segments]
            if assign:
                state.assignments = latest_assignments(pl.concat(assign, how="vertical")).rechunk()
            if data.get("ledger") is not None:
                from workbench.events.identity import Ledger

                state.ledger = Ledger.load(self.path("ledger", data["ledger"]))
            if data.get("gradings") is not None:
                state.gradings = conform(pl.read_parquet(self.path("gradings", data["gradings"])),
                                         GRADING_SCHEMA)
                state.findings = conform(pl.read_parquet(self.path("findings", data["gradings"])),
                                         FINDINGS_SCHEMA)
                topics = self.path("topics", data["gradings"])
                if topics.exists():
                    state.topics = pl.read_parquet(topics)
            state.pipeline.feeds = state.batch
            state.pipeline.now = state.clock
        self._ledger_batch = data.get("ledger") if data else None
        self._gradings_batch = data.get("gradings") if data else None
        self._remove_unreferenced(state)
        return state

    def _referenced(self, state: WatchState) -> set[str]:
        names = set()
        for b in state.segments:
            names.add(self.path("posts", b).name)
            names.add(self.path("assign", b).name)
        if self._ledger_batch is not None:
            names.add(self.path("ledger", self._ledger_batch).name)
        if self._gradings_batch is not None:
            names.add(self.path("gradings", self._gradings_batch).name)
            names.add(self.path("findings", self._gradings_batch).name)
            names.add(self.path("topics", self._gradings_batch).name)
        return names

    def _remove_unreferenced(self, state: WatchState) -> None:
        keep = self._referenced(state)
        for path in self.root.iterdir():
            stale_tmp = path.name.startswith(".") and path.name.endswith(".tmp")
            if stale_tmp or (_VERSIONED.match(path.name) and path.name not in keep):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)

    # -- commit -------------------------------------------------------------------------
    def commit(
        self,
        state: WatchState,
        *,
        new_posts: pl.DataFrame,
        new_assignments: pl.DataFrame,
        ledger_changed: bool = True,
        gradings_changed: bool = True,
    ) -> None:
        """Write the batch's files, then the checkpoint (the commit point), then tidy up."""
        batch = state.batch
        if new_posts.height or new_assignments.height:
            atomic_write_parquet(self.path("posts", batch), new_posts)
            atomic_write_parquet(self.path("assign", batch), new_assignments)
            state.segments.append(batch)
        if len(state.segments) > self.compact_every:
            # one segment with everything (the in-memory tables are the truth)
            atomic_write_parquet(self.path("posts", batch), state.posts)
            atomic_write_parquet(self.path("assign", batch), state.assignments)
            state.segments = [batch]
        if ledger_changed and state.ledger is not None:
            atomic_write_dir(self.path("ledger", batch), state.ledger.save)
            self._ledger_batch = batch
        if gradings_changed:
            atomic_write_parquet(self.path("gradings", batch), state.gradings)
            atomic_write_parquet(self.path("findings", batch), state.findings)
            atomic_write_parquet(self.path("topics", batch), state.topics)
            self._gradings_batch = batch
        crash_point("mid_commit")
        checkpoint = {
            "format": FORMAT,
            "batch": batch,
            "files": {k: v.to_dict() for k, v in sorted(state.files.items())},
            "segments": state.segments,
            "ledger": self._ledger_batch,
            "gradings": self._gradings_batch,
            "levels": state.levels,
            "escalated": sorted(state.escalated),
            "cursor": state.cursor,
            "clock": state.clock,
            "stats": state.stats,
        }
        atomic_write_bytes(self.root / CHECKPOINT, orjson.dumps(checkpoint, option=orjson.OPT_INDENT_2))
        self._remove_unreferenced(state)
