"""Duplicates: repeated post ids collapse to their first row; near-identical texts are marked.

- ``collapse(posts)`` keeps the first row of each ``post_id`` (file order, then row order) and
  returns the dropped rows too, so the report can count them per file.
- ``mark_near_duplicates(posts)`` sets ``near_duplicate_of`` to the earliest post (by
  ``created_at``, then ``post_id``) whose *normalised* text is the same: lower-cased, URLs,
  @mentions, ``RT`` prefixes, whitespace, punctuation and symbols removed. Texts shorter than
  ``min_chars`` after normalisation (bare reposts, "转发微博") are never marked. Nothing is
  deleted.
"""

from __future__ import annotations

import polars as pl

MIN_CHARS = 8


def collapse(posts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    first = pl.col("post_id").is_first_distinct()
    return posts.filter(first), posts.filter(~first)


def normalised_text(text: pl.Expr) -> pl.Expr:
    return (
        text.str.to_lowercase()
        .str.replace_all(r"https?://\S+|www\.\S+", "")
        .str.replace_all(r"\brt\s+@\S+", "")
        .str.replace_all(r"@[^\s:：,，]+", "")
        .str.replace_all(r"[\p{P}\p{S}\s]+", "")
    )


def mark_near_duplicates(posts: pl.DataFrame, min_chars: int = MIN_CHARS) -> pl.DataFrame:
    if posts.height == 0:
        return posts
    key = normalised_text(pl.col("text").fill_null(""))
    keyed = posts.lazy().with_columns(
        pl.when(key.str.len_chars() >= min_chars).then(key).alias("_key"),
        pl.int_range(pl.len()).alias("_order"),
    )
    first = (
        keyed.filter(pl.col("_key").is_not_null())
        .sort(["created_at", "post_id"], nulls_last=True)
        .group_by("_key")
        .agg(pl.col("post_id").first().alias("_first"))
    )
    return (
        keyed.join(first, on="_key", how="left")
        .with_columns(
            pl.when(pl.col("_first").is_not_null() & (pl.col("_first") != pl.col("post_id")))
            .then(pl.col("_first"))
            .otherwise(pl.col("near_duplicate_of"))
            .alias("near_duplicate_of")
        )
        .sort("_order")
        .drop("_key", "_order", "_first")
        .collect()
    )
