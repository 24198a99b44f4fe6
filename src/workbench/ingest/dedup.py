"""Duplicates: repeated post ids collapse to their first row; near-identical texts are marked.

- ``collapse(posts)`` keeps the first row of each ``post_id`` (file order, then row order) and
  returns the dropped rows too, so the report can count them per file.
- ``mark_near_duplicates(posts)`` sets ``near_duplicate_of`` to the earliest post (by
  ``created_at``, then ``post_id``) whose *normalised* text is the same: URLs, @mentions,
  ``RT @x`` prefixes, whitespace and (ASCII and CJK) punctuation removed, lower-cased; texts are
  grouped by a 64-bit hash of that key (a false match needs a hash collision, ~1e-9 here). Texts shorter than
  ``min_chars`` after normalisation (bare reposts, "转发微博") are never marked. Nothing is
  deleted.
"""

from __future__ import annotations

import polars as pl

MIN_CHARS = 8


def collapse(posts: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(first row of each post_id, the other rows). One pass over 64-bit hashes; rows whose
    hash repeats are confirmed by comparing the id strings (a hash collision is kept)."""
    keep = posts.select(pl.col("post_id").hash().is_first_distinct()).to_series()
    if keep.all():
        return posts, posts.clear()
    drop = (~keep).arg_true()
    flagged = posts["post_id"].gather(drop)
    earlier = set(posts.filter(keep & posts["post_id"].is_in(flagged.implode()))["post_id"].to_list())
    collided = drop.filter(~flagged.is_in(list(earlier)))
    if len(collided):
        keep = keep.scatter(collided, True)
    return posts.filter(keep), posts.filter(~keep)


# ASCII punctuation and symbols plus the common CJK ones (an explicit class is much faster
# than Unicode property classes on 300,000 texts).
PUNCT = r"[\s!-/:-@\[-`{-~，。！？、；：“”‘’（）《》【】…—～·「」『』〔〕〈〉﹏￥]+"
NOISE = r"https?://\S+|www\.\S+|\b[Rr][Tt]\s+@\S+|@[^\s:：,，]+"


def normalised_text(text: pl.Expr) -> pl.Expr:
    return text.str.replace_all(NOISE, "").str.replace_all(PUNCT, "").str.to_lowercase()


def mark_near_duplicates(posts: pl.DataFrame, min_chars: int = MIN_CHARS) -> pl.DataFrame:
    if posts.height == 0:
        return posts
    keyed = (
        posts.lazy()
        .select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), "post_id", "created_at", "text")
        .filter(pl.col("text").str.len_bytes() >= min_chars)  # cheap pre-filter
        .with_columns(normalised_text(pl.col("text")).alias("_key"))
        .filter(pl.col("_key").str.len_chars() >= min_chars)
        .with_columns(pl.col("_key").hash())
    )
    firsts = (
        keyed.group_by("_key")
        .agg(pl.col("post_id").sort_by(["created_at", "post_id"]).first().alias("_first"), pl.len())
        .filter(pl.col("len") > 1)
    )
    marked = (
        keyed.join(firsts, on="_key", how="inner")
        .filter(pl.col("_first") != pl.col("post_id"))
        .select("_i", "_first")
        .collect()
    )
    if marked.height == 0:
        return posts
    column = posts["near_duplicate_of"].scatter(marked["_i"], marked["_first"])
    return posts.with_columns(column.alias("near_duplicate_of"))
