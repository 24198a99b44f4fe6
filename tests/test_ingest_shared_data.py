"""The real data: counts reconcile with the PROVENANCE files (skipped when the data is absent)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench import ingest

DATA = Path(__file__).parents[1] / ".." / "shared" / "data"
CED = DATA / "weibo-ced-dev"
CRISISLEX = DATA / "crisislex-t26"

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.fixture(scope="module")
def result():
    if not (CED / "CED_Dataset").is_dir() or not CRISISLEX.is_dir():
        pytest.skip(f"shared data not found under {DATA}")
    return ingest.read([CED, CRISISLEX])


def test_ced_reconciles_with_provenance(result):
    ced = result.report["by_reader"]["weibo_ced"]
    assert ced["files"] == 865 * 2
    assert ced["read"] == 865 + 318_867  # originals + repost records (PROVENANCE.md)
    assert ced["read"] == ced["accepted"] + ced["quarantined"] + ced["duplicates"]
    assert ced["duplicates"] == 171  # mids repeated within their repost file
    posts = result.posts.filter(pl.col("source") == "weibo_ced")
    assert posts.filter(pl.col("kind") == "original").height == 865
    labels = posts.filter(pl.col("kind") == "original")["event_label"].str.extract(r"^([^/]+)/")
    assert labels.value_counts().sort("event_label").rows() == [("non-rumor", 470), ("rumor", 395)]
    assert posts["event_label"].n_unique() == 865
    # every repost's root is an original of the table; parents are in the table
    originals = posts.filter(pl.col("kind") == "original")["post_id"]
    assert posts["root_id"].is_in(originals.implode()).all()
    assert posts["parent_id"].drop_nulls().is_in(posts["post_id"].implode()).all()


def test_crisislex_reconciles_with_provenance(result):
    cl = result.report["by_reader"]["crisislex_t26"]
    assert cl["files"] == 26
    assert cl["read"] == 27_933  # labelled tweets (PROVENANCE.md)
    assert cl["read"] == cl["accepted"] + cl["quarantined"] + cl["duplicates"]
    # Boston has no timestamp list: its tweets are dated from their (snowflake) ids
    assert cl["quarantined"] == 0
    assert cl["accepted"] + cl["duplicates"] == 27_933
    assert cl["duplicates"] == 1  # one tweet labelled in two events (Alberta, Lac-Megantic)
    boston = result.posts.filter(pl.col("event_label") == "2013_Boston_bombings")
    assert boston.height == 1_000
    assert boston["created_at"].min().date().isoformat() == "2013-04-15"  # the marathon
    assert any("2013_Boston_bombings" in n and "dated from their ids" in n for n in result.report["notes"])
    tw = result.posts.filter(pl.col("platform") == "twitter")
    assert tw["event_label"].n_unique() == 26
    lo, hi = tw["created_at"].min(), tw["created_at"].max()
    assert lo.year == 2012 and hi.year in (2013, 2014)


def test_totals_balance(result):
    total = result.report["total"]
    assert total["balanced"] and total["read"] == 865 + 318_867 + 27_933
    assert result.report["platforms"]["weibo"] + result.report["platforms"]["twitter"] == total["accepted"]
