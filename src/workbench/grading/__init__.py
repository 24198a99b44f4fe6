"""Grading: ``rules/`` (experts' YAML) -> durable-rules -> level I-IV, measures, owners, deadlines.

Public API::

    from workbench.grading import load_ruleset, grade, Escalator
    rs = load_ruleset("rules")          # validated; rs.version, rs.hash
    gradings = grade(findings, rs)      # GRADING_SCHEMA, one row per event
    esc = Escalator(rs)                 # stateful escalation driven by a (simulated) clock

durable-rules is imported on first use (an engine or escalator is created).
"""

from __future__ import annotations

# Imported eagerly so that the package attribute ``grade`` is the function, not the
# ``grade`` submodule (importing a submodule sets the parent's attribute on first load).
from workbench.grading.grade import grade, level_counts
from workbench.grading.loader import RulesError, RuleSet, load_ruleset

__all__ = ["RuleSet", "RulesError", "load_ruleset", "grade", "level_counts", "Escalator",
           "Alert", "check", "diff_gradings"]


def __getattr__(name: str):
    if name in ("Escalator", "Alert"):
        from workbench.grading import escalation

        return getattr(escalation, name)
    if name == "check":
        from workbench.grading.check import check

        return check
    if name == "diff_gradings":
        from workbench.grading.diff import diff_gradings

        return diff_gradings
    raise AttributeError(name)
