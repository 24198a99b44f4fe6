"""Reader for the Weibo CED rumour dataset (thunlp/Chinese_Rumor_Dataset, ``CED_Dataset/``).

Layout: ``original-microblog/<index>_<mid>_<uid>.json`` (one original post per event) and
``rumor-repost/`` or ``non-rumor-repost/<same name>.json`` (a JSON array of its reposts and
comments). How the quirks are handled:

- originals' ``time`` is Unix seconds (UTC), or a string ``"Mon May 27 12:07:05 +0800 2013"``;
  reposts' ``date`` is Beijing wall-clock ``"YYYY-MM-DD HH:MM:SS"``, or year-less
  ``"MM月DD日 HH:MM"``: the year is the original's (Beijing) year, plus one when that would put
  the repost more than a day before the original (reposts follow their original within a year).
- ``post_id`` is ``weibo:<mid>``; the original's mid and author uid come from its file name.
  A repost's ``parent`` (empty = the original) gives ``parent_id``; every post's ``root_id`` is
  the event's original. CED does not tell reposts from comments: all are kind ``repost``.
- ``user: "empty"`` -> author fields null and ``author_type`` 'unknown'. ``uid`` is sometimes a
  screen name: it is still the author's id (and is hashed when pseudonymising).
- ``author_type`` from Weibo ``verified_type``: -1 (unverified), 0 (yellow V), 200/220 (orange
  V) -> individual; 1 -> government; 2 -> enterprise; 3 -> media; 4-7 (campus, website, app,
  organisation) -> organisation; anything else -> unknown.
- ``event_label`` is ``"<rumor|non-rumor>/<index>_<mid>"``: the repost folder (the rumour
  label) and the event file's stem without the uid (so labels carry no author id). An original
  whose repost file is missing gets ``"unknown/<index>_<mid>"``.
- ``url`` is ``https://weibo.com/<uid>/<mid>`` (Weibo's permalink form); ``lang`` is 'zh' for
  non-empty text.

Repost files go through ``pl.read_json`` with an explicit schema (fast); a file it cannot read
(bad JSON, an object or array where text belongs, another encoding, a truncated array,
undecodable bytes, ids beyond 64 bits) is re-read record by record (orjson, the standard
library for what orjson cannot hold), so each bad record is quarantined on its own and a
truncated array keeps its complete records. Both paths take scalar values (numbers, booleans)
in text fields as their text (``"uid": 123`` -> ``"123"``; ids of any length keep every
digit); a date that is not a date string is then quarantined as ``bad_timestamp``. Counts of
originals are converted vectorised (ASCII digits within int64; others quarantined as
``bad_type:<key>`` / ``bad_value:<key>``). A FIFO or unreadable file is quarantined, never
read.

Single files work too: an original file yields just that post; a repost file yields its
reposts (the sibling original file supplies the mid, time and folder label).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import orjson
import polars as pl

from workbench.ingest import jsontext
from workbench.ingest.encoding import DecodeError, decode_lenient, is_damaged, printable
from workbench.ingest.files import Unreadable, naming, read_bytes
from workbench.ingest.result import Batch, Rejects, _dump, quarantine_frame
from workbench.ingest.times import EARLIEST, LATEST, plausible
from workbench.ingest.values import count_problem, to_count
from workbench.schema import POST_SCHEMA, UTC_TIME, conform

READER = "weibo_ced"
ORIGINALS = "original-microblog"
REPOST_DIRS = {"rumor": "rumor-repost", "non-rumor": "non-rumor-repost"}
NAME_RE = re.compile(r"^(\d+)_([0-9A-Za-z]+)_(.+)$")
REPOST_SCHEMA = {"mid": pl.Utf8, "uid": pl.Utf8, "parent": pl.Utf8, "text": pl.Utf8, "date": pl.Utf8}
BEIJING = "Asia/Shanghai"
VERIFIED_TYPES = {-1: "individual", 0: "individual", 200: "individual", 220: "individual",
                  1: "government", 2: "enterprise", 3: "media",
                  4: "organisation", 5: "organisation", 6: "organisation", 7: "organisation"}


def find_base(path: Path) -> Path | None:
    """The folder holding ``original-microblog/`` for a CED tree, else None."""
    for base in (path, path / "CED_Dataset"):
        if (base / ORIGINALS).is_dir():
            return base
    return None


def owning_base(path: Path) -> Path | None:
    """For a single CED file, the CED base folder it lives in (else None)."""
    if path.suffix == ".json" and path.parent.name in (ORIGINALS, *REPOST_DIRS.values()):
        if NAME_RE.match(path.stem) and (path.parent.parent / ORIGINALS).is_dir():
            return path.parent.parent
    return None


@dataclass
class Event:
    stem: str
    original: str | None  # emit the original post from this file
    reposts: str | None  # emit the reposts from this file
    label: str  # 'rumor' | 'non-rumor' | 'unknown'
    original_source: str | None  # where the original's time comes from (year inference)


def _json_names(folder: Path) -> list[str]:
    try:
        return sorted(n for n in os.listdir(folder) if n.endswith(".json"))
    except (FileNotFoundError, NotADirectoryError):
        return []


def events_in(base: Path) -> list[Event]:
    """Every event of a CED tree (one listing per folder; plain strings, no per-file stat)."""
    reposts = {name: set(_json_names(base / folder)) for name, folder in REPOST_DIRS.items()}
    folders = {name: os.path.join(base, folder) for name, folder in REPOST_DIRS.items()}
    orig_dir = os.path.join(base, ORIGINALS)
    events = []
    originals = _json_names(base / ORIGINALS)
    for fname in originals:
        path = os.path.join(orig_dir, fname)
        label, repost = "unknown", None
        for name in REPOST_DIRS:
            if fname in reposts[name]:
                label, repost = name, os.path.join(folders[name], fname)
                break
        events.append(Event(fname[:-5], path, repost, label, path))
    known = set(originals)
    for name in REPOST_DIRS:  # repost files without an original
        for fname in sorted(reposts[name] - known):
            events.append(Event(fname[:-5], None, os.path.join(folders[name], fname), name, None))
    return events


def event_for_file(path: Path, base: Path) -> Event:
    original = base / ORIGINALS / path.name
    if path.parent.name == ORIGINALS:
        label = next((n for n, f in REPOST_DIRS.items() if (base / f / path.name).is_file()), "unknown")
        return Event(path.stem, str(path), None, label, str(path))
    label = next(n for n, f in REPOST_DIRS.items() if f == path.parent.name)
    return Event(path.stem, None, str(path), label, str(original) if original.is_file() else None)


def read(paths: Iterable[Path], progress: Callable | None = None) -> Batch:
    """Read CED trees (folders) or single CED files into one Batch."""
    return read_events(events_for(paths), progress)


def events_for(paths: Iterable[Path]) -> list[Event]:
    """The events of CED trees (folders) or single CED files, each file once."""
    paths = [Path(p) for p in paths]
    events: list[Event] = []
    for path in paths:
        base = find_base(path)
        if base is not None:
            events += events_in(base)
        elif (base := owning_base(path)) is not None:
            events.append(event_for_file(path, base))
        else:
            raise ValueError(f"{path}: not a Weibo CED folder or file")
    if len(paths) == 1:
        return events
    # a file named twice (a folder and a file in it) is read once
    claimed: set[str] = set()
    unique: list[Event] = []
    for ev in events:
        original, reposts = (
            None if p is None or os.path.abspath(p) in claimed else p for p in (ev.original, ev.reposts)
        )
        claimed |= {os.path.abspath(p) for p in (original, reposts) if p is not None}
        if original is not None or reposts is not None:
            unique.append(Event(ev.stem, original, reposts, ev.label, ev.original_source))
    return unique


def read_events(events: list[Event], progress: Callable | None = None) -> Batch:
    wrap = progress or (lambda it, **_: it)
    # Repost files are read and parsed by two threads (Polars releases the GIL) while this
    # thread handles the originals and the bookkeeping, in event order.
    files = [ev.reposts for ev in events]
    chunks = [files[i : i + 16] for i in range(0, len(files), 16)]  # fewer, larger tasks
    with ThreadPoolExecutor(max_workers=2) as pool:
        parsed = (frame for chunk in pool.map(_parse_chunk, chunks) for frame in chunk)
        return _assemble(wrap(events, desc="weibo CED events", unit="event"), parsed)


def _parse_chunk(paths: list[str | None]) -> list[pl.DataFrame | None]:
    return [_parse_fast(p) for p in paths]


def _assemble(events: Iterable[Event], parsed: Iterable[pl.DataFrame | None]) -> Batch:
    batch = Batch()
    rejects = Rejects()
    originals = _Originals()
    repost_frames: list[pl.DataFrame] = []
    lengths: list[int] = []
    event_rows = {"_event": [], "_orig_mid": [], "_orig_time": [], "_label": [], "_file": []}
    for i, (ev, fast) in enumerate(zip(events, parsed, strict=True)):
        m = NAME_RE.match(ev.stem)
        if m is None:
            for path in (ev.original, ev.reposts):
                if path is not None:
                    _whole_file(batch, rejects, path, "bad_filename", "CED file names are <index>_<mid>_<uid>.json")
            continue
        index, mid, uid = m.groups()
        label = f"{ev.label}/{index}_{mid}"
        orig_time = None
        if ev.original is not None:
            name = ev.original
            batch.reads[name] = 1
            batch.readers[name] = READER
            with naming(name):
                orig_time = originals.add(ev.original, mid, uid, label, rejects)
        elif ev.original_source is not None:
            orig_time = _original_time(ev.original_source)
        if ev.reposts is None:
            continue
        name = ev.reposts
        batch.readers[name] = READER
        with naming(name):
            frame = _read_reposts(ev.reposts, fast, batch, rejects)
        if frame is None:
            continue
        repost_frames.append(frame)
        lengths.append(frame.height)
        event_rows["_event"].append(i)
        event_rows["_orig_mid"].append(mid)
        event_rows["_orig_time"].append(orig_time)
        event_rows["_label"].append(label)
        event_rows["_file"].append(name)
    batch.posts, bad_originals = originals.frame()
    rejects_frames = [bad_originals]
    if repost_frames:
        info = pl.DataFrame(event_rows, schema={"_event": pl.UInt32, "_orig_mid": pl.Utf8,
                                                "_orig_time": UTC_TIME, "_label": pl.Utf8, "_file": pl.Utf8})
        raw = pl.concat(repost_frames, how="diagonal")
        if "_bad" not in raw.columns:
            raw = raw.with_columns(pl.lit(None, pl.Utf8).alias("_bad"))
        # per-event values gathered onto rows (frames are in event order)
        which = pl.Series(np.repeat(np.arange(len(lengths), dtype=np.uint32), lengths))
        starts = np.repeat(np.cumsum([0, *lengths[:-1]]), lengths)
        raw = raw.with_columns(
            pl.Series("_row", np.arange(raw.height) - starts, dtype=pl.Int64),
            *[info[c].gather(which) for c in info.columns if c != "_event"],
        )
        posts, bad, early = _normalise_reposts(raw)
        if early:
            batch.notes.append(f"weibo CED: {early} repost(s) timed over an hour before their original (kept)")
        batch.posts = pl.concat([batch.posts, posts], how="vertical")
        batch.quarantine = bad
    batch.quarantine = pl.concat([rejects.frame(), *rejects_frames, batch.quarantine], how="vertical")
    return batch


def _whole_file(batch: Batch, rejects: Rejects, path: str, reason: str, detail: str, raw=None) -> None:
    name = str(path)
    batch.reads[name] = 1
    batch.readers[name] = READER
    rejects.add(name, -1, reason, detail if detail.startswith(name) else f"{name}: {detail}", raw)


def _load_json(path: str, items: bool = False):
    """(value, None) or (None, (reason, detail, raw)). With ``items`` the value of an array is
    its list of items, salvaged when broken (see :func:`jsontext.loads_items`)."""
    try:
        raw = read_bytes(path)
    except Unreadable as exc:
        return None, (exc.reason, str(exc), None)
    if not raw.strip():
        return None, ("empty_file", "file is empty", None)
    if not items:
        try:
            return orjson.loads(raw), None
        except orjson.JSONDecodeError:
            pass
    try:
        text, _, damaged = decode_lenient(raw, str(path))
    except DecodeError as exc:
        return None, ("bad_encoding", str(exc), raw[:200])
    try:
        if items:
            value, is_array = jsontext.loads_items(text, damaged)
            return (value if is_array else value[0]), None
        if damaged and is_damaged(text):
            raise jsontext.JSONError(jsontext.DAMAGED)
        return jsontext.loads(text), None
    except jsontext.JSONError as exc:
        reason = jsontext.Broken(0, str(exc), text if damaged else "").reason
        return None, (reason, f"invalid JSON: {exc}", text)


def _original_time(path: str) -> datetime | None:
    value, err = _load_json(path)
    if err or not isinstance(value, dict):
        return None
    return _parse_original_time(value.get("time"))


def _parse_original_time(value) -> datetime | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return datetime.strptime(value.strip(), "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
        except ValueError:
            if re.fullmatch(r"[0-9]{1,12}", value.strip()):  # ASCII digits only ('²' is not one)
                return _parse_original_time(int(value.strip()))
            return None
    return None


def _count_text(value) -> tuple[str | None, bool]:
    """(a count as text for the vectorised conversion, ok). Booleans, floats and nested
    values are wrong types; strings are judged later (ASCII digits within int64)."""
    if value is None:
        return None, True
    if type(value) is int:
        return str(value), True
    if isinstance(value, str):
        return value, True
    return None, False


COUNTS = ("reposts", "comments", "likes", "author_followers")


class _Originals:
    """Column lists for original posts, one DataFrame at the end."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in (
            "post_id", "created_at", "text", "author_id", "author_followers", "author_verified",
            "author_type", "reposts", "comments", "likes", "event_label", "url", "source_file")}
        self.values: list = []  # the parsed records, for the raw text of quarantined ones

    def add(self, path: str, mid: str, uid: str, label: str, rejects: Rejects) -> datetime | None:
        name = str(path)
        value, err = _load_json(path)
        if err:
            rejects.add(name, -1, err[0], err[1] if err[1].startswith(name) else f"{name}: {err[1]}", err[2])
            return None
        if not isinstance(value, dict):
            rejects.add(name, -1, "not_object", f"{name}: an original post must be a JSON object", value)
            return None
        created = _parse_original_time(value.get("time"))
        text = value.get("text")
        user = value.get("user")
        problem = None
        if value.get("time") is None:
            problem = ("missing_timestamp", "no 'time'")
        elif created is None:
            problem = ("bad_timestamp", f"unparseable time {value.get('time')!r}")
        elif not EARLIEST <= created <= LATEST:
            problem = ("implausible_timestamp", f"time {created.isoformat()} outside 1990..2100")
        elif text is not None and not isinstance(text, str):
            problem = ("bad_type:text", f"text is {type(text).__name__}")
        counts = {}
        for key in ("reposts", "comments", "likes"):
            counts[key], ok = _count_text(value.get(key))
            problem = problem or (None if ok else (f"bad_type:{key}", f"{key} is {value.get(key)!r:.60}"))
        followers, verified, vtype = None, None, "unknown"
        if isinstance(user, dict):
            followers, ok = _count_text(user.get("followers"))
            problem = problem or (None if ok else ("bad_type:followers", f"followers is {user.get('followers')!r:.60}"))
            verified = user.get("verified") if isinstance(user.get("verified"), bool) else None
            vt = user.get("verified_type")
            vtype = VERIFIED_TYPES.get(vt, "unknown") if isinstance(vt, int) else "unknown"
        elif user not in (None, "empty"):
            problem = problem or ("bad_type:user", f"user is {user!r:.60}")
        if problem:
            rejects.add(name, 0, problem[0], f"{name}: {problem[1]}", value)
            return created
        c = self.cols
        c["post_id"].append(f"weibo:{mid}")
        c["created_at"].append(created)
        c["text"].append(text or "")
        c["author_id"].append(uid)
        c["author_followers"].append(followers)
        c["author_verified"].append(verified)
        c["author_type"].append(vtype)
        c["reposts"].append(counts["reposts"])
        c["comments"].append(counts["comments"])
        c["likes"].append(counts["likes"])
        c["event_label"].append(label)
        c["url"].append(f"https://weibo.com/{uid}/{mid}")
        c["source_file"].append(name)
        self.values.append(value)
        return created

    def frame(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(the originals, those whose counts do not convert), counts converted vectorised."""
        schema = {k: (pl.Utf8 if k in COUNTS else POST_SCHEMA[k]) for k in self.cols}
        frame = pl.DataFrame(self.cols, schema=schema).with_columns(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("_i"),
            *[to_count(pl.col(k)).alias(f"_n_{k}") for k in COUNTS],
        )
        problems = [(k, count_problem(pl.col(k), pl.col(f"_n_{k}"))) for k in COUNTS]
        reason, detail = pl.lit(None, pl.Utf8), pl.lit(None, pl.Utf8)
        for k, p in reversed(problems):
            key = "followers" if k == "author_followers" else k
            reason = pl.when(p == "type").then(pl.lit(f"bad_type:{key}")).when(p == "range").then(
                pl.lit(f"bad_value:{key}")).otherwise(reason)
            detail = pl.when(p.is_not_null()).then(pl.format(
                "{}: {} is '{}': {}", pl.col("source_file"), pl.lit(key), pl.col(k).str.slice(0, 80),
                pl.when(p == "range").then(pl.lit("beyond the int64 range")).otherwise(pl.lit("not an integer")),
            )).otherwise(detail)
        frame = frame.with_columns(reason.alias("_reason"), detail.alias("_detail"))
        bad = frame.filter(pl.col("_reason").is_not_null())
        raws = [_dump(self.values[i]) for i in bad["_i"].to_list()]
        bad = bad.select(
            "source_file", pl.lit(0, pl.Int64).alias("source_row"), pl.col("_reason").alias("reason"),
            pl.col("_detail").alias("detail"), pl.Series("raw", raws, dtype=pl.Utf8),
        ).pipe(quarantine_frame)
        posts = conform(
            frame.filter(pl.col("_reason").is_null()).with_columns(
                *[pl.col(f"_n_{k}").alias(k) for k in COUNTS],
                pl.lit("weibo").alias("platform"),
                pl.lit(READER).alias("source"),
                pl.lit("original").alias("kind"),
                pl.when(pl.col("text") != "").then(pl.lit("zh")).alias("lang"),
                pl.col("post_id").alias("root_id"),
                pl.lit(0, pl.Int64).alias("source_row"),
            ),
            POST_SCHEMA,
        )
        return posts, bad


def _parse_fast(path: str | None) -> pl.DataFrame | None:
    """The fast path: Polars' JSON reader with the repost schema; None when it cannot be used."""
    if path is None:
        return None
    try:
        raw = read_bytes(path)
    except Unreadable:
        return None  # the careful path quarantines it
    if raw.lstrip()[:1] != b"[" or b"\x00" in raw:
        return None
    try:
        return pl.read_json(raw, schema=REPOST_SCHEMA)
    except Exception:  # noqa: BLE001 - any failure: the careful path decides
        return None


def _read_reposts(path: str, fast: pl.DataFrame | None, batch: Batch, rejects: Rejects) -> pl.DataFrame | None:
    """Raw repost columns (+ _bad for slow-path rows) or None if the file was rejected."""
    name = str(path)
    if fast is not None:
        batch.reads[name] = fast.height
        return fast
    value, err = _load_json(path, items=True)
    if err:
        _whole_file(batch, rejects, path, err[0], err[1], err[2])
        return None
    if not isinstance(value, list):
        _whole_file(batch, rejects, path, "not_array", "a repost file must be a JSON array", value)
        return None
    batch.reads[name] = len(value)
    cols: dict[str, list] = {k: [] for k in (*REPOST_SCHEMA, "_bad")}
    for row, rec in enumerate(value):
        bad = None
        if isinstance(rec, jsontext.Broken):
            for key in REPOST_SCHEMA:
                cols[key].append(None)
            detail = f"invalid JSON from character {rec.position}: {rec.error}".replace("|", "/").replace("\x1f", " ")
            cols["_bad"].append(f"{rec.reason}|{detail}\x1f" + printable(rec.text[:2000]))
            continue
        if not isinstance(rec, dict):
            bad = f"not_object|record is {type(rec).__name__}"
            rec = {}
        for key in REPOST_SCHEMA:
            v = rec.get(key)
            if isinstance(v, bool):  # scalars become text, as the fast path does
                v = "true" if v else "false"
            elif isinstance(v, int | float):
                v = str(v)
            if v is not None and not isinstance(v, str):
                bad = bad or f"bad_type:{key}|{key} is {type(v).__name__}: {_dump(v)[:80]}"
                v = None
            cols[key].append(v)
        cols["_bad"].append(None if bad is None else bad + "\x1f" + _dump(value[row]))
    return pl.DataFrame(cols, schema={**REPOST_SCHEMA, "_bad": pl.Utf8})


YEARLESS = r"^\s*(\d{1,2})月(\d{1,2})日\s*(\d{1,2}):(\d{2})\s*$"
# Beijing time has been UTC+8 without daylight saving since 1991: a fixed offset is exact for
# Weibo data and much cheaper than a time-zone database lookup per row.
BEIJING_OFFSET = pl.duration(hours=8)


def _beijing(naive: pl.Expr) -> pl.Expr:
    return (naive - BEIJING_OFFSET).dt.replace_time_zone("UTC").cast(UTC_TIME)


def _yearless(date: pl.Expr, orig_time: pl.Expr) -> pl.Expr:
    """``MM月DD日 HH:MM`` dates: the original's Beijing year, or the next if that is too early."""
    parts = date.str.extract_groups(YEARLESS)
    orig_local = orig_time + BEIJING_OFFSET

    def with_year(year: pl.Expr) -> pl.Expr:
        text = pl.format("{}-{}-{} {}:{}", year, parts.struct.field("1"), parts.struct.field("2"),
                         parts.struct.field("3"), parts.struct.field("4"))
        return _beijing(text.str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M", strict=False))

    same_year = with_year(orig_local.dt.year())
    next_year = with_year(orig_local.dt.year() + 1)
    return (
        pl.when(same_year.is_null() | (same_year < orig_time - pl.duration(days=1)))
        .then(next_year)
        .otherwise(same_year)
    )


def _created(raw: pl.DataFrame) -> pl.DataFrame:
    """created_at for every row; the rare rows the full format misses are looked at again
    (year-less dates get their year from the original)."""
    full = pl.col("date").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
    frame = raw.with_columns(_beijing(full).alias("created_at"))
    missed = frame.select(pl.col("created_at").is_null() & pl.col("date").is_not_null()).to_series()
    odd = missed.arg_true()
    yearless = pl.Series("_yearless", np.zeros(frame.height, dtype=bool))
    if len(odd):
        sub = frame[odd]
        is_yearless = sub.select(pl.col("date").str.contains(YEARLESS)).to_series()
        fixed = sub.select(
            pl.when(is_yearless).then(_yearless(pl.col("date"), pl.col("_orig_time")))
        ).to_series()
        yearless = yearless.scatter(odd, is_yearless)
        frame = frame.with_columns(frame["created_at"].scatter(odd, fixed))
    return frame.with_columns(yearless)


def _normalise_reposts(raw: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Vectorised: timestamps, ids, validation. Returns (posts, quarantined rows, number of
    reposts timed over an hour before their original)."""
    frame = _created(raw).lazy()
    mid_ok = pl.col("mid").str.len_bytes().fill_null(0) > 0
    reason = (
        pl.when(pl.col("_bad").is_not_null()).then(pl.col("_bad").str.extract(r"^([^|]*)"))
        .when(~mid_ok).then(pl.lit("missing_id"))
        .when(pl.col("date").is_null() | (pl.col("date") == "")).then(pl.lit("missing_timestamp"))
        .when(pl.col("_yearless") & pl.col("_orig_time").is_null()).then(pl.lit("missing_year"))
        .when(pl.col("created_at").is_null()).then(pl.lit("bad_timestamp"))
        .when(~plausible(pl.col("created_at"))).then(pl.lit("implausible_timestamp"))
    )
    detail = (
        pl.when(pl.col("_bad").is_not_null()).then(pl.col("_bad").str.extract(r"(?s)^[^|]*\|([^\x1f]*)"))
        .when(~mid_ok).then(pl.format("mid is {}", pl.col("mid").fill_null("missing")))
        .when(pl.col("_reason") == "missing_year")
        .then(pl.format("year-less date {} and no original post time to infer the year", pl.col("date")))
        .otherwise(pl.format("date {}", pl.col("date").fill_null("missing")))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    bad = (
        frame.filter(pl.col("_reason").is_not_null())
        .select(
            pl.col("_file").alias("source_file"),
            pl.col("_row").alias("source_row"),
            pl.col("_reason").alias("reason"),
            pl.format("{}:{}: {}", pl.col("_file"), pl.col("_row"), detail).alias("detail"),
            pl.coalesce(
                pl.col("_bad").str.extract(r"(?s)\x1f(.*)$"),
                pl.struct(*REPOST_SCHEMA).struct.json_encode(),
            ).alias("raw"),
        )
        .pipe(quarantine_frame)
    )
    uid = pl.when(pl.col("uid") != "").then(pl.col("uid"))
    parent = pl.when(pl.col("parent").is_not_null() & (pl.col("parent") != "")).then(pl.col("parent"))
    posts = (
        frame.filter(pl.col("_reason").is_null())
        .with_columns(uid.alias("author_id"))
        .select(
            ("weibo:" + pl.col("mid")).alias("post_id"),
            pl.lit("weibo").alias("platform"),
            pl.lit(READER).alias("source"),
            pl.lit("repost").alias("kind"),
            pl.col("created_at"),
            pl.col("text").fill_null(""),
            pl.when(pl.col("text").fill_null("") != "").then(pl.lit("zh")).alias("lang"),
            pl.format("https://weibo.com/{}/{}", pl.col("author_id"), pl.col("mid")).alias("url"),
            pl.col("author_id"),
            pl.lit("unknown").alias("author_type"),
            ("weibo:" + pl.coalesce(parent, pl.col("_orig_mid"))).alias("parent_id"),
            ("weibo:" + pl.col("_orig_mid")).alias("root_id"),
            pl.col("_label").alias("event_label"),
            pl.col("_file").alias("source_file"),
            pl.col("_row").alias("source_row"),
        )
        .pipe(conform, POST_SCHEMA)
    )
    early = frame.filter(
        pl.col("_reason").is_null() & (pl.col("created_at") < pl.col("_orig_time") - pl.duration(hours=1))
    ).select(pl.len())
    posts, bad, early = pl.collect_all([posts, bad, early])
    return posts, bad, early.item()
