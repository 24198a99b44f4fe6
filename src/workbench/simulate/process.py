"""Time shape of a simulated incident.

Original posts (the Hawkes process's immigrants) arrive with a rise-and-decay intensity
(a gamma density peaking ``peak_hours`` after the onset) plus pulses at the rumour, the
official response and the debunking; a daily rhythm thins night-time posting (Beijing
time). Each post then triggers reposts in a self-exciting way (the cluster form of a Hawkes
process): a post with influence weight ``w`` has Poisson(``branching * w / mean w``)
children, each ``Exp(decay_hours)`` after its parent, and those children trigger their own.
Heavy-tailed influence makes a few posts go viral, giving deep and broad repost trees.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

# Relative posting activity per hour of the day (Beijing), 0..23: quiet at night, peaks
# around lunch and in the evening.
DIURNAL = np.array([
    0.45, 0.30, 0.20, 0.15, 0.12, 0.15, 0.25, 0.45, 0.70, 0.85, 0.90, 0.95,
    1.00, 0.95, 0.85, 0.85, 0.85, 0.90, 0.95, 1.00, 1.00, 1.00, 0.90, 0.70,
])


def diurnal(hours: np.ndarray, start_hour_of_day: float) -> np.ndarray:
    """Activity factor (0..1) for times given in hours after a start at ``start_hour_of_day``."""
    hod = np.floor((np.asarray(hours) + start_hour_of_day) % 24).astype(int)
    return DIURNAL[hod]


def _thinned(rng: np.random.Generator, n: int, draw: Callable[[int], np.ndarray],
             keep: Callable[[np.ndarray], np.ndarray], lo: float, hi: float) -> np.ndarray:
    """Draw n times from ``draw`` inside [lo, hi), thinned by acceptance probabilities ``keep``."""
    out: list[np.ndarray] = []
    have = 0
    for _ in range(200):
        if have >= n:
            break
        t = draw(max(16, 2 * (n - have)))
        t = t[(t >= lo) & (t < hi)]
        t = t[rng.random(t.size) < keep(t)]
        out.append(t)
        have += t.size
    if have < n:  # a window too narrow for the shape: fall back to uniform times
        out.append(rng.uniform(lo, hi, n - have))
    return np.concatenate(out)[:n]


def wave_times(rng: np.random.Generator, n: int, *, peak_hours: float, shape: float,
               hi: float, start_offset: float, start_hour_of_day: float,
               rhythm: float = 1.0) -> np.ndarray:
    """n times (hours after onset) of the main wave: gamma with mode ``peak_hours``.

    ``rhythm`` (0..1) is how strongly the daily rhythm thins posts.
    """
    scale = peak_hours / (shape - 1.0)

    def keep(t):
        return 1.0 - rhythm * (1.0 - diurnal(t + start_offset, start_hour_of_day))

    return _thinned(rng, n, lambda k: rng.gamma(shape, scale, k), keep, 0.0, hi)


def pulse_times(rng: np.random.Generator, n: int, *, at: float, scale_hours: float,
                hi: float) -> np.ndarray:
    """n times after ``at``: a pulse decaying exponentially with ``scale_hours``."""
    return _thinned(rng, n, lambda k: at + rng.exponential(scale_hours, k),
                    lambda t: np.ones(t.shape), at, hi)


def uniform_times(rng: np.random.Generator, n: int, *, lo: float, hi: float,
                  start_offset: float, start_hour_of_day: float) -> np.ndarray:
    """n times spread over [lo, hi) following the daily rhythm (background chatter)."""
    return _thinned(rng, n, lambda k: rng.uniform(lo, hi, k),
                    lambda t: diurnal(t + start_offset, start_hour_of_day), lo, hi)


@dataclass
class Node:
    """One post in a cascade: ``parent`` is an index into the node list (-1 for a root)."""

    time: float
    parent: int
    root: int
    depth: int
    mark: object  # whatever the caller attached (an author)
    weight: float


def grow_cascades(rng: np.random.Generator, roots: list[tuple[float, object, float]], *,
                  branching: float, decay_hours: float, hi: float, mean_weight: float,
                  draw_mark: Callable[[], tuple[object, float]], can_spawn: Callable[[int], bool],
                  max_nodes: int, max_depth: int = 8) -> list[Node]:
    """Grow repost trees (Hawkes cluster process) from ``roots`` = (time, mark, weight).

    Returns roots first (in the order given), then descendants breadth-first. Children
    later than ``hi`` are dropped; growth stops at ``max_nodes``. ``can_spawn(i)`` says
    whether node i may have children (e.g. news articles are not reposted in-channel).
    """
    nodes = [Node(t, -1, i, 0, m, w) for i, (t, m, w) in enumerate(roots)]
    frontier = list(range(len(nodes)))
    while frontier and len(nodes) < max_nodes:
        nxt: list[int] = []
        for i in frontier:
            node = nodes[i]
            if node.depth >= max_depth or not can_spawn(i):
                continue
            mean = branching * min(node.weight / mean_weight, 20.0)
            # offspring intensity decays with depth so trees stay plausible
            mean *= 0.9**node.depth
            k = int(rng.poisson(mean))
            for _ in range(k):
                t = node.time + float(rng.exponential(decay_hours)) * (1.0 + 0.5 * node.depth)
                if t >= hi or len(nodes) >= max_nodes:
                    continue
                mark, weight = draw_mark()
                nodes.append(Node(t, i, node.root, node.depth + 1, mark, weight))
                nxt.append(len(nodes) - 1)
        frontier = nxt
    return nodes
