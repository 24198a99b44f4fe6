"""Scenario simulator: realistic unfolding incidents as post streams with known ground truth.

``load(path) -> Scenario``, ``simulate(scenario, seed) -> Simulation``,
``write(sim, out_dir) -> truth dict``; ``run(path, seed, out_dir)`` does all three.
The output directory holds one JSON Lines file per channel with a ``*.mapping.yaml`` beside
it (read by ``workbench.ingest.read``) and the ground truth (``truth.json``,
``truth_events.parquet``, ``truth_posts.parquet``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from workbench.simulate.generate import SimPost, Simulation, simulate
from workbench.simulate.scenario import Scenario, ScenarioError, load, parse
from workbench.simulate.write import write

__all__ = ["Scenario", "ScenarioError", "SimPost", "Simulation", "load", "parse", "run", "simulate",
           "write"]


def run(scenario: str | Path | Scenario, out_dir: str | Path, *, seed: int | None = None,
        scale: float = 1.0) -> dict[str, Any]:
    """Load (if a path), simulate and write a scenario; returns the truth dict."""
    sc = scenario if isinstance(scenario, Scenario) else load(scenario)
    if scale != 1.0:
        sc = sc.scaled(scale)
    return write(simulate(sc, seed), out_dir)
