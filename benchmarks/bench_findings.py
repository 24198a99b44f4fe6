"""Findings on real data: speed of findings.compute, whether its rumour and sentiment
signals separate the labelled rumour events of Weibo CED from the non-rumour ones, and
whether the nature category matches the known kind of each CrisisLexT26 event.

Data (read-only, ../shared/data/weibo-ced-dev): every dev event (original + reposts),
read with workbench.ingest; assignments = the true event (its file), so this measures the
findings alone, not the clustering. Printed: wall time and posts/s of compute(); per
class (rumour / non-rumour, the baseline): share of events with any rumour signal, mean
rumour_share, mean negative_share, and the ratio rumour / non-rumour.

CrisisLexT26 (English/Spanish/... tweets): each event's expected nature comes from its
name (earthquake, flood, typhoon, wildfire, bushfire, meteor -> natural; crashes,
shootings, bombings, explosions, collapses, fires in buildings -> social; the haze may be
natural or social, the refinery explosion social or economic). Baseline: always
answering the most common expected category.

    python benchmarks/bench_findings.py [--events N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CED = DATA / "weibo-ced-dev" / "CED_Dataset"
CRISIS = DATA / "crisislex-t26"
NATURAL = ("earthquake", "flood", "typhoon", "wildfire", "bushfire", "meteor")
EITHER = {"haze": {"natural", "social"}, "refinery": {"social", "economic"}}


def expected_natures(event: str) -> set[str]:
    name = event.lower()
    for key, allowed in EITHER.items():
        if key in name:
            return allowed
    return {"natural"} if any(k in name for k in NATURAL) else {"social"}


def crisislex_natures() -> None:
    from workbench.findings import compute
    from workbench.ingest import read

    posts = read([CRISIS]).posts
    assignments = posts.select("post_id", pl.col("event_label").alias("event_id"))
    t = time.perf_counter()
    findings = compute(posts, assignments)
    wall = time.perf_counter() - t
    rows = findings.select("event_id", "nature", "nature_confidence", "nature_evidence")
    hits = [r["nature"] in expected_natures(r["event_id"]) for r in rows.iter_rows(named=True)]
    expected = [sorted(expected_natures(e))[0] for e in rows["event_id"]]
    top = max(set(expected), key=expected.count)
    base = sum(top in expected_natures(e) for e in rows["event_id"])
    print(f"\nCrisisLexT26: {findings.height} events, {posts.height:,} posts, compute {wall:.1f} s")
    for r, ok in zip(rows.iter_rows(named=True), hits, strict=True):
        if not ok:
            print(f"  miss: {r['event_id']} -> {r['nature']} {r['nature_evidence']}")
    print(f"nature matches the event's kind: {sum(hits)}/{len(hits)}; baseline (always "
          f"'{top}'): {base}/{len(hits)}; ratio {sum(hits) / max(base, 1):.2f}")


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
    if CRISIS.is_dir():
        crisislex_natures()
    return 0


if __name__ == "__main__":
    sys.exit(main())
