"""A graded gold set: short incidents written as posts, each with the level and nature an
analyst gives it and a one-line reason (``tests/gold/*.yaml``; format in its README).

``load(path)`` reads a file or a folder of files (validated: ids unique, levels and natures
from the closed lists, every post group well formed; errors name the file and incident);
``posts(incident)`` expands an incident's post groups into a POST_SCHEMA frame,
deterministically, so the real findings and rules can grade it (``evaluate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import yaml

from workbench.schema import (
    AUTHOR_TYPES,
    LEVELS,
    NATURE_UNCERTAIN,
    NATURES,
    PLATFORMS,
    POST_SCHEMA,
    WATCH,
    conform,
)

DEFAULT_START = "2026-06-01T08:00:00+08:00"
GOLD_LEVELS = (*LEVELS, WATCH)
GOLD_NATURES = (*NATURES, NATURE_UNCERTAIN)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_GROUP_KEYS = {"text", "texts", "n", "at", "author", "kind", "parent", "platform", "lang",
               "reposts", "comments", "likes"}
_AUTHOR_KEYS = {"type", "verified", "followers", "name", "same"}


class GoldError(ValueError):
    """A gold-set file is malformed (the message names the file and incident)."""


@dataclass(frozen=True)
class Incident:
    id: str
    title: str
    level: str
    nature: str
    reason: str
    start: datetime
    groups: tuple[dict, ...]
    file: str
    tags: tuple[str, ...] = field(default_factory=tuple)


def _fail(where: str, msg: str):
    raise GoldError(f"{where}: {msg}")


def _start(value, where: str) -> datetime:
    if isinstance(value, datetime):
        t = value
    else:
        try:
            t = datetime.fromisoformat(str(value))
        except ValueError:
            _fail(where, f"start {value!r} is not an ISO time")
    return (t if t.tzinfo else t.replace(tzinfo=UTC)).astimezone(UTC)


def _check_group(g, where: str, n_groups: int, index: int) -> dict:
    if not isinstance(g, dict):
        _fail(where, "a post group must be a mapping")
    unknown = set(g) - _GROUP_KEYS
    if unknown:
        _fail(where, f"unknown keys {sorted(unknown)}")
    texts = g.get("texts") if "texts" in g else [g.get("text")]
    if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
        _fail(where, "needs 'text' (a string) or 'texts' (a non-empty list of strings)")
    n = g.get("n", 1)
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 100_000:
        _fail(where, f"n must be an integer 1..100000, not {n!r}")
    at = g.get("at", 0)
    span = at if isinstance(at, list) else [at, at]
    if len(span) != 2 or not all(isinstance(x, int | float) and not isinstance(x, bool)
                                 for x in span) or span[0] > span[1]:
        _fail(where, f"at must be hours or [from, to], not {at!r}")
    author = g.get("author") or {}
    if not isinstance(author, dict) or set(author) - _AUTHOR_KEYS:
        _fail(where, f"author: unknown keys {sorted(set(author) - _AUTHOR_KEYS)}")
    if author.get("type", "individual") not in AUTHOR_TYPES:
        _fail(where, f"author.type must be one of {AUTHOR_TYPES}")
    kind = g.get("kind", "original")
    if kind not in ("original", "repost"):
        _fail(where, "kind must be original or repost")
    parent = g.get("parent", 0)
    if kind == "repost" and (not isinstance(parent, int) or not 0 <= parent < n_groups
                             or parent == index):
        _fail(where, f"parent must be the index of another group, not {parent!r}")
    platform = g.get("platform")
    if platform is not None and platform not in PLATFORMS:
        _fail(where, f"platform must be one of {PLATFORMS}")
    return {**g, "texts": texts, "n": n, "at": span, "author": author, "kind": kind,
            "parent": parent}


def _incident(raw, file: str, k: int) -> Incident:
    where = f"{file}: incident {k}"
    if not isinstance(raw, dict):
        _fail(where, "must be a mapping")
    iid = raw.get("id")
    if not isinstance(iid, str) or not _ID.match(iid):
        _fail(where, f"id must match {_ID.pattern}, not {iid!r}")
    where = f"{file}: {iid}"
    expect = raw.get("expect") or {}
    level, nature = expect.get("level"), expect.get("nature")
    if level not in GOLD_LEVELS:
        _fail(where, f"expect.level must be one of {GOLD_LEVELS}, not {level!r}")
    if nature not in GOLD_NATURES:
        _fail(where, f"expect.nature must be one of {GOLD_NATURES}, not {nature!r}")
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        _fail(where, "needs a one-line 'reason'")
    groups = raw.get("posts")
    if not isinstance(groups, list) or not groups:
        _fail(where, "needs 'posts': a non-empty list of post groups")
    checked = tuple(_check_group(g, f"{where}: posts[{i}]", len(groups), i)
                    for i, g in enumerate(groups))
    tags = raw.get("tags") or []
    return Incident(id=iid, title=str(raw.get("title") or iid), level=level, nature=nature,
                    reason=reason.strip(), start=_start(raw.get("start", DEFAULT_START), where),
                    groups=checked, file=file, tags=tuple(str(t) for t in tags))


def load(path: str | Path) -> list[Incident]:
    """Incidents of a gold file or of every ``*.yaml`` in a folder (sorted by file)."""
    path = Path(path)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    if not files:
        raise GoldError(f"{path}: no gold files (*.yaml)")
    out: list[Incident] = []
    seen: dict[str, str] = {}
    for f in files:
        try:
            data = yaml.safe_load(f.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise GoldError(f"{f}: cannot read: {exc}") from exc
        if not isinstance(data, dict) or not isinstance(data.get("incidents"), list):
            raise GoldError(f"{f}: expected a mapping with an 'incidents' list")
        for k, raw in enumerate(data["incidents"]):
            inc = _incident(raw, f.name, k)
            if inc.id in seen:
                raise GoldError(f"{f.name}: {inc.id}: id already used in {seen[inc.id]}")
            seen[inc.id] = f.name
            out.append(inc)
    return out


def posts(incident: Incident) -> pl.DataFrame:
    """The incident's posts (POST_SCHEMA): group ``g``'s ``k``-th post is
    ``gold:<id>:<g>:<k>``, texts cycled, times spread evenly over the group's hours."""
    cols: dict[str, list] = {c: [] for c in (
        "post_id", "platform", "kind", "created_at", "text", "lang", "author_id",
        "author_name", "author_followers", "author_verified", "author_type", "reposts",
        "comments", "likes", "parent_id", "root_id")}
    first_id = [f"gold:{incident.id}:{g}:0" for g in range(len(incident.groups))]
    for g, group in enumerate(incident.groups):
        a = group["author"]
        lang = group.get("lang", "zh")
        platform = group.get("platform") or ("twitter" if lang != "zh" else "weibo")
        lo, hi = group["at"]
        n = group["n"]
        parent = first_id[group["parent"]] if group["kind"] == "repost" else None
        for k in range(n):
            pid = f"gold:{incident.id}:{g}:{k}"
            hours = lo + (hi - lo) * (k / (n - 1) if n > 1 else 0.0)
            author = f"{incident.id}:{g}" if a.get("same") else f"{incident.id}:{g}:{k}"
            cols["post_id"].append(pid)
            cols["platform"].append(platform)
            cols["kind"].append(group["kind"])
            cols["created_at"].append(incident.start + timedelta(hours=hours))
            cols["text"].append(group["texts"][k % len(group["texts"])])
            cols["lang"].append(lang)
            cols["author_id"].append(author)
            cols["author_name"].append(a.get("name"))
            cols["author_followers"].append(int(a.get("followers", 500)))
            cols["author_verified"].append(bool(a.get("verified", False)))
            cols["author_type"].append(a.get("type", "individual"))
            cols["reposts"].append(int(group.get("reposts", 0)))
            cols["comments"].append(int(group.get("comments", 0)))
            cols["likes"].append(int(group.get("likes", 0)))
            cols["parent_id"].append(parent)
            cols["root_id"].append(first_id[0] if parent else pid)
    frame = pl.DataFrame(cols, schema_overrides={"created_at": POST_SCHEMA["created_at"],
                                                 "parent_id": pl.Utf8})
    frame = frame.with_columns(
        source=pl.lit("gold"), event_label=pl.lit(incident.id),
        source_file=pl.lit(incident.file), source_row=pl.int_range(pl.len(), dtype=pl.Int64))
    return conform(frame, POST_SCHEMA)
