"""Growing held tables (posts, assignments) touched a few rows at a time, at every batch.

The watch holds every post it has seen; each batch brings a few. Three habits keep a
batch's cost near its own size rather than the held size: look rows up by their key
through an index that follows the held frame as it grows (``KeyIndex``, one per held frame
and column in ``HeldIndexes``), or, for small frames, by probing one column with the few
wanted values (``rows_with``), never by a join, which hashes the whole held table;
re-chunk appended tables now and then (``append``), since a table grown one batch at a
time is otherwise scanned piece by piece; and run a batch's many small queries on Polars'
in-memory engine (``small_queries``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import polars as pl


@contextmanager
def small_queries() -> Iterator[None]:
    """Queries inside run on Polars' in-memory engine (where a query names no engine).

    A feed runs a few hundred queries over tables of a few to a few thousand rows. Polars 2
    runs a query on its streaming engine by default, whose start-up costs more than such a
    query: the findings' final plan over one event's tables takes 20 ms streaming, 8 ms
    in memory (``BENCHMARKS.md``, pipeline). The setting is Polars' process-wide engine
    affinity (``POLARS_ENGINE_AFFINITY``), restored on exit (``pl.Config()`` as a context
    would save and restore every setting: about 0.5 ms each way)."""
    before = os.environ.get("POLARS_ENGINE_AFFINITY")
    if before == "in-memory":
        yield
        return
    pl.Config.set_engine_affinity("in-memory")
    try:
        yield
    finally:
        pl.Config.set_engine_affinity(before)


def rows_with(frame: pl.DataFrame, column: str, values: pl.Series) -> pl.DataFrame:
    """Rows of a large held ``frame`` whose ``column`` is one of ``values`` (few).

    A probe of one column (``is_in`` hashes the few values), instead of a join, which would
    hash the whole held frame at every batch. Nulls among ``values`` match nothing and
    repeats change nothing (``is_in`` hashes them into a set), so they are not removed
    first (two more operations a call, ~0.3 ms)."""
    return frame.filter(pl.col(column).is_in(values.implode()))


def append(held: pl.DataFrame, new: pl.DataFrame, *, max_chunks: int = 32) -> pl.DataFrame:
    """``held`` + ``new`` rows; re-chunked once the frame holds ``max_chunks`` pieces (one
    piece per batch would otherwise slow every later scan of it)."""
    if not held.height:
        return new
    if not new.height:
        return held
    out = pl.concat([held, new], how="vertical")
    return out.rechunk() if out.n_chunks() > max_chunks else out


class KeyIndex:
    """The rows of a held frame by the values of one column, for a frame that grows by
    appends: ``rows(values)`` is ``rows_with(frame, column, values)`` (same rows, same
    order) at a cost that does not grow with the frame.

    Keys are kept as 64-bit hashes (``Series.hash``) in sorted numpy arrays, looked up by
    binary search: one for the frame's first rows, one for the rows appended since (re-sorted
    at each append, small), folded into the first once they are ``rebuild_tail`` rows or a
    tenth of the frame. The rows found are checked against the values themselves, so a
    hash collision cannot add a row; null keys match nothing. ``extended(frame)`` gives the
    index of ``frame`` = this frame + rows appended (the caller vouches for that) and
    leaves this one as it was, valid for its frame (a state given up by a failed feed).
    Probing a 300,000-row frame costs ~3-4 ms a call; the index, well under 1 ms."""

    rebuild_tail = 10_000

    def __init__(self, frame: pl.DataFrame, column: str, *, _parts: tuple | None = None):
        self.frame, self.column = frame, column
        if _parts is None:
            hashes, positions = self._hashes(frame.get_column(column), 0)
            order = np.argsort(hashes, kind="stable")
            _parts = (hashes[order], positions[order], np.zeros(0, np.uint64),
                      np.zeros(0, np.int64), frame.height)
        self.sorted_h, self.sorted_pos, self.tail_h, self.tail_pos, self.covered = _parts

    @staticmethod
    def _hashes(col: pl.Series, offset: int) -> tuple[np.ndarray, np.ndarray]:
        """(hashes, positions) of the non-null values of ``col`` (rows from ``offset``)."""
        hashes = col.hash(seed=0).to_numpy()
        positions = np.arange(offset, offset + col.len(), dtype=np.int64)
        if col.null_count():
            keep = col.is_not_null().to_numpy()
            hashes, positions = hashes[keep], positions[keep]
        return hashes, positions

    def extended(self, frame: pl.DataFrame) -> KeyIndex:
        if frame.height < self.covered:
            raise ValueError("KeyIndex.extended: the frame lost rows")
        if frame.height - self.covered + len(self.tail_h) > max(self.rebuild_tail,
                                                                 frame.height // 10):
            return KeyIndex(frame, self.column)
        tail_h, tail_pos = self.tail_h, self.tail_pos
        if frame.height > self.covered:
            h, pos = self._hashes(frame.get_column(self.column).slice(self.covered), self.covered)
            tail_h, tail_pos = np.concatenate([tail_h, h]), np.concatenate([tail_pos, pos])
            order = np.argsort(tail_h, kind="stable")
            tail_h, tail_pos = tail_h[order], tail_pos[order]
        return KeyIndex(frame, self.column, _parts=(self.sorted_h, self.sorted_pos, tail_h,
                                                    tail_pos, frame.height))

    def rows(self, values: pl.Series) -> pl.DataFrame:
        if not values.len() or not self.frame.height:
            return self.frame.clear()
        wanted = values.hash(seed=0).to_numpy()
        found = [_search(self.sorted_h, self.sorted_pos, wanted),
                 _search(self.tail_h, self.tail_pos, wanted)]
        positions = np.unique(np.concatenate(found))
        picked = self.frame[positions]
        # the hashes matched: keep the rows whose key is one of the values (collisions out)
        if picked.height <= 2_000:
            wanted_keys = set(values.drop_nulls().to_list())
            if all(k in wanted_keys for k in picked.get_column(self.column).to_list()):
                return picked
        return picked.filter(pl.col(self.column).is_in(values.implode()))


def _search(hashes: np.ndarray, positions: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``positions`` of the entries of sorted ``hashes`` equal to any of ``wanted``."""
    if not len(hashes):
        return positions[:0]
    lo = np.searchsorted(hashes, wanted, side="left")
    hi = np.searchsorted(hashes, wanted, side="right")
    counts = hi - lo
    total = int(counts.sum())
    if not total:
        return positions[:0]
    return positions[np.repeat(lo - (np.cumsum(counts) - counts), counts) + np.arange(total)]


class HeldIndexes:
    """One ``KeyIndex`` per (role, column) of the held frames (the posts, the assignments):
    ``rows_with(role, frame, column, values)`` uses the role's index when it follows
    ``frame``, builds one when the frame is large and the index follows another frame (the
    first feed, a loaded state, a frame replaced), and probes small frames directly.
    ``grown(role, before, after)`` moves the role's indexes from ``before`` to ``after`` =
    ``before`` + appended rows. Only the latest frame of a role is indexed."""

    min_rows = 5_000  # below this a probe is as quick as the search

    def __init__(self) -> None:
        self.slots: dict[tuple[str, str], KeyIndex] = {}

    def rows_with(self, role: str, frame: pl.DataFrame, column: str,
                  values: pl.Series) -> pl.DataFrame:
        ix = self.slots.get((role, column))
        if ix is None or ix.frame is not frame:
            if frame.height < self.min_rows:
                return rows_with(frame, column, values)
            ix = self.slots[(role, column)] = KeyIndex(frame, column)
        return ix.rows(values)

    def grown(self, role: str, before: pl.DataFrame, after: pl.DataFrame) -> None:
        for (r, column), ix in list(self.slots.items()):
            if r == role and ix.frame is before and after is not before:
                self.slots[(r, column)] = ix.extended(after)

    def clear(self) -> None:
        self.slots.clear()
