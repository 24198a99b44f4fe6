"""The ``findings`` subcommand on fixture posts written as an ingest/events output."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from workbench.findings import cli
from workbench.schema import FINDINGS_SCHEMA, POST_SCHEMA, conform

FIXTURES = Path(__file__).parent / "fixtures" / "findings"


def test_findings_subcommand(tmp_path, capsys):
    raw = pl.read_ndjson(FIXTURES / "response.jsonl", infer_schema_length=None)
    posts = conform(raw.with_columns(pl.col("created_at").str.to_datetime(time_zone="UTC")),
                    POST_SCHEMA)
    (tmp_path / "store").mkdir()
    (tmp_path / "events").mkdir()
    posts.write_parquet(tmp_path / "store" / "posts.parquet")
    posts.select("post_id", pl.col("event_label").alias("event_id")).write_parquet(
        tmp_path / "events" / "assignments.parquet"
    )
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    args = parser.parse_args(["findings", str(tmp_path / "store"), str(tmp_path / "events")])
    assert args.func(args) == 0
    findings = pl.read_parquet(tmp_path / "events" / "findings.parquet")
    assert findings.schema == FINDINGS_SCHEMA and findings.height == 1
    responses = pl.read_parquet(tmp_path / "events" / "responses.parquet")
    assert responses["post_id"].to_list() == ["weibo:gov", "weibo:x8"]
    assert "1 events, 2 official posts" in capsys.readouterr().out
