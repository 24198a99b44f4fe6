"""Benchmark the scenario simulator on every scenario in scenarios/.

For each scenario: generation time (simulate + write the channel files and truth), posts per
second, share of distinct texts among original posts, vocabulary (distinct jieba words), and
the same figures for a **baseline**: a one-template-per-phase generator with uniform times
(what a quick fake-data script would do), run beside it in the same process; ratios are
simulator / baseline. Then ingest reads the simulated folder back (posts/s).

    python benchmarks/bench_simulate.py
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

import jieba
import numpy as np
import orjson

ROOT = Path(__file__).parents[1]
sys.path.insert(0, str(ROOT / "src"))

from workbench import simulate  # noqa: E402

jieba.setLogLevel(logging.WARNING)


def baseline(sc, out: Path) -> list[str]:
    """One sentence per phase, uniform times: the naive fake-data generator."""
    rng = np.random.default_rng(sc.seed)
    n = sc.incident_posts + sc.background_posts
    texts = []
    rows = []
    for i in range(n):
        phase = ["onset", "spread", "official", "rumour", "background"][int(rng.integers(5))]
        text = f"{sc.place['city']}{sc.title}：{phase}"
        texts.append(text)
        rows.append(orjson.dumps({"id": i, "time": float(rng.uniform(0, sc.duration_hours)), "content": text}))
    out.mkdir(parents=True, exist_ok=True)
    (out / "weibo.jsonl").write_bytes(b"\n".join(rows))
    return texts


def variety(texts: list[str]) -> tuple[float, int]:
    distinct = len(set(texts)) / max(1, len(texts))
    vocab = {w for t in texts for w in jieba.lcut(t) if w.strip()}
    return distinct, len(vocab)


def main() -> None:
    from workbench import ingest

    print(f"{'scenario':16} {'posts':>6} {'sim s':>6} {'posts/s':>8} {'base s':>7} {'distinct':>8} "
          f"{'base':>5} {'vocab':>6} {'base':>5} {'vocab x':>7} {'ingest/s':>9}")
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        sc = simulate.load(path)
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            sim = simulate.simulate(sc)
            simulate.write(sim, Path(tmp) / "sim")
            t_sim = time.perf_counter() - t0
            t0 = time.perf_counter()
            base_texts = baseline(sc, Path(tmp) / "base")
            t_base = time.perf_counter() - t0
            t0 = time.perf_counter()
            res = ingest.read(Path(tmp) / "sim")
            t_ing = time.perf_counter() - t0
        originals = [p.text for p in sim.posts if p.kind == "original"]
        d, v = variety(originals)
        bd, bv = variety(base_texts)
        n = len(sim.posts)
        print(f"{sc.name:16} {n:6d} {t_sim:6.2f} {n / t_sim:8.0f} {t_base:7.3f} {d:8.1%} {bd:5.1%} {v:6d} "
              f"{bv:5d} {v / bv:7.1f} {res.posts.height / t_ing:9.0f}")


if __name__ == "__main__":
    main()
