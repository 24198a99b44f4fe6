"""Growing held tables (posts, assignments) touched a few rows at a time, at every batch.

The watch holds every post it has seen; each batch brings a few. Two habits keep a batch's
cost near its own size rather than the held size: look rows up by probing one column with
the few wanted values (``rows_with``) instead of joining, which hashes the whole held table;
and re-chunk appended tables now and then (``append``), since a table grown one batch at a
time is otherwise scanned piece by piece.
"""

from __future__ import annotations

import polars as pl


def rows_with(frame: pl.DataFrame, column: str, values: pl.Series) -> pl.DataFrame:
    """Rows of a large held ``frame`` whose ``column`` is one of ``values`` (few).

    A probe of one column (``is_in`` hashes the few values), instead of a join, which would
    hash the whole held frame at every batch."""
    return frame.filter(pl.col(column).is_in(values.drop_nulls().unique().implode()))


def append(held: pl.DataFrame, new: pl.DataFrame, *, max_chunks: int = 32) -> pl.DataFrame:
    """``held`` + ``new`` rows; re-chunked once the frame holds ``max_chunks`` pieces (one
    piece per batch would otherwise slow every later scan of it)."""
    if not held.height:
        return new
    if not new.height:
        return held
    out = pl.concat([held, new], how="vertical")
    return out.rechunk() if out.n_chunks() > max_chunks else out
