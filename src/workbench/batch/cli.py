"""``workbench embed``: an archive's posts through an embedding model on Ray Data."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "embed",
        help="embed the posts of an ingested archive with Ray Data (locally or on a cluster)",
        description=(
            "Read DIR/posts.parquet (from `workbench ingest`), embed every text with one actor "
            "per model replica (Ray Data map_batches), and write OUT/part-*.parquet (seq, "
            "post_id, embedding), in the posts' order. Locally a Ray is started on this "
            "machine; --address or $RAY_ADDRESS runs the same job on a cluster. The actors "
            "fill the embedding cache too, so `workbench events` finds the vectors there."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("posts", type=Path, metavar="DIR", help="folder holding posts.parquet")
    p.add_argument("--out", type=Path, required=True, help="output folder (or shared storage)")
    p.add_argument("--workers", type=int, default=1, help="actors (model replicas)")
    p.add_argument("--threads", type=int, default=1, help="inference threads (CPUs) per actor")
    p.add_argument("--model", default=None, help="embedding model name (default: the project's)")
    p.add_argument("--batch-size", type=int, default=256, help="texts per batch")
    p.add_argument("--address", default=None,
                   help="Ray cluster address (auto, ray://head:10001); default $RAY_ADDRESS, "
                        "else a local Ray")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench.batch.embed import embed_posts

    try:
        result = embed_posts(args.posts, args.out, workers=args.workers, model=args.model,
                             batch_size=args.batch_size, threads=args.threads,
                             address=args.address)
    except (FileNotFoundError, ValueError) as exc:
        print(f"workbench embed: {exc}", file=sys.stderr)
        return 2
    print(f"embedded {result.posts:,} posts with {result.workers} workers in "
          f"{result.seconds:.1f} s ({result.posts_per_s:,.0f} posts/s) -> {result.out}")
    return 0
