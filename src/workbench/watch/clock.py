"""Clocks for the watch: the real wall clock, and a simulated clock for replays and tests.

Both answer ``now()`` (tz-aware UTC) and ``sleep(seconds)``. The loop never calls
``datetime.now`` or ``time.sleep`` itself, so a replay or a test can run hours of monitoring
(and its deadlines) in milliseconds.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class RealClock:
    """The wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class SimulatedClock:
    """A clock that only moves when told to.

    ``sleep(s)`` advances simulated time by ``s`` seconds at once; with ``speed`` set, it
    also waits ``s / speed`` real seconds (a replay at N times real time). ``speed=None``
    (or 0) means as fast as possible.
    """

    def __init__(self, start: datetime, speed: float | None = None):
        if start.tzinfo is None:
            raise ValueError("SimulatedClock needs a tz-aware start time")
        self._now = start.astimezone(UTC)
        self.speed = speed or None
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Move the clock to ``when``; it never goes backwards."""
        if when.tzinfo is None:
            raise ValueError("SimulatedClock.set needs a tz-aware time")
        with self._lock:
            if when > self._now:
                self._now = when.astimezone(UTC)

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now = self._now + timedelta(seconds=seconds)
            return self._now

    def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        if self.speed:
            time.sleep(seconds / self.speed)
        self.advance(seconds)
