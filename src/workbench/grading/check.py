"""``rules check``: schema, duplicate ids, fixtures present and passing, engine == reference.

The reference runs here; the engine runs in a child process, so that a crash in its C core
is a failed check naming the rule (:mod:`workbench.grading.isolated`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.grading.compile import fact_from_row
from workbench.grading.isolated import Task, run_engine_tasks, run_tasks_here
from workbench.grading.loader import Problem, RulesError, RuleSet, load_ruleset
from workbench.grading.reference import holds


@dataclass
class CheckReport:
    ruleset: RuleSet | None
    problems: list[Problem] = field(default_factory=list)
    fixtures_run: int = 0
    notes: list[Problem] = field(default_factory=list)  # e.g. an engine crash a retry cleared

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
        lines = [head] + [f"  {p}" for p in self.problems] + [f"  note: {n}" for n in self.notes]
        lines.append("OK" if self.ok else f"FAILED: {len(self.problems)} problem(s)")
        return "\n".join(lines)


def check(path: str | Path | RuleSet | None = None, *, engine: bool = True,
          isolate: bool = True) -> CheckReport:
    """Load the rule set (or take a loaded one) and run every fixture through the reference
    and through the engine: in a child process (see :mod:`workbench.grading.isolated`), or
    here with ``isolate=False``."""
    if isinstance(path, RuleSet):
        rs = path
    else:
        try:
            rs = load_ruleset(path)
        except RulesError as exc:
            return CheckReport(None, list(exc.problems))
    report = CheckReport(rs)
    from workbench.grading.escalation import run_fixture
    from workbench.grading.reference import ReferenceEvaluator

    ref = ReferenceEvaluator(rs)
    tasks: list[Task] = []
    checks: list[tuple[Any, str, bool, Any]] = []  # (rule, what, expect, reference result)
    for r in rs.rules:
        for expect, snippets in ((True, r.fixtures_fire), (False, r.fixtures_not)):
            for j, snip in enumerate(snippets):
                report.fixtures_run += 1
                fact = fact_from_row(snip, tuple(snip), event=f"fixture {j}")
                what = f"{'fires' if expect else 'does_not_fire'}[{j}] {snip}"
                if holds(r.when, fact) != expect:
                    report.problems.append(Problem(
                        r.file, r.line, r.id, f"fixture {what} fails in the reference"))
                if engine and r.status != "deprecated":
                    tasks.append(Task("grading", r.id, snip))
                    checks.append((r, what, expect, sorted(ref.evaluate(fact))))
    for r in rs.escalation:
        if r.status == "deprecated":
            continue
        for expect, seqs in ((True, r.fixtures_escalate), (False, r.fixtures_not)):
            for j, steps in enumerate(seqs):
                report.fixtures_run += 1
                what = f"{'escalates' if expect else 'does_not_escalate'}[{j}]"
                if run_fixture(rs, steps, r.id, evaluator="reference") != expect:
                    report.problems.append(Problem(
                        r.file, r.line, r.id, f"fixture {what} fails in the reference"))
                if engine:
                    tasks.append(Task("escalation", r.id, steps))
                    checks.append((r, what, expect, None))
    outcomes = run_engine_tasks(rs, tasks) if isolate else run_tasks_here(rs, tasks)
    for (r, what, expect, want), outcome in zip(checks, outcomes, strict=True):
        if outcome.note:
            report.notes.append(Problem(r.file, r.line, r.id, f"fixture {what}: {outcome.note}"))
        if outcome.error is not None:
            report.problems.append(Problem(
                r.file, r.line, r.id, f"fixture {what}: {outcome.error}"))
        elif want is None:  # escalation: did it escalate
            if outcome.result != expect:
                report.problems.append(Problem(r.file, r.line, r.id, f"fixture {what} fails in the engine"))
        else:
            got = outcome.result
            if (r.id in got) != expect:
                report.problems.append(Problem(r.file, r.line, r.id, f"fixture {what} fails in the engine"))
            if got != want:
                report.problems.append(Problem(
                    r.file, r.line, r.id,
                    f"engine and reference disagree on fixture {what}: "
                    f"engine {got} vs reference {want}"))
    return report


# ----------------------------------------------------------------------------- the gate
class RulesCheckError(RulesError):
    """Grading was asked of a rule set that fails ``rules check``."""

    def __init__(self, report: CheckReport):
        rs = report.ruleset
        super().__init__(list(report.problems))
        self.report = report
        self.args = (
            f"rule set {rs.name} {rs.version} (hash {rs.hash}) fails `workbench rules check` "
            f"({len(report.problems)} problem(s)); fix them, or grade anyway with "
            "--allow-failing / allow_failing=True (recorded in the gradings' rules_version):\n"
            + "\n".join(f"  {p}" for p in report.problems),
        )

    def __str__(self) -> str:
        return self.args[0]


_CHECKED: dict[str, CheckReport] = {}
#: suffix of ``rules_version`` in gradings made with a rule set that fails its check
FAILING_MARK = "+check-failed"


def checked(rs: RuleSet, *, isolate: bool = False) -> CheckReport:
    """The gate's check of ``rs``, run once per rule-set content hash in this process: the
    schema, ids and every fixture through the reference evaluator. The durable-rules C core
    is not run here (its crashes would take the grading process down: a rare segfault in an
    escalation fixture was seen); ``workbench rules check`` runs the engine, in a child."""
    if rs.hash not in _CHECKED:
        _CHECKED[rs.hash] = check(rs, engine=False, isolate=isolate)
    return _CHECKED[rs.hash]


def require_passing(rs: RuleSet, *, allow_failing: bool = False) -> str:
    """The ``rules_version`` to record: the version if the rule set passes its check; with
    ``allow_failing`` the version marked ``+check-failed``; else :class:`RulesCheckError`."""
    report = checked(rs)
    if report.ok:
        return rs.version
    if not allow_failing:
        raise RulesCheckError(report)
    return rs.version + FAILING_MARK
