"""Event representation with BERTopic: Chinese-safe c-TF-IDF keywords and representative posts.

The events are found by :mod:`workbench.events.cluster`; BERTopic is given them as ``y``
(``BaseCluster`` + ``BaseDimensionalityReduction``: no UMAP, no HDBSCAN) and builds the
c-TF-IDF representation with a jieba tokenizer and stop words that include Weibo noise.
``language="multilingual"`` is set so nothing falls back to the English default (which
strips every Chinese character).
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import polars as pl

TOPIC_SCHEMA = pl.Schema({
    "event_id": pl.Utf8,
    "title": pl.Utf8,
    "keywords": pl.List(pl.Utf8),
    "representative_post_ids": pl.List(pl.Utf8),
})

# Weibo / Twitter noise and function words (Chinese and English) kept out of keywords.
WEIBO_NOISE = {
    "转发", "转发微博", "微博", "回复", "评论", "分享", "图片", "视频", "链接", "网页链接",
    "全文", "展开", "秒拍", "http", "https", "www", "com", "cn", "rt", "via", "amp",
}
ZH_STOP = set(
    "的 了 是 在 我 有 和 就 不 人 都 一 一个 上 也 很 到 说 要 去 你 会 着 没有 看 好 自己 这 那 他 她"
    " 它 们 我们 你们 他们 这个 那个 什么 怎么 为什么 还 又 被 把 让 给 对 从 与 及 而 或 吧 吗 呢 啊"
    " 哈哈 哈哈哈 呵呵 嗯 哦 啦 呀 吧 么 之 其 但 但是 因为 所以 如果 就是 还是 可以 这样 那样 现在"
    " 已经 真的 真是 大家 一下 一样 不是 没 多 太 更 最 再 才 只 能 想 知道 觉得 这么 那么 这些 那些"
    " 小编 求 支持 关注 顶 赞 转 等 中 后 前 里 时 年 月 日 个 来 过 做 用 得 地 所 以 为".split()
)


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ZH_STOP | WEIBO_NOISE | set(ENGLISH_STOP_WORDS))


_KEEP = re.compile(r"[\w\u4e00-\u9fff#]")
_NUMERIC = re.compile(r"^[\d.,:%#_-]+$")


def tokenize(text: str) -> list[str]:
    """jieba words, lower-cased, without stop words, numbers, punctuation or 1-char tokens."""
    return list(_tokenize(text))


@lru_cache(maxsize=200_000)
def _tokenize(text: str) -> tuple[str, ...]:  # reposts repeat texts: segment each once
    import jieba

    stops = stop_words()
    out = []
    for w in jieba.lcut(text.lower()):
        w = w.strip().lstrip("#")
        if len(w) < 2 or w in stops or _NUMERIC.match(w) or not _KEEP.search(w):
            continue
        out.append(w)
    return tuple(out)


def make_vectorizer():
    from sklearn.feature_extraction.text import CountVectorizer

    # min_df=1: c-TF-IDF sees one document per event (see shared notes on min_df > 1).
    return CountVectorizer(tokenizer=tokenize, lowercase=False, token_pattern=None, min_df=1)


def _quiet_jieba() -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()


MIN_CTFIDF_VOCABULARY = 2


def term_counts(docs: list[str], labels: np.ndarray, *, top_n: int = 10) -> dict[int, list[str]]:
    """``{label: [keyword, ...]}`` by plain term counts (most frequent first, ties by word):
    the keywords of batches too small for c-TF-IDF."""
    from collections import Counter

    counts: dict[int, Counter] = {int(u): Counter() for u in np.unique(labels)}
    for doc, label in zip(docs, np.asarray(labels).tolist(), strict=True):
        counts[int(label)].update(tokenize(doc))
    return {label: [w for w, _ in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))[:top_n]]
            for label, c in counts.items()}


def represent(docs: list[str], labels: np.ndarray, embeddings: np.ndarray | None = None, *,
              top_n: int = 10):
    """Fit BERTopic on fixed labels; return ``{label: [keyword, ...]}``.

    ``embeddings`` (precomputed, zeros allowed) keep BERTopic from loading a model.
    """
    from bertopic import BERTopic
    from bertopic.cluster import BaseCluster
    from bertopic.dimensionality import BaseDimensionalityReduction
    from bertopic.vectorizers import ClassTfidfTransformer

    _quiet_jieba()
    labels = np.asarray(labels, dtype=np.int64)
    if len(docs) == 0:
        return {}
    # BERTopic needs at least one non-empty vocabulary: a placeholder keeps it fitting.
    docs = [d if d.strip() else "" for d in docs]
    vocabulary = {w for d in docs for w in tokenize(d)}
    if not vocabulary:
        return {int(u): [] for u in np.unique(labels)}
    if len(vocabulary) < MIN_CTFIDF_VOCABULARY:
        # c-TF-IDF needs a real vocabulary (BERTopic's scipy ``diags`` gets a scalar for a
        # single word and raises): a tiny batch's keywords are its plain term counts
        return term_counts(docs, labels, top_n=top_n)
    model = BERTopic(
        language="multilingual",
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=BaseCluster(),
        vectorizer_model=make_vectorizer(),
        ctfidf_model=ClassTfidfTransformer(reduce_frequent_words=True),
        top_n_words=top_n,
        calculate_probabilities=False,
        verbose=False,
    )
    # our own representatives are chosen by centroid distance (``representatives``):
    # skip BERTopic's sampling of representative docs (a second pass over every document)
    model._save_representative_docs = lambda documents: None
    if embeddings is None:
        embeddings = np.zeros((len(docs), 1), dtype=np.float32)
    model.fit(docs, embeddings=np.asarray(embeddings, dtype=np.float32), y=labels)
    # BERTopic renumbers topics by size after fitting: map our labels to its topic ids
    # through the documents, never by assuming they are equal.
    topic_of = {int(label): int(topic) for label, topic in zip(labels.tolist(), model.topics_,
                                                                 strict=True)}
    out: dict[int, list[str]] = {}
    for label in np.unique(labels):
        words = model.get_topic(topic_of[int(label)]) or []
        out[int(label)] = [w for w, score in words if w and score > 0][:top_n]
    return out


def representatives(vectors: np.ndarray, labels: np.ndarray, post_ids: list[str],
                    texts: list[str], *, k: int = 3) -> dict[int, list[str]]:
    """The ``k`` posts nearest each event's centroid, distinct texts only (deterministic)."""
    out: dict[int, list[str]] = {}
    labels = np.asarray(labels)
    uniq, inverse = np.unique(labels, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(uniq)))[:-1])
    for label, idx in zip(uniq.tolist(), groups, strict=True):
        cent = vectors[idx].mean(axis=0)
        sims = vectors[idx] @ cent
        order = idx[np.lexsort((np.array([post_ids[i] for i in idx]), -sims))]
        seen, pick = set(), []
        for i in order:
            if texts[i] in seen:
                continue
            seen.add(texts[i])
            pick.append(post_ids[i])
            if len(pick) == k:
                break
        out[int(label)] = pick
    return out


def title_from(keywords: list[str], first_text: str | None, n: int = 4) -> str:
    if keywords:
        return " / ".join(keywords[:n])
    text = (first_text or "").strip()
    return text[:30] + ("…" if len(text) > 30 else "")
