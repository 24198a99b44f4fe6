"""``workbench drill SCENARIO [--seed N] --out DIR``."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "drill",
        help="run a drill: replay a simulated incident through the pipeline and score the response",
        description=(
            "Simulate SCENARIO (a scenarios/*.yaml file, or a folder written by `workbench "
            "simulate`), replay its posts through ingest -> events -> findings -> grading on a "
            "simulated clock, and score detection delay, grading accuracy against the intended "
            "level over time, and whether the prescribed measures meet their deadlines given the "
            "responders' scripted actions. Writes drill.md, drill.html (charts inline), "
            "score.json and timeline.parquet to --out."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("scenario", help="scenario YAML or simulated folder")
    p.add_argument("--seed", type=int, default=None, help="random seed; none = the scenario's own")
    p.add_argument("--out", required=True, help="output directory for the report")
    p.add_argument("--every", type=float, default=1.0, help="clock step in hours")
    p.add_argument("--until", type=float, default=None, help="stop this many hours after the onset")
    p.add_argument("--scale", type=float, default=1.0, help="multiply the scenario's post counts")
    p.add_argument("--rules", default=None, help="rule set folder; none = the project's rules/")
    p.add_argument("--event-threshold", type=float, default=None,
                   help="event clustering distance threshold; none = events.EventConfig's")
    p.add_argument("--events", choices=["detect", "labels"], default="detect",
                   help="'detect': the event detector finds the events (the full pipeline); "
                        "'labels': the simulator's true events, to drill the findings and rules "
                        "alone (fast, no embedding model)")
    p.add_argument("--no-charts", action="store_true", help="skip the charts")
    p.set_defaults(func=_run)


def _run(args) -> int:
    import sys

    from workbench.drill import run
    from workbench.simulate import ScenarioError

    config = None
    if args.event_threshold is not None:
        from workbench.events import EventConfig

        config = EventConfig(threshold=args.event_threshold)
    pipeline = None
    if args.events == "labels":
        from workbench import grading
        from workbench.drill.replay import LabelledEventsPipeline

        pipeline = LabelledEventsPipeline(ruleset=grading.load_ruleset(args.rules))
    try:
        res = run(args.scenario, args.out, seed=args.seed, every_hours=args.every, until_hours=args.until,
                  scale=args.scale, rules=args.rules, event_config=config, charts=not args.no_charts,
                  progress=True, pipeline=pipeline)
    except (ScenarioError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    s = res.score
    delay = "never" if s.detection["delay_hours"] is None else f"{s.detection['delay_hours']:.1f} h"
    print(f"drill {s.scenario}: score {s.total:.0f}/100; first alert {delay}; "
          f"peak {s.accuracy['peak_level']} (intended {s.intended_level}); "
          f"measures on time {sum(m['status'] == 'on_time' for m in s.measures)}/"
          f"{sum(m['status'] in {'on_time', 'late', 'missing'} for m in s.measures)}")
    print(f"report: {res.files['md']} and {res.files['html']}")
    return 0
