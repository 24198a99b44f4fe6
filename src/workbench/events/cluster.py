"""Clustering cascades into events with a distance that combines text and time.

``d(a, b) = (1 - cos(a, b)) + time_weight * min(1, |t_a - t_b| / time_scale)``

Average-linkage agglomerative clustering cut at ``threshold`` (no number of events to
guess; a cascade unlike any other stays an event of its own). Above ``max_direct`` units
a k-means pass (on the embedding plus a scaled time coordinate) first groups them into
``max_direct`` micro-clusters, which are then clustered the same way (centroids + median
times). Deterministic: the k-means seed is pinned and the rest is exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class TextTimeClusterer:
    threshold: float = 0.55
    time_weight: float = 0.5
    time_scale_hours: float = 72.0
    max_direct: int = 2000
    random_state: int = 0

    def distances(self, X: np.ndarray, hours: np.ndarray) -> np.ndarray:
        cos = np.clip(X @ X.T, -1.0, 1.0)
        gap = np.abs(hours[:, None] - hours[None, :]) / self.time_scale_hours
        D = (1.0 - cos) + self.time_weight * np.minimum(gap, 1.0)
        np.fill_diagonal(D, 0.0)
        return D.astype(np.float64)

    def _agglomerate(self, X: np.ndarray, hours: np.ndarray) -> np.ndarray:
        from sklearn.cluster import AgglomerativeClustering

        if len(X) == 1:
            return np.zeros(1, dtype=np.int64)
        model = AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average",
            distance_threshold=self.threshold,
        )
        return model.fit_predict(self.distances(X, hours)).astype(np.int64)

    def fit(self, X: np.ndarray, hours: np.ndarray) -> TextTimeClusterer:
        X = np.asarray(X, dtype=np.float32)
        hours = np.asarray(hours, dtype=np.float64)
        n = len(X)
        if n == 0:
            self.labels_ = np.zeros(0, dtype=np.int64)
            return self
        if n <= self.max_direct:
            self.labels_ = _relabel(self._agglomerate(X, hours), hours)
            return self
        micro = self._micro(X, hours)
        k = int(micro.max()) + 1
        counts = np.bincount(micro, minlength=k).astype(np.float32)
        cent = np.zeros((k, X.shape[1]), dtype=np.float32)
        np.add.at(cent, micro, X)
        cent /= np.maximum(np.linalg.norm(cent, axis=1, keepdims=True), 1e-12)
        order = np.argsort(micro, kind="stable")
        bounds = np.cumsum(counts).astype(int)[:-1]
        med = np.array([np.median(g) for g in np.split(hours[order], bounds)])
        top = self._agglomerate(cent, med)
        self.labels_ = _relabel(top[micro], hours)
        return self

    def _micro(self, X: np.ndarray, hours: np.ndarray) -> np.ndarray:
        from sklearn.cluster import MiniBatchKMeans

        # time as one more coordinate: one time_scale apart ~ the cosine distance weight
        t = (hours - hours.min()) / self.time_scale_hours * np.sqrt(self.time_weight)
        Z = np.hstack([X, t[:, None].astype(np.float32)])
        km = MiniBatchKMeans(n_clusters=self.max_direct, random_state=self.random_state,
                             batch_size=4096, n_init=1, max_iter=50)
        labels = km.fit_predict(Z)
        _, labels = np.unique(labels, return_inverse=True)
        return labels.astype(np.int64)

    def fit_predict(self, X: np.ndarray, hours: np.ndarray) -> np.ndarray:
        return self.fit(X, hours).labels_


def _relabel(labels: np.ndarray, hours: np.ndarray) -> np.ndarray:
    """Number clusters by their first time (then size), so ids are stable and readable."""
    uniq = np.unique(labels)
    first = {u: hours[labels == u].min() for u in uniq}
    order = sorted(uniq, key=lambda u: (first[u], -(labels == u).sum(), u))
    remap = {u: i for i, u in enumerate(order)}
    return np.array([remap[u] for u in labels], dtype=np.int64)
