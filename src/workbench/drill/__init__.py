"""Drills: replay a simulated incident through the pipeline on a simulated clock and score
the response against the plan (detection delay, grading accuracy over time, measures vs
deadlines), with a Markdown / HTML report.

``run(scenario_or_dir, out_dir, ...) -> DrillResult`` does it all; the parts are
``replay.replay`` (pipeline on a clock -> timeline), ``score.evaluate`` (pure scoring over a
timeline and the truth) and ``report.write_report``.
"""

from __future__ import annotations

from workbench.drill.run import DrillResult, run
from workbench.drill.score import DrillScore, evaluate

__all__ = ["DrillResult", "DrillScore", "evaluate", "run"]
