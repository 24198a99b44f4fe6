"""What the watch could not take, kept aside: ``quarantine.jsonl`` in the state folder.

Two kinds of entry (one JSON object per line, fsynced, torn tail repaired like the feed):

- **rows** the reader rejected (``kind: 'row'``): source_file, source_row, reason, detail,
  raw (the reader's own quarantine, ``QUARANTINE_SCHEMA``);
- **poison files** (``kind: 'file'``, source_row -1): a file whose reading raised, or during
  whose reading the watch died twice. The file is recorded as read, so the watch goes on
  with the files beside it and never reads it again unless its content changes (a new
  SHA-256 is a new file).

``read_isolated`` is how a batch of files is read: all at once (the fast path); if the
reader raises, file by file, and a file that raises alone is poison. When the batch was
already cut short twice (a crash that is not an exception: the pending note counts the
attempts), it reads file by file from the start and notes each file in ``pending.json``
before reading it; a file noted there when the process died is poison without another
try. A restart therefore never replays into the same crash.

Entries are keyed (file hash + row); a batch redone after a crash does not repeat them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.schema import POST_SCHEMA, empty
from workbench.watch.alerts import JsonlLog
from workbench.watch.faults import crash_point
from workbench.watch.pipeline import Batch, Reader
from workbench.watch.sources import FileStamp

log = logging.getLogger("workbench.watch")

CAREFUL_AFTER = 2  # attempts of a batch cut short before its files are read one by one


class QuarantineLog(JsonlLog):
    def __init__(self, path: str | Path):
        super().__init__(path)
        self.keys: set[str] = {r["key"] for r in self.read() if "key" in r}

    def add(self, entries: list[dict]) -> int:
        fresh = [e for e in entries if e["key"] not in self.keys]
        self.keys |= {e["key"] for e in fresh}
        return self.append(fresh)


def file_entry(stamp: FileStamp, batch: int, reason: str, detail: str) -> dict:
    return {"key": f"{stamp.sha256}:-1", "kind": "file", "source_file": stamp.path,
            "source_row": -1, "sha256": stamp.sha256, "reason": reason, "detail": detail[:2000],
            "batch": batch, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def row_entries(frame: pl.DataFrame | None, stamps: dict[str, FileStamp], batch: int) -> list[dict]:
    """The reader's quarantined rows as entries (``stamps``: by resolved path)."""
    if frame is None or not frame.height:
        return []
    out = []
    for r in frame.iter_rows(named=True):
        stamp = stamps.get(str(r.get("source_file")))
        digest = stamp.sha256 if stamp else str(r.get("source_file"))
        out.append({"key": f"{digest}:{r.get('source_row')}:{r.get('reason')}", "kind": "row",
                    **r, "batch": batch})
    return out


@dataclass
class IsolatedRead:
    batch: Batch
    poison: list[tuple[FileStamp, str, str]]  # (file, reason, detail)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]


def _merge(parts: list[Batch]) -> Batch:
    if not parts:
        return Batch(posts=empty(POST_SCHEMA))
    report: dict = {"files": {}, "unreadable": {}}
    for p in parts:
        report["files"].update(p.report.get("files") or {})
        report["unreadable"].update(p.report.get("unreadable") or {})
    frames = [p.quarantine for p in parts if p.quarantine is not None and p.quarantine.height]
    posts = [p.posts for p in parts if p.posts.height]
    return Batch(
        posts=pl.concat(posts, how="vertical_relaxed") if posts else empty(POST_SCHEMA),
        quarantined=sum(p.quarantined for p in parts),
        report=report,
        quarantine=pl.concat(frames, how="vertical_relaxed") if frames else None,
    )


def read_isolated(reader: Reader, stamps: list[FileStamp], resolve: Callable[[FileStamp], Path],
                  *, attempts: int = 0, suspect: str | None = None,
                  note: Callable[[str | None], None] | None = None) -> IsolatedRead:
    """Read ``stamps`` with ``reader.read``; see the module docstring."""
    if attempts < CAREFUL_AFTER:
        for stamp in stamps:
            crash_point(f"reading {stamp.path}")
        try:
            return IsolatedRead(reader.read([resolve(s) for s in stamps]), [])
        except Exception as exc:  # noqa: BLE001 - any reader failure: find the file
            log.warning("reading %d files failed (%s); reading them one by one",
                        len(stamps), _describe(exc))
    parts, poison = [], []
    for stamp in stamps:
        if stamp.path == suspect:
            poison.append((stamp, "crashed_reader",
                           f"the watch died while reading this file ({attempts} attempts)"))
            continue
        if note is not None and attempts >= CAREFUL_AFTER:
            note(stamp.path)
        crash_point(f"reading {stamp.path}")
        try:
            parts.append(reader.read([resolve(stamp)]))
        except Exception as exc:  # noqa: BLE001 - a poison file: kept aside, the rest goes on
            poison.append((stamp, "read_failed", _describe(exc)))
    if note is not None and attempts >= CAREFUL_AFTER:
        note(None)
    for stamp, reason, detail in poison:
        log.error("%s: quarantined as a whole file (%s): %s", stamp.path, reason, detail)
    return IsolatedRead(_merge(parts), poison)
