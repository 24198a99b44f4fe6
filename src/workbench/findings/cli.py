"""``workbench findings``: recompute the per-event findings from posts and assignments.

Useful after editing rules/lexicons/*.yaml: the events need not be clustered again.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "findings",
        help="compute per-event findings from posts + assignments",
        description=(
            "Compute the findings table (one row per event: volume, bursts, spread, "
            "sentiment, nature, rumour signals, official responses, sensitive mentions) "
            "from an ingest output (posts.parquet) and an events output "
            "(assignments.parquet, and topics.parquet when present). Writes "
            "findings.parquet and responses.parquet (one row per official post with its "
            "before/after effect) to --out."
        ),
    )
    p.add_argument("store", type=Path, help="ingest output directory (posts.parquet) or file")
    p.add_argument("events", type=Path,
                   help="events output directory (assignments.parquet) or assignments file")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default: the events directory)")
    p.add_argument("--lexicons", type=Path, default=None,
                   help="folder of lexicon YAML files (default: rules/lexicons)")
    p.add_argument("--window-hours", type=float, default=6.0,
                   help="hours before/after an official response, and of the growth windows "
                        "(default: 6)")
    p.add_argument("--include-outliers", action="store_true",
                   help="also count assignments with how == 'outlier'")
    p.set_defaults(func=run)


def _file(path: Path, name: str) -> Path:
    found = path / name if path.is_dir() else path
    if not found.is_file():
        raise SystemExit(f"findings: {found} not found")
    return found


def run(args: argparse.Namespace) -> int:
    import polars as pl

    from workbench.findings import FindingsConfig, compute
    from workbench.findings.responses import table

    posts = pl.read_parquet(_file(args.store, "posts.parquet"))
    assignments_path = _file(args.events, "assignments.parquet")
    assignments = pl.read_parquet(assignments_path)
    topics_path = assignments_path.parent / "topics.parquet"
    topics = pl.read_parquet(topics_path) if topics_path.is_file() else None
    config = FindingsConfig(window_hours=args.window_hours, lexicon_dir=args.lexicons,
                            include_outliers=args.include_outliers)
    findings = compute(posts, assignments, topics, config=config)
    responses = table(posts, assignments, window_hours=args.window_hours,
                      lexicon_dir=args.lexicons)
    out = args.out or assignments_path.parent
    out.mkdir(parents=True, exist_ok=True)
    findings.write_parquet(out / "findings.parquet")
    responses.write_parquet(out / "responses.parquet")
    print(f"findings: {findings.height} events, {responses.height} official posts -> {out}")
    return 0
