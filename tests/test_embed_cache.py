"""The embedder: real m3e-small, L2-normalised float32, on-disk cache hits."""

from __future__ import annotations

import numpy as np

from workbench.embed import CachedEmbedder, get_embedder
from workbench.embed.cache import EmbeddingCache, text_key
from workbench.embed.registry import m3e_small_path

TEXTS = ["武汉暴雨导致道路积水", "学校食堂使用过期食材", "武汉暴雨导致道路积水", "Flooding in Calgary"]


def test_vectors_are_normalised_float32(embedder):
    vecs = embedder.encode(TEXTS)
    assert vecs.shape == (4, 512) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(vecs[0], vecs[2])
    # same topic closer than a different one
    assert vecs[0] @ vecs[2] > vecs[0] @ vecs[1]


def test_second_encode_reads_the_cache(embedder):
    first = embedder.encode(["一条新的微博", "另一条新的微博"])
    assert embedder.last_computed == 2
    again = embedder.encode(["另一条新的微博", "一条新的微博"])
    assert embedder.last_computed == 0 and embedder.last_cached == 2
    np.testing.assert_array_equal(again, first[::-1])


def test_cache_persists_across_instances(embedder, tmp_path):
    cache_dir = embedder.cache.directory
    embedder.encode(["持久化的缓存"])
    other = CachedEmbedder(embedder.inner, cache_dir)
    other.encode(["持久化的缓存"])
    assert other.last_computed == 0
    store = EmbeddingCache(embedder.model_id, cache_dir)
    assert text_key("持久化的缓存") in store.get([text_key("持久化的缓存")])


def test_any_local_sentence_transformers_folder(tmp_path):
    emb = get_embedder(str(m3e_small_path()), cache_dir=tmp_path)
    assert emb.model_id == "local:m3e-small"
    assert emb.encode(["本地模型文件夹"]).shape == (1, 512)
