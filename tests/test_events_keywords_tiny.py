"""Keywords of tiny batches: a one-word vocabulary must not crash c-TF-IDF."""

from __future__ import annotations

import numpy as np

from workbench.events.topics import represent, term_counts


def test_single_word_vocabulary_gets_term_count_keywords():
    docs = ["暴雨", "暴雨 暴雨", "转发微博"]
    labels = np.array([0, 0, 1])
    out = represent(docs, labels)  # raised in scipy.sparse.diags before
    assert out[0] == ["暴雨"]
    assert out[1] == []


def test_single_document_single_word():
    assert represent(["地震"], np.array([3])) == {3: ["地震"]}


def test_two_word_vocabulary_still_uses_ctfidf():
    docs = ["暴雨 洪水", "暴雨 洪水 暴雨"]
    out = represent(docs, np.array([0, 1]))
    assert set(out) == {0, 1}
    assert all(set(words) <= {"暴雨", "洪水"} for words in out.values())


def test_term_counts_order_is_frequency_then_word():
    docs = ["洪水 暴雨 洪水", "救援"]
    assert term_counts(docs, np.array([0, 0]), top_n=2) == {0: ["洪水", "救援"]}  # tie: by word
