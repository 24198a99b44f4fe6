"""Pick up files as they land in a source folder.

A file is identified by its path relative to the folder, its size, its mtime and its
SHA-256. ``SourceDir.scan(known)`` returns the files that are new or changed since ``known``
(the stamps recorded in the checkpoint), skipping files that are still being written:
hidden files, temporary names (``*.tmp``, ``*.part``, ``*.partial``, ``*~``) and files
modified less than ``settle_s`` seconds ago. A file whose mtime changed but whose content
hash did not is not picked up again. Writers should write to a temporary name and rename
(atomic), but a slow plain copy is caught by the settle time.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from workbench.digest import file_sha256

TEMP_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")


@dataclass(frozen=True)
class FileStamp:
    path: str  # relative to the source folder, POSIX separators
    size: int
    mtime_ns: int
    sha256: str

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FileStamp:
        return cls(**{k: data[k] for k in ("path", "size", "mtime_ns", "sha256")})


@dataclass(frozen=True)
class ScanResult:
    changed: list[FileStamp]
    touched: list[FileStamp]


def is_candidate(rel: Path) -> bool:
    """Not hidden (no part starting with '.'), not a temporary name."""
    if any(part.startswith(".") for part in rel.parts):
        return False
    return not rel.name.endswith(TEMP_SUFFIXES)


class SourceDir:
    """A folder watched for new files (recursively)."""

    def __init__(self, root: str | Path, *, settle_s: float = 0.5):
        self.root = Path(root)
        self.settle_s = settle_s
        if not self.root.is_dir():
            raise FileNotFoundError(f"watch: source folder {self.root} does not exist")

    def resolve(self, stamp: FileStamp) -> Path:
        return self.root / stamp.path

    def scan(self, known: dict[str, FileStamp]) -> ScanResult:
        """New or changed settled files, sorted by (mtime, path) so older files go first.

        ``touched`` lists files whose mtime moved but whose content did not: record them
        (so they are not hashed again) without reading them.
        """
        now_ns = time.time_ns()
        settle_ns = int(self.settle_s * 1e9)
        found: list[FileStamp] = []
        touched: list[FileStamp] = []
        for path in sorted(self.root.rglob("*")):
            rel = path.relative_to(self.root)
            if not is_candidate(rel):
                continue
            try:
                if not path.is_file():
                    continue
                stat = path.stat()
            except FileNotFoundError:  # vanished between listing and stat
                continue
            if now_ns - stat.st_mtime_ns < settle_ns:
                continue  # still being written
            key = rel.as_posix()
            old = known.get(key)
            if old is not None and old.size == stat.st_size and old.mtime_ns == stat.st_mtime_ns:
                continue
            try:
                digest = file_sha256(path)
            except FileNotFoundError:
                continue
            stamp = FileStamp(key, stat.st_size, stat.st_mtime_ns, digest)
            if old is not None and old.sha256 == digest and old.size == stat.st_size:
                touched.append(stamp)  # touched, not changed
                continue
            found.append(stamp)
        found.sort(key=lambda s: (s.mtime_ns, s.path))
        return ScanResult(found, touched)
