"""Growing held tables (posts, assignments) touched a few rows at a time, at every batch.

The watch holds every post it has seen; each batch brings a few. Two habits keep a batch's
cost near its own size rather than the held size: look rows up by probing one column with
the few wanted values (``rows_with``) instead of joining, which hashes the whole held table;
and re-chunk appended tables now and then (``append``), since a table grown one batch at a
time is otherwise scanned piece by piece. And run a batch's many small queries on Polars'
in-memory engine (``small_queries``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

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
