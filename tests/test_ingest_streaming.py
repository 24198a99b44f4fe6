"""Streaming ingest (part files + Polars' streaming engine) writes what the eager ingest
writes: the same rows, quarantine and report, on the ingest fixtures (every reader, bad
files included), with and without pseudonymisation, one unit per chunk."""

from __future__ import annotations

from pathlib import Path

import orjson
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench import ingest
from workbench.ingest.streaming import _file_chunks, read_chunks, read_streaming

FIX = Path(__file__).parent / "fixtures" / "ingest"
SOURCES = [FIX / "ced", FIX / "crisislex", FIX / "mapped"]


def _sorted(frame: pl.DataFrame, *keys: str) -> pl.DataFrame:
    return frame.sort(list(keys), nulls_last=True)


@pytest.mark.parametrize(("salt", "chunks"), [
    (None, {"chunk": 1}), ("pepper", {"chunk": 1}),
    (None, {"chunk": 200, "chunk_bytes": 1}),  # files one a chunk by size, events by 200
])
def test_streaming_ingest_writes_what_the_eager_ingest_writes(tmp_path, salt, chunks):
    ingest.write(ingest.read(SOURCES, pseudonymise_salt=salt), tmp_path / "eager")
    report = read_streaming(SOURCES, tmp_path / "stream", pseudonymise_salt=salt, **chunks)
    assert not (tmp_path / "stream" / ".parts").exists()
    for name, keys in (("posts", ("post_id",)), ("quarantine", ("source_file", "source_row", "reason"))):
        eager = pl.read_parquet(tmp_path / "eager" / f"{name}.parquet")
        stream = pl.read_parquet(tmp_path / "stream" / f"{name}.parquet")
        assert eager.height > 0
        assert_frame_equal(_sorted(stream, *keys), _sorted(eager, *keys))
    assert report == orjson.loads((tmp_path / "eager" / "report.json").read_bytes())
    assert report["total"]["balanced"] and report["total"]["duplicates"] > 0


def test_file_chunks_close_at_the_byte_cap_and_keep_the_order(tmp_path):
    files = []
    for name, size in (("a", 10), ("b", 10), ("c", 30), ("d", 5), ("e", 5)):
        (tmp_path / name).write_bytes(b"x" * size)
        files.append(tmp_path / name)
    names = lambda parts: [[f.name for f in part] for part in parts]  # noqa: E731
    assert names(_file_chunks(files, 200, 25)) == [["a", "b"], ["c"], ["d", "e"]]
    assert names(_file_chunks(files, 2, 25)) == [["a", "b"], ["c"], ["d", "e"]]
    assert names(_file_chunks(files, 200, None)) == [["a", "b", "c", "d", "e"]]
    assert names(_file_chunks(files, 1, None)) == [["a"], ["b"], ["c"], ["d"], ["e"]]


def test_mapped_files_under_the_unit_count_are_split_by_bytes():
    """200 files a chunk let a few big mapped files be one chunk (the whole archive in
    memory); the byte cap splits them, same rows in the same order."""
    whole = list(read_chunks([FIX / "mapped"], chunk=200, chunk_bytes=None))
    split = list(read_chunks([FIX / "mapped"], chunk=200, chunk_bytes=1))
    assert len(split) > len(whole)
    rows = lambda batches: pl.concat([b.posts for b in batches if b.posts.height])  # noqa: E731
    assert rows(split)["post_id"].to_list() == rows(whole)["post_id"].to_list()
