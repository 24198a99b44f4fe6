"""Generic reader: CSV / JSONL / JSON / Parquet exports described by a mapping file.

A new channel is a ``*.mapping.yaml`` beside its data, not new code::

    name: sim_weibo            # becomes the `source` column
    format: jsonl              # jsonl | json | csv | parquet
    files: "weibo*.jsonl"      # glob, relative to the mapping file's folder
    platform: weibo            # constant platform, or map a field in columns
    timezone: Asia/Shanghai    # applied to naive timestamps (default UTC)
    time_format: null          # strftime format; null = ISO 8601 or Unix seconds, auto
    encoding: null             # null = auto (utf-8, utf-8-sig, gb18030)
    columns:                   # canonical column -> source field (dot path into nested JSON)
      post_id: id
      created_at: time
      ...

Required: ``name``, ``format``, ``files``, ``columns`` with ``post_id`` and ``created_at``, and a
platform (constant or mapped). Any other key -- top level or under ``columns`` -- is an error
naming the mapping file. Columns that may be mapped: every post column except ``source``,
``near_duplicate_of``, ``source_file`` and ``source_row`` (the reader sets those).

Rows: JSONL one object per line (blank lines skipped; ``source_row`` = 0-based line number);
JSON an array of objects (or one object); CSV with a header (``source_row`` = 0-based data row);
Parquet any table (struct columns reachable by dot paths). A field name is first looked up as
written (a CSV header may be ``user.id``), then as a dot path into nested objects.

Values: ids and strings accept strings or integers; counts accept integers, integral floats or
digit strings; ``author_verified`` accepts booleans, 0/1, true/false/yes/no; ``created_at``
accepts Unix seconds or text (see :func:`workbench.ingest.times.parse_text`). Anything else
quarantines the row as ``bad_type:<column>``. ``platform``, ``kind`` and ``author_type`` must be
one of the schema's values (``bad_value:<column>``); an unmapped or empty ``kind`` is
``original`` without a parent and ``repost`` with one; an empty ``author_type`` is 'unknown'.
Ids get the platform prefix (``weibo:123``) unless they already carry it.
"""

from __future__ import annotations

import csv
import fnmatch
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
import polars as pl
import yaml

from workbench.ingest.encoding import DecodeError, decode
from workbench.ingest.result import Batch, Rejects, quarantine_frame
from workbench.ingest.times import parse_text, plausible
from workbench.schema import AUTHOR_TYPES, PLATFORMS, POST_KINDS, POST_SCHEMA, conform

READER = "mapped"
SUFFIX = ".mapping.yaml"
FORMATS = ("jsonl", "json", "csv", "parquet")
KEYS = ("name", "format", "files", "platform", "timezone", "time_format", "encoding", "columns")
REQUIRED = ("name", "format", "files", "columns")
SET_BY_READER = ("source", "near_duplicate_of", "source_file", "source_row")
MAPPABLE = tuple(c for c in POST_SCHEMA if c not in SET_BY_READER)
ID_COLUMNS = ("post_id", "parent_id", "root_id")
INT_COLUMNS = tuple(c for c, t in POST_SCHEMA.items() if t == pl.Int64 and c in MAPPABLE)
BOOL_COLUMNS = ("author_verified",)
TRUE = {"true", "1", "yes", "y", "t"}
FALSE = {"false", "0", "no", "n", "f"}


class MappingError(ValueError):
    """A mapping file is malformed (the message names the file)."""


@dataclass(frozen=True)
class Mapping:
    path: Path
    name: str
    format: str
    files: tuple[str, ...]
    columns: dict[str, str]
    platform: str | None = None
    timezone: str = "UTC"
    time_format: str | None = None
    encoding: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def matches(self, path: Path) -> bool:
        try:
            rel = path.resolve().relative_to(self.folder.resolve()).as_posix()
        except ValueError:
            return False
        return any(fnmatch.fnmatchcase(rel, pattern) for pattern in self.files)

    def data_files(self) -> list[Path]:
        found = {p for pattern in self.files for p in self.folder.glob(pattern) if p.is_file()}
        return sorted(p for p in found if not p.name.endswith(SUFFIX))


def load_mapping(path: str | Path) -> Mapping:
    """Parse and validate a mapping file; :class:`MappingError` names the file on any problem."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read mapping file: {exc}") from exc
    if not isinstance(spec, dict):
        raise MappingError(f"{path}: a mapping file must be a YAML mapping of keys")

    def fail(msg: str):
        raise MappingError(f"{path}: {msg}")

    unknown = sorted(set(spec) - set(KEYS))
    if unknown:
        fail(f"unknown key(s) {unknown}; allowed: {list(KEYS)}")
    missing = [k for k in REQUIRED if spec.get(k) in (None, "", {})]
    if missing:
        fail(f"missing required key(s) {missing}")
    if not isinstance(spec["name"], str):
        fail("'name' must be a string")
    fmt = spec["format"]
    if fmt not in FORMATS:
        fail(f"format {fmt!r} is not one of {list(FORMATS)}")
    files = spec["files"]
    if isinstance(files, str):
        files = [files]
    if not (isinstance(files, list) and files and all(isinstance(f, str) and f for f in files)):
        fail("'files' must be a glob string")
    columns = spec["columns"]
    if not isinstance(columns, dict):
        fail("'columns' must map canonical column names to source fields")
    bad_cols = sorted(set(columns) - set(MAPPABLE))
    if bad_cols:
        fail(f"unknown column(s) {bad_cols} under 'columns'; allowed: {list(MAPPABLE)}")
    for canonical, source in columns.items():
        if not isinstance(source, str) or not source:
            fail(f"columns.{canonical} must be a source field name, not {source!r}")
    for needed in ("post_id", "created_at"):
        if needed not in columns:
            fail(f"columns.{needed} is required")
    platform = spec.get("platform")
    if platform is not None:
        if platform not in PLATFORMS:
            fail(f"platform {platform!r} is not one of {list(PLATFORMS)}")
        if "platform" in columns:
            fail("give platform either as a constant or under columns, not both")
    elif "platform" not in columns:
        fail("no platform: give 'platform: <name>' or map columns.platform")
    timezone = spec.get("timezone") or "UTC"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        fail(f"unknown timezone {timezone!r}")
    time_format = spec.get("time_format")
    if time_format is not None and not isinstance(time_format, str):
        fail("'time_format' must be a strftime string or null")
    encoding = spec.get("encoding")
    if encoding is not None:
        import codecs

        try:
            codecs.lookup(encoding)
        except (LookupError, TypeError):
            fail(f"unknown encoding {encoding!r}")
    return Mapping(path, spec["name"], fmt, tuple(files), dict(columns), platform, timezone,
                   time_format, encoding)


def mapping_for(path: Path, levels: int = 3) -> Path | None:
    """The mapping file (in the file's folder or up to ``levels`` above) whose glob matches it."""
    folder = path.resolve().parent
    for _ in range(levels + 1):
        hits = [m for m in sorted(folder.glob(f"*{SUFFIX}")) if load_mapping(m).matches(path)]
        if len(hits) > 1:
            raise MappingError(f"{path}: matched by several mapping files: {[str(h) for h in hits]}")
        if hits:
            return hits[0]
        if folder.parent == folder:
            break
        folder = folder.parent
    return None


# ----------------------------------------------------------------------------- rows


def _lookup(record: dict, field_name: str):
    if field_name in record:
        return record[field_name]
    value = record
    for part in field_name.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        else:
            return None
    return value


def _records(path: Path, mapping: Mapping, rejects: Rejects):
    """Yield (row, record dict, raw text) and quarantine what cannot be a record.

    Returns the number of rows read via StopIteration value (see :func:`_read_file`).
    """
    name = str(path)
    if mapping.format == "parquet":
        try:
            table = pl.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - any unreadable parquet is rejected whole
            rejects.add(name, -1, "bad_parquet", f"{name}: not a readable Parquet file: {exc}", None)
            return 1
        for row, record in enumerate(table.iter_rows(named=True)):
            yield row, record, None
        return table.height
    raw = path.read_bytes()
    if not raw.strip():
        rejects.add(name, -1, "empty_file", f"{name}: file is empty", None)
        return 1
    try:
        text, _ = decode(raw, name, mapping.encoding)
    except DecodeError as exc:
        rejects.add(name, -1, "bad_encoding", str(exc), raw[:200])
        return 1
    if mapping.format == "jsonl":
        n = 0
        for row, line in enumerate(text.splitlines()):
            if not line.strip():
                continue
            n += 1
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                rejects.add(name, row, "bad_json", f"{name}:{row}: invalid JSON: {exc}", line)
                continue
            if not isinstance(record, dict):
                rejects.add(name, row, "not_object", f"{name}:{row}: a line must hold a JSON object", line)
                continue
            yield row, record, line
        return n
    if mapping.format == "json":
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            rejects.add(name, -1, "bad_json", f"{name}: invalid JSON (truncated?): {exc}", text)
            return 1
        items = value if isinstance(value, list) else [value]
        for row, record in enumerate(items):
            if not isinstance(record, dict):
                rejects.add(name, row, "not_object", f"{name}:{row}: array items must be JSON objects", record)
                continue
            yield row, record, None
        return len(items)
    # csv
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        rejects.add(name, -1, "empty_file", f"{name}: no CSV header", text)
        return 1
    header = [h.strip() for h in header]
    n = -1
    try:
        for fields in reader:
            if not fields:
                continue
            n += 1
            if len(fields) != len(header):
                rejects.add(name, n, "bad_csv_row",
                            f"{name}:{n}: {len(fields)} fields, header has {len(header)}", _csv_line(fields))
                continue
            yield n, {h: (v if v != "" else None) for h, v in zip(header, fields, strict=True)}, _csv_line(fields)
    except csv.Error as exc:
        n += 1
        rejects.add(name, n, "bad_csv", f"{name}:{n}: CSV error, rest of file not read: {exc}", None)
    return n + 1


def _csv_line(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(fields)
    return out.getvalue().rstrip("\r\n")


def _coerce(column: str, value):
    """(value for the column's list, problem or None). Strings for ids/text/time; typed otherwise."""
    if value is None:
        return None, None
    if column in INT_COLUMNS:
        if isinstance(value, bool):
            return None, "bool"
        if isinstance(value, int):
            return value, None
        if isinstance(value, float) and value.is_integer():
            return int(value), None
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value.strip()), None
        if isinstance(value, str) and not value.strip():
            return None, None
        return None, f"{type(value).__name__} {value!r:.40}"
    if column in BOOL_COLUMNS:
        if isinstance(value, bool):
            return value, None
        if isinstance(value, int) and value in (0, 1):
            return bool(value), None
        if isinstance(value, str) and value.strip().lower() in TRUE | FALSE:
            return value.strip().lower() in TRUE, None
        return None, f"{type(value).__name__} {value!r:.40}"
    if column == "created_at":
        if isinstance(value, bool):
            return None, "bool"
        if isinstance(value, int | float):
            return repr(value), None
    if isinstance(value, str):
        return value, None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), None
    return None, f"{type(value).__name__} {orjson.dumps(value, default=str)[:40].decode()}"


def read(mapping_path: Path, files: list[Path] | None = None, progress: Callable | None = None) -> Batch:
    mapping = load_mapping(mapping_path)
    if files is None:
        files = mapping.data_files()
        if not files:
            batch = Batch()
            batch.notes.append(f"{mapping_path}: files {list(mapping.files)} matched nothing")
            return batch
    else:
        files = list({Path(f).resolve(): Path(f) for f in files}.values())
        for f in files:
            if not mapping.matches(f):
                raise MappingError(f"{mapping_path}: does not describe {f} (files: {list(mapping.files)})")
    batch = Batch()
    rejects = Rejects()
    columns = list(mapping.columns)
    cols: dict[str, list] = {c: [] for c in (*columns, "source_file", "source_row", "_raw")}
    wrap = progress or (lambda it, **_: it)
    for path in wrap(files, desc=f"mapping {mapping.name}", unit="file"):
        name = str(path)
        batch.readers[name] = f"{READER}:{mapping.name}"
        gen = _records(path, mapping, rejects)
        while True:
            try:
                row, record, raw = next(gen)
            except StopIteration as stop:
                batch.reads[name] = stop.value or 0
                break
            values, problem = [], None
            for c in columns:
                value, bad = _coerce(c, _lookup(record, mapping.columns[c]))
                if bad and problem is None:
                    problem = (c, bad)
                values.append(value)
            if problem:
                rejects.add(name, row, f"bad_type:{problem[0]}",
                            f"{name}:{row}: {problem[0]} ({mapping.columns[problem[0]]}) is {problem[1]}",
                            raw if raw is not None else record)
                continue
            for c, v in zip(columns, values, strict=True):
                cols[c].append(v)
            cols["source_file"].append(name)
            cols["source_row"].append(row)
            cols["_raw"].append(raw if raw is not None else orjson.dumps(record, default=str).decode())
    schema = {c: (POST_SCHEMA[c] if c in (*INT_COLUMNS, *BOOL_COLUMNS) else pl.Utf8) for c in columns}
    frame = pl.DataFrame(cols, schema={**schema, "source_file": pl.Utf8, "source_row": pl.Int64, "_raw": pl.Utf8})
    posts, bad = _normalise(frame, mapping)
    batch.posts = posts
    batch.quarantine = pl.concat([rejects.frame(), bad], how="vertical")
    return batch


def _normalise(frame: pl.DataFrame, m: Mapping) -> tuple[pl.DataFrame, pl.DataFrame]:
    have = set(frame.columns)

    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in have else pl.lit(None, pl.Utf8)

    def blank(e: pl.Expr) -> pl.Expr:
        return e.is_null() | (e.str.strip_chars() == "")

    platform = pl.lit(m.platform) if m.platform else col("platform").str.strip_chars().str.to_lowercase()
    parent_raw = pl.when(~blank(col("parent_id"))).then(col("parent_id").str.strip_chars())
    kind = pl.when(blank(col("kind"))).then(
        pl.when(parent_raw.is_null()).then(pl.lit("original")).otherwise(pl.lit("repost"))
    ).otherwise(col("kind").str.strip_chars().str.to_lowercase())
    author_type = pl.when(blank(col("author_type"))).then(pl.lit("unknown")).otherwise(
        col("author_type").str.strip_chars().str.to_lowercase()
    )
    frame = frame.lazy().with_columns(
        platform.alias("platform"),
        kind.alias("kind"),
        author_type.alias("author_type"),
        parse_text(col("created_at"), m.timezone, m.time_format).alias("_created"),
    )
    reason = (
        pl.when(blank(col("post_id"))).then(pl.lit("missing_id"))
        .when(blank(col("created_at"))).then(pl.lit("missing_timestamp"))
        .when(pl.col("_created").is_null()).then(pl.lit("bad_timestamp"))
        .when(~plausible(pl.col("_created"))).then(pl.lit("implausible_timestamp"))
        .when(~pl.col("platform").is_in(PLATFORMS)).then(pl.lit("bad_value:platform"))
        .when(~pl.col("kind").is_in(POST_KINDS)).then(pl.lit("bad_value:kind"))
        .when(~pl.col("author_type").is_in(AUTHOR_TYPES)).then(pl.lit("bad_value:author_type"))
    )
    detail = (
        pl.when(pl.col("_reason") == "missing_id").then(pl.lit(f"no post id ({m.columns['post_id']})"))
        .when(pl.col("_reason") == "missing_timestamp").then(pl.lit(f"no timestamp ({m.columns['created_at']})"))
        .when(pl.col("_reason") == "bad_timestamp")
        .then(pl.format("cannot parse timestamp {} (time_format: {})", col("created_at"), pl.lit(str(m.time_format))))
        .when(pl.col("_reason") == "implausible_timestamp")
        .then(pl.format("timestamp {} is outside 1990..2100", col("created_at")))
        .when(pl.col("_reason") == "bad_value:platform").then(pl.format("platform {} is not one of the schema's platforms", pl.col("platform")))
        .when(pl.col("_reason") == "bad_value:kind").then(pl.format("kind {} is not one of {}", pl.col("kind"), pl.lit(", ".join(POST_KINDS))))
        .otherwise(pl.format("author_type {} is not one of {}", pl.col("author_type"), pl.lit(", ".join(AUTHOR_TYPES))))
    )
    frame = frame.with_columns(reason.alias("_reason"))
    bad = frame.filter(pl.col("_reason").is_not_null()).select(
        "source_file", "source_row", pl.col("_reason").alias("reason"),
        pl.format("{}:{}: {}", pl.col("source_file"), pl.col("source_row"), detail).alias("detail"),
        pl.col("_raw").alias("raw"),
    ).pipe(quarantine_frame)

    def prefixed(e: pl.Expr) -> pl.Expr:
        e = e.str.strip_chars()
        prefix = pl.col("platform") + ":"
        return pl.when(blank(e)).then(None).when(e.str.starts_with(prefix)).then(e).otherwise(prefix + e)

    posts = frame.filter(pl.col("_reason").is_null()).with_columns(
        prefixed(col("post_id")).alias("post_id"),
        prefixed(col("parent_id")).alias("parent_id"),
        prefixed(col("root_id")).alias("root_id"),
        pl.col("_created").alias("created_at"),
        col("text").fill_null("").alias("text"),
        pl.lit(m.name).alias("source"),
        *[pl.when(~blank(col(c))).then(col(c)).alias(c)
          for c in ("lang", "url", "author_id", "author_name", "event_label") if c in have],
    ).pipe(conform, POST_SCHEMA)
    posts, bad = pl.collect_all([posts, bad])
    return posts, bad
