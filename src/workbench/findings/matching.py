"""Vectorised word matching shared by the findings (one job: text -> matched words).

Polars' Aho-Corasick ``str.extract_many`` finds every lexicon word in one pass over a text
column. Patterns are sorted longest first and matched leftmost, non-overlapping, so a
longer word wins over a word inside it (森林火灾 over 火灾), like forward maximum matching.
Text and words are lower-cased first, so ASCII words match whatever their case.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl


def ordered_patterns(words: Iterable[str]) -> list[str]:
    """Lower-cased, de-duplicated words, longest first (ties alphabetical, deterministic)."""
    uniq = {w.strip().lower() for w in words if w and w.strip()}
    return sorted(uniq, key=lambda w: (-len(w), w))


def pattern_series(words: Iterable[str]) -> pl.Series:
    """:func:`ordered_patterns` as a Series, ready for :func:`matches` (build it once)."""
    return pl.Series("patterns", ordered_patterns(words), dtype=pl.Utf8)


def matches(text: pl.Expr, words: Iterable[str] | pl.Series) -> pl.Expr:
    """List of lexicon words found in ``text`` (in text order; empty list for null text).

    ``words`` is any iterable of words, or a Series from :func:`pattern_series` (faster for
    large lexicons: no re-sorting and no list conversion per call)."""
    patterns = words if isinstance(words, pl.Series) else ordered_patterns(words)
    if len(patterns) == 0:
        return pl.lit([], dtype=pl.List(pl.Utf8))
    return (
        text.fill_null("")
        .str.to_lowercase()
        .str.extract_many(
            patterns.to_list() if isinstance(patterns, pl.Series) else patterns,
            leftmost=True,
        )
        .cast(pl.List(pl.Utf8))
    )


def contains_any(text: pl.Expr, words: Iterable[str]) -> pl.Expr:
    """True where ``text`` contains at least one of ``words`` (False for null text)."""
    return matches(text, words).list.len() > 0


def own_text(text: pl.Expr) -> pl.Expr:
    """The post's own words: drop the quoted ``//@name: ...`` repost chain and URLs."""
    return (
        text.fill_null("")
        .str.replace(r"//\s*@.*$", "")
        .str.replace_all(r"https?://\S+", "")
        .str.replace(r"^\s*(转发微博|轉發微博|Repost)\s*$", "")
        .str.strip_chars()
    )
