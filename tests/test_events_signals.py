"""Key signatures (events.signals) and the small-cluster absorption of the clusterer."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from workbench.events.cluster import TextTimeClusterer
from workbench.events.signals import keys, signature_matrix


def test_weibo_keys():
    k = keys("#武汉暴雨# 今天在武汉市洪山区，已有 12人被困 http://t.cn/zYxWq1 @人民日报")
    assert "tag:武汉暴雨" in k
    assert "url:t.cn/zyxwq1" in k
    assert "at:人民日报" in k
    assert "num:12" in k
    assert any(x.startswith("ent:") and "武汉" in x for x in k)


def test_twitter_keys():
    k = keys("RT @CNN: Explosion at Boston Marathon finish line #BostonMarathon "
             "http://t.co/abc123.")
    assert {"at:cnn", "tag:bostonmarathon", "url:t.co/abc123", "ent:boston marathon"} <= set(k)
    assert "ent:rt" not in k


def test_no_keys_in_plain_words():
    assert keys("") == ()
    assert keys(None) == ()
    assert keys("just some words here") == ()


@settings(max_examples=30, derandomize=True, deadline=None)
@given(st.text(max_size=200))
def test_keys_never_fail_and_are_sorted_prefixed(text):
    k = keys(text)
    assert list(k) == sorted(set(k))
    assert all(x.split(":", 1)[0] in {"tag", "url", "at", "ent", "num"} for x in k)


def test_signature_drops_unshared_and_ubiquitous_keys():
    units = [["tag:a", "ent:x"], ["tag:a"], ["ent:y"], ["num:2013"]] + [["num:2013"]] * 40
    S = signature_matrix(units, max_df=0.5)
    G = (S @ S.T).toarray()
    assert G[0, 1] > 0.5  # share a rare key
    assert G[0, 2] == 0 and G[2, 2] == 0  # "ent:y" is in one unit only: no key kept
    assert G[3, 4] == 0  # "num:2013" is in most units: dropped
    norms = np.sqrt(np.asarray(S.multiply(S).sum(axis=1)).ravel())
    assert np.allclose(norms[:2], 1.0)


def _vecs(rng, centre, n, noise=0.05):
    x = centre + noise * rng.standard_normal((n, len(centre)))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_signatures_separate_what_text_cannot():
    rng = np.random.default_rng(0)
    base = rng.standard_normal(16)
    X = _vecs(rng, base, 8, noise=0.3)  # all texts alike (cosine ~0.9)
    S = signature_matrix([["tag:a"]] * 4 + [["tag:b"]] * 4, max_df=0.5)
    hours = np.zeros(8)
    plain = TextTimeClusterer(threshold=0.3).fit_predict(X, hours)
    assert len(set(plain.tolist())) == 1
    # similarity capped at 1: a shared tag pulls together, but nothing pushes apart
    keyed = TextTimeClusterer(threshold=0.01, signal_weight=1.0).fit_predict(X, hours, S)
    assert keyed[:4].tolist() == [keyed[0]] * 4 and keyed[4:].tolist() == [keyed[4]] * 4
    assert keyed[0] != keyed[4]


def test_small_clusters_join_the_closest_large_one():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(16), rng.standard_normal(16)
    X = np.vstack([_vecs(rng, a, 6), _vecs(rng, b, 6), _vecs(rng, a, 1, noise=0.4)])
    hours = np.zeros(len(X))
    tight = dict(threshold=0.02, time_weight=0.0)
    alone = TextTimeClusterer(**tight).fit_predict(X, hours)
    assert alone[-1] not in set(alone[:6].tolist())
    joined = TextTimeClusterer(**tight, min_posts=3, absorb_threshold=0.5).fit_predict(X, hours)
    assert joined[-1] == joined[0]
    assert len(set(joined.tolist())) <= len(set(alone.tolist()))
