"""``run``: simulate (or take a simulated folder), ingest, replay, score, report."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from workbench.drill.replay import Replay, replay
from workbench.drill.report import write_report
from workbench.drill.score import DrillScore, evaluate


@dataclass
class DrillResult:
    score: DrillScore
    replay: Replay
    truth: dict[str, Any]
    files: dict[str, Path]


def _data(scenario: str | Path, out: Path, seed: int | None, scale: float) -> Path:
    """The simulated folder: ``scenario`` itself when it holds truth.json, else simulate it."""
    path = Path(scenario)
    if path.is_dir():
        if not (path / "truth.json").exists():
            raise FileNotFoundError(f"{path}: not a simulated folder (no truth.json); give a scenario YAML")
        return path
    from workbench import simulate

    data = out / "data"
    simulate.run(path, data, seed=seed, scale=scale)
    return data


def run(scenario: str | Path, out_dir: str | Path, *, seed: int | None = None, every_hours: float = 1.0,
        until_hours: float | None = None, scale: float = 1.0, pipeline=None,
        rules: str | Path | None = None, event_config=None, charts: bool = True,
        progress: bool = False) -> DrillResult:
    """Run a drill on a scenario YAML (simulated into ``out_dir/data``) or a simulated folder.

    ``event_config``: an ``events.EventConfig`` for the default pipeline (e.g. to drill a
    different clustering threshold); ``pipeline``: a fresh ``IncrementalPipeline`` (or
    subclass, e.g. ``drill.replay.LabelledEventsPipeline``) instead of the default one.
    """
    from workbench import ingest

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = _data(scenario, out, seed, scale)
    truth = orjson.loads((data / "truth.json").read_bytes())
    truth_posts = pl.read_parquet(data / "truth_posts.parquet")
    result = ingest.read(data)
    if pipeline is None:
        from workbench import grading
        from workbench.pipeline import IncrementalPipeline

        pipeline = IncrementalPipeline(
            rules=grading.load_ruleset(rules) if rules else grading.load_ruleset(),
            event_config=event_config)
    rp = replay(result.posts, truth, pipeline, every_hours=every_hours, until_hours=until_hours,
                progress=progress)
    score = evaluate(rp.timeline, truth, incident_total=rp.incident_total, graded_nature=rp.graded_nature,
                     every_hours=every_hours)
    rules_label = None if rp.rules_version is None else f"version {rp.rules_version} ({rp.rules_hash})"
    files = write_report(out, score, truth, rp.timeline, truth_posts, incident_total=rp.incident_total,
                         every_hours=every_hours, rules=rules_label, steps=rp.steps,
                         last_findings=rp.last_findings, charts=charts)
    return DrillResult(score, rp, truth, files)
