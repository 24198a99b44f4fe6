"""Ingest an archive without holding it in memory: Polars' streaming engine end to end.

``read_streaming(paths, out_dir)`` writes the same ``posts.parquet``, ``quarantine.parquet``
and ``report.json`` as ``ingest.write(ingest.read(paths), out_dir)`` (same rows, same
order, same report), but:

1. the readers run over **chunks** of the input (``chunk`` CED events, CrisisLexT26 event
   files or mapped data files at a time; a chunk of files also closes at ``chunk_bytes``
   bytes on disk, so a few big files are not one chunk), each chunk's posts written to a
   part file in ``out_dir/.parts/`` and dropped;
2. the table-wide steps work on **narrow** columns only: duplicate ``post_id`` (ids and
   row numbers), repost roots (ids, parents, roots), near-duplicate texts (a 64-bit hash
   of the normalised text, computed in the streaming scan), pseudonyms (distinct author
   ids);
3. the result is one lazy query over the parts, joined with those narrow tables by row
   number, and written by ``sink_parquet`` (the streaming engine): texts are never all in
   memory at once.

The eager path stays the default for small inputs (``workbench ingest``); ``--streaming``
takes this one.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import orjson
import polars as pl

from workbench.ingest import ced, crisislex, mapped, mapped_groups, plan
from workbench.ingest.dedup import MIN_CHARS, normalised_text
from workbench.ingest.result import Batch, build_report
from workbench.ingest.trees import resolve_roots
from workbench.schema import POST_SCHEMA, QUARANTINE_SCHEMA, conform

PARTS = ".parts"


CHUNK_BYTES = 32 * 2**20  # a chunk of files closes at this many bytes on disk


def _chunks(items: list, size: int) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _file_chunks(files: list, size: int, max_bytes: int | None) -> Iterator[list]:
    """``size`` files at most a chunk, and no more than ``max_bytes`` on disk (a file
    bigger than that is a chunk alone); the files' order is kept."""
    part: list = []
    total = 0
    for f in files:
        try:
            n = Path(f).stat().st_size
        except OSError:  # the reader reports it
            n = 0
        if part and (len(part) >= size or (max_bytes is not None and total + n > max_bytes)):
            yield part
            part, total = [], 0
        part.append(f)
        total += n
    if part:
        yield part


def read_chunks(paths: Iterable[str | Path], *, chunk: int = 200,
                chunk_bytes: int | None = CHUNK_BYTES) -> Iterator[Batch]:
    """The readers' batches, ``chunk`` units at a time (files: also ``chunk_bytes`` at most;
    None: no cap), in the order ``ingest.read`` reads."""
    steps = plan(paths)
    ced_paths = [arg for kind, arg in steps if kind == "ced"]
    if ced_paths:
        for events in _chunks(ced.events_for(ced_paths), chunk):
            yield ced.read_events(events)
    cl_paths = [arg for kind, arg in steps if kind == "crisislex"]
    if cl_paths:
        files = list(dict.fromkeys(f for p in cl_paths for f in crisislex.labelled_files(Path(p))))
        for part in _file_chunks(files, chunk, chunk_bytes):
            yield crisislex.read(part)
    for mapping, files in mapped_groups(steps):  # as ingest.read_batch: each mapping once
        if files is None:
            files = mapped.load_mapping(mapping).data_files()
            if not files:
                yield mapped.read(mapping)  # its note: the glob matched nothing
                continue
        files = list({Path(f).resolve(): Path(f) for f in files}.values())
        for part in _file_chunks(files, chunk, chunk_bytes):
            yield mapped.read(mapping, files=part)


def read_streaming(paths: Iterable[str | Path] | str | Path, out_dir: str | Path, *,
                   pseudonymise_salt: str | None = None, chunk: int = 200,
                   chunk_bytes: int | None = CHUNK_BYTES,
                   near_duplicates: bool = True) -> dict:
    """Write posts / quarantine / report into ``out_dir`` (module docstring); the report."""
    if isinstance(paths, str | Path):
        paths = [paths]
    out = Path(out_dir)
    parts = out / PARTS
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    meta = Batch()
    post_parts, quarantine_parts = [], []
    try:
        for n, batch in enumerate(read_chunks(paths, chunk=chunk, chunk_bytes=chunk_bytes)):
            if batch.posts.height:
                path = parts / f"posts-{n:06d}.parquet"
                conform(batch.posts, POST_SCHEMA).write_parquet(path)
                post_parts.append(path)
            if batch.quarantine.height:
                path = parts / f"quarantine-{n:06d}.parquet"
                conform(batch.quarantine, QUARANTINE_SCHEMA).write_parquet(path)
                quarantine_parts.append(path)
            for name, rows in batch.reads.items():
                meta.reads[name] = meta.reads.get(name, 0) + rows
            meta.readers.update(batch.readers)
            meta.notes += batch.notes
        report = _finish(post_parts, quarantine_parts, meta, out, salt=pseudonymise_salt,
                         near_duplicates=near_duplicates)
    finally:
        shutil.rmtree(parts, ignore_errors=True)
    return report


def _scan(parts: list[Path]) -> pl.LazyFrame:
    if not parts:
        return pl.LazyFrame(schema={"_i": pl.UInt32, **POST_SCHEMA})
    return pl.scan_parquet(parts, schema=POST_SCHEMA).with_row_index("_i")


def _finish(post_parts, quarantine_parts, meta: Batch, out: Path, *, salt, near_duplicates) -> dict:
    scan = _scan(post_parts)
    # 1. duplicate ids: the first row of each post_id (ids and row numbers only)
    ids = scan.select("_i", "post_id", "source_file").collect(engine="streaming")
    first = ids.get_column("post_id").is_first_distinct()
    duplicates = ids.filter(~first)
    kept = ids.filter(first).get_column("_i")
    # 2. roots, over the kept rows' ids
    links = (scan.select("_i", "post_id", "parent_id", "root_id")
             .join(pl.LazyFrame({"_i": kept}), on="_i", how="semi", maintain_order="left")
             .collect(engine="streaming"))
    roots = resolve_roots(links).select("_i", pl.col("root_id").alias("_root"))
    # 3. near-duplicate texts, from a hash of the normalised text
    body = scan.join(pl.LazyFrame({"_i": kept}), on="_i", how="semi", maintain_order="left")
    near = _near_duplicates(body) if near_duplicates else pl.DataFrame(
        schema={"_i": pl.UInt32, "_first": pl.Utf8})
    posts = (
        body.join(roots.lazy(), on="_i", how="left", maintain_order="left")
        .join(near.lazy(), on="_i", how="left", maintain_order="left")
        .with_columns(pl.col("_root").alias("root_id"),
                      pl.coalesce("_first", "near_duplicate_of").alias("near_duplicate_of"))
    )
    quarantine = (pl.concat([pl.read_parquet(p) for p in quarantine_parts], how="vertical")
                  if quarantine_parts else pl.DataFrame(schema=QUARANTINE_SCHEMA))
    # the report counts what is written, under the files' own names (scrubbed after)
    narrow = posts.select("source_file", "platform", "kind", "created_at", "near_duplicate_of")
    written = narrow.collect(engine="streaming")
    meta.quarantine = quarantine.select("source_file", "reason")
    if salt is not None:
        from workbench.ingest import privacy

        posts = _pseudonymise(posts, scan, salt)
        quarantine = privacy.pseudonymise_quarantine(quarantine, salt)
    posts = posts.select(list(POST_SCHEMA))
    out.mkdir(parents=True, exist_ok=True)
    posts.sink_parquet(out / "posts.parquet")
    quarantine.write_parquet(out / "quarantine.parquet")
    report = build_report(meta, written, duplicates, pseudonymised=salt is not None)
    if salt is not None:
        from workbench.ingest import privacy

        report["files"] = privacy.scrub_report_files(report["files"], salt)
    (out / "report.json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    return report


def _near_duplicates(body: pl.LazyFrame, min_chars: int = MIN_CHARS) -> pl.DataFrame:
    """``(_i, _first)``: the earliest post with the same normalised text (``dedup``)."""
    keyed = (
        body.select("_i", "post_id", "created_at", "text")
        .filter(pl.col("text").str.len_bytes() >= min_chars)
        .with_columns(normalised_text(pl.col("text")).alias("_key"))
        .filter(pl.col("_key").str.len_chars() >= min_chars)
        .select("_i", "post_id", "created_at", pl.col("_key").hash())
        .collect(engine="streaming")
    )
    firsts = (
        keyed.group_by("_key")
        .agg(pl.col("post_id").sort_by(["created_at", "post_id"]).first().alias("_first"), pl.len())
        .filter(pl.col("len") > 1)
    )
    return (keyed.join(firsts, on="_key", how="inner")
            .filter(pl.col("_first") != pl.col("post_id"))
            .select("_i", "_first"))


def _pseudonymise(posts: pl.LazyFrame, scan: pl.LazyFrame, salt: str) -> pl.LazyFrame:
    """``privacy.pseudonymise_posts`` as a lazy query: one hash per distinct author and file."""
    from workbench.ingest import privacy

    key = privacy._key(salt)
    authors = scan.select(pl.col("author_id").drop_nulls().unique()).collect(engine="streaming")
    authors = authors.with_columns(pl.Series(
        "_pseudonym", [privacy.pseudonym(a, salt, key=key) for a in authors["author_id"].to_list()],
        dtype=pl.Utf8))
    files = scan.select(pl.col("source_file").drop_nulls().unique()).collect(engine="streaming")
    files = files.with_columns(pl.Series(
        "_file", [privacy.scrub_path(f, salt) for f in files["source_file"].to_list()], dtype=pl.Utf8))
    url_has_author = (
        pl.col("url").str.contains(pl.col("author_id"), literal=True).fill_null(False)
        | pl.col("url").str.contains(pl.col("author_name"), literal=True).fill_null(False)
    )
    return (
        posts.with_columns(pl.when(url_has_author).then(None).otherwise(pl.col("url")).alias("url"),
                           pl.lit(None, pl.Utf8).alias("author_name"))
        .join(authors.lazy(), on="author_id", how="left", maintain_order="left")
        .join(files.lazy(), on="source_file", how="left", maintain_order="left")
        .with_columns(pl.col("_pseudonym").alias("author_id"), pl.col("_file").alias("source_file"))
    )
