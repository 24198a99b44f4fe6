"""Ingestion: raw exports from any channel -> the canonical post table (+ quarantine, report).

Public API::

    result = read(paths, pseudonymise_salt=None, progress=False)   # -> IngestResult
    write(result, out_dir)      # posts.parquet, quarantine.parquet, report.json
    load(out_dir)               # -> pl.LazyFrame of posts (POST_SCHEMA)
    read_mapping(mapping_path, files=None)  # one mapping file (optionally only some files)

Readers are chosen by what a path holds:

- a folder holding ``original-microblog/`` (or ``CED_Dataset/original-microblog/``): the Weibo
  CED reader (:mod:`.ced`); a single file inside such a tree: that original or repost file;
- a folder of ``<event>/<event>-tweets_labeled.csv``: CrisisLexT26 (:mod:`.crisislex`); a single
  ``*-tweets_labeled.csv`` file: that event;
- a ``*.mapping.yaml`` file: the generic reader (:mod:`.mapped`); any other folder is scanned
  (recursively) for mapping files; any other file is read with the mapping file in its folder
  whose ``files`` glob matches it.

After the readers: duplicate ``post_id`` rows collapse to the first (counted as duplicates),
missing ``root_id`` are resolved through the table, near-identical texts are marked, and author
ids are pseudonymised when a salt is given. ``report`` balances
``read = accepted + quarantined + duplicates`` per file and in total.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import orjson
import polars as pl

from workbench.ingest import ced, crisislex, mapped
from workbench.ingest.dedup import collapse, mark_near_duplicates
from workbench.ingest.result import Batch, IngestResult, build_report
from workbench.schema import POST_SCHEMA, QUARANTINE_SCHEMA, conform

__all__ = ["IngestResult", "read", "write", "load", "read_mapping"]


def _progress(enabled: bool):
    if not enabled:
        return None
    from tqdm import tqdm

    def wrap(iterable, **kwargs):
        items = list(iterable)
        return tqdm(items, disable=len(items) < 50, leave=False, mininterval=0.5, **kwargs)

    return wrap


def plan(paths: Iterable[str | Path]) -> list[tuple[str, object]]:
    """Which reader gets which input: ``[(reader, arg), ...]`` (raises naming a bad path)."""
    steps: list[tuple[str, object]] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file or folder")
        if path.is_dir():
            if ced.find_base(path) is not None:
                steps.append(("ced", path))
            elif crisislex.is_tree(path):
                steps.append(("crisislex", path))
            else:
                found = sorted(path.rglob("*.mapping.yaml"))
                if not found:
                    raise ValueError(
                        f"{path}: not a Weibo CED or CrisisLexT26 folder and holds no *.mapping.yaml"
                    )
                steps += [("mapped", (m, None)) for m in found]
        elif path.name.endswith(".mapping.yaml"):
            steps.append(("mapped", (path, None)))
        elif ced.owning_base(path) is not None:
            steps.append(("ced", path))
        elif crisislex.is_labelled_file(path):
            steps.append(("crisislex", path))
        else:
            mapping = mapped.mapping_for(path)
            if mapping is None:
                raise ValueError(
                    f"{path}: no reader for this file: no *.mapping.yaml in {path.parent} matches it"
                )
            steps.append(("mapped", (mapping, [path])))
    return steps


def read_batch(paths: Iterable[str | Path], *, progress: bool = False) -> Batch:
    """Run the readers without de-duplication (used by :func:`read`)."""
    wrap = _progress(progress)
    steps = plan(paths)
    batch = Batch()
    ced_paths = [arg for kind, arg in steps if kind == "ced"]
    if ced_paths:
        batch.extend(ced.read(ced_paths, progress=wrap))
    cl_paths = [arg for kind, arg in steps if kind == "crisislex"]
    if cl_paths:
        batch.extend(crisislex.read(cl_paths, progress=wrap))
    for mapping, files in mapped_groups(steps):
        batch.extend(mapped.read(mapping, files=files, progress=wrap))
    return batch


def mapped_groups(steps: list[tuple[str, object]]) -> list[tuple[Path, list[Path] | None]]:
    """The ``mapped`` steps of a ``plan`` grouped by mapping file, so that each mapping is
    read once: (mapping, its files; None = all of the mapping's own files)."""
    by_mapping: dict[Path, tuple[Path, list[Path] | None]] = {}
    for kind, arg in steps:
        if kind != "mapped":
            continue
        mapping, files = arg
        key = Path(mapping).resolve()
        if files is None or key not in by_mapping:
            by_mapping[key] = (Path(mapping), None if files is None else list(files))
        elif by_mapping[key][1] is not None:
            by_mapping[key][1].extend(files)
    return list(by_mapping.values())


def read(
    paths: Iterable[str | Path] | str | Path,
    *,
    pseudonymise_salt: str | None = None,
    progress: bool = False,
    near_duplicates: bool = True,
) -> IngestResult:
    """Read every path (folders or files) into one :class:`IngestResult`.

    ``near_duplicates=False`` skips marking near-identical texts (``near_duplicate_of`` stays
    null), e.g. for a small incremental batch that is marked later together with the rest.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    batch = read_batch(paths, progress=progress)
    return finish(batch, pseudonymise_salt=pseudonymise_salt, near_duplicates=near_duplicates)


def read_mapping(
    mapping: str | Path,
    files: Iterable[str | Path] | None = None,
    *,
    pseudonymise_salt: str | None = None,
) -> IngestResult:
    """Read the files of one mapping file (all its glob matches, or just ``files``)."""
    batch = mapped.read(Path(mapping), files=None if files is None else [Path(f) for f in files])
    return finish(batch, pseudonymise_salt=pseudonymise_salt)


def finish(
    batch: Batch, *, pseudonymise_salt: str | None = None, near_duplicates: bool = True
) -> IngestResult:
    """De-duplicate, resolve roots, mark near-duplicates, pseudonymise, and report."""
    from workbench.ingest.trees import resolve_roots

    posts = batch.posts if batch.posts.schema == POST_SCHEMA else conform(batch.posts, POST_SCHEMA)
    posts, duplicates = collapse(posts)
    posts = resolve_roots(posts)
    if near_duplicates:
        posts = mark_near_duplicates(posts)
    quarantine = conform(batch.quarantine, QUARANTINE_SCHEMA)
    report = build_report(batch, posts, duplicates, pseudonymised=pseudonymise_salt is not None)
    if pseudonymise_salt is not None:
        from workbench.ingest import privacy

        posts = privacy.pseudonymise_posts(posts, pseudonymise_salt)
        quarantine = privacy.pseudonymise_quarantine(quarantine, pseudonymise_salt)
        report["files"] = privacy.scrub_report_files(report["files"], pseudonymise_salt)
    return IngestResult(posts=posts, quarantine=quarantine, report=report)


def write(result: IngestResult, out_dir: str | Path) -> Path:
    """Write ``posts.parquet``, ``quarantine.parquet`` and ``report.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    result.posts.write_parquet(out / "posts.parquet")
    result.quarantine.write_parquet(out / "quarantine.parquet")
    (out / "report.json").write_bytes(orjson.dumps(result.report, option=orjson.OPT_INDENT_2))
    return out


def load(out_dir: str | Path) -> pl.LazyFrame:
    """The posts written by :func:`write`, as a LazyFrame (POST_SCHEMA)."""
    path = Path(out_dir) / "posts.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no posts table (run `workbench ingest ... --out {out_dir}`)")
    return pl.scan_parquet(path).pipe(conform, POST_SCHEMA)


def load_quarantine(out_dir: str | Path) -> pl.LazyFrame:
    return pl.scan_parquet(Path(out_dir) / "quarantine.parquet").pipe(conform, QUARANTINE_SCHEMA)


def load_report(out_dir: str | Path) -> dict:
    return orjson.loads((Path(out_dir) / "report.json").read_bytes())
