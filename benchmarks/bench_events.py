"""Event recovery on real labelled data, unshifted and as a concurrent stream.

Data (read-only, from ../shared/data):
- CrisisLexT26: a seeded sample of labelled tweets per event (default 100 of each of the
  26 events; ``--crisis-per-event 0`` = all 27,933). Times from the tweet id (Twitter
  snowflake: ms since 2010-11-04 = id >> 22), so Boston is included.
- Weibo CED: every one of the 865 dev events (``--ced-events``), each its original post + a
  seeded random sample of up to 10 of its reposts (``--ced-reposts``; 0 = all 318,867,
  too slow to embed on 2 cores); label = event file. Scored with the repost structure
  (parent/root ids) and without it (every post stands alone).

Concurrent stream (issue 12): every event is shifted in time so that its first post falls
at a seeded random point of one 48-hour window (``--window-hours``), keeping its internal
timing; all are mixed. Methods, on the same cached m3e-small embeddings of cleaned text:
the workbench default (``detect``); BERTopic's default (UMAP + HDBSCAN; it never sees time,
so its unshifted figure is the concurrent one); k-means with the true k on the time alone
and on the text vectors alone (with structure both cluster cascades, one unit each, so k
= number of cascades makes them trivially exact on CED). Then the same with a growing
number of concurrent CED events (``--sizes``), BERTopic only up to
``--bertopic-max-units``. Reported: NMI, ARI, events found, wall time (embeddings
excluded: shared and cached), ARI minus time-only k-means and the ratios to it.

    python benchmarks/bench_events.py [--no-bertopic] [--sizes 25,100,400,0]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
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
    """(original, reposts) file pairs: ``n_events`` drawn half rumour, half non-rumour
    (seeded), or every event of the dev set when ``n_events`` is 0 or covers them all."""
    pairs = []
    groups = [sorted((CED / label).glob("*.json")) for label in ("rumor-repost",
                                                                  "non-rumor-repost")]
    take_all = not n_events or n_events >= sum(len(g) for g in groups)
    for files in groups:
        pick = files if take_all else random.Random(seed).sample(files, n_events // 2)
        pairs += [(CED / "original-microblog" / f.name, f) for f in sorted(pick)]
    return pairs


def load_ced(n_events: int = 120, seed: int = 0, max_reposts: int | None = None,
             sample_reposts: int | None = None) -> pl.DataFrame:
    """A mixture of CED events as posts: original + reposts, label = event file.

    ``max_reposts``: keep the first reposts in file order; ``sample_reposts``: keep a
    seeded random sample of up to that many reposts of each event (seed = event file).
    """
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
        reposts = list(enumerate(json.loads(repost_path.read_text("utf-8"))))
        if max_reposts:
            reposts = reposts[:max_reposts]
        if sample_reposts and len(reposts) > sample_reposts:
            picked = random.Random(f"{seed}:{orig_path.stem}").sample(reposts, sample_reposts)
            reposts = sorted(picked, key=lambda ir: ir[0])
        for i, r in reposts:
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


# ------------------------------------------------------------------------- streams
STREAM_START = datetime(2030, 1, 1, tzinfo=UTC)


def concurrent(posts: pl.DataFrame, window_hours: float = 48.0, seed: int = 0) -> pl.DataFrame:
    """Every event shifted in time so that its onset (first post) falls at a seeded random
    point of one ``window_hours`` window; each event's internal timing is kept."""
    onsets = (posts.group_by("event_label").agg(onset=pl.col("created_at").min())
              .sort("event_label"))
    offsets = np.random.default_rng(seed).uniform(0, window_hours * 3600e6, onsets.height)
    start_us = int(STREAM_START.timestamp() * 1e6)
    onsets = onsets.with_columns(
        shift_us=(pl.Series(offsets.astype(np.int64)) + start_us
                  - pl.col("onset").dt.epoch("us")))
    return (posts.join(onsets.select("event_label", "shift_us"), on="event_label", how="left")
            .with_columns(created_at=pl.col("created_at")
                          + pl.duration(microseconds=pl.col("shift_us")))
            .drop("shift_us"))


def subset_events(posts: pl.DataFrame, n: int, seed: int = 0) -> pl.DataFrame:
    """The posts of ``n`` events (a seeded shuffle of the labels: smaller sets nest in larger)."""
    labels = sorted(posts["event_label"].unique().to_list())
    random.Random(seed).shuffle(labels)
    if not n or n >= len(labels):
        return posts
    return posts.filter(pl.col("event_label").is_in(labels[:n]))


# ------------------------------------------------------------------------- scoring
def scores(truth: list, found: list) -> dict:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return {"nmi": normalized_mutual_info_score(truth, found),
            "ari": adjusted_rand_score(truth, found), "events": len(set(found))}


# ------------------------------------------------------------------------- methods
def run_workbench(posts: pl.DataFrame, embedder, **config) -> tuple[dict, float]:
    found, dt = workbench_labels(posts, embedder, **config)
    return scores(posts["event_label"].to_list(), found), dt


def workbench_labels(posts: pl.DataFrame, embedder, **config) -> tuple[list, float]:
    from workbench.events import EventConfig, detect

    t = time.perf_counter()
    ev = detect(posts, embedder=embedder, config=EventConfig(**config))
    dt = time.perf_counter() - t
    got = posts.select("post_id").join(ev.assignments, on="post_id", how="left",
                                       maintain_order="left")
    return got["event_id"].to_list(), dt


@dataclass
class Units:
    """What the baselines cluster: one unit per cascade (with structure) or per post."""

    post_unit: np.ndarray  # unit index of each post
    vectors: np.ndarray  # unit text vectors (the workbench's own: root's, else mean)
    hours: np.ndarray  # unit first time
    docs: list[str]  # unit text (root's cleaned text, else its first words)


def make_units(posts: pl.DataFrame, embedder, use_structure: bool) -> Units:
    from workbench.events.detect import prepare_units

    frame, units, vecs, _, _, _ = prepare_units(posts, embedder, use_structure=use_structure)
    post_unit = np.empty(frame.height, dtype=np.int64)
    clean = frame["clean"].to_list()
    docs = []
    for j, (rows, root_row, text_rows) in enumerate(zip(
            units["rows"].to_list(), units["root_row"].to_list(), units["text_rows"].to_list(),
            strict=True)):
        post_unit[rows] = j
        docs.append(clean[root_row] if root_row is not None
                    else (clean[text_rows[0]] if text_rows else ""))
    return Units(post_unit, vecs, units["hours"].to_numpy(), docs)


def kmeans_labels(features: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    from sklearn.cluster import KMeans

    k = max(1, min(k, len(features)))
    return KMeans(n_clusters=k, random_state=seed, n_init=3).fit_predict(features)


def time_kmeans(u: Units, k: int) -> tuple[list, float]:
    t = time.perf_counter()
    lab = kmeans_labels(u.hours[:, None], k)
    return lab[u.post_unit].tolist(), time.perf_counter() - t


def text_kmeans(u: Units, k: int) -> tuple[list, float]:
    t = time.perf_counter()
    lab = kmeans_labels(u.vectors, k)
    return lab[u.post_unit].tolist(), time.perf_counter() - t


def bertopic_default(u: Units) -> tuple[list, float]:
    """``BERTopic(language="multilingual")`` as shipped (UMAP + HDBSCAN) on the same unit
    vectors and texts; it has no notion of time. Outliers (-1) count as one found group in
    NMI/ARI and are reported apart."""
    from bertopic import BERTopic

    t = time.perf_counter()
    topics, _ = BERTopic(language="multilingual").fit_transform(u.docs, embeddings=u.vectors)
    return np.asarray(topics)[u.post_unit].tolist(), time.perf_counter() - t


def evaluate(posts: pl.DataFrame, embedder, use_structure: bool, *, bertopic: bool,
             methods: tuple[str, ...] = ("workbench", "bertopic", "time", "text")) -> dict:
    """{method: (scores, seconds)} for one stream."""
    truth = posts["event_label"].to_list()
    k = len(set(truth))
    u = make_units(posts, embedder, use_structure)
    out = {}
    for m in methods:
        if m == "workbench":
            found, dt = workbench_labels(posts, embedder, use_structure=use_structure)
        elif m == "bertopic":
            if not bertopic:
                continue
            found, dt = bertopic_default(u)
        elif m == "time":
            found, dt = time_kmeans(u, k)
        else:
            found, dt = text_kmeans(u, k)
        sc = scores(truth, found)
        if m == "bertopic":
            arr = np.asarray(found)
            sc["events"] = len(set(found) - {-1})
            sc["outliers"] = float((arr == -1).mean())
        out[m] = (sc, dt, found)
    out["_units"] = len(u.docs)
    return out


METHOD_NAMES = {"workbench": "workbench default", "bertopic": "BERTopic default (UMAP+HDBSCAN)",
                "time": "time-only k-means (true k)", "text": "text-only k-means (true k)"}


def _fmt_events(sc: dict) -> str:
    extra = f" (+{sc['outliers']:.0%} outliers)" if "outliers" in sc else ""
    return f"{sc['events']}{extra}"


def show_merges(posts: pl.DataFrame, found: list, n: int = 3) -> None:
    """The largest found events that mix several true events, as an analyst reads them."""
    df = posts.select("event_label", "text", "kind").with_columns(found=pl.Series(found))
    orig = {r["event_label"]: r["text"] for r in
            posts.sort("created_at").unique("event_label", keep="first").iter_rows(named=True)}
    mixed = (df.group_by("found").agg(n=pl.len(), k=pl.col("event_label").n_unique())
             .filter(pl.col("k") > 1).sort("n", descending=True).head(n))
    for row in mixed.iter_rows(named=True):
        parts = (df.filter(pl.col("found") == row["found"]).group_by("event_label")
                 .agg(n=pl.len()).sort("n", descending=True).head(4))
        print(f"  found event {row['found']}: {row['n']} posts from {row['k']} true events")
        for lab, cnt in parts.iter_rows():
            text = (orig.get(lab) or "").replace("\n", " ")[:60]
            print(f"    {cnt:5d} x {lab[:24]:<24} {text}")


def print_table(title: str, rows: list[tuple]) -> None:
    print(f"\n### {title}\n")
    print("| data | posts | units | true events | stream | method | NMI | ARI | events found "
          "| time (s) | ARI - time-only |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, n, units, k, stream, res in rows:
        base = res["time"][0]["ari"] if "time" in res else float("nan")
        for m in METHOD_NAMES:
            if m not in res:
                continue
            sc, dt, _ = res[m]
            print(f"| {name} | {n:,} | {units:,} | {k} | {stream} | {METHOD_NAMES[m]} "
                  f"| {sc['nmi']:.3f} | {sc['ari']:.3f} | {_fmt_events(sc)} | {dt:.1f} "
                  f"| {sc['ari'] - base:+.3f} |")
        wb, tm = res["workbench"], res.get("time")
        if tm:
            print(f"| | | | | {stream} | ratio workbench / time-only | "
                  f"{wb[0]['nmi'] / max(tm[0]['nmi'], 1e-9):.2f}x "
                  f"| {wb[0]['ari'] / max(tm[0]['ari'], 1e-9):.2f}x "
                  f"| {wb[0]['events'] / k:.2f}x true | | |")


def compare_embedders(cases, embedders, args) -> None:
    """The workbench default with each embedder (its own measured cut) on the concurrent
    streams, beside time-only k-means (true k): NMI / ARI / events found, detect time, and
    the cold embed time of the stream's distinct texts (an empty cache)."""
    import tempfile

    from workbench.embed import CachedEmbedder
    from workbench.events.detect import EventConfig
    from workbench.events.text import clean_expr

    print("\n### Concurrent streams per embedder\n")
    print("| data | embedder | cut | NMI | ARI | events found (true) | ARI - time-only "
          "| detect s | cold embed s (distinct texts) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, posts, structure in cases:
        conc = concurrent(posts, args.window_hours, args.seed)
        truth = conc["event_label"].to_list()
        k = len(set(truth))
        base = scores(truth, time_kmeans(make_units(conc, embedders[0], structure), k)[0])
        texts = conc.select(clean_expr()).to_series()
        texts = texts.filter(texts != "").unique().to_list()
        for emb in embedders:
            inner = getattr(emb, "inner", emb)
            with tempfile.TemporaryDirectory() as tmp:
                cold = CachedEmbedder(inner, tmp)
                t = time.perf_counter()
                if len(texts) <= args.cold_max or _is_fast(inner):
                    cold.encode(texts)
                cold_s = time.perf_counter() - t if cold.last_computed else float("nan")
            emb.encode(texts)  # the shared cache for the detector
            cut = EventConfig().for_model(emb.model_id).threshold
            found, dt = workbench_labels(conc, emb, use_structure=structure)
            sc = scores(truth, found)
            print(f"| {name} | {emb.model_id} | {cut:g} | {sc['nmi']:.3f} | {sc['ari']:.3f} "
                  f"| {sc['events']} ({k}) | {sc['ari'] - base['ari']:+.3f} | {dt:.1f} "
                  f"| {cold_s:.1f} ({len(texts):,}) |", flush=True)
        print(f"| {name} | time-only k-means, true k | – | {base['nmi']:.3f} | "
              f"{base['ari']:.3f} | {k} ({k}) | – | – | – |", flush=True)


def _is_fast(inner) -> bool:
    """Static and USE embedders are timed cold at any size; transformers only up to
    ``--cold-max`` texts (m3e-small runs at ~40 posts/s on 2 cores)."""
    from workbench.embed.base import SentenceTransformerEmbedder

    return not isinstance(inner, SentenceTransformerEmbedder)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--crisis-per-event", type=int, default=100,
                        help="seeded sample of labelled tweets per event (0 = all 27,933)")
    parser.add_argument("--ced-events", type=int, default=0,
                        help="CED events (0 = all 865 of the dev set)")
    parser.add_argument("--ced-reposts", type=int, default=10,
                        help="seeded random sample of reposts kept per CED event (0 = all)")
    parser.add_argument("--window-hours", type=float, default=48.0)
    parser.add_argument("--sizes", default="25,100,400,0",
                        help="concurrent CED events for the scaling table (0 = all)")
    parser.add_argument("--bertopic-max-units", type=int, default=3000,
                        help="BERTopic default runs only on streams of at most this many units")
    parser.add_argument("--no-bertopic", action="store_true",
                        help="skip BERTopic (it never sees time or the detector's settings)")
    parser.add_argument("--show-merges", type=int, default=3)
    parser.add_argument("--model", default=None, help="embedder (default m3e-small)")
    parser.add_argument("--models", default="m3e-small-static,use-multilingual",
                        help="other embedders scored on the concurrent streams (workbench "
                        "default with each one's measured cut); '' = none")
    parser.add_argument("--cold-max", type=int, default=0,
                        help="time a cold transformer embed only up to this many texts "
                        "(fast embedders always; bench_embed.py has the speed figures)")
    parser.add_argument("--only-models", action="store_true",
                        help="only the per-embedder concurrent table (skip the rest)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if not CED.exists() or not CRISIS.exists():
        print(f"bench_events: skipped, no data under {DATA}")
        return 0
    from workbench.embed import get_embedder
    from workbench.events.text import clean_expr

    embedder = get_embedder(args.model)
    crisis = load_crisislex(args.crisis_per_event or None, seed=args.seed)
    ced = load_ced(args.ced_events, seed=args.seed, sample_reposts=args.ced_reposts or None)
    print(f"sample: CrisisLexT26 {crisis.height:,} tweets of {crisis['event_label'].n_unique()} "
          f"events ({args.crisis_per_event or 'all'} per event, seed {args.seed}); CED "
          f"{ced.height:,} posts of {ced['event_label'].n_unique()} events (original + a "
          f"seeded sample of up to {args.ced_reposts or 'all'} reposts each); concurrent "
          f"window {args.window_hours:g} h", flush=True)
    t = time.perf_counter()
    for frame in (crisis, ced):
        texts = frame.select(clean_expr()).to_series()
        embedder.encode(texts.filter(texts != "").unique().to_list(), progress=True)
    print(f"embeddings ready in {time.perf_counter() - t:.1f} s (model {embedder.model_id}, "
          f"cached on disk; not in the times below)", flush=True)
    # imports, numba and jieba's dictionary are paid once per process: warm them untimed
    import bertopic  # noqa: F401
    import scipy.cluster.hierarchy  # noqa: F401

    from workbench.events.topics import _quiet_jieba

    _quiet_jieba()
    workbench_labels(crisis.head(50), embedder)

    cases = [("CrisisLexT26", crisis, True), ("CED, with repost structure", ced, True),
             ("CED, without structure", ced, False)]
    models = [m for m in args.models.split(",") if m]
    if models:
        compare_embedders(cases, [embedder] + [get_embedder(m) for m in models], args)
    if args.only_models:
        return 0
    rows = []
    for name, posts, structure in cases:
        conc = concurrent(posts, args.window_hours, args.seed)
        res_c = evaluate(conc, embedder, structure, bertopic=not args.no_bertopic)
        # BERTopic never sees time: its unshifted result is the concurrent one
        res_u = evaluate(posts, embedder, structure, bertopic=False)
        if "bertopic" in res_c:
            res_u["bertopic"] = res_c["bertopic"]
        k = posts["event_label"].n_unique()
        rows += [(name, posts.height, res_u["_units"], k, "unshifted", res_u),
                 (name, posts.height, res_c["_units"], k, f"concurrent {args.window_hours:g} h",
                  res_c)]
        print(f"{name}: done", flush=True)
        if args.show_merges:
            print(f"  largest mixed events of the workbench ({name}, concurrent):")
            show_merges(conc, res_c["workbench"][2], args.show_merges)
    print_table("Event recovery, unshifted vs concurrent", rows)

    scale_rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        sub = concurrent(subset_events(ced, n, args.seed), args.window_hours, args.seed)
        k = sub["event_label"].n_unique()
        for structure in (True, False):
            units = sub["event_label"].n_unique() if structure else sub.height
            # UMAP's spectral layout needs more points than its 15 neighbours
            res = evaluate(sub, embedder, structure,
                           bertopic=not args.no_bertopic
                           and 50 <= units <= args.bertopic_max_units)
            scale_rows.append((f"CED {k} events, {'with' if structure else 'without'} "
                               "structure", sub.height, res["_units"], k,
                               f"concurrent {args.window_hours:g} h", res))
            print(f"scaling {k} events, structure={structure}: done", flush=True)
    print_table("Concurrency scaling (CED)", scale_rows)
    print(f"\nBERTopic default only where 50 <= units <= {args.bertopic_max_units:,} "
          "(--bertopic-max-units). Times: workbench = detect() with cached embeddings "
          "(clustering + keywords); baselines = their clustering only.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
