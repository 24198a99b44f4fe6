"""Embed an archive's posts with Ray Data: ``map_batches`` with one actor per model replica.

``embed_posts(posts_dir, out_dir, workers=N)`` reads ``posts.parquet`` (``post_id``,
``text``) as a Ray dataset, sends batches of ``batch_size`` texts to a pool of ``workers``
actors (:class:`EmbedActor`: each loads the model once, with ``threads`` inference threads,
through the project's cached embedder), and writes ``out_dir/part-*.parquet``: ``seq`` (the
post's row in ``posts.parquet``), ``post_id`` and ``embedding`` (``Array(Float32, dim)``,
L2-normalised). Read in name order (``pl.read_parquet(out_dir / "*.parquet")``) the rows are in
the posts' order: Ray Data does not promise that of its write tasks' file names even with
``preserve_order`` (a part written late can sort early), so each post carries its row number
through the actors and the parts are named by it afterwards (or, where they overlap, merged
into one sorted part).

Where it runs: ``address`` (or ``$RAY_ADDRESS``) names a running cluster (``auto``,
``ray://head:10001``); without one, a local Ray is started with the CPUs of this machine. On
a cluster every node needs the project installed (or a ``runtime_env``) and ``out_dir`` must
be storage all nodes reach (a shared folder, ``s3://...``). Each node's actors also fill the
embedding cache of that node (``WORKBENCH_CACHE_DIR``): on one machine, ``workbench events``
then finds every vector there.
"""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class EmbedActor:
    """One model replica: texts in, vectors out (a Ray Data callable class)."""

    def __init__(self, model: str | None = None, cache_dir: str | None = None, threads: int = 1,
                 cache: bool = True):
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ["WORKBENCH_THREADS"] = str(threads)
        import threading

        from workbench.embed import get_embedder

        self.model = get_embedder(model, cache=False)  # loaded once per actor
        self.cache_dir, self.cache = cache_dir, cache
        self._local = threading.local()  # Ray Data calls from its own thread: SQLite per thread

    @property
    def embedder(self):
        if not self.cache:
            return self.model
        cached = getattr(self._local, "embedder", None)
        if cached is None:
            from workbench.embed import CachedEmbedder

            cached = self._local.embedder = CachedEmbedder(self.model, self.cache_dir)
        return cached

    def __call__(self, batch):
        import pyarrow as pa

        texts = ["" if t is None else str(t) for t in batch.column("text").to_pylist()]
        vectors = np.ascontiguousarray(self.embedder.encode(texts), dtype=np.float32)
        dim = vectors.shape[1] if vectors.ndim == 2 else 0
        column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel(), pa.float32()), dim)
        return pa.table({"seq": batch.column("seq"), "post_id": batch.column("post_id"),
                         "embedding": column})


@dataclass
class EmbedRun:
    posts: int
    workers: int
    seconds: float
    out: Path
    address: str | None

    @property
    def posts_per_s(self) -> float:
        return self.posts / self.seconds if self.seconds else 0.0


def ensure_ray(address: str | None = None, *, num_cpus: int | None = None,
               attempts: int = 3):
    """Connect to ``address`` / ``$RAY_ADDRESS``, or start a local Ray (once per process).

    A local Ray gets one logical CPU more than the machine has: the actors take one each,
    and Ray Data's read and write tasks (mostly waiting on I/O) need one to be scheduled at
    all (with exactly the machine's CPUs, 2 actors on 2 cores starve them).

    On a busy machine a local node can fail to start: the raylet waits a fixed 15 s for its
    agent ("The current node timed out during startup", ray-project/ray#65983). A local
    start is tried ``attempts`` times before the error is raised; a cluster address once."""
    import ray

    if not ray.is_initialized():
        address = address or os.environ.get("RAY_ADDRESS") or None
        kwargs = {"include_dashboard": False, "log_to_driver": False,
                  "configure_logging": True, "logging_level": "warning"}
        if address:
            ray.init(address=address, **kwargs)
        else:
            for attempt in range(1, attempts + 1):
                try:
                    ray.init(num_cpus=num_cpus or (os.cpu_count() or 1) + 1, **kwargs)
                    break
                except Exception:
                    ray.shutdown()
                    if attempt == attempts:
                        raise
    return ray


def embed_posts(posts_dir: str | Path, out_dir: str | Path, *, workers: int = 1,
                model: str | None = None, batch_size: int = 256, threads: int = 1,
                cache_dir: str | None = None, cache: bool = True,
                address: str | None = None) -> EmbedRun:
    """See the module docstring."""
    posts = Path(posts_dir)
    posts = posts / "posts.parquet" if posts.is_dir() else posts
    if not posts.is_file():
        raise FileNotFoundError(f"{posts}: no posts table (run `workbench ingest ... --out DIR`)")
    if workers < 1:
        raise ValueError(f"workers must be >= 1, not {workers}")
    ensure_ray(address)
    import ray.data

    ctx = ray.data.DataContext.get_current()
    ctx.execution_options.preserve_order = True
    ctx.enable_progress_bars = False
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.parquet"):
        old.unlink()
    started = time.perf_counter()
    import polars as pl

    rows = pl.scan_parquet(posts).select(pl.len()).collect().item()
    # enough blocks that every actor has work: blocks of at most `per_block` rows (Ray reads
    # a file of small row groups as one block, which would leave every actor but one idle)
    blocks = max(1, min(max(4 * workers, -(-rows // 4096)), 512, rows))
    per_block = max(1, -(-rows // blocks))
    stage = out / ".stage"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "parts").mkdir(parents=True)
    # the row number travels with each post: the parts are put in order by it afterwards
    (pl.scan_parquet(posts).select("post_id", "text").with_row_index("seq")
     .with_columns(pl.col("seq").cast(pl.Int64)).sink_parquet(stage / "input.parquet"))
    dataset = (ray.data.read_parquet(str((stage / "input.parquet").resolve()))
               .repartition(target_num_rows_per_block=per_block))
    embedded = dataset.map_batches(
        EmbedActor,
        fn_constructor_kwargs={"model": model, "cache_dir": cache_dir, "threads": threads,
                               "cache": cache},
        batch_size=batch_size, batch_format="pyarrow", num_cpus=threads,
        compute=ray.data.ActorPoolStrategy(size=workers),
    )
    embedded.write_parquet(str((stage / "parts").resolve()))
    _parts_in_order(sorted((stage / "parts").glob("*.parquet")), out)
    shutil.rmtree(stage, ignore_errors=True)
    seconds = time.perf_counter() - started
    n = pl.scan_parquet(out / "*.parquet").select(pl.len()).collect().item()
    return EmbedRun(posts=n, workers=workers, seconds=seconds, out=out,
                    address=address or os.environ.get("RAY_ADDRESS"))


def _parts_in_order(parts: list[Path], out: Path) -> None:
    """Move Ray's parts to ``out/part-NNNNN.parquet`` so that name order is the posts' order.

    Each part's ``seq`` range is read from its ``seq`` column alone; parts that are sorted
    inside and do not overlap are renamed in the order of their first row, else all are merged
    into one part sorted by ``seq`` (streamed by Polars)."""
    import polars as pl

    spans = []
    for part in parts:
        seq = pl.read_parquet(part, columns=["seq"])["seq"]
        if seq.len():
            spans.append((seq[0], seq[-1], seq.is_sorted(), part))
        else:
            part.unlink()
    spans.sort(key=lambda span: span[0])
    disjoint = all(s[2] for s in spans) and all(
        a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    if disjoint:
        for i, (_, _, _, part) in enumerate(spans):
            shutil.move(part, out / f"part-{i:05d}.parquet")
    elif spans:
        (pl.scan_parquet([s[3] for s in spans]).sort("seq")
         .sink_parquet(out / "part-00000.parquet"))
