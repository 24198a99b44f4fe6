"""Mapping files (``*.mapping.yaml``): how an export's fields become post columns.

``load_mapping(path)`` parses and validates one (its own checks give the messages, naming the
file; then ``mapping.schema.json`` beside the examples in ``mappings/``); ``mapping_for(file)``
finds the mapping whose ``files`` glob claims a data file. The keys and what the reader
(:mod:`workbench.ingest.mapped`) does with them are described there.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
import polars as pl
import yaml

from workbench.ingest.files import read_bytes
from workbench.schema import PLATFORMS, POST_SCHEMA

SUFFIX = ".mapping.yaml"
FORMATS = ("jsonl", "json", "csv", "parquet")
KEYS = ("name", "format", "files", "platform", "timezone", "time_format", "encoding", "columns",
        "time_from", "strip_quotes", "filter", "label_from")
REQUIRED = ("name", "format", "files", "columns")
TIME_FROM = ("snowflake",)
LABEL_FROM = ("file_name", "folder_name")
FILTER_OPS = ("==", "!=", "not in", "in", "contains", "matches")
FILTER_RE = re.compile(r"^\s*(\S+)\s+(==|!=|not in|in|contains|matches)\s+(.*?)\s*$")
SET_BY_READER = ("source", "near_duplicate_of", "source_file", "source_row")
MAPPABLE = tuple(c for c in POST_SCHEMA if c not in SET_BY_READER)


class MappingError(ValueError):
    """A mapping file is malformed (the message names the file)."""


@dataclass(frozen=True)
class Filter:
    """Keep rows whose source ``field`` satisfies ``op`` ``value`` (text comparison)."""

    field: str
    op: str
    value: str

    def expr(self, text: pl.Expr) -> pl.Expr:
        s = text.str.strip_chars()
        if self.op in ("in", "not in"):
            options = [v.strip() for v in self.value.split(",")]
            hit = s.is_in(options)
        elif self.op == "contains":
            hit = s.str.contains(self.value, literal=True)
        elif self.op == "matches":
            hit = s.str.contains(self.value)
        else:
            hit = s == self.value
        hit = hit.fill_null(False)
        return ~hit if self.op in ("!=", "not in") else hit

    def __str__(self) -> str:
        return f"{self.field} {self.op} {self.value}"


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
    time_from: str | None = None
    strip_quotes: tuple[str, ...] = ()
    filters: tuple[Filter, ...] = ()
    label_from: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return self.path.parent

    def matches(self, path: Path) -> bool:
        try:
            rel = path.resolve().relative_to(self.folder.resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):
            return False
        return any(fnmatch.fnmatchcase(rel, pattern) for pattern in self.files)

    def data_files(self) -> list[Path]:
        """Every glob match that is not a folder or a mapping file (links and special files
        included: the reader quarantines those it must not or cannot read)."""
        found = {p for pattern in self.files for p in self.folder.glob(pattern)}
        return sorted(p for p in found if not p.name.endswith(SUFFIX) and not p.is_dir())


def _fields(path: Path, spec: dict, fail) -> dict:
    """The optional feature keys, validated."""
    columns = spec["columns"]
    time_from = spec.get("time_from")
    if time_from is not None and time_from not in TIME_FROM:
        fail(f"time_from {time_from!r} is not one of {list(TIME_FROM)}")
    label_from = spec.get("label_from")
    if label_from is not None:
        if label_from not in LABEL_FROM:
            fail(f"label_from {label_from!r} is not one of {list(LABEL_FROM)}")
        if "event_label" in columns:
            fail("give event_label either under columns or as label_from, not both")
    quotes = spec.get("strip_quotes") or ()
    if quotes is True:
        quotes = tuple(columns)
    elif isinstance(quotes, list) and all(isinstance(q, str) for q in quotes):
        unknown = sorted(set(quotes) - set(columns))
        if unknown:
            fail(f"strip_quotes names column(s) {unknown} not under 'columns'")
        quotes = tuple(quotes)
    elif quotes != ():
        fail("'strip_quotes' must be true, false or a list of mapped columns")
    raw_filters = spec.get("filter") or []
    if isinstance(raw_filters, str):
        raw_filters = [raw_filters]
    if not isinstance(raw_filters, list):
        fail("'filter' must be a string 'field op value' or a list of them")
    filters = []
    for text in raw_filters:
        m = FILTER_RE.match(text) if isinstance(text, str) else None
        if m is None:
            fail(f"filter {text!r} is not 'field op value' with op one of {list(FILTER_OPS)}")
        if m.group(2) == "matches":
            try:
                re.compile(m.group(3))
            except re.error as exc:
                fail(f"filter {text!r}: bad regular expression: {exc}")
        filters.append(Filter(*m.groups()))
    return {"time_from": time_from, "label_from": label_from, "strip_quotes": quotes,
            "filters": tuple(filters)}


def _check_glob(pattern: str, fail) -> None:
    if Path(pattern).is_absolute() or pattern.startswith(("/", "\\", "~")) or re.match(r"^[A-Za-z]:", pattern):
        fail(f"files {pattern!r}: an absolute glob is not allowed (globs are relative to the mapping's folder)")
    if ".." in re.split(r"[/\\]", pattern):
        fail(f"files {pattern!r}: '..' is not allowed (a mapping reads only files under its own folder)")


def load_mapping(path: str | Path) -> Mapping:
    """Parse and validate a mapping file; :class:`MappingError` names the file on any problem."""
    path = Path(path)
    try:
        spec = yaml.safe_load(read_bytes(path).decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as exc:
        raise MappingError(f"{path}: cannot read mapping file: {exc}") from exc
    if not isinstance(spec, dict):
        raise MappingError(f"{path}: a mapping file must be a YAML mapping of keys")

    def fail(msg: str):
        raise MappingError(f"{path}: {msg}")

    unknown = sorted(set(map(str, spec)) - set(KEYS))
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
    for pattern in files:
        _check_glob(pattern, fail)
    columns = spec["columns"]
    if not isinstance(columns, dict):
        fail("'columns' must map canonical column names to source fields")
    bad_cols = sorted(set(map(str, columns)) - set(MAPPABLE))
    if bad_cols:
        fail(f"unknown column(s) {bad_cols} under 'columns'; allowed: {list(MAPPABLE)}")
    for canonical, source in columns.items():
        if not isinstance(source, str) or not source:
            fail(f"columns.{canonical} must be a source field name, not {source!r}")
    features = _fields(path, spec, fail)
    for needed in ("post_id", "created_at"):
        if needed not in columns and not (needed == "created_at" and features["time_from"]):
            fail(f"columns.{needed} is required" + (" (or time_from: snowflake)" if needed == "created_at" else ""))
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
    problems = sorted(schema_validator().iter_errors(spec), key=lambda e: list(e.path))
    if problems:
        where = "/".join(map(str, problems[0].path)) or "(top)"
        fail(f"does not match mapping.schema.json at {where}: {problems[0].message}")
    return Mapping(path, spec["name"], fmt, tuple(files), dict(columns), platform, timezone,
                   time_format, encoding, **features)


SCHEMA_PATH = Path(__file__).parent / "mappings" / "mapping.schema.json"


@cache
def schema_validator():
    """The JSON schema of mapping files (kept in step with KEYS / MAPPABLE by a test)."""
    import jsonschema

    return jsonschema.Draft202012Validator(orjson.loads(SCHEMA_PATH.read_bytes()))


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
