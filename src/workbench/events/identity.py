"""Event identity over time: the ledger.

An event keeps its id (``E000001``...) when a case is re-run and when new posts arrive.
The ledger remembers every post's event, each event's centroid and time span, and a
history of what happened (``open``, ``merge``, ``split``). It is saved as a directory:
``events.parquet``, ``members.parquet``, ``history.parquet``, ``pending.parquet`` (absent
in ledgers saved before it existed) and ``meta.json``.

- Re-run on the same posts: every post is known, so every post keeps its event.
- New posts: a post whose cascade already has an event follows it (``cascade``); a new
  cascade joins the closest existing event when the text+time distance is within the
  threshold (``nearest``); the rest are clustered among themselves and open new events.
- Wordless reposts (empty, or only a ``//@name:`` chain) whose root is neither in the
  batch nor in the ledger carry nothing to place them by: in incremental use they get no
  event (``how='waiting_root'``, null ``event_id``), no centroid is touched, and they are
  kept in ``pending``; when their root gets an event they follow it (``cascade``).
- Merges: when new posts pull two events together (centroid distance under
  ``merge_threshold``), the younger is merged into the older (status ``merged``,
  ``merged_into``); its posts move; its id stays resolvable.
- Splits: a full re-clustering (``recluster=True``) maps new clusters to old ids by
  shared posts; an old event whose posts now form two clusters keeps its id on the larger
  and the other opens a new id recorded as a ``split`` from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from workbench.schema import UTC_TIME

EVENT_LEDGER_SCHEMA = pl.Schema({
    "event_id": pl.Utf8,
    "status": pl.Utf8,  # active | merged
    "merged_into": pl.Utf8,
    "first_seen": UTC_TIME,
    "last_seen": UTC_TIME,
    "n_posts": pl.Int64,
    "centroid": pl.List(pl.Float32),  # mean of the event's cascade vectors (not normalised)
    "opened_run": pl.Int64,
    "updated_run": pl.Int64,
})
MEMBER_SCHEMA = pl.Schema({
    "post_id": pl.Utf8, "event_id": pl.Utf8, "how": pl.Utf8, "score": pl.Float64,
    "run": pl.Int64,
})
PENDING_SCHEMA = pl.Schema({
    "post_id": pl.Utf8, "root_id": pl.Utf8, "created_at": UTC_TIME, "run": pl.Int64,
})
HISTORY_SCHEMA = pl.Schema({
    "run": pl.Int64, "kind": pl.Utf8, "event_id": pl.Utf8, "other": pl.Utf8,
    "n_posts": pl.Int64, "at": UTC_TIME,
})


def format_id(number: int) -> str:
    return f"E{number:06d}"


@dataclass
class Ledger:
    events: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=EVENT_LEDGER_SCHEMA))
    members: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=MEMBER_SCHEMA))
    history: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=HISTORY_SCHEMA))
    # wordless reposts whose root has not arrived: no event and no centroid until it does
    pending: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PENDING_SCHEMA))
    next_number: int = 1
    runs: int = 0
    model_id: str | None = None
    config: dict = field(default_factory=dict)
    # {merged id: merged_into}, read from the ``events`` frame it was built from (the frame
    # is replaced, never changed in place, whenever an event changes)
    _merges: tuple = field(default=(None, {}), repr=False, compare=False)
    _centroids: tuple = field(default=(None, None), repr=False, compare=False)  # likewise

    # ---------------------------------------------------------------- ids
    def new_id(self) -> str:
        eid = format_id(self.next_number)
        self.next_number += 1
        return eid

    def resolve(self, event_id: str) -> str:
        """Follow ``merged_into`` to the event that now holds a (possibly merged) id."""
        return self.resolve_all([event_id])[event_id]

    def resolve_all(self, event_ids) -> dict[str, str]:
        """``resolve`` of many ids, reading the merges once: {id: the event holding it}."""
        merged = self.merges()
        out = {}
        for start in event_ids:
            event_id, seen = start, set()
            while event_id in merged and event_id not in seen:
                seen.add(event_id)
                event_id = merged[event_id]
            out[start] = event_id
        return out

    def merges(self) -> dict[str, str]:
        """{merged event id: the event it was merged into}, read once per ``events`` frame."""
        source, merged = self._merges
        if source is not self.events:
            merged = dict(self.events.filter(pl.col("status") == "merged")
                          .select("event_id", "merged_into").iter_rows())
            self._merges = (self.events, merged)
        return merged

    def this_run(self, kind: str) -> pl.DataFrame:
        """The history rows of ``kind`` recorded in the last run (history is appended in run
        order, so they are its tail: found by binary search, not a scan)."""
        runs = self.history.get_column("run")
        if not runs.len() or runs[-1] != self.runs:
            return self.history.clear()
        tail = self.history.slice(runs.search_sorted(self.runs, side="left"))
        return tail.filter(pl.col("kind") == kind)

    @property
    def is_empty(self) -> bool:
        return self.members.height == 0

    def active(self) -> pl.DataFrame:
        return self.events.filter(pl.col("status") == "active").sort("event_id")

    def centroids(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        """Active events: ids, centroid matrix, first and last seen (hours since epoch);
        read once per ``events`` frame (the arrays are shared: do not change them)."""
        source, out = self._centroids
        if source is not self.events:
            out = self._read_centroids()
            self._centroids = (self.events, out)
        return out

    def _read_centroids(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
        act = self.active()
        ids = act["event_id"].to_list()
        if not ids:
            return ids, np.zeros((0, 0), np.float32), np.zeros(0), np.zeros(0)
        col = act["centroid"]
        if col.null_count() == 0 and col.list.len().n_unique() == 1:  # one block, no lists
            cent = col.explode().to_numpy().astype(np.float32).reshape(len(ids), -1)
        else:
            cent = np.vstack([np.asarray(c, dtype=np.float32) for c in col.to_list()])
        first = act["first_seen"].dt.epoch("s").to_numpy() / 3600.0
        last = act["last_seen"].dt.epoch("s").to_numpy() / 3600.0
        return ids, cent, first, last

    def record(self, kind: str, event_id: str, other: str | None = None,
               n_posts: int | None = None) -> None:
        row = pl.DataFrame([{"run": self.runs, "kind": kind, "event_id": event_id,
                             "other": other, "n_posts": n_posts,
                             "at": datetime.now(UTC)}], schema=HISTORY_SCHEMA)
        self.history = pl.concat([self.history, row])

    # ---------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        self.events.write_parquet(d / "events.parquet")
        self.members.write_parquet(d / "members.parquet")
        self.history.write_parquet(d / "history.parquet")
        self.pending.write_parquet(d / "pending.parquet")
        meta = {"next_number": self.next_number, "runs": self.runs,
                "model_id": self.model_id, "config": self.config, "format": 1}
        (d / "meta.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False), "utf-8")
        return d

    @classmethod
    def load(cls, directory: str | Path) -> Ledger:
        d = Path(directory)
        meta_path = d / "meta.json"
        if not meta_path.exists():
            raise FileNotFoundError(f"no event ledger in {d} (missing meta.json)")
        meta = json.loads(meta_path.read_text("utf-8"))
        return cls(
            events=pl.read_parquet(d / "events.parquet").cast(EVENT_LEDGER_SCHEMA),
            members=pl.read_parquet(d / "members.parquet").cast(MEMBER_SCHEMA),
            history=pl.read_parquet(d / "history.parquet").cast(HISTORY_SCHEMA),
            pending=(pl.read_parquet(d / "pending.parquet").cast(PENDING_SCHEMA)
                     if (d / "pending.parquet").exists() else pl.DataFrame(schema=PENDING_SCHEMA)),
            next_number=int(meta["next_number"]), runs=int(meta["runs"]),
            model_id=meta.get("model_id"), config=meta.get("config") or {},
        )

    @classmethod
    def open(cls, directory: str | Path) -> Ledger:
        """Load the ledger in ``directory``, or a new empty one if there is none yet."""
        return cls.load(directory) if (Path(directory) / "meta.json").exists() else cls()
