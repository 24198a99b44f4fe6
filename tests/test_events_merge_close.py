"""``_merge_close``: chains of close events all end in the oldest, members moved once."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from workbench.events.detect import EventConfig, _merge_close
from workbench.events.identity import EVENT_LEDGER_SCHEMA, MEMBER_SCHEMA, Ledger


def test_three_close_events_merge_into_the_oldest():
    t = datetime(2024, 7, 1, tzinfo=UTC)
    ids = ["E000001", "E000002", "E000003", "E000004"]
    cents = [[1.0, 0.0], [0.99, 0.1], [0.98, 0.15], [0.0, 1.0]]
    events = pl.DataFrame([
        {"event_id": e, "status": "active", "merged_into": None, "first_seen": t,
         "last_seen": t, "n_posts": 1, "centroid": c, "opened_run": 1, "updated_run": 2}
        for e, c in zip(ids, cents, strict=True)
    ], schema=EVENT_LEDGER_SCHEMA)
    members = pl.DataFrame([{"post_id": f"p{i}", "event_id": e, "how": "cluster",
                             "score": None, "run": 1} for i, e in enumerate(ids)],
                           schema=MEMBER_SCHEMA)
    ledger = Ledger(events=events, members=members, next_number=5, runs=2)
    _merge_close(ledger, EventConfig(merge_threshold=0.1), {"E000002", "E000003"})
    assert [ledger.resolve(e) for e in ids] == ["E000001"] * 3 + ["E000004"]
    assert ledger.members["event_id"].to_list() == ["E000001"] * 3 + ["E000004"]
    merged = ledger.events.filter(pl.col("status") == "merged")
    assert sorted(merged["event_id"]) == ["E000002", "E000003"]
    assert set(merged["merged_into"]) == {"E000001"}
    # nothing touched: nothing merges
    again = Ledger(events=events, members=members, next_number=5, runs=2)
    _merge_close(again, EventConfig(merge_threshold=0.1), set())
    assert again.events["status"].to_list() == ["active"] * 4
