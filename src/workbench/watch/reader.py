"""The watch's file reader: ``workbench.ingest`` over the files that landed."""

from __future__ import annotations

from pathlib import Path

from workbench.schema import POST_SCHEMA, empty
from workbench.watch.pipeline import Batch


class FileReader:
    """``read(paths) -> Batch``: the files ``workbench.ingest`` can read, in one call; files
    it cannot plan (no mapping yet, unknown layout) are reported as ``unreadable`` and read
    again once they can be. Mapping files describe data files and are not read as data."""

    def read(self, paths: list[Path]) -> Batch:
        from workbench import ingest

        readable, unreadable = [], {}
        for path in paths:
            path = Path(path)
            if path.name.endswith(".mapping.yaml"):
                continue  # describes data files; they are read as they land
            if path.is_dir():
                readable.append(path)
                continue
            try:
                ingest.plan([path])
            except (ValueError, FileNotFoundError) as exc:
                unreadable[str(path)] = str(exc)
                continue
            readable.append(path)
        if not readable:
            return Batch(posts=empty(POST_SCHEMA), report={"unreadable": unreadable})
        result = ingest.read(readable)
        report = dict(result.report)
        report["unreadable"] = unreadable
        return Batch(posts=result.posts, quarantined=result.quarantine.height, report=report,
                     quarantine=result.quarantine)
