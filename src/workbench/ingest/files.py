"""Opening input files safely: only regular files, never a hang, never an abort.

``read_bytes(path)`` returns the file's bytes, or raises :class:`Unreadable` (with a
machine-readable ``reason`` and a message naming the file) for a FIFO, socket, device, a
folder, a dangling link or a file the OS will not let us read. A FIFO is refused from its
``stat`` and opened with ``O_NONBLOCK``, so even one swapped in between cannot block. The
readers turn :class:`Unreadable` into a per-file quarantine entry.

``inside(path, folder)`` is the confinement check for mappings: the path, with every link
resolved, must lie under the (resolved) folder.

``naming(path)``: a context in which any unexpected exception (a bug, not bad data: bad data
is quarantined) is re-raised as :class:`IngestFileError` naming the file.
"""

from __future__ import annotations

import os
import stat
from contextlib import contextmanager
from pathlib import Path


class IngestFileError(ValueError):
    """An unexpected failure while reading one file (the message names it)."""


@contextmanager
def naming(path: str | Path):
    try:
        yield
    except IngestFileError:
        raise
    except Exception as exc:
        raise IngestFileError(f"{path}: unexpected error while reading ({type(exc).__name__}: {exc})") from exc


class Unreadable(OSError):
    """A path that cannot be read as a regular file (``reason``: a quarantine reason)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def check_regular(path: str | Path) -> None:
    """Raise :class:`Unreadable` unless ``path`` is (a link to) a regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise Unreadable("unreadable_file", f"{path}: cannot be read: {exc.strerror or exc}") from exc
    if not stat.S_ISREG(mode):
        raise Unreadable("not_a_file", f"{path}: is {_kind(mode)}, not a regular file (not read)")


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a regular file (one open + fstat: a FIFO opened non-blocking returns at
    once and is refused from its fstat), else :class:`Unreadable`."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise Unreadable("unreadable_file", f"{path}: cannot be read: {exc.strerror or exc}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable("not_a_file", f"{path}: is {_kind(info.st_mode)}, not a regular file (not read)")
        chunks = [os.read(fd, info.st_size + 1)]
        while chunks[-1]:  # the file grew, or a short read: read on to the end
            chunks.append(os.read(fd, 1 << 20))
        return b"".join(chunks)
    except Unreadable:
        raise
    except OSError as exc:
        raise Unreadable("unreadable_file", f"{path}: cannot be read: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    return ("a folder" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device or special file")


def inside(path: Path, folder: Path) -> bool:
    """Whether ``path`` (links resolved) lies under ``folder`` (resolved)."""
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError, RuntimeError):
        return False
    return True
