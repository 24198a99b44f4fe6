"""Model-free parts of events: text cleaning, cascade roots, clustering, tokenizer."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl

from workbench.events.cascade import cascade_keys
from workbench.events.cluster import TextTimeClusterer
from workbench.events.text import clean_expr, clean_text
from workbench.events.topics import tokenize
from workbench.schema import POST_SCHEMA, conform


def test_clean_text_strips_weibo_noise():
    assert clean_text("转发微博") == ""
    assert clean_text("//@张三:") == ""
    assert clean_text("//@张三: 太可怕了//@李四:武汉暴雨 http://t.cn/abc") == "太可怕了 武汉暴雨"
    assert clean_text("回复@王五:不是真的[哈哈]") == "不是真的"
    assert clean_text("RT @a: flood in #Calgary http://t.co/x") == "flood in #Calgary"
    texts = ["转发微博", "//@张三: 太可怕了//@李四:武汉暴雨 http://t.cn/abc", None]
    got = pl.DataFrame({"text": texts}).select(clean_expr()).to_series().to_list()
    assert got == [clean_text(t) for t in texts]


def test_cascade_keys_follow_parents_without_root_ids():
    posts = conform(pl.DataFrame({
        "post_id": ["a", "b", "c", "d", "e"],
        "parent_id": [None, "a", "b", None, "zz"],  # e reposts a post we do not have
        "root_id": [None, None, None, "d", None],
    }), POST_SCHEMA)
    assert cascade_keys(posts).to_list() == ["a", "a", "a", "d", "zz"]
    assert cascade_keys(posts, use_structure=False).to_list() == ["a", "b", "c", "d", "e"]


def test_clusterer_separates_by_time_and_text():
    rng = np.random.default_rng(0)
    base = rng.normal(size=(2, 16))
    X = np.vstack([base[0] + 0.05 * rng.normal(size=(10, 16)),
                   base[0] + 0.05 * rng.normal(size=(10, 16)),
                   base[1] + 0.05 * rng.normal(size=(10, 16))]).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    hours = np.r_[np.zeros(10), np.full(10, 24 * 90.0), np.zeros(10)] + rng.uniform(0, 5, 30)
    labels = TextTimeClusterer().fit_predict(X, hours)
    assert len(set(labels[:10])) == len(set(labels[10:20])) == len(set(labels[20:])) == 1
    assert len(set(labels)) == 3
    # big inputs go through the k-means pre-grouping and stay deterministic
    a = TextTimeClusterer(max_direct=20).fit_predict(X, hours)
    b = TextTimeClusterer(max_direct=20).fit_predict(X, hours)
    assert (a == b).all() and len(set(a)) == 3


def test_tokenizer_keeps_chinese_words_drops_noise():
    words = tokenize("转发微博 武汉暴雨导致道路积水，http 的 了 Flooding in Calgary")
    assert "武汉" in words and "暴雨" in words and "flooding" in words and "calgary" in words
    assert not {"转发微博", "的", "了", "http", "in"} & set(words)


def test_times_are_utc():
    assert datetime(2023, 1, 1, tzinfo=UTC).tzinfo is UTC
