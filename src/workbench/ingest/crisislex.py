"""Reader for CrisisLexT26 (github.com/sajao/CrisisLex, ``data/CrisisLexT26/``).

Each event folder ``<year>_<name>/`` holds ``<event>-tweets_labeled.csv`` (``Tweet ID, Tweet
Text, Information Source, Information Type, Informativeness``) and, for 25 of the 26 events,
``<event>-tweetids_entire_period.csv`` (``Timestamp, Tweet-ID, Included(Y/N)``, UTC). Labelled
tweets are joined to their event's timestamp list by tweet id.

- ``post_id`` ``twitter:<id>``, platform ``twitter``, kind ``original`` (the data has no
  retweet links; ``RT @`` copies are caught by near-duplicate marking), ``event_label`` = the
  event folder name (e.g. ``2013_Alberta_floods``), ``url`` the tweet's permalink.
- A labelled tweet missing from its event's timestamp list (every Boston-bombings tweet: that
  list is absent from the snapshot) is dated from its id: tweet ids are Twitter "snowflakes"
  that encode the time, ``(id >> 22) + 1288834974657`` ms (exact to the millisecond; the lists
  give whole seconds). Only a tweet with neither is quarantined as ``missing_timestamp``, the
  reason in ``detail``.
- ``author_type`` comes from the crowd label ``Information Source`` (the data has no author
  fields): Government -> government, Media -> media, Business -> enterprise, NGOs ->
  organisation, Eyewitness / Outsiders -> individual, otherwise unknown. ``lang`` is null.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from pathlib import Path

import polars as pl

from workbench.ingest.csvtext import CsvRows
from workbench.ingest.encoding import DecodeError, decode, decode_lenient
from workbench.ingest.files import Unreadable, naming, read_bytes
from workbench.ingest.result import Batch, Rejects, quarantine_frame
from workbench.ingest.times import from_snowflake, plausible
from workbench.schema import POST_SCHEMA, UTC_TIME, conform

READER = "crisislex_t26"
LABELLED = "-tweets_labeled.csv"
TIMES = "-tweetids_entire_period.csv"
COLUMNS = ("Tweet ID", "Tweet Text", "Information Source", "Information Type", "Informativeness")
SOURCE_TYPES = {
    "Government": "government", "Media": "media", "Business": "enterprise", "NGOs": "organisation",
    "Eyewitness": "individual", "Outsiders": "individual",
}


def is_labelled_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(LABELLED)


def is_tree(path: Path) -> bool:
    return any(path.glob(f"*/*{LABELLED}")) or any(path.glob(f"*{LABELLED}"))


def labelled_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return sorted([*path.glob(f"*/*{LABELLED}"), *path.glob(f"*{LABELLED}")])


def read(paths: Iterable[Path], progress: Callable | None = None) -> Batch:
    files = list(dict.fromkeys(f for p in paths for f in labelled_files(Path(p))))
    wrap = progress or (lambda it, **_: it)
    batch = Batch()
    rejects = Rejects()
    frames = []
    for path in wrap(files, desc="CrisisLexT26 events", unit="event"):
        with naming(path):
            frame = _read_labelled(path, batch, rejects)
            times, has_times = _read_times(path, batch) if frame is not None else (None, False)
        if frame is not None:
            frames.append(
                frame.join(times, on="_id", how="left").with_columns(pl.lit(has_times).alias("_has_times"))
            )
    batch.quarantine = rejects.frame()
    if not frames:
        return batch
    frame = pl.concat(frames, how="diagonal_relaxed").with_columns(
        pl.when(pl.col("_time").is_not_null())
        .then(pl.col("_time").str.strptime(UTC_TIME, "%a %b %d %H:%M:%S %z %Y", strict=False))
        .otherwise(from_snowflake(pl.col("_id")))
        .alias("created_at")
    )
    reason = (
        pl.when(~pl.col("_id").str.contains(r"^[0-9]+$")).then(pl.lit("missing_id"))
        .when(pl.col("_time").is_null() & pl.col("created_at").is_null()).then(pl.lit("missing_timestamp"))
        .when(pl.col("created_at").is_null()).then(pl.lit("bad_timestamp"))
        .when(~plausible(pl.col("created_at"))).then(pl.lit("implausible_timestamp"))
    )
    detail = (
        pl.when(pl.col("_reason") == "missing_id").then(pl.format("tweet id {} is not a number", pl.col("_id")))
        .when((pl.col("_reason") == "missing_timestamp") & pl.col("_has_times"))
        .then(pl.format("tweet {} is not in {}'s timestamp list and its id is not a Twitter snowflake",
                        pl.col("_id"), pl.col("event_label")))
        .when(pl.col("_reason") == "missing_timestamp")
        .then(pl.format("event {} has no timestamp list (*{} absent) and tweet id {} is not a Twitter snowflake",
                        pl.col("event_label"), pl.lit(TIMES), pl.col("_id")))
        .otherwise(pl.format("timestamp {}", pl.col("_time")))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    bad = frame.filter(pl.col("_reason").is_not_null()).select(
        pl.col("source_file"),
        pl.col("source_row"),
        pl.col("_reason").alias("reason"),
        pl.format("{}:{}: {}", pl.col("source_file"), pl.col("source_row"), detail).alias("detail"),
        pl.col("_raw").alias("raw"),
    )
    posts = frame.filter(pl.col("_reason").is_null()).with_columns(
        ("twitter:" + pl.col("_id")).alias("post_id"),
        pl.lit("twitter").alias("platform"),
        pl.lit(READER).alias("source"),
        pl.lit("original").alias("kind"),
        ("twitter:" + pl.col("_id")).alias("root_id"),
        pl.format("https://twitter.com/i/web/status/{}", pl.col("_id")).alias("url"),
        pl.col("_source").replace_strict(SOURCE_TYPES, default="unknown").alias("author_type"),
    )
    batch.posts = conform(posts, POST_SCHEMA)
    batch.quarantine = pl.concat([batch.quarantine, quarantine_frame(bad)], how="vertical")
    return batch


def _read_labelled(path: Path, batch: Batch, rejects: Rejects) -> pl.DataFrame | None:
    name = str(path)
    batch.readers[name] = READER
    event = path.name[: -len(LABELLED)]
    batch.reads[name] = 1
    try:
        raw = read_bytes(path)
        text, _, damaged = decode_lenient(raw, name)
    except Unreadable as exc:
        rejects.add(name, -1, exc.reason, str(exc), None)
        return None
    except DecodeError as exc:
        rejects.add(name, -1, "bad_encoding", str(exc), raw[:200])
        return None
    rows = CsvRows(name, text, rejects, damaged)
    if rows.header is None:
        return None
    header = rows.header
    missing = [c for c in COLUMNS[:2] if c not in header]
    if missing:
        rejects.add(name, -1, "bad_header", f"{name}: header lacks {missing}", ",".join(header))
        return None
    pos = {c: header.index(c) for c in COLUMNS if c in header}
    cols: dict[str, list] = {"_id": [], "text": [], "_source": [], "source_row": [], "_raw": []}
    for n, row, line in rows:
        cols["_id"].append(row[pos["Tweet ID"]].strip())
        cols["text"].append(row[pos["Tweet Text"]])
        cols["_source"].append(row[pos["Information Source"]].strip() if "Information Source" in pos else None)
        cols["source_row"].append(n)
        cols["_raw"].append(line)
    batch.reads[name] = rows.count
    frame = pl.DataFrame(cols, schema={"_id": pl.Utf8, "text": pl.Utf8, "_source": pl.Utf8,
                                       "source_row": pl.Int64, "_raw": pl.Utf8})
    return frame.with_columns(pl.lit(event).alias("event_label"), pl.lit(name).alias("source_file"))


def _read_times(labelled: Path, batch: Batch) -> tuple[pl.DataFrame, bool]:
    path = labelled.with_name(labelled.name[: -len(LABELLED)] + TIMES)
    empty = pl.DataFrame(schema={"_id": pl.Utf8, "_time": pl.Utf8})
    if not path.is_file():
        batch.notes.append(f"{labelled.parent.name}: no timestamp list ({path.name} absent); its tweets are dated from their ids")
        return empty, False
    try:
        text, _ = decode(read_bytes(path), str(path))
        times = pl.read_csv(io.StringIO(text), infer_schema=False)
        times = times.rename({c: c.strip() for c in times.columns}).select("Tweet-ID", "Timestamp")
    except (DecodeError, Unreadable, pl.exceptions.PolarsError) as exc:
        batch.notes.append(f"{path}: timestamp list unreadable ({exc}); its event's tweets are dated from their ids")
        return empty, False
    times = times.select(pl.col("Tweet-ID").str.strip_chars().alias("_id"), pl.col("Timestamp").alias("_time"))
    return times.unique("_id", keep="first", maintain_order=True), True
