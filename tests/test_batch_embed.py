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
