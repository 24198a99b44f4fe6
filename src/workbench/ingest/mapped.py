"""Generic reader: CSV / JSONL / JSON / Parquet exports described by a mapping file.

A new channel is a ``*.mapping.yaml`` beside its data, not new code::

    name: sim_weibo            # becomes the `source` column
    format: jsonl              # jsonl | json | csv | parquet
    files: "weibo*.jsonl"      # glob, relative to the mapping file's folder
    platform: weibo            # constant platform, or map a field in columns
    timezone: Asia/Shanghai    # applied to naive timestamps (default UTC)
    time_format: null          # strftime format; null = ISO 8601 or a Unix epoch, auto
    encoding: null             # null = auto (utf-8, utf-8-sig, utf-16 with BOM, gb18030)
    time_from: null            # snowflake: created_at from the (Twitter) post id
    strip_quotes: false        # true (every column) or [columns]: '3254' -> 3254
    filter: null               # "field op value" (or a list, all must hold)
    label_from: null           # file_name | folder_name -> event_label
    columns:                   # canonical column -> source field (dot path into nested JSON)
      post_id: id
      created_at: time
      ...

Parsing and validating mapping files is :mod:`workbench.ingest.mapping` (its names are
re-exported here). Required: ``name``, ``format``, ``files``, ``columns`` with ``post_id`` and ``created_at`` (or
``time_from``), and a platform (constant or mapped). Any other key -- top level or under
``columns`` -- is an error naming the mapping file. Columns that may be mapped: every post
column except ``source``, ``near_duplicate_of``, ``source_file`` and ``source_row``.

Confinement: ``files`` globs are relative and stay inside the mapping's folder (an absolute
glob or one with ``..`` is an error); a match that resolves outside the folder (a symlink out)
is not read but quarantined as ``outside_folder``; a FIFO, socket or unreadable file is
quarantined as ``not_a_file`` / ``unreadable_file`` -- one entry per file, never a hang.

Rows: JSONL one object per ``\\n``-terminated line (blank lines skipped; ``source_row`` = 0-based
line number; U+2028/U+2029/U+0085 inside a line are text, not line breaks); JSON an array of
objects (or one object; a truncated array keeps its complete items); CSV with a header
(``source_row`` = 0-based data row; fields of any size); Parquet any table (struct columns
reachable by dot paths). A field name is first looked up as written (a CSV header may be
``user.id``), then as a dot path into nested objects. Undecodable bytes or NUL bytes cost only
the line / record holding them (``bad_encoding``).

Values: every conversion is vectorised and never raises: ids and strings accept strings or
integers (ids of any length keep every digit); counts accept integers, integral floats or
ASCII-digit strings within int64 (``'²'``, ``'--5'`` -> ``bad_type:<column>``; beyond int64 ->
``bad_value:<column>``); ``author_verified`` accepts booleans, 0/1, true/false/yes/no;
``created_at`` accepts a Unix epoch (s / ms / µs / ns by magnitude), text (see
:func:`workbench.ingest.times.parse_text`) or, in Parquet, a typed datetime column (naive ones
are wall-clock in ``timezone``). Anything else quarantines the row as ``bad_type:<column>``
with the column and the raw value in ``detail``. ``platform``, ``kind`` and ``author_type``
must be one of the schema's values (``bad_value:<column>``); an unmapped or empty ``kind`` is
``original`` without a parent and ``repost`` with one; an empty ``author_type`` is 'unknown'.
Ids get the platform prefix (``weibo:123``) unless they already carry it. Rows failing the
``filter`` are quarantined as ``filtered`` (counted, never silently dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import polars as pl

from workbench.ingest import jsontext
from workbench.ingest.csvtext import CsvRows
from workbench.ingest.encoding import DecodeError, decode_lenient, is_damaged
from workbench.ingest.files import (
    Unreadable,
    check_regular,
    inside,
    naming,
    read_bytes,
)
from workbench.ingest.mapping import (  # noqa: F401 - re-exported: the mapping API lives here too
    FORMATS,
    KEYS,
    LABEL_FROM,
    MAPPABLE,
    REQUIRED,
    SUFFIX,
    TIME_FROM,
    Mapping,
    MappingError,
    load_mapping,
    mapping_for,
    schema_validator,
)
from workbench.ingest.result import Batch, Rejects, quarantine_frame
from workbench.ingest.times import from_snowflake, localise, parse_text, plausible
from workbench.ingest.values import (
    blank,
    count_problem,
    flag_problem,
    strip_quotes,
    to_count,
    to_flag,
)
from workbench.schema import AUTHOR_TYPES, PLATFORMS, POST_KINDS, POST_SCHEMA, UTC_TIME, conform

READER = "mapped"
ID_COLUMNS = ("post_id", "parent_id", "root_id")
INT_COLUMNS = tuple(c for c, t in POST_SCHEMA.items() if t == pl.Int64 and c in MAPPABLE)
BOOL_COLUMNS = ("author_verified",)
FLOAT_OK = (*INT_COLUMNS, "created_at")  # columns where a JSON float is a value, not a type error
TYPED_TIME = "_created_typed"


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


def _short(value) -> str:
    try:
        text = orjson.dumps(value, default=str)[:60].decode("utf-8", "replace")
    except TypeError:
        text = repr(value)[:60]
    return text


def _text(column: str, value) -> tuple[str | None, str | None]:
    """(the value as text, or a type problem) for one value of a JSON record. Conversions to
    numbers, flags and times happen later, vectorised."""
    if value is None:
        return None, None
    kind = type(value)
    if kind is str:
        return value, None
    if kind is int:
        return str(value), None  # any length: ids keep every digit
    if kind is bool:
        if column in BOOL_COLUMNS or column.startswith("_f"):
            return ("true" if value else "false"), None
        return None, f"bool {value!r}"
    if kind is float and (column in FLOAT_OK or column.startswith("_f")):
        return repr(value), None
    if isinstance(value, str):
        return str(value), None
    return None, f"{kind.__name__} {_short(value)}"


class _Rows:
    """Column lists (all text) for one file's records; ``frame()`` makes its table once."""

    def __init__(self, sources: list[tuple[str, str]]) -> None:
        self.sources = sources  # (column key, source field)
        self.cols: dict[str, list] = {k: [] for k, _ in sources}
        for k in ("source_row", "_raw", "_bad_reason", "_bad_detail"):
            self.cols[k] = []

    def add(self, row: int, values: list, raw: str, bad: tuple[str, str] | None) -> None:
        for (key, _), v in zip(self.sources, values, strict=True):
            self.cols[key].append(v)
        self.cols["source_row"].append(row)
        self.cols["_raw"].append(raw)
        self.cols["_bad_reason"].append(None if bad is None else bad[0])
        self.cols["_bad_detail"].append(None if bad is None else bad[1])

    def add_record(self, row: int, record: dict, raw: str) -> None:
        values, bad = [], None
        for key, source in self.sources:
            text, problem = _text(key, _lookup(record, source))
            if problem is not None and bad is None:
                bad = (f"bad_type:{key}", f"{key} ({source}) is {problem}")
            values.append(text)
        self.add(row, values, raw, bad)

    def frame(self) -> pl.DataFrame:
        schema = {k: (pl.Int64 if k == "source_row" else pl.Utf8) for k in self.cols}
        return pl.DataFrame(self.cols, schema=schema)


def _dump(record) -> str:
    try:
        return orjson.dumps(record, default=str).decode()
    except TypeError:  # an integer beyond 64 bits
        import json

        return json.dumps(record, ensure_ascii=False, default=str)


def _jsonl(name: str, text: str, rows: _Rows, rejects: Rejects, damaged: bool) -> int:
    """One object per '\\n'-terminated line (not str.splitlines: U+2028 etc. are text)."""
    n = 0
    big = jsontext.BIG_INT.search(text) is not None
    for row, line in enumerate(text.split("\n")):
        line = line.removesuffix("\r").removeprefix("\ufeff")
        if not line.strip(" \t\r"):
            continue
        n += 1
        if damaged and is_damaged(line):
            rejects.add(name, row, "bad_encoding", f"{name}:{row}: undecodable bytes or NUL in this line", line)
            continue
        try:
            record = jsontext.loads(line, big and jsontext.BIG_INT.search(line) is not None)
        except jsontext.JSONError as exc:
            rejects.add(name, row, "bad_json", f"{name}:{row}: invalid JSON: {exc}", line)
            continue
        if not isinstance(record, dict):
            rejects.add(name, row, "not_object", f"{name}:{row}: a line must hold a JSON object", line)
            continue
        rows.add_record(row, record, line)
    return n


def _json(name: str, text: str, rows: _Rows, rejects: Rejects, damaged: bool) -> int:
    try:
        items, _ = jsontext.loads_items(text, damaged)
    except jsontext.JSONError as exc:
        reason = "bad_encoding" if damaged and is_damaged(text) else "bad_json"
        rejects.add(name, -1, reason, f"{name}: invalid JSON (truncated?): {exc}", text)
        return 1
    for row, record in enumerate(items):
        if isinstance(record, jsontext.Broken):
            rejects.add(name, row, record.reason,
                        f"{name}:{row}: invalid JSON from character {record.position}: {record.error}", record.text)
        elif not isinstance(record, dict):
            rejects.add(name, row, "not_object", f"{name}:{row}: array items must be JSON objects", record)
        else:
            rows.add_record(row, record, _dump(record))
    return len(items)


def _csv(name: str, text: str, rows: _Rows, rejects: Rejects, damaged: bool) -> int:
    table = CsvRows(name, text, rejects, damaged)
    if table.header is None:
        return 1
    where = {h: i for i, h in reversed(list(enumerate(table.header)))}
    positions = [where.get(source) for _, source in rows.sources]
    for n, fields, line in table:
        rows.add(n, [None if i is None or fields[i] == "" else fields[i] for i in positions], line, None)
    return table.count


TEXT_READERS = {"jsonl": _jsonl, "json": _json, "csv": _csv}


# ----------------------------------------------------------------------------- parquet


def _field_expr(schema: pl.Schema, source: str) -> tuple[pl.Expr, pl.DataType] | None:
    """The expression (and dtype) reaching ``source`` in a table: a column, or a dot path into
    struct columns; None when absent."""
    if source in schema:
        return pl.col(source), schema[source]
    parts = source.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        head = ".".join(parts[:cut])
        if head not in schema:
            continue
        expr, dtype = pl.col(head), schema[head]
        for part in parts[cut:]:
            if not isinstance(dtype, pl.Struct):
                return None
            inner = {f.name: f.dtype for f in dtype.fields}
            if part not in inner:
                return None
            expr, dtype = expr.struct.field(part), inner[part]
        return expr, dtype
    return None


def _parquet(name: str, path: Path, m: Mapping, sources: list[tuple[str, str]],
             rejects: Rejects) -> tuple[pl.DataFrame | None, int]:
    try:
        table = pl.read_parquet(read_bytes(path))
    except Unreadable:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable parquet is rejected whole
        rejects.add(name, -1, "bad_parquet", f"{name}: not a readable Parquet file: {exc}", None)
        return None, 1
    exprs, problems = [], []
    typed_time = pl.lit(None, UTC_TIME)
    for key, source in sources:
        found = _field_expr(table.schema, source)
        if found is None:
            exprs.append(pl.lit(None, pl.Utf8).alias(key))
            continue
        expr, dtype = found
        if key == "created_at" and (isinstance(dtype, pl.Datetime) or dtype == pl.Date):
            typed_time = _typed_time(expr, dtype, m.timezone)
            exprs.append(pl.lit(None, pl.Utf8).alias(key))
            continue
        ok = (dtype.is_integer() or dtype == pl.Utf8 or dtype in (pl.Categorical, pl.Enum, pl.Decimal, pl.Null)
              or dtype.is_temporal()
              or (dtype.is_float() and key in FLOAT_OK) or (dtype == pl.Boolean and key in BOOL_COLUMNS)
              or (key.startswith("_f") and (dtype.is_numeric() or dtype == pl.Boolean)))  # filter fields
        if ok:
            exprs.append(expr.cast(pl.Utf8, strict=False).alias(key))
        else:
            exprs.append(pl.lit(None, pl.Utf8).alias(key))
            problems.append((expr.is_not_null(), f"bad_type:{key}", f"{key} ({source}) is of type {dtype}"))
    bad_reason = pl.lit(None, pl.Utf8)
    bad_detail = pl.lit(None, pl.Utf8)
    for cond, reason, detail in reversed(problems):
        bad_reason = pl.when(cond).then(pl.lit(reason)).otherwise(bad_reason)
        bad_detail = pl.when(cond).then(pl.lit(detail)).otherwise(bad_detail)
    try:
        raw = table.select(pl.struct(pl.all()).struct.json_encode()).to_series()
    except Exception:  # noqa: BLE001 - a type JSON cannot hold: its text form instead
        raw = pl.Series([repr(r) for r in table.iter_rows()], dtype=pl.Utf8)
    frame = table.select(
        *exprs,
        pl.int_range(pl.len(), dtype=pl.Int64).alias("source_row"),
        bad_reason.alias("_bad_reason"),
        bad_detail.alias("_bad_detail"),
        typed_time.alias(TYPED_TIME),
    ).with_columns(raw.alias("_raw"))
    return frame, table.height


def _typed_time(expr: pl.Expr, dtype: pl.DataType, timezone: str) -> pl.Expr:
    """A typed Parquet time taken as it is: aware -> UTC, naive -> wall clock in ``timezone``."""
    if dtype == pl.Date:
        return localise(expr.cast(pl.Datetime("us")), timezone)
    if getattr(dtype, "time_zone", None):
        return expr.dt.convert_time_zone("UTC").cast(UTC_TIME)
    return localise(expr.cast(pl.Datetime("us")), timezone)


# ----------------------------------------------------------------------------- reading


def _read_file(path: Path, m: Mapping, sources: list[tuple[str, str]], rejects: Rejects) -> tuple[pl.DataFrame | None, int]:
    """(this file's raw text columns or None, rows read). Whole-file problems are rejects."""
    name = str(path)
    if not inside(path, m.folder):
        rejects.add(name, -1, "outside_folder",
                    f"{name}: resolves to {path.resolve()}, outside the mapping's folder {m.folder} (not read)", None)
        return None, 1
    try:
        if m.format == "parquet":
            check_regular(path)
            return _parquet(name, path, m, sources, rejects)
        raw = read_bytes(path)
    except Unreadable as exc:
        rejects.add(name, -1, exc.reason, str(exc), None)
        return None, 1
    try:
        text, _, damaged = decode_lenient(raw, name, m.encoding)
    except DecodeError as exc:
        rejects.add(name, -1, "bad_encoding", str(exc), raw[:200])
        return None, 1
    if not text.strip(" \t\r\n\ufeff"):
        rejects.add(name, -1, "empty_file", f"{name}: file is empty", None)
        return None, 1
    rows = _Rows(sources)
    n = TEXT_READERS[m.format](name, text, rows, rejects, damaged)
    return rows.frame().with_columns(pl.lit(None, UTC_TIME).alias(TYPED_TIME)), n


def _sources(m: Mapping) -> list[tuple[str, str]]:
    """(column key, source field): the mapped columns, then the filters' fields as _f0, _f1..."""
    return [*m.columns.items(), *((f"_f{i}", f.field) for i, f in enumerate(m.filters))]


def _label(path: Path, how: str | None) -> str | None:
    if how == "file_name":
        return path.name.split(".")[0] if not path.name.startswith(".") else path.name
    if how == "folder_name":
        return path.parent.name
    return None


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
    sources = _sources(mapping)
    frames = []
    wrap = progress or (lambda it, **_: it)
    for path in wrap(files, desc=f"mapping {mapping.name}", unit="file"):
        name = str(path)
        batch.readers[name] = f"{READER}:{mapping.name}"
        with naming(path):
            frame, n = _read_file(path, mapping, sources, rejects)
        batch.reads[name] = n
        if frame is not None and frame.height:
            columns = [pl.lit(name).alias("source_file")]
            if mapping.label_from:
                columns.append(pl.lit(_label(path, mapping.label_from)).alias("event_label"))
            frames.append(frame.with_columns(columns))
    batch.quarantine = rejects.frame()
    if frames:
        # one chunk: Polars 2.1 can panic on some string kernels over many small chunks
        posts, bad = _normalise(pl.concat(frames, how="vertical_relaxed", rechunk=True), mapping)
        batch.posts = posts
        batch.quarantine = pl.concat([batch.quarantine, bad], how="vertical")
    return batch


# ----------------------------------------------------------------------------- normalising


def _first(rules: list[tuple[pl.Expr, pl.Expr, pl.Expr]]) -> tuple[pl.Expr, pl.Expr]:
    """(reason, detail) of the first rule whose condition holds (null when none does)."""
    reason: pl.Expr = pl.lit(None, pl.Utf8)
    detail: pl.Expr = pl.lit(None, pl.Utf8)
    for cond, r, d in reversed(rules):
        reason = pl.when(cond).then(r).otherwise(reason)
        detail = pl.when(cond).then(d).otherwise(detail)
    return reason, detail


def _value(name: str) -> pl.Expr:
    """A raw value for a message: quoted, at most 80 characters."""
    return pl.format("'{}'", pl.col(name).str.slice(0, 80))


def _normalise(frame: pl.DataFrame, m: Mapping) -> tuple[pl.DataFrame, pl.DataFrame]:
    have = set(frame.columns)

    def col(name: str) -> pl.Expr:
        return pl.col(name) if name in have else pl.lit(None, pl.Utf8)

    lf = frame.lazy()
    if m.strip_quotes:
        lf = lf.with_columns(strip_quotes(pl.col(c)).alias(c) for c in m.strip_quotes)
    ints = [c for c in INT_COLUMNS if c in have]
    flags = [c for c in BOOL_COLUMNS if c in have]
    lf = lf.with_columns(
        *[to_count(pl.col(c)).alias(f"_n_{c}") for c in ints],
        *[to_flag(pl.col(c)).alias(f"_b_{c}") for c in flags],
    )
    platform = pl.lit(m.platform) if m.platform else col("platform").str.strip_chars().str.to_lowercase()
    parent_raw = pl.when(~blank(col("parent_id"))).then(col("parent_id").str.strip_chars())
    kind = pl.when(blank(col("kind"))).then(
        pl.when(parent_raw.is_null()).then(pl.lit("original")).otherwise(pl.lit("repost"))
    ).otherwise(col("kind").str.strip_chars().str.to_lowercase())
    author_type = pl.when(blank(col("author_type"))).then(pl.lit("unknown")).otherwise(
        col("author_type").str.strip_chars().str.to_lowercase()
    )
    snowflake = (
        from_snowflake(col("post_id").str.strip_chars().str.replace(r"^[A-Za-z]+:", ""))
        if m.time_from == "snowflake" else pl.lit(None, UTC_TIME)
    )
    text_time = parse_text(col("created_at"), m.timezone, m.time_format)
    created = (
        pl.when(pl.col(TYPED_TIME).is_not_null()).then(pl.col(TYPED_TIME))
        .when(~blank(col("created_at"))).then(text_time)
        .otherwise(snowflake)
    )
    lf = lf.with_columns(
        platform.alias("platform"),
        kind.alias("kind"),
        author_type.alias("author_type"),
        created.alias("_created"),
    )
    time_field = m.columns.get("created_at", "")
    no_time = pl.col(TYPED_TIME).is_null() & blank(col("created_at"))
    rules: list[tuple[pl.Expr, pl.Expr, pl.Expr]] = []
    for i, f in enumerate(m.filters):
        rules.append((~f.expr(pl.col(f"_f{i}")), pl.lit("filtered"),
                      pl.format("{} is {} (filter: {})", pl.lit(f.field), _value(f"_f{i}").fill_null("missing"), pl.lit(str(f)))))
    rules.append((pl.col("_bad_reason").is_not_null(), pl.col("_bad_reason"), pl.col("_bad_detail")))
    for c in ints:
        problem = count_problem(pl.col(c), pl.col(f"_n_{c}"))
        src = m.columns[c]
        rules.append((problem == "type", pl.lit(f"bad_type:{c}"),
                      pl.format("{} ({}) is {}: not an integer", pl.lit(c), pl.lit(src), _value(c))))
        rules.append((problem == "range", pl.lit(f"bad_value:{c}"),
                      pl.format("{} ({}) is {}: beyond the int64 range", pl.lit(c), pl.lit(src), _value(c))))
    for c in flags:
        rules.append((flag_problem(pl.col(c), pl.col(f"_b_{c}")) == "type", pl.lit(f"bad_type:{c}"),
                      pl.format("{} ({}) is {}: not true/false", pl.lit(c), pl.lit(m.columns[c]), _value(c))))
    snow_note = " and the post id is not a Twitter snowflake (time_from: snowflake)" if m.time_from else ""
    rules += [
        (blank(col("post_id")), pl.lit("missing_id"), pl.lit(f"no post id ({m.columns['post_id']})")),
        (no_time & pl.col("_created").is_null(), pl.lit("missing_timestamp"),
         pl.lit(f"no timestamp ({time_field or 'created_at unmapped'}){snow_note}")),
        (pl.col("_created").is_null(), pl.lit("bad_timestamp"),
         pl.format("cannot parse timestamp {} (time_format: {})", _value("created_at") if "created_at" in have
                   else pl.lit("from the id"), pl.lit(str(m.time_format)))),
        (~plausible(pl.col("_created")), pl.lit("implausible_timestamp"),
         pl.format("timestamp {} ({}) is outside 1990..2100",
                   col("created_at").str.slice(0, 80).fill_null("from the id"), pl.col("_created").cast(pl.Utf8))),
        (~pl.col("platform").is_in(PLATFORMS), pl.lit("bad_value:platform"),
         pl.format("platform {} is not one of the schema's platforms", pl.col("platform"))),
        (~pl.col("kind").is_in(POST_KINDS), pl.lit("bad_value:kind"),
         pl.format("kind {} is not one of {}", pl.col("kind"), pl.lit(", ".join(POST_KINDS)))),
        (~pl.col("author_type").is_in(AUTHOR_TYPES), pl.lit("bad_value:author_type"),
         pl.format("author_type {} is not one of {}", pl.col("author_type"), pl.lit(", ".join(AUTHOR_TYPES)))),
    ]
    reason, detail = _first([(cond.fill_null(False), r, d) for cond, r, d in rules])
    lf = lf.with_columns(reason.alias("_reason"), detail.alias("_detail"))
    bad = lf.filter(pl.col("_reason").is_not_null()).select(
        "source_file", "source_row", pl.col("_reason").alias("reason"),
        pl.format("{}:{}: {}", pl.col("source_file"), pl.col("source_row"),
                  pl.col("_detail").fill_null("invalid value")).alias("detail"),
        pl.col("_raw").alias("raw"),
    ).pipe(quarantine_frame)

    def prefixed(e: pl.Expr) -> pl.Expr:
        e = e.str.strip_chars()
        prefix = pl.col("platform") + ":"
        return pl.when(blank(e)).then(None).when(e.str.starts_with(prefix)).then(e).otherwise(prefix + e)

    posts = lf.filter(pl.col("_reason").is_null()).with_columns(
        prefixed(col("post_id")).alias("post_id"),
        prefixed(col("parent_id")).alias("parent_id"),
        prefixed(col("root_id")).alias("root_id"),
        pl.col("_created").alias("created_at"),
        col("text").fill_null("").alias("text"),
        pl.lit(m.name).alias("source"),
        *[pl.col(f"_n_{c}").alias(c) for c in ints],
        *[pl.col(f"_b_{c}").alias(c) for c in flags],
        *[pl.when(~blank(col(c))).then(col(c)).alias(c)
          for c in ("lang", "url", "author_id", "author_name", "event_label") if c in have],
    ).pipe(conform, POST_SCHEMA)
    posts, bad = pl.collect_all([posts, bad])
    return posts, bad
