"""Replay a dataset through the watch loop in timestamp order, on a simulated clock.

``replay(loop, posts, tick_s=300, speed=N)`` feeds the posts slice by slice: each slice holds
the posts created in ``[cursor, cursor + tick_s)``, the simulated clock is set to the end
of the slice and the loop runs one step on it. ``speed`` is simulated seconds per real
second (``speed=60``: an hour of data per minute); 0 or None runs as fast as possible.
Quiet stretches are skipped without waiting; while some event holds a level I–IV and was
active in the last ``live_hours`` hours, the clock still moves in ``tick_s`` steps so that
deadlines escalate on time (in ``quiet_step_s`` strides, 1 h by default, while no post
arrives: an escalation is raised at most that late). A jump over a quiet stretch stops at
the slice in which a held level's quiet period runs out, so a downgrade is stamped when it
fell due, not when the next post arrives. After the last post the clock runs on ``tail_hours`` so that
late deadlines can still escalate.

Sparse stretches can be batched: with ``max_tick_s`` > ``tick_s``, a slice holding fewer
than ``min_posts`` posts is widened tick by tick (up to ``max_tick_s``) before the loop
steps on it. Dense bursts (a cascade's first hours) keep ``tick_s`` resolution; a trickle
is graded once per ``max_tick_s`` instead of once per tick. The effect on alert times: an
alert is stamped at the end of its slice, so it can be up to ``max_tick_s`` late (instead of
``tick_s``) where posts trickle in. ``max_wall_s`` stops a replay after that many real
seconds (benchmarks on a budget); ``ReplayResult.stopped`` then says so.

The replay cursor is checkpointed with the state: a replay restarted with the same state
folder resumes where the last committed batch ended (posts already held are skipped by id).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from workbench.schema import WATCH
from workbench.watch.clock import SimulatedClock
from workbench.watch.levels import held_level
from workbench.watch.loop import StepResult, WatchLoop


@dataclass
class ReplayResult:
    posts_fed: int = 0
    steps: int = 0
    feeds: int = 0  # steps that fed posts (the others only advance the clock)
    alerts: int = 0
    wall_s: float = 0.0
    start: datetime | None = None
    end: datetime | None = None
    step_seconds: list[float] = field(default_factory=list)
    stopped: bool = False

    @property
    def posts_per_s(self) -> float:
        return self.posts_fed / self.wall_s if self.wall_s else 0.0


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _epoch_us(when: datetime) -> int:
    return (when - _EPOCH) // timedelta(microseconds=1)


def floor_time(when: datetime, tick_s: float) -> datetime:
    epoch = when.timestamp()
    return datetime.fromtimestamp(epoch - epoch % tick_s, tz=UTC)


def order_posts(posts: pl.DataFrame) -> pl.DataFrame:
    """Posts in the order they happened (ties by post_id, so a replay is deterministic).
    Posts already in that order come back as they are, not copied (a replay of the whole
    CED dev set is ~100 MB a copy)."""
    if posts["created_at"].null_count():
        posts = posts.filter(pl.col("created_at").is_not_null())
    return posts if _in_order(posts) else posts.sort(["created_at", "post_id"])


def _in_order(posts: pl.DataFrame) -> bool:
    if posts.height < 2:
        return True
    t, p = pl.col("created_at"), pl.col("post_id")
    later = (t.shift(-1) > t) | ((t.shift(-1) == t) & (p.shift(-1) >= p))
    return bool(posts.select(later.fill_null(True).all()).item())


def _live(loop: WatchLoop, now: datetime, live_hours: float) -> bool:
    """Some event holds a level I–IV and was active within ``live_hours`` of ``now``."""
    levelled = [e for e, v in loop.state.levels.items() if held_level(v) not in (None, WATCH)]
    if not levelled or not loop.state.findings.height:
        return False
    recent = loop.state.findings.filter(
        pl.col("event_id").is_in(levelled)
        & (pl.col("last_seen") >= now - timedelta(hours=live_hours))
    )
    return recent.height > 0


def replay(
    loop: WatchLoop,
    posts: pl.DataFrame,
    *,
    tick_s: float = 300.0,
    speed: float | None = None,
    live_hours: float = 72.0,
    tail_hours: float = 24.0,
    quiet_step_s: float = 3600.0,
    on_step: Callable[[StepResult, datetime], None] | None = None,
    progress: bool = False,
    max_tick_s: float | None = None,
    min_posts: int = 1,
    max_wall_s: float | None = None,
) -> ReplayResult:
    if not isinstance(loop.clock, SimulatedClock):
        raise TypeError("replay needs a WatchLoop built with a SimulatedClock")
    posts = order_posts(posts)
    result = ReplayResult()
    if not posts.height:
        return result
    times = posts.get_column("created_at")
    first, last = times[0], times[-1]
    # positions by binary search over epoch microseconds (numpy: a Series search per call
    # converts its datetime argument, ~1 ms, and the replay searches several times a step)
    epoch_us = times.dt.epoch("us").to_numpy()

    def position(when: datetime) -> int:
        return int(np.searchsorted(epoch_us, _epoch_us(when), side="left"))

    cursor = floor_time(first, tick_s)
    if loop.state.cursor:
        cursor = max(cursor, datetime.fromisoformat(loop.state.cursor.replace("Z", "+00:00")))
    result.start = cursor
    stop = floor_time(last, tick_s) + timedelta(seconds=tick_s) + timedelta(hours=tail_hours)
    tick = timedelta(seconds=tick_s)
    lo = position(cursor)
    prepare = getattr(loop.pipeline, "prepare", None)
    wall = time.perf_counter()
    if prepare is not None:  # e.g. every post's per-post findings columns, in one pass
        prepare(posts.slice(lo))
    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(total=posts.height, initial=lo, unit="post", desc="replay")
    while cursor < stop:
        end = cursor + tick
        hi = position(end)
        if hi == lo and hi < posts.height and not _live(loop, cursor, live_hours):
            # quiet: jump to the slice holding the next post, or to the end of the slice in
            # which a held level's quiet period runs out (the downgrade is due then)
            target = floor_time(times[hi], tick_s)
            due = loop.next_downgrade_at()
            if due is not None and due < target:
                target = floor_time(due, tick_s) + tick
            end = max(end, target)
            hi = position(end)
        elif hi == lo and quiet_step_s > tick_s:
            # live but no posts: only deadlines can fall due; move in quiet_step_s strides
            nxt = floor_time(times[hi], tick_s) if hi < posts.height else stop
            end = min(max(end, cursor + timedelta(seconds=quiet_step_s)), max(nxt, end))
            hi = position(end)
        elif hi == lo and hi >= posts.height and not _live(loop, cursor, live_hours):
            break
        if max_tick_s and hi > lo and hi - lo < min_posts:
            # a trickle: widen the slice until it holds min_posts posts or max_tick_s
            widest = cursor + timedelta(seconds=max_tick_s)
            while hi - lo < min_posts and end + tick <= widest and hi < posts.height:
                end += tick
                hi = position(end)
        chunk = posts.slice(lo, hi - lo)
        loop.clock.set(end)
        step = loop.step(chunk, cursor=end)
        result.steps += 1
        result.feeds += bool(chunk.height)
        result.posts_fed += chunk.height
        result.alerts += len(step.alerts)
        result.step_seconds.append(step.seconds)
        if on_step:
            on_step(step, end)
        if bar is not None:
            bar.update(chunk.height)
        if speed and chunk.height:
            time.sleep((end - cursor).total_seconds() / speed)
        lo, cursor = hi, end
        if max_wall_s and time.perf_counter() - wall > max_wall_s:
            result.stopped = True
            break
    if bar is not None:
        bar.close()
    result.end = cursor
    result.wall_s = time.perf_counter() - wall
    return result
