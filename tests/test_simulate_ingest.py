"""Simulated data goes through the same ingest readers as real data (mapping files, Beijing
time zone, nested JSON, three time formats), and the ground truth lines up post by post."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench import simulate

ROOT = Path(__file__).parents[1]
TINY = ROOT / "tests" / "fixtures" / "simulate" / "tiny.yaml"


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sim")
    simulate.run(TINY, out, seed=2)
    return out


def test_ingest_reads_simulation_through_mappings(sim_dir):
    from workbench import ingest

    result = ingest.read(sim_dir)
    truth = pl.read_parquet(sim_dir / "truth_posts.parquet")
    report = result.report["total"]
    assert report["read"] == truth.height == report["accepted"] + report["quarantined"] + report["duplicates"]
    assert result.quarantine.height == 0
    posts = result.posts
    assert set(posts["source"].unique()) <= {"sim_weibo", "sim_news", "sim_forum"}
    joined = truth.join(posts, on="post_id", how="left", suffix="_in")
    assert joined["platform"].null_count() == 0, "every simulated post was ingested under its id"
    # Beijing wall-clock, ISO-with-offset and Unix-second times all land on the same UTC instant
    assert (joined["created_at"] == joined["created_at_in"]).all()
    assert (joined["truth_event"] == joined["event_label"]).all()
    assert (joined["kind"] == joined["kind_in"]).all()
    # repost trees survive: every parent is a post in the table, every root an original
    ids = set(posts["post_id"])
    reposts = posts.filter(pl.col("parent_id").is_not_null())
    assert reposts.height > 0 and set(reposts["parent_id"]) <= ids
    originals = posts.filter(pl.col("kind") == "original")
    assert (originals["root_id"] == originals["post_id"]).all()
    assert set(posts["author_type"].unique()) >= {"individual", "government", "media"}
    assert posts["author_followers"].null_count() == 0


def test_ingest_write_and_load(sim_dir, tmp_path):
    from workbench import ingest

    result = ingest.read(sim_dir)
    ingest.write(result, tmp_path)
    loaded = ingest.load(tmp_path).collect()
    assert loaded.height == result.posts.height
