"""The static (model2vec) backend, the distilled-model cache and length-bucketed batches.

A small real model2vec model is built here (a word-level tokenizer and random vectors,
saved with model2vec's own ``save_pretrained``) so the tests run in a second; distilling
m3e-small itself takes minutes and is measured in benchmarks/bench_embed.py."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.embed import CachedEmbedder, get_embedder
from workbench.embed.base import Embedder, length_order
from workbench.embed.static import (
    DISTILL_SETTINGS,
    StaticEmbedder,
    distilled_path,
    reweight,
    source_hash,
    token_probabilities,
)

WORDS = ["[PAD]", "[UNK]", "的", "爆", "炸", "暴", "雨", "化", "工", "厂", "flood", "fire"]


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory):
    from model2vec import StaticModel
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers

    vocab = {w: i for i, w in enumerate(WORDS)}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(handle_chinese_chars=True)  # CJK apart
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(len(WORDS), 16)).astype(np.float32)
    out = tmp_path_factory.mktemp("m2v")
    StaticModel(vectors=vectors, tokenizer=tok, normalize=True).save_pretrained(str(out))
    return out


def test_static_embedder_encodes_normalised_vectors(static_dir, tmp_path):
    emb = CachedEmbedder(StaticEmbedder(static_dir, model_id="static:test"), tmp_path)
    vecs = emb.encode(["化工厂爆炸", "暴雨 flood", "化工厂爆炸", "fire"])
    assert vecs.shape == (4, 16) and vecs.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-3)
    np.testing.assert_allclose(vecs[0], vecs[2])
    assert emb.last_computed == 3 and emb.dim == 16
    # a text's vector is the mean of its tokens' vectors
    one = emb.inner.encode(["化工"])[0]
    parts = emb.inner.model.embedding[[7, 8]].astype(np.float32).mean(axis=0)
    np.testing.assert_allclose(one, parts / np.linalg.norm(parts), atol=1e-3)


def test_distilled_path_reuses_the_folder_of_the_same_source(tmp_path, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    (source / "config.json").write_text('{"a": 1}')
    h = source_hash(source)
    assert h == source_hash(source)
    assert h != source_hash(source, {**DISTILL_SETTINGS, "sif": 0.5})
    ready = tmp_path / "models" / f"m-{h}"
    ready.mkdir(parents=True)
    (ready / "model.safetensors").write_bytes(b"x")

    def boom(*a, **k):  # pragma: no cover - must not be called
        raise AssertionError("distilled again")

    monkeypatch.setattr("workbench.embed.static.distill_to", boom)
    assert distilled_path(source, "m", directory=tmp_path / "models") == ready
    (source / "config.json").write_text('{"a": 2}')  # another source: another folder
    assert source_hash(source) != h


def test_failed_distillation_leaves_no_folder(tmp_path, monkeypatch):
    source = tmp_path / "src"
    source.mkdir()
    (source / "config.json").write_text("{}")

    def fail(src, out, settings):
        (out / "half-written").write_text("x")
        raise RuntimeError("killed")

    monkeypatch.setattr("workbench.embed.static.distill_to", fail)
    with pytest.raises(RuntimeError, match="killed"):
        distilled_path(source, "m", directory=tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_source_without_model_files_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        source_hash(tmp_path)


def test_reweight_centres_each_kind_and_damps_frequent_characters():
    tokens = ["[PAD]", "的", "爆", "炸", "the", "fire"]
    p, cjk = token_probabilities(tokens)
    assert cjk.tolist() == [False, True, True, True, False, False]
    assert p[1] > p[2]  # 的 is far more frequent than 爆 in jieba's dictionary
    np.testing.assert_allclose(p[cjk].sum(), 1.0)
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(len(tokens), 8)) + 5.0  # all leaning one way
    out = reweight(vecs, tokens, sif=1e-3, centre=True)
    for mask in (cjk, ~cjk):
        np.testing.assert_allclose((p[mask, None] * out[mask]).sum(axis=0), 0.0, atol=1e-9)
    plain = reweight(vecs, tokens, sif=1e-3, centre=False)
    assert np.linalg.norm(plain[1]) < np.linalg.norm(plain[2])


class _Recorder(Embedder):
    """Vectors that encode each text's identity; records the batches it saw."""

    model_id = "recorder"
    batch_size = 3

    def __init__(self):
        self.batches = []

    def _encode(self, texts):
        self.batches.append(list(texts))
        return np.array([[len(t), sum(map(ord, t)) % 97 + 1.0] for t in texts])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=1, max_size=20))
def test_length_buckets_keep_the_callers_order(texts):
    rec = _Recorder()
    got = rec.encode(texts)
    want = np.vstack([_Recorder()._encode([t]) for t in texts]).astype(np.float64)
    want /= np.maximum(np.linalg.norm(want, axis=1, keepdims=True), 1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    lengths = [len(t) for b in rec.batches for t in b]
    assert lengths == sorted(lengths)  # batches go shortest first
    assert length_order(texts).tolist() == sorted(range(len(texts)),
                                                  key=lambda i: (len(texts[i]), i))


def test_registry_names_the_new_backends():
    from workbench.embed.registry import M3E_INT8_ID, STATIC_M3E_ID, make_embedder

    static = make_embedder("m3e-small-static")
    assert isinstance(static, StaticEmbedder) and static.model_id == STATIC_M3E_ID
    assert static._model is None  # nothing distilled or loaded until the first encode
    int8 = make_embedder("m3e-small-int8")
    assert int8.int8 and int8.model_id == M3E_INT8_ID
    assert get_embedder("m3e-small", cache=False).model_id == "moka-ai/m3e-small"
