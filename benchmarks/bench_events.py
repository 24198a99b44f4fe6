"""Event recovery on real labelled data: the workbench default vs BERTopic's default pipeline.

Data (read-only, from ../shared/data):
- CrisisLexT26: all 27,933 labelled tweets of 26 crisis events (label = event folder).
  Times come from the tweet id (Twitter snowflake: ms since 2010-11-04 = id >> 22), exact
  and available for Boston too (its timestamp list is absent from the snapshot).
- Weibo CED: 120 events (60 rumour, 60 non-rumour, drawn with seed 0 from the 865 dev
  events), each the original post + all its reposts (label = event file). Scored with the
  repost structure (parent/root ids) and without it (every post stands alone).

Both methods get the same embeddings (m3e-small, cached on disk, cleaned text). Reported:
NMI, ARI, number of events found, wall time (clustering + keywords, embeddings excluded:
they are shared and cached), and the ratios workbench / BERTopic-default.

    python benchmarks/bench_events.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from workbench.schema import POST_SCHEMA, conform

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CED = DATA / "weibo-ced-dev" / "CED_Dataset"
CRISIS = DATA / "crisislex-t26"
TWEPOCH_MS = 1288834974657
BEIJING = timedelta(hours=8)


# ------------------------------------------------------------------------- loaders
def load_crisislex(per_event: int | None = None, seed: int = 0) -> pl.DataFrame:
    """Labelled CrisisLexT26 tweets as posts (minimal local reader; time from the id)."""
    rows = []
    for folder in sorted(p for p in CRISIS.iterdir() if p.is_dir()):
        files = list(folder.glob("*-tweets_labeled.csv"))
        if not files:
            continue
        with files[0].open(encoding="utf-8", newline="") as fh:
            reader = csv.reader(fh)
            next(reader)
            event_rows = []
            for i, rec in enumerate(reader):
                tid = int(rec[0].strip().strip('"'))
                ts = datetime.fromtimestamp(((tid >> 22) + TWEPOCH_MS) / 1000, tz=UTC)
                event_rows.append({
                    "post_id": f"twitter:{tid}", "platform": "twitter", "source": "crisislex_t26",
                    "kind": "original", "created_at": ts, "text": rec[1],
                    "event_label": folder.name, "source_file": str(files[0]), "source_row": i,
                })
        if per_event and len(event_rows) > per_event:
            event_rows = random.Random(seed).sample(event_rows, per_event)
        rows.extend(event_rows)
    posts = pl.DataFrame(rows).unique("post_id", keep="first", maintain_order=True)
    return conform(posts, POST_SCHEMA).with_columns(root_id=pl.col("post_id"))


def _weibo_time(value, fallback: datetime | None) -> datetime | None:
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    if isinstance(value, str) and value:
        for fmt in ("%Y-%m-%d %H:%M:%S", "%a %b %d %H:%M:%S %z %Y"):
            try:
                t = datetime.strptime(value, fmt)
            except ValueError:
                continue
            return t.astimezone(UTC) if t.tzinfo else (t - BEIJING).replace(tzinfo=UTC)
        if "月" in value and fallback is not None:  # "MM月DD日 HH:MM", no year
            try:
                t = datetime.strptime(f"{fallback.year} {value}", "%Y %m月%d日 %H:%M")
                return (t - BEIJING).replace(tzinfo=UTC)
            except ValueError:
                pass
    return fallback


def ced_event_files(n_events: int = 120, seed: int = 0) -> list[tuple[Path, Path]]:
    pairs = []
    for label in ("rumor-repost", "non-rumor-repost"):
        files = sorted((CED / label).glob("*.json"))
        pick = random.Random(seed).sample(files, n_events // 2)
        pairs += [(CED / "original-microblog" / f.name, f) for f in sorted(pick)]
    return pairs


def load_ced(n_events: int = 120, seed: int = 0, max_reposts: int | None = None) -> pl.DataFrame:
    """A mixture of CED events as posts: original + reposts, label = event file."""
    rows = []
    for orig_path, repost_path in ced_event_files(n_events, seed):
        orig = json.loads(orig_path.read_text("utf-8"))
        mid = orig_path.stem.split("_")[1]
        root = f"weibo:{mid}"
        t0 = _weibo_time(orig.get("time"), None)
        user = orig.get("user") if isinstance(orig.get("user"), dict) else {}
        rows.append({
            "post_id": root, "platform": "weibo", "source": "weibo_ced", "kind": "original",
            "created_at": t0, "text": orig.get("text") or "", "root_id": root,
            "author_followers": user.get("followers"), "author_verified": user.get("verified"),
            "reposts": orig.get("reposts"), "comments": orig.get("comments"),
            "likes": orig.get("likes"), "event_label": orig_path.stem,
            "source_file": str(orig_path), "source_row": 0,
        })
        reposts = json.loads(repost_path.read_text("utf-8"))
        if max_reposts:
            reposts = reposts[:max_reposts]
        for i, r in enumerate(reposts):
            parent = r.get("parent") or ""
            rows.append({
                "post_id": f"weibo:{r['mid']}", "platform": "weibo", "source": "weibo_ced",
                "kind": "repost", "created_at": _weibo_time(r.get("date"), t0),
                "text": r.get("text") or "", "author_id": str(r.get("uid")),
                "parent_id": f"weibo:{parent}" if parent else root, "root_id": root,
                "event_label": orig_path.stem, "source_file": str(repost_path), "source_row": i,
            })
    posts = pl.DataFrame(rows, infer_schema_length=None)
    posts = posts.unique("post_id", keep="first", maintain_order=True)
    return conform(posts, POST_SCHEMA)


# ------------------------------------------------------------------------- scoring
def scores(truth: list, found: list) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {"nmi": normalized_mutual_info_score(truth, found),
            "ari": adjusted_rand_score(truth, found), "events": len(set(found))}


def run_workbench(posts: pl.DataFrame, embedder, **config) -> tuple[dict, float]:
    from workbench.events import EventConfig, detect

    t = time.perf_counter()
    ev = detect(posts, embedder=embedder, config=EventConfig(**config))
    dt = time.perf_counter() - t
    got = posts.select("post_id", "event_label").join(ev.assignments, on="post_id")
    return scores(got["event_label"].to_list(), got["event_id"].to_list()), dt


def run_bertopic_default(posts: pl.DataFrame, embedder) -> tuple[dict, float]:
    """BERTopic() as shipped (UMAP + HDBSCAN), on the same cached embeddings of each post."""
    import numpy as np
    from bertopic import BERTopic

    from workbench.events.text import clean_expr

    docs = posts.select(clean_expr()).to_series().to_list()
    emb = embedder.encode(docs)
    t = time.perf_counter()
    topics, _ = BERTopic(language="multilingual").fit_transform(docs, embeddings=emb)
    dt = time.perf_counter() - t
    found = np.asarray(topics)
    out = scores(posts["event_label"].to_list(), found.tolist())
    out["events"] = len(set(found.tolist()) - {-1})
    out["outliers"] = float((found == -1).mean())
    return out, dt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crisis-per-event", type=int, default=150,
                        help="stratified sample of labelled tweets per event (0 = all 27,933)")
    parser.add_argument("--ced-events", type=int, default=120)
    parser.add_argument("--ced-max-reposts", type=int, default=60,
                        help="reposts kept per CED event, in file order (0 = all)")
    parser.add_argument("--model", default=None, help="embedder (default m3e-small)")
    args = parser.parse_args(argv)
    if not CED.exists() or not CRISIS.exists():
        print(f"bench_events: skipped, no data under {DATA}")
        return 0
    from workbench.embed import get_embedder
    from workbench.events.text import clean_expr

    embedder = get_embedder(args.model)
    crisis = load_crisislex(args.crisis_per_event or None)
    ced = load_ced(args.ced_events, max_reposts=args.ced_max_reposts or None)
    t = time.perf_counter()
    for frame in (crisis, ced):
        embedder.encode(frame.select(clean_expr()).to_series().unique().to_list(), progress=True)
    print(f"embeddings ready in {time.perf_counter() - t:.1f} s (model {embedder.model_id}, "
          f"cached on disk)")
    # imports and jieba's dictionary are paid once per process by both methods: not timed
    import bertopic  # noqa: F401
    import scipy.cluster.hierarchy  # noqa: F401

    from workbench.events.topics import _quiet_jieba

    _quiet_jieba()
    cases = [
        ("CrisisLexT26", crisis, {"use_structure": True}),
        ("CED, with reposts structure", ced, {"use_structure": True}),
        ("CED, without structure", ced, {"use_structure": False}),
    ]
    rows = []
    baseline_cache: dict[int, tuple[dict, float]] = {}
    for name, posts, cfg in cases:
        wb, wb_t = run_workbench(posts, embedder, **cfg)
        if id(posts) not in baseline_cache:
            baseline_cache[id(posts)] = run_bertopic_default(posts, embedder)
        bt, bt_t = baseline_cache[id(posts)]
        rows.append((name, posts.height, posts["event_label"].n_unique(), wb, wb_t, bt, bt_t))
        print(f"{name}: workbench {wb} in {wb_t:.1f}s | BERTopic default {bt} in {bt_t:.1f}s",
              flush=True)
    print()
    print("| data | posts | true events | method | NMI | ARI | events found | time (s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, n, k, wb, wb_t, bt, bt_t in rows:
        print(f"| {name} | {n:,} | {k} | workbench default | {wb['nmi']:.3f} | {wb['ari']:.3f} "
              f"| {wb['events']} | {wb_t:.1f} |")
        print(f"| | | | BERTopic default (UMAP+HDBSCAN) | {bt['nmi']:.3f} | {bt['ari']:.3f} "
              f"| {bt['events']} (+{bt['outliers']:.0%} outliers) | {bt_t:.1f} |")
        print(f"| | | | ratio workbench/BERTopic | {wb['nmi'] / max(bt['nmi'], 1e-9):.2f}x "
              f"| {wb['ari'] / max(bt['ari'], 1e-9):.2f}x | | {bt_t / max(wb_t, 1e-9):.1f}x "
              f"faster |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
