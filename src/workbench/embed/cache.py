"""On-disk embedding cache: one small SQLite file per model, keyed by the text's hash."""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
from pathlib import Path

import numpy as np

from workbench.embed.base import Embedder

_CHUNK = 900  # SQLite's default limit on bound parameters is 999


def default_cache_dir() -> Path:
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    base = Path(env) if env else Path.home() / ".cache" / "workbench"
    return base / "embeddings"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class EmbeddingCache:
    """Vectors of one model, stored as float32 blobs under ``sha256(text)[:32]``."""

    def __init__(self, model_id: str, directory: str | os.PathLike | None = None):
        self.model_id = model_id
        self.directory = Path(directory) if directory else default_cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id).strip("_") or "model"
        self.path = self.directory / f"{safe}.sqlite"
        self._con = sqlite3.connect(self.path, timeout=60)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute(
            "CREATE TABLE IF NOT EXISTS emb (key TEXT PRIMARY KEY, dim INTEGER, vec BLOB)"
        )
        self._con.execute("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT)")
        self._con.execute("INSERT OR IGNORE INTO meta VALUES ('model_id', ?)", (model_id,))
        self._con.commit()

    def get(self, keys: list[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), _CHUNK):
            chunk = unique[i : i + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows = self._con.execute(f"SELECT key, vec FROM emb WHERE key IN ({marks})", chunk)
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, keys: list[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        self._con.executemany(
            "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
            [(k, int(v.shape[0]), v.tobytes()) for k, v in zip(keys, vectors, strict=True)],
        )
        self._con.commit()

    def __len__(self) -> int:
        return int(self._con.execute("SELECT COUNT(*) FROM emb").fetchone()[0])

    def close(self) -> None:
        self._con.close()


class CachedEmbedder(Embedder):
    """Wraps an embedder: texts already in the cache are read back, the rest are embedded
    (in batches, with a progress bar when asked) and written to the cache.

    ``last_computed`` / ``last_cached`` count what the latest ``encode`` call did.
    """

    def __init__(self, inner: Embedder, cache_dir: str | os.PathLike | None = None,
                 write_every: int = 256):
        self.inner = inner
        self.model_id = inner.model_id
        self.batch_size = inner.batch_size
        self.cache = EmbeddingCache(inner.model_id, cache_dir)
        self.write_every = write_every
        self.last_computed = 0
        self.last_cached = 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.inner._encode(texts)

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        keys = [text_key(t) for t in texts]
        found = self.cache.get(keys)
        missing: dict[str, str] = {}
        for k, t in zip(keys, texts, strict=True):
            if k not in found and k not in missing:
                missing[k] = t
        self.last_cached = len(texts) - sum(1 for k in keys if k in missing)
        self.last_computed = len(missing)
        if missing:
            # shortest first: slices (and the batches inside them) of similar lengths
            todo_keys = [k for _, k in sorted((len(t), k) for k, t in missing.items())]
            # Embed in slices and write each, so an interrupted run keeps its progress.
            bar = None
            if progress:
                from tqdm.auto import tqdm

                bar = tqdm(total=len(todo_keys), desc=f"embed {self.model_id}", unit="text")
            for i in range(0, len(todo_keys), self.write_every):
                part = todo_keys[i : i + self.write_every]
                vecs = self.inner.encode([missing[k] for k in part])
                self.cache.put(part, vecs)
                found.update(zip(part, vecs, strict=True))
                if bar is not None:
                    bar.update(len(part))
            if bar is not None:
                bar.close()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[k] for k in keys]).astype(np.float32, copy=False)
