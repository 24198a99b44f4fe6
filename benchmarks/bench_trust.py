"""Trust in the grades: the graded gold set, the drills, CrisisLexT26's casualty evidence and
the level distribution over Weibo CED, each beside its baseline.

1. Gold set (tests/gold): level and nature confusion matrices, exact / within-one accuracy,
   level-I false positives, beside the majority class and volume alone (one rule).
2. Drills (scenarios/*.yaml) on their true events: peak level against the intended one.
3. CrisisLexT26 (../shared/data/crisislex-t26, English crisis tweets, one event per CrisisLex
   event): the corroborated death / injury counts with their evidence tweets, how many
   stated counts were set aside (other times, places, comparisons), and the level; the
   baseline is the previous rule input, the largest count any single tweet states.
4. Weibo CED dev (one event per cascade file): the level distribution.

    python benchmarks/bench_trust.py [--skip-drills] [--skip-ced]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".." / "shared" / "data"


def gold() -> None:
    from workbench.grading.evaluate import evaluate

    t = time.perf_counter()
    e = evaluate(ROOT / "tests" / "gold")
    print(e.report())
    print(f"({time.perf_counter() - t:.1f} s)")


def drills() -> None:
    from workbench.grading.evaluate import drill_peaks, format_drills

    t = time.perf_counter()
    d = drill_peaks(ROOT / "scenarios", every_hours=3.0, progress=True)
    print(format_drills(d))
    print(f"({time.perf_counter() - t:.1f} s)")


def _largest_single_claim(posts: pl.DataFrame) -> pl.DataFrame:
    """The old input: the largest count any one post states (no context, no corroboration)."""
    from workbench.findings import enrich

    e = enrich(posts).collect()
    claims = (e.select("event_label", pl.col("casualty_claims")).explode("casualty_claims")
              .unnest("casualty_claims"))
    return claims.group_by("event_label").agg(
        pl.max_horizontal(pl.col("deaths").max(), pl.col("injuries").max()).alias("largest_single"))


def crisislex() -> None:
    from workbench.findings import compute
    from workbench.grading.grade import grade
    from workbench.ingest import read

    posts = read([DATA / "crisislex-t26"]).posts.filter(pl.col("event_label").is_not_null())
    a = posts.select("post_id", pl.col("event_label").alias("event_id"))
    t = time.perf_counter()
    f = compute(posts, a)
    g = grade(f)
    base = _largest_single_claim(posts).rename({"event_label": "event_id"})
    texts = dict(zip(posts["post_id"], posts["text"], strict=True))
    table = (f.join(g.select("event_id", "level", "fired_rules"), on="event_id")
             .join(base, on="event_id", how="left").sort("event_id"))
    print(f"\nCrisisLexT26: {f.height} events, {posts.height:,} tweets, findings + grading "
          f"{time.perf_counter() - t:.1f} s")
    print("| event | largest single-tweet count (old input) | deaths (corroborated) | injuries | "
          "set aside | level | casualty rule | evidence (first tweet) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in table.iter_rows(named=True):
        rule = next((x for x in r["fired_rules"] if x.startswith("casualties-")), "-")
        ev = (r["deaths_evidence"] or r["injuries_evidence"] or [None])[0]
        quote = (texts.get(ev) or "").replace("|", "/").replace("\n", " ")[:90] if ev else "-"
        print(f"| {r['event_id']} | {r['largest_single']} | {r['deaths_reported']} | "
              f"{r['injuries_reported']} | {r['casualty_claims_set_aside']} | {r['level']} | "
              f"{rule} | {quote} |")
    old_i = int((table["largest_single"].fill_null(0) >= 30).sum())
    print(f"events whose largest single-tweet count is >= 30 (the old casualties-i-mass input): "
          f"{old_i}; events graded I now: {int((table['level'] == 'I').sum())}")


def ced() -> None:
    from workbench.findings import compute
    from workbench.grading.grade import grade, level_counts
    from workbench.ingest import read

    posts = read([DATA / "weibo-ced-dev"]).posts
    a = posts.select("post_id", pl.col("event_label").alias("event_id"))
    t = time.perf_counter()
    g = grade(compute(posts, a))
    counts = level_counts(g)
    print(f"\nWeibo CED dev: {g.height} events (one per cascade), {posts.height:,} posts, "
          f"{time.perf_counter() - t:.1f} s")
    print("  " + ", ".join(f"{r['level']}: {r['events']}" for r in counts.iter_rows(named=True)))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skip-drills", action="store_true")
    p.add_argument("--skip-ced", action="store_true")
    args = p.parse_args(argv)
    gold()
    if not args.skip_drills:
        drills()
    if (DATA / "crisislex-t26").is_dir():
        crisislex()
    if not args.skip_ced and (DATA / "weibo-ced-dev").is_dir():
        ced()
    return 0


if __name__ == "__main__":
    sys.exit(main())
