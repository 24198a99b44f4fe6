"""Findings on real data: speed of findings.compute and whether its rumour and sentiment
signals separate the labelled rumour events of Weibo CED from the non-rumour ones.

Data (read-only, ../shared/data/weibo-ced-dev): every dev event (original + reposts),
read with workbench.ingest; assignments = the true event (its file), so this measures the
findings alone, not the clustering. Printed: wall time and posts/s of compute(); per
class (rumour / non-rumour, the baseline): share of events with any rumour signal, mean
rumour_share, mean negative_share, and the ratio rumour / non-rumour.

    python benchmarks/bench_findings.py [--events N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

CED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "weibo-ced-dev" / "CED_Dataset"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=0, help="first N events only (0 = all)")
    args = parser.parse_args(argv)
    if not CED.is_dir():
        print(f"bench_findings: {CED} is absent; nothing measured")
        return 0

    from workbench.findings import compute
    from workbench.findings.sentiment import default_model
    from workbench.ingest import read

    t = time.perf_counter()
    posts = read([CED]).posts
    print(f"ingest: {posts.height:,} posts in {time.perf_counter() - t:.1f} s")
    if args.events:
        keep = posts["event_label"].unique().sort().head(args.events)
        posts = posts.filter(pl.col("event_label").is_in(keep.implode()))
    assignments = posts.select("post_id", pl.col("event_label").alias("event_id"))
    default_model()  # lexicon load outside the timing (once per process)

    t = time.perf_counter()
    findings = compute(posts, assignments)
    wall = time.perf_counter() - t
    print(f"compute: {findings.height:,} events, {posts.height:,} posts in {wall:.1f} s "
          f"({posts.height / wall:,.0f} posts/s)")

    by_class = (
        findings.with_columns(
            pl.when(pl.col("event_id").str.starts_with("rumor"))
            .then(pl.lit("rumour")).otherwise(pl.lit("non-rumour")).alias("class")
        )
        .group_by("class")
        .agg(
            pl.len().alias("events"),
            (pl.col("rumour_signals") > 0).mean().alias("any_rumour_signal"),
            pl.col("rumour_share").mean(),
            pl.col("negative_share").mean(),
            pl.col("cascade_depth").median().alias("median_depth"),
        )
        .sort("class", descending=True)
    )
    with pl.Config(tbl_cols=-1, tbl_width_chars=140):
        print(by_class)
    rows = {r["class"]: r for r in by_class.iter_rows(named=True)}
    if {"rumour", "non-rumour"} <= set(rows):
        r, n = rows["rumour"], rows["non-rumour"]
        for col in ("any_rumour_signal", "rumour_share", "negative_share"):
            print(f"ratio rumour / non-rumour (baseline), {col}: {r[col] / max(n[col], 1e-9):.2f}")
    print("natures:", dict(findings["nature"].value_counts().iter_rows()))
    print("subjects:", dict(findings["affected_subject"].value_counts().iter_rows()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
