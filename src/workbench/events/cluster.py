"""Clustering cascades into events with a distance that combines text and time.

``d(a, b) = 1 - min(1, cos(a, b) + signal_weight * sig(a, b))
            + time_weight * min(1, |t_a - t_b| / time_scale)``

where ``sig`` is the cosine of the units' key signatures (hashtags, links, mentions, named
entities, numbers: :mod:`workbench.events.signals`); without signatures it is 0.

Average-linkage agglomerative clustering (scipy) cut at ``threshold`` (no number of events to
guess; a cascade unlike any other stays an event of its own). Above ``max_direct`` units
a k-means pass (on a PCA of the embedding plus a scaled time coordinate) first groups
them into ``max_direct / 2`` micro-clusters, which are then clustered the same way (centroids + median
times; the signatures enter the k-means as a scaled truncated SVD). Cost: the direct
step is O(n^2) time and memory in units (n <= ``max_direct``); above it, k-means is
O(n * max_direct/2 * iterations) and the agglomeration O((max_direct/2)^2). Deterministic: the k-means seed is pinned and the rest is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TextTimeClusterer:
    threshold: float = 0.35
    time_weight: float = 0.6
    time_scale_hours: float = 336.0
    max_direct: int = 4000
    micro_dims: int = 64
    signal_weight: float = 0.0
    min_posts: int = 0
    absorb_threshold: float = 0.35
    random_state: int = 0

    def distances(self, X: np.ndarray, hours: np.ndarray, S=None) -> np.ndarray:
        cos = X @ X.T
        if S is not None and self.signal_weight:
            cos = cos + self.signal_weight * (S @ S.T).toarray()
        cos = np.clip(cos, -1.0, 1.0)
        gap = np.abs(hours[:, None] - hours[None, :]) / self.time_scale_hours
        D = (1.0 - cos) + self.time_weight * np.minimum(gap, 1.0)
        np.fill_diagonal(D, 0.0)
        return D.astype(np.float64)

    def _agglomerate(self, X: np.ndarray, hours: np.ndarray, S=None) -> np.ndarray:
        from scipy.cluster.hierarchy import fcluster, linkage
        from scipy.spatial.distance import squareform

        if len(X) == 1:
            return np.zeros(1, dtype=np.int64)
        D = squareform(self.distances(X, hours, S), checks=False)
        tree = linkage(D, method="average")
        return fcluster(tree, t=self.threshold, criterion="distance").astype(np.int64) - 1

    def fit(self, X: np.ndarray, hours: np.ndarray, S=None, posts=None) -> TextTimeClusterer:
        """``S``: optional units x keys signature matrix (sparse, rows L2-normalised);
        ``posts``: posts per unit (default 1), for ``min_posts``."""
        X = np.asarray(X, dtype=np.float32)
        hours = np.asarray(hours, dtype=np.float64)
        n = len(X)
        if n == 0:
            self.labels_ = np.zeros(0, dtype=np.int64)
            return self
        if n <= self.max_direct:
            labels = self._agglomerate(X, hours, S)
        else:
            labels = self._two_level(X, hours, S)
        if self.min_posts > 1:
            labels = self.absorb_small(labels, X, hours, S, posts)
        self.labels_ = _relabel(labels, hours)
        return self

    def absorb_small(self, labels: np.ndarray, X: np.ndarray, hours: np.ndarray, S=None,
                     posts=None) -> np.ndarray:
        """Clusters of fewer than ``min_posts`` posts join the closest cluster that has
        enough (same distance, on cluster means: text centroid, signature centroid, first
        time), when it is within ``absorb_threshold``; otherwise they stay events."""
        posts = np.ones(len(labels)) if posts is None else np.asarray(posts, dtype=np.float64)
        uniq, inv = np.unique(labels, return_inverse=True)
        size = np.bincount(inv, weights=posts, minlength=len(uniq))
        big = size >= self.min_posts
        if big.all() or not big.any():
            return labels
        cent = np.zeros((len(uniq), X.shape[1]), dtype=np.float32)
        np.add.at(cent, inv, X)
        cent /= np.bincount(inv, minlength=len(uniq))[:, None]
        first = np.full(len(uniq), np.inf)
        np.minimum.at(first, inv, hours)
        small_units = np.flatnonzero(~big[inv])
        cores = np.flatnonzero(big)
        sim = X[small_units] @ cent[cores].T
        if S is not None and self.signal_weight:
            G = _group_mean(S, inv, len(uniq))
            sim = sim + self.signal_weight * (S[small_units] @ G[cores].T).toarray()
        gap = np.abs(hours[small_units, None] - first[None, cores]) / self.time_scale_hours
        dist = (1.0 - np.minimum(sim, 1.0)) + self.time_weight * np.minimum(gap, 1.0)
        best = dist.argmin(axis=1)
        ok = dist[np.arange(len(small_units)), best] <= self.absorb_threshold
        out = labels.copy()
        out[small_units[ok]] = uniq[cores[best[ok]]]
        return out

    def _two_level(self, X: np.ndarray, hours: np.ndarray, S=None) -> np.ndarray:
        micro = self._micro(X, hours, S)
        k = int(micro.max()) + 1
        counts = np.bincount(micro, minlength=k).astype(np.float32)
        cent = np.zeros((k, X.shape[1]), dtype=np.float32)
        np.add.at(cent, micro, X)
        cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-12)
        order = np.argsort(micro, kind="stable")
        bounds = np.cumsum(counts).astype(int)[:-1]
        med = np.array([np.median(g) for g in np.split(hours[order], bounds)])
        top = self._agglomerate(cent, med, _group_mean(S, micro, k) if S is not None else None)
        return top[micro]

    def _micro(self, X: np.ndarray, hours: np.ndarray, S=None) -> np.ndarray:
        from sklearn.cluster import MiniBatchKMeans

        # time as one more coordinate: one time_scale apart ~ the cosine distance weight
        from sklearn.decomposition import PCA

        t = (hours - hours.min()) / self.time_scale_hours * np.sqrt(self.time_weight)
        dims = min(self.micro_dims, X.shape[1], len(X))
        R = PCA(n_components=dims, random_state=self.random_state).fit_transform(X)
        parts = [R, t[:, None]]
        if S is not None and self.signal_weight and S.nnz:
            from sklearn.decomposition import TruncatedSVD

            sd = min(self.micro_dims // 2, S.shape[1] - 1)
            if sd >= 1:
                G = TruncatedSVD(n_components=sd, random_state=self.random_state).fit_transform(S)
                parts.insert(1, G * np.sqrt(self.signal_weight))
        Z = np.hstack(parts).astype(np.float32)
        km = MiniBatchKMeans(n_clusters=self.max_direct // 2, random_state=self.random_state,
                             batch_size=2048, n_init=1, max_iter=20)
        labels = km.fit_predict(Z)
        _, labels = np.unique(labels, return_inverse=True)
        return labels.astype(np.int64)

    def fit_predict(self, X: np.ndarray, hours: np.ndarray, S=None, posts=None) -> np.ndarray:
        return self.fit(X, hours, S, posts).labels_


def _group_mean(S, labels: np.ndarray, k: int):
    """Signatures of micro-clusters: the row-normalised sum of their members'."""
    from scipy.sparse import csr_matrix, diags

    G = csr_matrix((np.ones(len(labels), np.float32), (labels, np.arange(len(labels)))),
                   shape=(k, len(labels))) @ S
    norms = np.sqrt(np.asarray(G.multiply(G).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (diags(1.0 / norms) @ G).tocsr()


def _relabel(labels: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Number clusters by their first time (then size), so ids are stable and readable."""
    uniq, inv = np.unique(labels, return_inverse=True)
    first = np.full(len(uniq), np.inf)
    np.minimum.at(first, inv, hours)
    size = np.bincount(inv, minlength=len(uniq))
    order = np.lexsort((uniq, -size, first))
    rank = np.empty(len(uniq), dtype=np.int64)
    rank[order] = np.arange(len(uniq))
    return rank[inv]
