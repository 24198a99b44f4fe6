"""Rule YAML -> durable-rules' JSON ruleset form, and findings rows -> facts.

A condition ``{field, op, value}`` becomes durable's ``{"$gte": {field: value}}`` etc.;
``all`` / ``any`` become ``$and`` / ``$or``; ``in`` is an ``$or`` of equalities, ``not_in`` an
``$and`` of ``$neq``; ``contains`` (list fields) is ``$iany``. Each rule gets ``pri`` = its level
rank (>= 1: durable fires a negative pri last) and runs the action ``grade:<rule id>``.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import polars as pl

from workbench.grading.loader import FIELD_KINDS, MAX_FLOAT, RuleSet, normalise_number, value_ok

_CMP = {"neq": "$neq", "gt": "$gt", "gte": "$gte", "lt": "$lt", "lte": "$lte"}
WARMUP_RULE = "__warmup__"
ACTION_PREFIX = "grade:"


def compile_condition(cond: dict) -> dict:
    if "all" in cond:
        parts = [compile_condition(c) for c in cond["all"]]
        return parts[0] if len(parts) == 1 else {"$and": parts}
    if "any" in cond:
        parts = [compile_condition(c) for c in cond["any"]]
        return parts[0] if len(parts) == 1 else {"$or": parts}
    f, op, v = cond["field"], cond["op"], cond["value"]
    if op == "eq":
        return {f: v}
    if op in _CMP:
        return {_CMP[op]: {f: v}}
    if op == "in":
        return {f: v[0]} if len(v) == 1 else {"$or": [{f: x} for x in v]}
    if op == "not_in":
        return {"$neq": {f: v[0]}} if len(v) == 1 else {"$and": [{"$neq": {f: x}} for x in v]}
    if op == "contains":
        return {"$iany": {f: {"$i": v}}}
    raise ValueError(f"unknown op {op!r}")


def compile_ruleset(ruleset: RuleSet) -> dict:
    """The durable-rules JSON definition of the active grading rules (one ruleset body)."""
    body: dict[str, Any] = {}
    for r in ruleset.active_rules:
        body[r.id] = {"all": [{"m": compile_condition(r.when)}], "pri": r.rank,
                      "run": ACTION_PREFIX + r.id}
    # A rule that one warm-up fact fires: deleting a session before any action has ever run
    # in a ruleset segfaults durable-rules 2.0.28 (measured here), so the engine fires this
    # once at registration.
    body[WARMUP_RULE] = {"all": [{"m": {"$ex": {WARMUP_RULE: 1}}}], "pri": 1,
                         "run": ACTION_PREFIX + WARMUP_RULE}
    return copy.deepcopy(body)


class FactError(TypeError):
    """A findings value of the wrong type (the engine would compare it wrongly)."""


def fact_from_row(row: dict, fields: tuple[str, ...], *, event: str | None = None) -> dict:
    """The fact both evaluators see: the ``fields`` of a findings row, None / NaN dropped,
    numbers normalised (see ``normalise_number``), types checked."""
    fact: dict[str, Any] = {}
    for f in fields:
        v = row.get(f)
        if v is None:
            continue
        kind = FIELD_KINDS[f]
        if kind == "list":
            if not isinstance(v, list | tuple):
                raise FactError(f"event {event}: {f}={v!r} is not a list")
            v = [x for x in v if x is not None]
        elif kind in ("int", "float"):
            if isinstance(v, float) and math.isnan(v):
                continue
            if kind == "float" and isinstance(v, int) and not isinstance(v, bool):
                v = float(v)
            if not value_ok(kind, v):
                raise FactError(f"event {event}: {f}={v!r} is not a number ({kind})")
            v = normalise_number(v)
            if v is None:
                continue
        elif not value_ok(kind, v):
            raise FactError(f"event {event}: {f}={v!r} is not of type {kind}")
        fact[f] = v
    return fact


def facts_from_frame(frame: pl.DataFrame, fields: tuple[str, ...]) -> list[dict]:
    """``fact_from_row`` for a whole findings frame (already cast to FINDINGS_SCHEMA), in
    Polars: floats rounded to 4 decimals and clamped, NaN / inf dropped, nulls dropped."""
    exprs = []
    for f in fields:
        kind, col = FIELD_KINDS[f], pl.col(f)
        if kind == "float":
            col = (pl.when(col.is_finite()).then(col.round(4).clip(-MAX_FLOAT, MAX_FLOAT))
                   .otherwise(None) + 0.0)
        elif kind == "int":
            col = col.clip(-(2**62), 2**62)
        elif kind == "list":
            col = col.list.drop_nulls()
        exprs.append(col.alias(f))
    rows = frame.select(exprs).to_dicts() if fields else [{} for _ in range(frame.height)]
    return [{k: v for k, v in r.items() if v is not None} for r in rows]
