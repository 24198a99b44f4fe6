"""``workbench simulate SCENARIO --seed N --out DIR``."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "simulate",
        help="generate a simulated incident (posts per channel + ground truth) from a scenario",
        description=(
            "Generate the posts of a scenario file (scenarios/*.yaml) in each channel's raw "
            "format (weibo.jsonl, news.jsonl, forum.jsonl with *.mapping.yaml beside them, read "
            "by `workbench ingest`) plus the ground truth (truth.json, truth_events.parquet, "
            "truth_posts.parquet). The same scenario and seed give the same bytes."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML file, e.g. scenarios/flagship.yaml")
    p.add_argument("--seed", type=int, default=None, help="random seed; none = the scenario's own")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the scenario's post counts")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import sys

    from workbench.simulate import ScenarioError, run

    try:
        truth = run(args.scenario, args.out, seed=args.seed, scale=args.scale)
    except ScenarioError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    files = ", ".join(f"{k}: {v}" for k, v in truth["files"].items())
    print(f"{truth['scenario']} (seed {truth['seed']}): {truth['posts']} posts "
          f"({truth['incident_posts']} incident) -> {args.out} [{files}]")
    return 0
