"""Fault injection for the crash tests (``kill -9`` at a chosen point).

``WORKBENCH_WATCH_KILL_AT="<point>:<n>"`` makes the process SIGKILL itself the n-th time it
reaches ``<point>``: ``after_feed``, ``mid_commit``, ``after_commit``, ``after_read``, or
``reading <file>`` just before that file is read (a file that kills the reader). Unset in
normal use. Its own module so that the loop, the state folder and the reader can all reach
it without importing one another (``state.py`` used to import it from ``loop.py``, which
imports ``state.py``).
"""

from __future__ import annotations

import os
import signal

_KILL_AT = os.environ.get("WORKBENCH_WATCH_KILL_AT", "")
_reached: dict[str, int] = {}


def crash_point(name: str) -> None:
    if not _KILL_AT:
        return
    point, sep, count = _KILL_AT.rpartition(":")
    if not sep or not count.isdigit():
        point, count = _KILL_AT, ""
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(count or 1):
        os.kill(os.getpid(), signal.SIGKILL)
