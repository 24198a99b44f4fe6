"""Pseudonymisation: author ids become salted hashes in everything an ingest writes.

``author_id`` -> ``"a_" + keyed BLAKE2b(author_id; key = SHA-256(salt))``, 16 hex digits (a
keyed hash is a MAC: without the salt the pseudonyms cannot be recomputed from guessed ids;
the same author gets the same pseudonym under the same salt, so spread and influence analysis
still works); ``author_name`` -> null. Post ids (``post_id``, ``parent_id``, ``root_id``) are not author ids and are kept.
Author ids also hide in other places, which are scrubbed too:

- ``url`` values that contain the author id or name (Weibo permalinks ``weibo.com/<uid>/<mid>``,
  Twitter ``twitter.com/<screen name>/status/...``) -> null;
- CED file names ``<index>_<mid>_<uid>.json`` in ``source_file`` (posts, quarantine, report):
  the uid part is replaced by its pseudonym;
- the quarantine's ``raw`` text (which may hold any field) is replaced by a redaction note, and
  so is the ``detail`` of rows rejected for a bad author field (it quotes the value);
  ``source_file`` + ``source_row`` still locate the row for someone holding the raw data.

Ids quoted inside post text (``//@name:`` repost chains, @mentions) are content and are left.
"""

from __future__ import annotations

import hashlib
import os
import re

import polars as pl

ENV_VAR = "WORKBENCH_PSEUDONYMISE_SALT"
REDACTED = "[redacted: pseudonymised ingest; see source_file and source_row]"
_CED_NAME = re.compile(
    r"^(.*?(?:original-microblog|rumor-repost|non-rumor-repost)[/\\]\d+_[0-9A-Za-z]+_)([^/\\]+)(\.json)$"
)


def salt_from_env() -> str:
    salt = os.environ.get(ENV_VAR, "")
    if not salt:
        raise ValueError(f"pseudonymisation asked for but ${ENV_VAR} is empty or unset")
    return salt


def _key(salt: str) -> bytes:
    return hashlib.sha256(salt.encode()).digest()


def pseudonym(value: str, salt: str, *, key: bytes | None = None) -> str:
    key = key or _key(salt)
    return "a_" + hashlib.blake2b(value.encode(), key=key, digest_size=8).hexdigest()


def _hash_column(frame: pl.DataFrame, column: str, salt: str) -> pl.Series:
    """Each distinct value hashed once (a Python call per distinct author), joined back."""
    uniques = frame[column].drop_nulls().unique()
    key = _key(salt)
    blake2b = hashlib.blake2b
    hashed = ["a_" + blake2b(v.encode(), key=key, digest_size=8).hexdigest() for v in uniques.to_list()]
    mapping = pl.DataFrame({column: uniques, "_pseudonym": pl.Series(hashed, dtype=pl.Utf8)})
    joined = frame.select(column).join(mapping, on=column, how="left", maintain_order="left")
    return joined["_pseudonym"].alias(column)


def scrub_path(path: str, salt: str) -> str:
    m = _CED_NAME.match(path)
    return f"{m.group(1)}{pseudonym(m.group(2), salt)}{m.group(3)}" if m else path


def _scrub_paths(frame: pl.DataFrame, salt: str) -> pl.DataFrame:
    files = frame["source_file"].drop_nulls().unique().to_list()
    mapping = {f: scrub_path(f, salt) for f in files}
    return frame.with_columns(pl.col("source_file").replace_strict(mapping, default=None, return_dtype=pl.Utf8))


def pseudonymise_posts(posts: pl.DataFrame, salt: str) -> pl.DataFrame:
    url_has_author = (
        pl.col("url").str.contains(pl.col("author_id"), literal=True).fill_null(False)
        | pl.col("url").str.contains(pl.col("author_name"), literal=True).fill_null(False)
    )
    posts = posts.with_columns(
        pl.when(url_has_author).then(None).otherwise(pl.col("url")).alias("url"),
        pl.lit(None, pl.Utf8).alias("author_name"),
    )
    posts = posts.with_columns(_hash_column(posts, "author_id", salt).alias("author_id"))
    return _scrub_paths(posts, salt)


def pseudonymise_quarantine(quarantine: pl.DataFrame, salt: str) -> pl.DataFrame:
    author_field = pl.col("reason").str.contains(r"^bad_type:(author_|uid|user)")
    renamed = {f: scrub_path(f, salt) for f in quarantine["source_file"].drop_nulls().unique().to_list()}
    renamed = {old: new for old, new in renamed.items() if old != new}
    details = [
        d if d is None or f not in renamed else d.replace(f, renamed[f])
        for f, d in zip(quarantine["source_file"], quarantine["detail"], strict=True)
    ]
    detail = pl.Series(details, dtype=pl.Utf8)
    quarantine = quarantine.with_columns(
        pl.when(pl.col("raw").is_not_null()).then(pl.lit(REDACTED)).alias("raw"),
        pl.when(author_field)
        .then(pl.format("{} (value redacted: pseudonymised ingest)", pl.col("reason")))
        .otherwise(pl.lit(detail))
        .alias("detail"),
    )
    return _scrub_paths(quarantine, salt)


def scrub_report_files(files: dict, salt: str) -> dict:
    return {scrub_path(name, salt): row for name, row in files.items()}
