"""``rules check``: schema, duplicate ids, fixtures present and passing, engine == reference."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from workbench.grading.compile import fact_from_row
from workbench.grading.loader import Problem, RulesError, RuleSet, load_ruleset
from workbench.grading.reference import holds


@dataclass
class CheckReport:
    ruleset: RuleSet | None
    problems: list[Problem] = field(default_factory=list)
    fixtures_run: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ruleset is None:
            head = "rule set did not load"
        else:
            rs = self.ruleset
            head = (f"rule set {rs.name} {rs.version} (hash {rs.hash}): {len(rs.rules)} grading rules, "
                    f"{len(rs.escalation)} escalation rules, {self.fixtures_run} fixtures run")
        lines = [head] + [f"  {p}" for p in self.problems]
        lines.append("OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)")
        return "\n".join(lines)


def check(path: str | Path | None = None, *, engine: bool = True) -> CheckReport:
    """Load the rule set and run every fixture through the reference and the engine."""
    try:
        rs = load_ruleset(path)
    except RulesError as exc:
        return CheckReport(None, list(exc.problems))
    report = CheckReport(rs)
    ev = None
    if engine:
        from workbench.grading.engine import GradingEngine

        ev = GradingEngine(rs)
    from workbench.grading.reference import ReferenceEvaluator

    ref = ReferenceEvaluator(rs)
    for r in rs.rules:
        for expect, snippets in ((True, r.fixtures_fire), (False, r.fixtures_not)):
            for j, snip in enumerate(snippets):
                report.fixtures_run += 1
                fact = fact_from_row(snip, tuple(snip), event=f"fixture {j}")
                what = "fires" if expect else "does_not_fire"
                if holds(r.when, fact) != expect:
                    report.problems.append(Problem(
                        r.file, r.line, r.id, f"fixture {what}[{j}] {snip} fails in the reference"))
                if ev is None or r.status == "deprecated":
                    continue
                got = ev.evaluate(fact)
                if (r.id in got) != expect:
                    report.problems.append(Problem(
                        r.file, r.line, r.id, f"fixture {what}[{j}] {snip} fails in the engine"))
                want = ref.evaluate(fact)
                if sorted(got) != sorted(want):
                    report.problems.append(Problem(
                        r.file, r.line, r.id,
                        f"engine and reference disagree on fixture {what}[{j}]: "
                        f"engine {sorted(got)} vs reference {sorted(want)}"))
    from workbench.grading.escalation import run_fixture

    for r in rs.escalation:
        if r.status == "deprecated":
            continue
        for expect, seqs in ((True, r.fixtures_escalate), (False, r.fixtures_not)):
            for j, steps in enumerate(seqs):
                report.fixtures_run += 1
                what = "escalates" if expect else "does_not_escalate"
                for name in (("reference", "engine") if engine else ("reference",)):
                    if run_fixture(rs, steps, r.id, evaluator=name) != expect:
                        report.problems.append(Problem(
                            r.file, r.line, r.id, f"fixture {what}[{j}] fails in the {name}"))
    return report
