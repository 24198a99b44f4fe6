"""Embedding an archive on Ray Data: a local Ray (started once per session) runs the code a
cluster runs; the vectors are the model's own, one per post, in the posts' order."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from workbench import ingest

pytestmark = pytest.mark.slow
FIX = Path(__file__).parent / "fixtures" / "ingest"
MODEL = "use-multilingual"  # light and real: the model is not the subject


@pytest.fixture(scope="session")
def ray_local():
    ray = pytest.importorskip("ray")
    from workbench.batch.embed import ensure_ray

    ensure_ray(num_cpus=3)
    yield ray
    ray.shutdown()


def test_embed_posts_with_an_actor_pool_matches_the_model(tmp_path, ray_local):
    from workbench.batch.embed import embed_posts
    from workbench.embed import get_embedder

    ingest.write(ingest.read([FIX / "ced", FIX / "mapped"]), tmp_path / "posts")
    run = embed_posts(tmp_path / "posts", tmp_path / "emb", workers=2, model=MODEL,
                      batch_size=8, cache_dir=str(tmp_path / "cache"))
    posts = pl.read_parquet(tmp_path / "posts" / "posts.parquet")
    out = pl.read_parquet(tmp_path / "emb" / "*.parquet")
    assert out["seq"].to_list() == list(range(posts.height))
    assert run.posts == posts.height == out.height > 10
    assert out["post_id"].to_list() == posts["post_id"].to_list()
    vectors = out["embedding"].to_numpy()
    assert vectors.shape == (posts.height, 512)
    want = get_embedder(MODEL, cache=False).encode(posts["text"].fill_null("").to_list())
    np.testing.assert_allclose(vectors, want, atol=1e-5)
    # the actors filled the cache that `workbench events` reads
    cached = get_embedder(MODEL, cache_dir=str(tmp_path / "cache"))
    cached.encode(posts["text"].fill_null("").to_list())
    assert cached.last_computed == 0

    with pytest.raises(FileNotFoundError, match="no posts table"):
        embed_posts(tmp_path / "nowhere", tmp_path / "emb2", model=MODEL)


def _part(path, seqs):
    pl.DataFrame({"seq": seqs, "post_id": [f"p{s}" for s in seqs]},
                 schema={"seq": pl.Int64, "post_id": pl.String}).write_parquet(path)


def test_parts_are_renamed_into_the_posts_order_when_ray_names_them_out_of_order(tmp_path):
    from workbench.batch.embed import _parts_in_order

    stage = tmp_path / "stage"
    stage.mkdir()
    # Ray's names sort by write task; here the task written first holds the last rows
    _part(stage / "a_000000.parquet", [6, 7, 8])
    _part(stage / "a_000001.parquet", [0, 1, 2])
    _part(stage / "a_000002.parquet", [])
    _part(stage / "a_000003.parquet", [3, 4, 5])
    _parts_in_order(sorted(stage.glob("*.parquet")), tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.parquet")) == [
        "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    assert pl.read_parquet(tmp_path / "*.parquet")["seq"].to_list() == list(range(9))
    assert not list(stage.glob("*.parquet"))


def test_overlapping_parts_are_merged_into_one_sorted_part(tmp_path):
    from workbench.batch.embed import _parts_in_order

    stage = tmp_path / "stage"
    stage.mkdir()
    _part(stage / "a_000000.parquet", [0, 5, 2])
    _part(stage / "a_000001.parquet", [1, 3, 4])
    _parts_in_order(sorted(stage.glob("*.parquet")), tmp_path)
    out = pl.read_parquet(tmp_path / "*.parquet")
    assert [p.name for p in tmp_path.glob("*.parquet")] == ["part-00000.parquet"]
    assert out["seq"].to_list() == list(range(6))
    assert out["post_id"].to_list() == [f"p{i}" for i in range(6)]
