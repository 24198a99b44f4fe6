"""``python -m workbench.demo`` (what ``nox -s demo`` runs): the flagship case study on the
project's own simulated incident.

1. Simulate ``scenarios/flagship.yaml`` with seed 7 into ``out/demo/sim`` (the posts in a
   channel's raw format plus the ground truth): ``workbench simulate``.
2. Run the case ``parameters/demo.yaml`` (ingest -> events -> findings -> grading ->
   measures -> charts -> briefing) with papermill into ``reports/demo/<run-id>/``.
3. Print where the report, briefing and manifest are.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def simulate(scenario: Path, out: Path, seed: int) -> None:
    if out.exists():
        shutil.rmtree(out)  # out/ is ours and git-ignored: never mix two simulations
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "workbench", "simulate", str(scenario), "--seed", str(seed),
           "--out", str(out)]
    print("$ " + " ".join(cmd[2:]), flush=True)
    done = subprocess.run(cmd, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"simulation failed (exit {done.returncode}): {' '.join(cmd)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workbench.demo",
        description="The flagship case study on the embedded (simulated) default data.",
    )
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "flagship.yaml"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sim-out", default=str(ROOT / "out" / "demo" / "sim"),
                        help="where the simulated posts go (must match parameters/demo.yaml)")
    parser.add_argument("--params", default=str(ROOT / "parameters" / "demo.yaml"))
    parser.add_argument("--run-id", default=None)
    parser.add_argument("--skip-simulate", action="store_true",
                        help="reuse the posts already in --sim-out")
    args = parser.parse_args(argv)

    from workbench.cases.params import ParameterError, load_params
    from workbench.cases.run import CaseRunError, run_case

    t0 = time.perf_counter()
    # validate before the (slower) simulation: a bad parameters file fails at once
    try:
        load_params(args.params, check_sources=False)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.skip_simulate:
        simulate(Path(args.scenario), Path(args.sim_out), args.seed)
    print(f"running case {args.params} ...", flush=True)
    try:
        run = run_case(args.params, run_id=args.run_id)
    except (ParameterError, CaseRunError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    m = run.manifest
    rows = m.get("rows", {})
    levels = m.get("levels", {})
    print()
    print(f"demo case finished in {time.perf_counter() - t0:.0f} s")
    print(f"  posts {rows.get('posts_selected', '?')}, events {rows.get('events', '?')}, "
          "levels " + (", ".join(f"{k}: {v}" for k, v in sorted(levels.items())) or "—"))
    print(f"  rules {m.get('rules', {}).get('version')} ({m.get('rules', {}).get('hash')}), "
          f"model {m.get('model', {}).get('id')}")
    print(f"  report:   {run.report}")
    brief = run.run_dir / "briefing.html"
    if brief.exists():
        print(f"  briefing: {brief}  (and briefing.md)")
    print(f"  notebook: {run.notebook}")
    print(f"  manifest: {run.run_dir / 'manifest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
