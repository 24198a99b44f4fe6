"""Vectorised, failure-tolerant value conversions shared by the readers.

Every conversion takes text (as read) and returns an expression that is null where the value
cannot be converted; :func:`count_problem` / :func:`flag_problem` say why, naming the column
and the raw value, so the reader quarantines that row (never the file). Only ASCII digits are
digits (``'²'``, ``'٣'`` and ``'--5'`` are not numbers); counts must fit in int64.
"""

from __future__ import annotations

import polars as pl

INT_TEXT = r"^[+-]?[0-9]+$"
FLOAT_TEXT = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
INT64_MAX = 2**63 - 1
TRUE = ("true", "1", "yes", "y", "t")
FALSE = ("false", "0", "no", "n", "f")
QUOTED = r"(?s)^'.*'$|^\".*\"$"


def strip_quotes(text: pl.Expr) -> pl.Expr:
    """``'3254'`` / ``"3254"`` -> ``3254`` (one matching pair around the whole value)."""
    s = text.str.strip_chars()
    return pl.when(s.str.contains(QUOTED) & (s.str.len_chars() >= 2)).then(
        s.str.slice(1, s.str.len_chars() - 2)
    ).otherwise(text)


def blank(text: pl.Expr) -> pl.Expr:
    return text.is_null() | (text.str.strip_chars() == "")


def to_count(text: pl.Expr) -> pl.Expr:
    """Integer text (or an integral float such as ``3.0``) -> Int64; null otherwise."""
    s = text.str.strip_chars()
    as_float = s.cast(pl.Float64, strict=False)
    integral = (
        s.str.contains(FLOAT_TEXT) & as_float.is_finite() & (as_float == as_float.floor())
        & (as_float.abs() < 2.0**63)
    )
    return (
        pl.when(s.str.contains(INT_TEXT)).then(s.str.strip_prefix("+").cast(pl.Int64, strict=False))
        .when(integral).then(as_float.cast(pl.Int64, strict=False))
    )


def count_problem(text: pl.Expr, value: pl.Expr) -> pl.Expr:
    """Why a non-blank count did not convert: 'range' (an integer beyond int64) or 'type'."""
    s = text.str.strip_chars()
    as_float = s.cast(pl.Float64, strict=False)
    whole = s.str.contains(FLOAT_TEXT) & as_float.is_finite() & (as_float == as_float.floor())
    return (
        pl.when(blank(text) | value.is_not_null()).then(pl.lit(None, pl.Utf8))
        .when(s.str.contains(INT_TEXT) | whole)
        .then(pl.lit("range"))
        .otherwise(pl.lit("type"))
    )


def to_flag(text: pl.Expr) -> pl.Expr:
    """true/false/yes/no/1/0 (any case) -> Boolean; null otherwise."""
    s = text.str.strip_chars().str.to_lowercase()
    return pl.when(s.is_in(TRUE)).then(True).when(s.is_in(FALSE)).then(False).otherwise(None)


def flag_problem(text: pl.Expr, value: pl.Expr) -> pl.Expr:
    return pl.when(blank(text) | value.is_not_null()).then(pl.lit(None, pl.Utf8)).otherwise(pl.lit("type"))
