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
from workbench.ingest.streaming import read_streaming

FIX = Path(__file__).parent / "fixtures" / "ingest"
SOURCES = [FIX / "ced", FIX / "crisislex", FIX / "mapped"]


def _sorted(frame: pl.DataFrame, *keys: str) -> pl.DataFrame:
    return frame.sort(list(keys), nulls_last=True)


@pytest.mark.parametrize("salt", [None, "pepper"])
def test_streaming_ingest_writes_what_the_eager_ingest_writes(tmp_path, salt):
    ingest.write(ingest.read(SOURCES, pseudonymise_salt=salt), tmp_path / "eager")
    report = read_streaming(SOURCES, tmp_path / "stream", chunk=1, pseudonymise_salt=salt)
    assert not (tmp_path / "stream" / ".parts").exists()
    for name, keys in (("posts", ("post_id",)), ("quarantine", ("source_file", "source_row", "reason"))):
        eager = pl.read_parquet(tmp_path / "eager" / f"{name}.parquet")
        stream = pl.read_parquet(tmp_path / "stream" / f"{name}.parquet")
        assert eager.height > 0
        assert_frame_equal(_sorted(stream, *keys), _sorted(eager, *keys))
    assert report == orjson.loads((tmp_path / "eager" / "report.json").read_bytes())
    assert report["total"]["balanced"] and report["total"]["duplicates"] > 0
