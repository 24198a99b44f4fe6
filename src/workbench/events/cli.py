"""``workbench events STORE --out DIR``: detect events in an ingested post store."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "events",
        help="group ingested posts into events (text + time + reposts), stable ids",
        description=(
            "Group the posts of an ingest output directory (posts.parquet) into events: "
            "cascades (reposts follow their root) clustered by text embedding and time, "
            "keywords by BERTopic c-TF-IDF (jieba). Writes assignments.parquet, "
            "topics.parquet, ledger/ and findings.parquet to --out. Re-running with the "
            "same --out (or --ledger) keeps event ids and adds new posts to them."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("store", type=Path, help="ingest output directory (with posts.parquet)")
    p.add_argument("--out", type=Path, required=True, help="output directory")
    p.add_argument("--ledger", type=Path, default=None,
                   help="ledger directory to continue (default: OUT/ledger if present)")
    p.add_argument("--fresh", action="store_true", help="ignore any existing ledger")
    p.add_argument("--model", default=None,
                   help="embedder: m3e-small (default), use-multilingual, or any "
                        "sentence-transformers folder / hub name")
    p.add_argument("--threshold", type=float, default=None,
                   help="clustering cut on the text+time distance (default: measured per model, 0.35 for m3e-small)")
    p.add_argument("--time-scale-hours", type=float, default=None,
                   help="time gap (hours) that costs the full time penalty (default 336)")
    p.add_argument("--no-structure", action="store_true",
                   help="cluster posts on their own words (reposts do not follow their root)")
    p.add_argument("--recluster", action="store_true",
                   help="re-cluster everything and map to the ledger's ids (records splits)")
    p.add_argument("--no-findings", action="store_true", help="skip findings.parquet")
    p.add_argument("--cache-dir", type=Path, default=None, help="embedding cache directory")
    p.set_defaults(func=run)


def _load_posts(store: Path):
    import polars as pl

    try:
        from workbench.ingest import load
    except ImportError:
        load = None
    if load is not None:
        return load(store).collect()
    path = store / "posts.parquet" if store.is_dir() else store
    if not path.exists():
        raise SystemExit(f"events: no posts.parquet in {store}")
    return pl.read_parquet(path)


def run(args) -> int:
    from workbench.embed import get_embedder
    from workbench.events import EventConfig, Ledger, detect

    posts = _load_posts(args.store)
    config = EventConfig(use_structure=not args.no_structure, recluster=args.recluster)
    if args.threshold is not None:
        config.threshold = args.threshold
    if args.time_scale_hours is not None:
        config.time_scale_hours = args.time_scale_hours
    ledger_dir = args.ledger or (args.out / "ledger")
    ledger = Ledger() if args.fresh else Ledger.open(ledger_dir)
    embedder = get_embedder(args.model, cache_dir=args.cache_dir)
    events = detect(posts, embedder=embedder, config=config, ledger=ledger, progress=True)
    events.write(args.out, findings=False)
    if args.ledger:
        events.ledger.save(args.ledger)
    if not args.no_findings:
        try:
            events.findings().write_parquet(args.out / "findings.parquet")
        except ImportError as exc:
            print(f"events: findings skipped ({exc})")
    n_events = events.assignments["event_id"].n_unique()
    print(f"events: {posts.height} posts -> {n_events} events; wrote {args.out}")
    top = events.summary().head(10)
    for row in top.iter_rows(named=True):
        print(f"  {row['event_id']}  {row['n_posts']:>6}  {row['title']}")
    return 0
