"""Incremental detect with wordless reposts whose root has not arrived (real m3e-small).

They used to get a 1-dimensional centroid in the ledger (no text was embedded in the batch),
which broke ``Ledger.centroids()``; now they wait for their root (``waiting_root``) and
follow it when it comes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from workbench.events import Ledger, detect


def _posts(*rows) -> pl.DataFrame:
    return pl.DataFrame([
        {"post_id": pid, "platform": "weibo", "text": text, "root_id": root,
         "parent_id": None if root == pid else root,
         "created_at": datetime(2024, 7, 1, hour, tzinfo=UTC)}
        for pid, text, root, hour in rows
    ])


def _valid(ledger: Ledger, dim: int) -> None:
    ids, cent, _, _ = ledger.centroids()
    assert cent.shape == ((len(ids), dim) if ids else (0, 0))
    assert ledger.members["event_id"].null_count() == 0


@pytest.mark.parametrize("first_text", ["武汉暴雨，城区内涝严重，多条道路积水", None])
def test_orphan_wordless_repost_waits_then_follows_its_root(embedder, tmp_path, first_text):
    ledger = Ledger()
    if first_text:  # an earlier, unrelated batch: the ledger has 512-d centroids
        detect(_posts(("weibo:X1", first_text, "weibo:X1", 1)), embedder=embedder,
               ledger=ledger)
    orphans = _posts(("weibo:R1", "//@小明:", "weibo:A1", 3), ("weibo:R2", "", "weibo:A1", 3))
    ev1 = detect(orphans, embedder=embedder, ledger=ledger)
    assert ev1.assignments["how"].to_list() == ["waiting_root", "waiting_root"]
    assert ev1.assignments["event_id"].null_count() == 2
    _valid(ledger, embedder.dim)
    assert sorted(ledger.pending["post_id"]) == ["weibo:R1", "weibo:R2"]
    ledger.save(tmp_path / "ledger")
    ledger = Ledger.load(tmp_path / "ledger")
    assert ledger.pending.height == 2

    root = _posts(("weibo:A1", "暴雨导致武汉地铁站进水，市民被困", "weibo:A1", 4))
    ev2 = detect(root, embedder=embedder, ledger=ledger)
    _valid(ledger, embedder.dim)
    root_event = ev2.assignments["event_id"].item()
    assert root_event is not None
    placed = dict(ev2.placed_pending.select("post_id", "event_id").iter_rows())
    assert placed == {"weibo:R1": root_event, "weibo:R2": root_event}
    members = dict(ledger.members.select("post_id", "event_id").iter_rows())
    assert members["weibo:R1"] == members["weibo:R2"] == root_event
    assert ledger.pending.height == 0


def test_wordless_repost_of_a_held_root_follows_it(embedder):
    ledger = Ledger()
    first = detect(_posts(("weibo:A1", "暴雨导致武汉地铁站进水，市民被困", "weibo:A1", 1)),
                   embedder=embedder, ledger=ledger)
    ev = detect(_posts(("weibo:R1", "//@小明:", "weibo:A1", 2)), embedder=embedder,
                ledger=ledger)
    assert ev.assignments.row(0, named=True)["event_id"] == first.assignments["event_id"][0]
    assert ev.assignments["how"][0] == "cascade"
    _valid(ledger, embedder.dim)


def test_wordless_root_in_a_ledger_batch_gets_a_full_size_zero_centroid(embedder):
    ledger = Ledger()
    detect(_posts(("weibo:A1", "暴雨导致武汉地铁站进水，市民被困", "weibo:A1", 1)),
           embedder=embedder, ledger=ledger)
    ev = detect(_posts(("weibo:Z1", "转发微博", "weibo:Z1", 20)), embedder=embedder,
                ledger=ledger)
    assert ev.assignments["event_id"].null_count() == 0
    _valid(ledger, embedder.dim)
    ids, cent, _, _ = ledger.centroids()
    assert np.allclose(cent[ids.index(ev.assignments["event_id"][0])], 0)
