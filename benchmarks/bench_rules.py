"""Grade 100,000 findings rows through durable-rules and, in the same run, through the
reference evaluator; events/s, the ratio, and process memory before/after.

Target (issue 4): >= 2,000 events/s through the engine. Rows are synthetic findings drawn
around the rules' thresholds (seeded), so every level and most rules fire.

Memory (issue 14): peak RSS growth while grading 20,000 and 200,000 rows, each in a fresh
process: ``grade()`` in batches (the default) and writing the batches to Parquet as
``workbench rules grade`` does, against the baseline of one pass over all rows (one batch,
as grading ran before).
Usage: python benchmarks/bench_rules.py [N]   |   python benchmarks/bench_rules.py --rss
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl
import psutil

from workbench.grading import load_ruleset
from workbench.grading.grade import grade, level_counts
from workbench.schema import FINDINGS_SCHEMA, NATURES, SUBJECTS, conform

ROOT = Path(__file__).resolve().parents[1]


def synthetic_findings(n: int, seed: int = 7) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    n_posts = np.minimum(rng.lognormal(5.3, 1.3, n).astype(np.int64) + 1, 500_000)
    first24 = (n_posts * rng.uniform(0.3, 1.0, n)).astype(np.int64)
    frame = pl.DataFrame({
        "event_id": [f"E{i:06d}" for i in range(n)],
        "n_posts": n_posts,
        "posts_first_24h": first24,
        "growth_rate": rng.gamma(1.2, 1.0, n).round(3),
        "burst_count": rng.poisson(0.8, n),
        "max_burst_z": rng.gamma(2.0, 4.0, n).round(2),
        "reach": (rng.lognormal(12, 2.5, n)).astype(np.int64),
        "n_platforms": rng.integers(1, 6, n),
        "negative_share": rng.beta(3, 3, n).round(4),
        "sentiment_intensity": rng.beta(2, 3, n).round(4),
        "mentions_casualties": rng.poisson(3, n) * rng.integers(0, 4, n),
        "casualties_reported": np.where(rng.random(n) < 0.2, rng.integers(0, 60, n), -1),
        "mentions_officials": rng.poisson(10, n),
        "mentions_minors": rng.poisson(2, n),
        "rumour_signals": rng.poisson(4, n),
        "official_responses": rng.poisson(0.5, n),
        "debunked": rng.random(n) < 0.1,
        "nature": rng.choice(NATURES, n),
        "affected_subject": rng.choice(SUBJECTS, n),
        "first_seen": [datetime(2024, 1, 1, tzinfo=UTC)] * n,
    }).with_columns(
        pl.when(pl.col("casualties_reported") < 0).then(None).otherwise(pl.col("casualties_reported"))
        .alias("casualties_reported"),
        (pl.col("rumour_signals") / pl.col("n_posts")).round(4).alias("rumour_share"),
        pl.lit(["火灾"]).alias("sensitive_terms"),
    )
    return conform(frame, FINDINGS_SCHEMA)


def main(n: int = 100_000) -> None:
    proc = psutil.Process()
    rs = load_ruleset(ROOT / "rules")
    findings = synthetic_findings(n)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    print(f"rules {rs.name} {rs.version} ({rs.hash}): {len(rs.active_rules)} active rules; "
          f"{n:,} findings rows")
    grade(findings.head(100), rs, now=now)  # import durable, register the ruleset
    results = {}
    for evaluator in ("engine", "reference"):
        rss0 = proc.memory_info().rss
        t, c = time.perf_counter(), time.process_time()
        g = grade(findings, rs, now=now, evaluator=evaluator)
        dt, dc = time.perf_counter() - t, time.process_time() - c
        rss1 = proc.memory_info().rss
        results[evaluator] = (g, dt)
        print(f"{evaluator:>9}: {n / dt:8,.0f} events/s wall ({dt:.1f} s), {n / dc:8,.0f} events/s "
              f"of CPU time ({dc:.1f} s); RSS {rss0 / 2**20:.0f} -> {rss1 / 2**20:.0f} MiB")
    ge, te = results["engine"]
    gr, tr = results["reference"]
    assert ge.equals(gr), "engine and reference disagree"
    print(f"engine / reference throughput: {tr / te:.2f}x (engine == reference on all rows)")
    print("target >= 2,000 events/s through the engine (wall):",
          "MET" if n / te >= 2000 else "NOT MET")
    # the Host path: one Python action call per firing, as durable's own API runs it
    from workbench.grading.compile import fact_from_row
    from workbench.grading.engine import GradingEngine

    facts = [fact_from_row(r, rs.fields) for r in findings.head(10_000).select(rs.fields).to_dicts()]
    for label, eng in (("engine, C action queue", GradingEngine(rs)),
                       ("engine via Host actions", GradingEngine(rs, fast=False))):
        t = time.perf_counter()
        for f in facts:
            eng.evaluate(f)
        dt = time.perf_counter() - t
        print(f"evaluate() only, {label}: {len(facts) / dt:,.0f} events/s (10,000 facts)")
    # memory over repeated gradings of the same rows (sessions deleted, nothing retained)
    rss = []
    for _ in range(3):
        grade(findings.head(20_000), rs, now=now)
        rss.append(proc.memory_info().rss / 2**20)
    print("RSS after 3 more rounds of 20,000 gradings: " + ", ".join(f"{r:.0f}" for r in rss)
          + " MiB")
    print("levels:", ", ".join(f"{r['level']} {r['events']:,}"
                               for r in level_counts(ge).iter_rows(named=True)))


def ced_distribution() -> None:
    """Level distribution over the CED Weibo events (one event per CED source file)."""
    data = ROOT / ".." / "shared" / "data" / "weibo-ced-dev"
    if not data.is_dir():
        print(f"(no {data}: CED level distribution skipped)")
        return
    from workbench import ingest
    from workbench.findings import compute

    t = time.perf_counter()
    posts = ingest.read([data]).posts
    assignments = posts.filter(pl.col("event_label").is_not_null()).select(
        "post_id", pl.col("event_label").alias("event_id"), pl.lit("cluster").alias("how"),
        pl.lit(None, pl.Float64).alias("score"))
    findings = compute(posts, assignments)
    g = grade(findings)
    counts = level_counts(g)
    print(f"CED dev: {findings.height} events graded ({time.perf_counter() - t:.0f} s with ingest "
          "and findings): " + ", ".join(
              f"{r['level']} {r['events']} ({100 * r['events'] / g.height:.1f}%)"
              for r in counts.iter_rows(named=True)))


MEMORY_MODES = {
    "one pass (baseline)": "one-pass",
    "grade(), batches": "batches",
    "rules grade -> parquet": "stream",
}


def rss_child(n: int, mode: str) -> dict:
    """In this (fresh) process: grade ``n`` rows in ``mode``; peak RSS growth while doing it."""
    from workbench.grading.cli import _write_batches
    from workbench.grading.grade import grade_batches

    proc = psutil.Process()
    rs = load_ruleset(ROOT / "rules")
    findings = synthetic_findings(n)
    now = datetime(2024, 1, 1, tzinfo=UTC)
    grade(findings.head(100), rs, now=now)  # imports, registration, the rule-set check
    before = proc.memory_info().rss
    peak, stop = [before], threading.Event()

    def sample() -> None:
        while not stop.wait(0.01):
            peak[0] = max(peak[0], proc.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t = time.perf_counter()
    if mode == "one-pass":
        result = pl.concat(list(grade_batches(findings, rs, now=now, batch_rows=n)))
    elif mode == "batches":
        result = grade(findings, rs, now=now)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            _write_batches(grade_batches(findings, rs, now=now), Path(tmp) / "g.parquet")
        result = None
    seconds = time.perf_counter() - t
    stop.set()
    sampler.join()
    peak[0] = max(peak[0], proc.memory_info().rss)
    return {"n": n, "mode": mode, "seconds": seconds, "peak_mib": (peak[0] - before) / 2**20,
            "result_mib": result.estimated_size() / 2**20 if result is not None else 0.0}


def memory(sizes: tuple[int, ...] = (20_000, 200_000)) -> None:
    """Peak RSS growth per mode and size, each in a fresh process (nice'd)."""
    print(f"grading memory: peak RSS growth while grading, fresh process per run "
          f"({', '.join(f'{n:,}' for n in sizes)} rows)")
    got: dict[tuple[str, int], dict] = {}
    for label, mode in MEMORY_MODES.items():
        for n in sizes:
            out = subprocess.run(
                ["nice", "-n", "10", sys.executable, __file__, "--rss-child", str(n), mode],
                capture_output=True, text=True, check=True, cwd=ROOT)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            got[(mode, n)] = r
            print(f"  {label:>24}: {n:>8,} rows {r['seconds']:6.1f} s, peak +{r['peak_mib']:6.0f} MiB"
                  + (f" (result frame {r['result_mib']:.0f} MiB)" if r["result_mib"] else ""),
                  flush=True)
    lo, hi = sizes[0], sizes[-1]
    for label, mode in MEMORY_MODES.items():
        per_row = (got[(mode, hi)]["peak_mib"] - got[(mode, lo)]["peak_mib"]) * 2**20 / (hi - lo)
        print(f"  {label:>24}: {per_row:,.0f} bytes per extra row")
    base = got[("one-pass", hi)]["peak_mib"]
    for label, mode in list(MEMORY_MODES.items())[1:]:
        print(f"  {label} / one pass at {hi:,} rows: peak {got[(mode, hi)]['peak_mib'] / base:.2f}x")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rss-child":
        print(json.dumps(rss_child(int(sys.argv[2]), sys.argv[3])))
    elif len(sys.argv) > 1 and sys.argv[1] == "--rss":
        memory()
    else:
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
        memory()
        ced_distribution()
