"""What an ingest returns: the post table, the quarantine and a report that balances.

Every reader hands back a :class:`Batch` (its posts before de-duplication, its rejected rows,
and how many rows it read from each file). :func:`workbench.ingest.read` merges the batches,
collapses duplicate post ids and builds the :class:`IngestResult`, whose ``report`` proves, per
file and in total::

    read = accepted + quarantined + duplicates

A file rejected as a whole (undecodable, truncated JSON, empty) counts as one row read and one
row quarantined (``source_row = -1``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from workbench.schema import POST_SCHEMA, QUARANTINE_SCHEMA, conform, empty

RAW_LIMIT = 2000


@dataclass
class Batch:
    """One reader's output before de-duplication."""

    posts: pl.DataFrame = field(default_factory=lambda: empty(POST_SCHEMA))
    quarantine: pl.DataFrame = field(default_factory=lambda: empty(QUARANTINE_SCHEMA))
    reads: dict[str, int] = field(default_factory=dict)  # source_file -> rows read
    readers: dict[str, str] = field(default_factory=dict)  # source_file -> reader name
    notes: list[str] = field(default_factory=list)

    def extend(self, other: Batch) -> None:
        self.posts = pl.concat([self.posts, other.posts], how="vertical")
        self.quarantine = pl.concat([self.quarantine, other.quarantine], how="vertical")
        for name, n in other.reads.items():
            self.reads[name] = self.reads.get(name, 0) + n
        self.readers.update(other.readers)
        self.notes += other.notes


@dataclass
class IngestResult:
    """``posts`` (POST_SCHEMA), ``quarantine`` (QUARANTINE_SCHEMA) and ``report`` (a dict)."""

    posts: pl.DataFrame
    quarantine: pl.DataFrame
    report: dict

    def summary(self) -> str:
        return format_summary(self.report)


class Rejects:
    """Collects quarantined rows as plain lists; ``frame()`` makes the table once."""

    def __init__(self) -> None:
        self.rows: dict[str, list] = {name: [] for name in QUARANTINE_SCHEMA}

    def add(self, source_file: str, source_row: int, reason: str, detail: str, raw) -> None:
        """One rejected row; text that cannot be stored (undecodable bytes kept as lone
        surrogates) is stored with U+FFFD in their place."""
        if isinstance(raw, bytes):
            raw = raw[: RAW_LIMIT * 4].decode("utf-8", errors="replace")
        elif raw is not None and not isinstance(raw, str):
            raw = _dump(raw)
        self.rows["source_file"].append(_storable(source_file))
        self.rows["source_row"].append(source_row)
        self.rows["reason"].append(reason)
        self.rows["detail"].append(_storable(detail))
        self.rows["raw"].append(None if raw is None else _storable(raw[:RAW_LIMIT]))

    def __len__(self) -> int:
        return len(self.rows["reason"])

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=QUARANTINE_SCHEMA)


def _storable(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


def _dump(value) -> str:
    import json

    import orjson

    try:
        return orjson.dumps(value, default=str).decode()
    except TypeError:  # an integer beyond 64 bits, a lone surrogate
        try:
            return json.dumps(value, ensure_ascii=False, default=str)
        except (ValueError, RecursionError):
            return repr(value)


def quarantine_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Conform a frame with source_file/source_row/reason/detail/raw to QUARANTINE_SCHEMA."""
    return conform(frame, QUARANTINE_SCHEMA).with_columns(pl.col("raw").str.slice(0, RAW_LIMIT))


def build_report(
    batch: Batch,
    posts: pl.DataFrame,
    duplicates: pl.DataFrame,
    *,
    pseudonymised: bool,
) -> dict:
    """Per-file and total counts; raises if any file's counts do not balance (a bug)."""
    accepted = _counts(posts)
    quarantined = _counts(batch.quarantine)
    dups = _counts(duplicates)
    files = {}
    names = list(dict.fromkeys([*batch.reads, *accepted, *quarantined, *dups]))
    for name in names:
        row = {
            "reader": batch.readers.get(name, "unknown"),
            "read": batch.reads.get(name, 0),
            "accepted": accepted.get(name, 0),
            "quarantined": quarantined.get(name, 0),
            "duplicates": dups.get(name, 0),
        }
        row["balanced"] = row["read"] == row["accepted"] + row["quarantined"] + row["duplicates"]
        files[name] = row
    total = {k: sum(f[k] for f in files.values()) for k in ("read", "accepted", "quarantined", "duplicates")}
    total["balanced"] = all(f["balanced"] for f in files.values()) and (
        total["read"] == total["accepted"] + total["quarantined"] + total["duplicates"]
    )
    by_reader: dict[str, dict[str, int]] = {}
    for f in files.values():
        agg = by_reader.setdefault(f["reader"], {"files": 0, "read": 0, "accepted": 0, "quarantined": 0, "duplicates": 0})
        agg["files"] += 1
        for k in ("read", "accepted", "quarantined", "duplicates"):
            agg[k] += f[k]
    span = posts.select(pl.col("created_at").min().alias("min"), pl.col("created_at").max().alias("max"))
    lo, hi = span.row(0) if posts.height else (None, None)
    report = {
        "total": total,
        "by_reader": by_reader,
        "platforms": _value_counts(posts, "platform"),
        "kinds": _value_counts(posts, "kind"),
        "time_span": {"min": lo.isoformat() if lo else None, "max": hi.isoformat() if hi else None},
        "quarantine_reasons": _value_counts(batch.quarantine, "reason"),
        "near_duplicates": int(posts["near_duplicate_of"].is_not_null().sum()) if posts.height else 0,
        "duplicate_examples": duplicates["post_id"].head(20).to_list() if duplicates.height else [],
        "pseudonymised": pseudonymised,
        "notes": batch.notes,
        "files": files,
    }
    if not total["balanced"]:
        bad = [name for name, f in files.items() if not f["balanced"]]
        raise AssertionError(f"ingest counts do not balance for {bad[:5]}: {[files[b] for b in bad[:5]]}")
    return report


def _counts(frame: pl.DataFrame, column: str = "source_file") -> dict[str, int]:
    """Rows per value of ``column``, in first-seen order. Readers emit a file's rows (and
    mostly a platform's and kind's) together, so run-length encoding -- adjacent comparisons
    -- is much cheaper than hashing 300,000 values; correct in any order."""
    if frame.height == 0:
        return {}
    runs = frame.select(pl.col(column).rle()).unnest(column)
    counts: dict[str, int] = {}
    for name, n in zip(runs["value"].to_list(), runs["len"].to_list(), strict=True):
        counts[name] = counts.get(name, 0) + n
    return counts


def _value_counts(frame: pl.DataFrame, column: str) -> dict[str, int]:
    """Counts per value, most frequent first (ties by value)."""
    counts = _counts(frame, column)
    return {str(k): v for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))}


def format_summary(report: dict) -> str:
    t = report["total"]
    lines = [
        f"read {t['read']:,} = accepted {t['accepted']:,} + quarantined {t['quarantined']:,}"
        f" + duplicates {t['duplicates']:,}  ({'balanced' if t['balanced'] else 'NOT BALANCED'})",
    ]
    for reader, agg in report["by_reader"].items():
        lines.append(
            f"  {reader}: {agg['files']:,} files, read {agg['read']:,}, accepted {agg['accepted']:,},"
            f" quarantined {agg['quarantined']:,}, duplicates {agg['duplicates']:,}"
        )
    lines.append("rows per platform: " + (", ".join(f"{k} {v:,}" for k, v in report["platforms"].items()) or "none"))
    lines.append("rows per kind: " + (", ".join(f"{k} {v:,}" for k, v in report["kinds"].items()) or "none"))
    span = report["time_span"]
    lines.append(f"time span (UTC): {span['min']} .. {span['max']}")
    lines.append(f"near-duplicate texts marked: {report['near_duplicates']:,}")
    reasons = report["quarantine_reasons"]
    lines.append("quarantined by reason: " + (", ".join(f"{k} {v:,}" for k, v in reasons.items()) or "none"))
    if report.get("pseudonymised"):
        lines.append("author ids pseudonymised (salted hashes); author names removed")
    lines += [f"note: {n}" for n in report.get("notes", [])]
    return "\n".join(lines)
