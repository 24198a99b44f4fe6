"""Grade findings into levels: ``grade(findings, ruleset=None, *, now=None) -> GRADING_SCHEMA``.

Highest level wins (the lowest rank among the fired rules); an event that fires nothing is
'watch' (below IV), never dropped. Each row carries the nature used for the measures, the
prescribed measures with owners and absolute deadlines from the event's ``first_seen``
(``now`` when first_seen is missing), the ids of every fired rule, a JSON trace (rule,
level, because, and the finding values it read), and the rule set's version and hash.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson
import polars as pl

from workbench.grading.compile import facts_from_frame
from workbench.grading.loader import RANKS, RuleSet, load_ruleset
from workbench.schema import FINDINGS_SCHEMA, GRADING_SCHEMA, NATURES, WATCH, conform

# Boolean findings the rules test with `eq: false` that the findings never leave null.
NEVER_NULL_FLAGS = ("nationals_unharmed",)


def _ruleset(ruleset: RuleSet | str | Path | None) -> RuleSet:
    if isinstance(ruleset, RuleSet):
        return ruleset
    return load_ruleset(ruleset)


# per rule set (its hash, the very object: a test may replace a field of a loaded one): its
# GradingEngine (compiled once) and its (level info, measure templates) frames
_ENGINES: dict[str, tuple[RuleSet, object]] = {}
_TABLES: dict[str, tuple[RuleSet, pl.DataFrame, pl.DataFrame]] = {}


def evaluator_for(ruleset: RuleSet, evaluator: str = "engine"):
    if evaluator == "engine":
        from workbench.grading.engine import GradingEngine

        held = _ENGINES.get(ruleset.hash)
        if held is None or held[0] is not ruleset:
            held = _ENGINES[ruleset.hash] = (ruleset, GradingEngine(ruleset))
        return held[1]
    if evaluator == "reference":
        from workbench.grading.reference import ReferenceEvaluator

        return ReferenceEvaluator(ruleset)
    raise ValueError(f"evaluator must be 'engine' or 'reference', not {evaluator!r}")


#: rows graded per batch: the Python objects of one batch (facts, traces) are all that
#: grading holds beyond the result, so memory stays flat in the number of rows
BATCH_ROWS = 5_000


def grade(
    findings: pl.DataFrame | pl.LazyFrame,
    ruleset: RuleSet | str | Path | None = None,
    *,
    now: datetime | None = None,
    evaluator: str = "engine",
    progress: bool = False,
    allow_failing: bool = False,
) -> pl.DataFrame:
    """Grade every findings row (FINDINGS_SCHEMA) -> one GRADING_SCHEMA row per event.

    ``ruleset``: a loaded :class:`RuleSet`, a rules directory, or None for ``rules/``.
    ``now``: the detection time used for deadlines when an event has no ``first_seen``
    (default: the current time). ``evaluator``: 'engine' (durable-rules) or 'reference'.
    A rule set that fails ``rules check`` (run once per rule set and process) is refused
    with :class:`~workbench.grading.check.RulesCheckError` unless ``allow_failing``; then
    every row's ``rules_version`` carries ``+check-failed``.
    """
    parts = list(grade_batches(findings, ruleset, now=now, evaluator=evaluator,
                               progress=progress, allow_failing=allow_failing))
    return pl.concat(parts, rechunk=False) if len(parts) > 1 else parts[0]


def grade_batches(
    findings: pl.DataFrame | pl.LazyFrame,
    ruleset: RuleSet | str | Path | None = None,
    *,
    now: datetime | None = None,
    evaluator: str = "engine",
    progress: bool = False,
    allow_failing: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Iterator[pl.DataFrame]:
    """:func:`grade`, as GRADING_SCHEMA frames of at most ``batch_rows`` rows in input
    order: a caller that writes each one out (``workbench rules grade``) holds one batch."""
    from workbench.grading.check import require_passing

    rs = _ruleset(ruleset)
    version = require_passing(rs, allow_failing=allow_failing)
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    frame = conform(findings, FINDINGS_SCHEMA)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    # Findings written before a boolean finding existed (archived cases) read as false: a
    # missing 'nationals_unharmed' must not switch the casualty rules off.
    frame = frame.with_columns(pl.col(c).fill_null(False) for c in NEVER_NULL_FLAGS)
    if frame["event_id"].null_count():
        i = frame["event_id"].is_null().arg_max()
        raise ValueError(f"findings row {i}: event_id is null")
    if frame["first_seen"].dtype != FINDINGS_SCHEMA["first_seen"]:
        raise TypeError("first_seen must be a UTC datetime column")
    ev = evaluator_for(rs, evaluator)
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=frame.height, desc=f"grading ({ev.name})", unit="event")
    try:
        for offset in range(0, max(frame.height, 1), batch_rows):  # empty input: one empty batch
            part = frame.slice(offset, batch_rows)
            yield _grade_batch(part, rs, ev, now, version)
            if bar is not None:
                bar.update(part.height)
    finally:
        if bar is not None:
            bar.close()
        ev.close()


def _grade_batch(frame: pl.DataFrame, rs: RuleSet, ev, now: datetime, version: str) -> pl.DataFrame:
    rules = {r.id: r for r in rs.rules}
    out_level, out_fired, out_trace = [], [], []
    for fact in facts_from_frame(frame, rs.fields):
        fired = sorted(ev.evaluate(fact), key=lambda f: (rules[f].rank, f))
        out_level.append(rules[fired[0]].level if fired else WATCH)
        out_fired.append(fired)
        out_trace.append(orjson.dumps([
            {
                "rule": f,
                "level": rules[f].level,
                "status": rules[f].status,
                "because": rules[f].because,
                "values": {k: fact.get(k) for k in rules[f].fields},
                "file": rules[f].file,
            }
            for f in fired
        ]).decode())
    base = pl.DataFrame({
        "event_id": frame["event_id"],
        "level": pl.Series(out_level, dtype=pl.Utf8),
        "fired_rules": pl.Series(out_fired, dtype=pl.List(pl.Utf8)),
        "trace": pl.Series(out_trace, dtype=pl.Utf8),
        "nature": frame["nature"].replace_strict(
            {n: n for n in NATURES}, default=rs.default_nature, return_dtype=pl.Utf8),
        "_start": frame["first_seen"].fill_null(now),
    }).with_row_index("_row")
    del out_level, out_fired, out_trace
    level_info, _ = _tables(rs)
    return (
        base.join(level_info, on="level", how="left")
        .join(_measures_frame(rs, base), on="_row", how="left")
        .sort("_row")
        .with_columns(rules_version=pl.lit(version), rules_hash=pl.lit(rs.hash))
        .select(GRADING_SCHEMA.names())
        .cast(dict(GRADING_SCHEMA))
    )


def _tables(rs: RuleSet) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(level info, measure templates) of a rule set, built once per rule set."""
    held = _TABLES.get(rs.hash)
    if held is not None and held[0] is rs:
        return held[1], held[2]
    levels = rs.levels
    level_info = pl.DataFrame({
        "level": list(RANKS),
        "level_rank": list(RANKS.values()),
        "level_name": [levels[lv]["name"] for lv in RANKS],
        "colour": [levels[lv]["colour"] for lv in RANKS],
    })
    templates = pl.DataFrame(
        [
            {"level": lv, "nature": nat, "_order": k, **m}
            for lv in RANKS
            for nat in NATURES
            for k, m in enumerate(rs.measures_for(lv, nat))
        ],
        schema={"level": pl.Utf8, "nature": pl.Utf8, "_order": pl.Int64, "measure": pl.Utf8,
                "title": pl.Utf8, "owner": pl.Utf8, "deadline_hours": pl.Float64,
                "source": pl.Utf8},
    )
    _TABLES[rs.hash] = (rs, level_info, templates)
    return level_info, templates


def _measures_frame(rs: RuleSet, base: pl.DataFrame) -> pl.DataFrame:
    """``_row`` -> measures list, with due_at = first_seen (or now) + deadline, in Polars."""
    _, templates = _tables(rs)
    fields = ["measure", "title", "owner", "deadline_hours", "due_at", "source"]
    return (
        base.select("_row", "level", "nature", "_start")
        .join(templates, on=["level", "nature"], how="inner")
        .with_columns(
            due_at=pl.col("_start")
            + pl.duration(microseconds=(pl.col("deadline_hours") * 3.6e9).round().cast(pl.Int64))
        )
        .sort("_row", "_order")
        .group_by("_row", maintain_order=True)
        .agg(measures=pl.struct(fields))
    )


def level_counts(gradings: pl.DataFrame) -> pl.DataFrame:
    """Events per level, I .. watch (all five rows, zeros included)."""
    order = pl.DataFrame({"level": list(RANKS), "level_rank": list(RANKS.values())})
    counts = gradings.group_by("level").len("events")
    return (
        order.join(counts, on="level", how="left")
        .with_columns(pl.col("events").fill_null(0))
        .sort("level_rank")
        .drop("level_rank")
    )
