"""Grade findings into levels: ``grade(findings, ruleset=None, *, now=None) -> GRADING_SCHEMA``.

Highest level wins (the lowest rank among the fired rules); an event that fires nothing is
'watch' (below IV), never dropped. Each row carries the nature used for the measures, the
prescribed measures with owners and absolute deadlines from the event's ``first_seen``
(``now`` when first_seen is missing), the ids of every fired rule, a JSON trace (rule,
level, because, and the finding values it read), and the rule set's version and hash.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import polars as pl

from workbench.grading.compile import fact_from_row
from workbench.grading.loader import RANKS, RuleSet, load_ruleset
from workbench.schema import FINDINGS_SCHEMA, GRADING_SCHEMA, NATURES, WATCH, conform


def _ruleset(ruleset: RuleSet | str | Path | None) -> RuleSet:
    if isinstance(ruleset, RuleSet):
        return ruleset
    return load_ruleset(ruleset)


def evaluator_for(ruleset: RuleSet, evaluator: str = "engine"):
    if evaluator == "engine":
        from workbench.grading.engine import GradingEngine

        return GradingEngine(ruleset)
    if evaluator == "reference":
        from workbench.grading.reference import ReferenceEvaluator

        return ReferenceEvaluator(ruleset)
    raise ValueError(f"evaluator must be 'engine' or 'reference', not {evaluator!r}")


def grade(
    findings: pl.DataFrame | pl.LazyFrame,
    ruleset: RuleSet | str | Path | None = None,
    *,
    now: datetime | None = None,
    evaluator: str = "engine",
    progress: bool = False,
) -> pl.DataFrame:
    """Grade every findings row (FINDINGS_SCHEMA) -> one GRADING_SCHEMA row per event.

    ``ruleset``: a loaded :class:`RuleSet`, a rules directory, or None for ``rules/``.
    ``now``: the detection time used for deadlines when an event has no ``first_seen``
    (default: the current time). ``evaluator``: 'engine' (durable-rules) or 'reference'.
    """
    rs = _ruleset(ruleset)
    ev = evaluator_for(rs, evaluator)
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    frame = conform(findings, FINDINGS_SCHEMA)
    if isinstance(frame, pl.LazyFrame):
        frame = frame.collect()
    fields = rs.fields
    cols = list(dict.fromkeys(["event_id", "first_seen", "nature", *fields]))
    rows = frame.select(cols).to_dicts()
    rules = {r.id: r for r in rs.rules}
    levels = rs.levels

    iterator = rows
    if progress:
        from tqdm import tqdm

        iterator = tqdm(rows, desc=f"grading ({ev.name})", unit="event")
    out: dict[str, list] = {k: [] for k in GRADING_SCHEMA.names()}
    for i, row in enumerate(iterator):
        eid = row["event_id"]
        if eid is None:
            raise ValueError(f"findings row {i}: event_id is null")
        fact = fact_from_row(row, fields, event=eid)
        fired = ev.evaluate(fact)
        level = min((rules[f].level for f in fired), key=RANKS.__getitem__, default=WATCH)
        nature = row["nature"] if row["nature"] in NATURES else None
        start = row["first_seen"] or now
        measures = [
            {**m, "due_at": start + timedelta(hours=m["deadline_hours"])}
            for m in rs.measures_for(level, nature)
        ]
        fired_sorted = sorted(fired, key=lambda f: (rules[f].rank, f))
        trace = [
            {
                "rule": f,
                "level": rules[f].level,
                "status": rules[f].status,
                "because": rules[f].because,
                "values": {k: fact.get(k) for k in rules[f].fields},
                "file": rules[f].file,
            }
            for f in fired_sorted
        ]
        info = levels[level]
        out["event_id"].append(eid)
        out["level"].append(level)
        out["level_rank"].append(RANKS[level])
        out["level_name"].append(info["name"])
        out["colour"].append(info["colour"])
        out["nature"].append(nature or rs.default_nature)
        out["measures"].append(measures)
        out["fired_rules"].append(fired_sorted)
        out["trace"].append(orjson.dumps(trace).decode())
        out["rules_version"].append(rs.version)
        out["rules_hash"].append(rs.hash)
    ev.close()
    return pl.DataFrame(out, schema=GRADING_SCHEMA)


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
