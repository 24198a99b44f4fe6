"""The reference evaluator: a few lines of pure Python over the same YAML conditions.

Semantics shared with the engine (and asserted by the property tests): a missing value makes
every condition on that field false (also ``neq`` / ``not_in``); ``contains`` is true when the
list holds the value.
"""

from __future__ import annotations

import operator
from typing import Any

from workbench.grading.loader import RuleSet

_OPS = {"eq": operator.eq, "neq": operator.ne, "gt": operator.gt, "gte": operator.ge,
        "lt": operator.lt, "lte": operator.le}


def holds(cond: dict, fact: dict[str, Any]) -> bool:
    """Whether a YAML condition holds on a fact (see ``compile.fact_from_row``)."""
    if "all" in cond:
        return all(holds(c, fact) for c in cond["all"])
    if "any" in cond:
        return any(holds(c, fact) for c in cond["any"])
    v = fact.get(cond["field"])
    if v is None:
        return False
    op, want = cond["op"], cond["value"]
    if op == "in":
        return v in want
    if op == "not_in":
        return v not in want
    if op == "contains":
        return want in v
    return _OPS[op](v, want)


class ReferenceEvaluator:
    """Same interface as the engine: ``evaluate(fact) -> [rule ids fired]``."""

    name = "reference"

    def __init__(self, ruleset: RuleSet):
        self.ruleset = ruleset
        self._rules = [(r.id, r.when) for r in ruleset.active_rules]

    def evaluate(self, fact: dict[str, Any]) -> list[str]:
        return [rid for rid, when in self._rules if holds(when, fact)]

    def close(self) -> None:
        pass
