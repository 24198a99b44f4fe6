"""The messy fixtures: every row is accounted for (read = accepted + quarantined + duplicates)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench import ingest
from workbench.schema import POST_SCHEMA, QUARANTINE_SCHEMA

FIX = Path(__file__).parent / "fixtures" / "ingest"
CED = FIX / "ced" / "CED_Dataset"

# file (relative to FIX) -> (read, accepted, quarantined, duplicates, reasons quarantined)
EXPECTED = {
    "ced/CED_Dataset/original-microblog/1_AAAAAAAA1_1111111111.json": (1, 1, 0, 0, set()),
    "ced/CED_Dataset/rumor-repost/1_AAAAAAAA1_1111111111.json":
        (8, 3, 4, 1, {"missing_id", "bad_timestamp", "implausible_timestamp", "missing_timestamp"}),
    "ced/CED_Dataset/original-microblog/2_AAAAAAAA2_2222222222.json": (1, 1, 0, 0, set()),
    "ced/CED_Dataset/rumor-repost/2_AAAAAAAA2_2222222222.json":
        (5, 2, 3, 0, {"bad_type:mid", "bad_type:date", "not_object"}),
    "ced/CED_Dataset/original-microblog/3_AAAAAAAA3_3333333333.json": (1, 0, 1, 0, {"bad_json"}),
    "ced/CED_Dataset/non-rumor-repost/3_AAAAAAAA3_3333333333.json": (2, 1, 1, 0, {"missing_year"}),
    "ced/CED_Dataset/original-microblog/4_AAAAAAAA4_4444444444.json": (1, 1, 0, 0, set()),
    "ced/CED_Dataset/non-rumor-repost/4_AAAAAAAA4_4444444444.json": (1, 1, 0, 0, set()),
    "ced/CED_Dataset/original-microblog/5_AAAAAAAA5_5555555555.json": (1, 0, 1, 0, {"missing_timestamp"}),
    "ced/CED_Dataset/non-rumor-repost/5_AAAAAAAA5_5555555555.json": (1, 0, 1, 0, {"empty_file"}),
    "ced/CED_Dataset/original-microblog/6_AAAAAAAA6_6666666666.json": (1, 0, 1, 0, {"bad_type:followers"}),
    "ced/CED_Dataset/non-rumor-repost/6_AAAAAAAA6_6666666666.json": (1, 0, 1, 0, {"bad_encoding"}),
    "crisislex/2012_Test_floods/2012_Test_floods-tweets_labeled.csv":
        (5, 2, 3, 0, {"bad_csv_row", "missing_timestamp", "missing_id"}),
    "crisislex/2013_No_times/2013_No_times-tweets_labeled.csv": (1, 0, 1, 0, {"missing_timestamp"}),
    "mapped/exports/wechat_2024.parquet": (3, 2, 1, 0, {"missing_id"}),
    "mapped/forum.jsonl": (12, 4, 7, 1, {
        "bad_json", "bad_type:author_followers", "not_object", "missing_timestamp", "bad_timestamp",
        "bad_value:kind", "implausible_timestamp"}),
    "mapped/forum_bom.jsonl": (1, 1, 0, 0, set()),
    "mapped/forum_empty.jsonl": (1, 0, 1, 0, {"empty_file"}),
    "mapped/forum_undecodable.jsonl": (1, 0, 1, 0, {"bad_encoding"}),
    "mapped/news_gbk.csv": (4, 2, 2, 0, {"bad_csv_row", "bad_timestamp"}),
    "mapped/search_ok.json": (4, 2, 2, 0, {"bad_value:platform", "bad_type:created_at"}),
    "mapped/search_truncated.json": (1, 0, 1, 0, {"bad_json"}),
}


@pytest.fixture(scope="module")
def result() -> ingest.IngestResult:
    return ingest.read([FIX / "ced", FIX / "crisislex", FIX / "mapped"])


def _rel(name: str) -> str:
    return Path(name).resolve().relative_to(FIX.resolve()).as_posix()


def test_every_file_balances_as_expected(result):
    files = {_rel(name): row for name, row in result.report["files"].items()}
    assert set(files) == set(EXPECTED)
    for name, (read, accepted, quarantined, duplicates, reasons) in EXPECTED.items():
        row = files[name]
        assert (row["read"], row["accepted"], row["quarantined"], row["duplicates"]) == (
            read, accepted, quarantined, duplicates), name
        assert row["read"] == row["accepted"] + row["quarantined"] + row["duplicates"]
        got = set(result.quarantine.filter(pl.col("source_file").map_elements(_rel, pl.Utf8) == name)["reason"])
        assert got == reasons, name


def test_totals_balance_and_match_tables(result):
    total = result.report["total"]
    assert total["balanced"]
    assert total["read"] == total["accepted"] + total["quarantined"] + total["duplicates"]
    assert total["accepted"] == result.posts.height == 23
    assert total["quarantined"] == result.quarantine.height == 32
    assert total["duplicates"] == 2
    assert sum(result.report["quarantine_reasons"].values()) == result.quarantine.height


def test_tables_have_the_shared_schemas(result):
    assert result.posts.schema == POST_SCHEMA
    assert result.quarantine.schema == QUARANTINE_SCHEMA
    assert result.posts["post_id"].is_unique().all()
    assert result.posts["created_at"].null_count() == 0
    assert result.posts["root_id"].null_count() == 0


def test_quarantine_rows_name_file_row_reason_and_keep_raw(result):
    q = result.quarantine
    assert q["detail"].str.contains(r"\.(json|jsonl|csv|parquet)").all()  # every message names its file
    whole = q.filter(pl.col("source_row") == -1)
    # undecodable bytes cost only their line / record (issue 14), never the whole file
    assert set(whole["reason"]) == {"bad_json", "empty_file"}
    assert set(q.filter(pl.col("reason") == "bad_encoding")["source_row"]) == {0}
    rows = q.filter(pl.col("source_row") >= 0)
    assert rows["raw"].null_count() == 0
    bad = q.filter(pl.col("reason") == "bad_type:author_followers").row(0, named=True)
    assert json.loads(bad["raw"])["user"]["followers"] == "many"
    assert bad["source_row"] == 4  # 0-based line of forum.jsonl


def test_ced_times_trees_and_authors(result):
    p = result.posts.filter(pl.col("source") == "weibo_ced")
    by = {r["post_id"]: r for r in p.iter_rows(named=True)}
    assert by["weibo:AAAAAAAA1"]["created_at"].isoformat() == "2012-12-31T15:00:00+00:00"
    assert by["weibo:AAAAAAAA1"]["author_type"] == "government"
    assert by["weibo:AAAAAAAA1"]["author_followers"] == 120000
    # string time with +0800 offset; user "empty"
    assert by["weibo:AAAAAAAA2"]["created_at"].isoformat() == "2013-05-27T04:07:05+00:00"
    assert by["weibo:AAAAAAAA2"]["author_type"] == "unknown"
    assert by["weibo:AAAAAAAA2"]["author_followers"] is None
    # Beijing time -> UTC; year-less dates: same year, then the next year
    assert by["weibo:R1a"]["created_at"].isoformat() == "2012-12-31T15:30:00+00:00"
    assert by["weibo:R1b"]["created_at"].isoformat() == "2012-12-31T15:50:00+00:00"
    assert by["weibo:R1c"]["created_at"].isoformat() == "2013-01-02T00:00:00+00:00"
    # trees: empty parent = the original; every root is the original
    assert by["weibo:R1a"]["parent_id"] == "weibo:AAAAAAAA1"
    assert by["weibo:R1c"]["parent_id"] == "weibo:R1b"
    assert {by[k]["root_id"] for k in ("weibo:R1a", "weibo:R1b", "weibo:R1c")} == {"weibo:AAAAAAAA1"}
    # screen-name uid kept as the author id; scalars in text fields taken as text
    assert by["weibo:R1b"]["author_id"] == "some_screen_name"
    assert (by["weibo:R2c"]["author_id"], by["weibo:R2c"]["text"]) == ("2000000012", "42")
    assert by["weibo:R1a"]["event_label"] == "rumor/1_AAAAAAAA1"
    assert by["weibo:R4a"]["event_label"] == "non-rumor/4_AAAAAAAA4"
    assert by["weibo:R1a"]["url"] == "https://weibo.com/2000000001/R1a"


def test_encodings_are_read_correctly(result):
    texts = dict(zip(result.posts["post_id"], result.posts["text"], strict=True))
    assert texts["weibo:AAAAAAAA4"] == "某企业排污，河水变黑，附近居民投诉"  # GB18030 original
    assert texts["weibo:R4a"] == "太过分了，必须严查！"  # GB18030 reposts
    assert texts["weibo:R2a"] == "辟谣：不实"  # UTF-8 with BOM
    assert texts["forum:b1"] == "带BOM的文件"
    assert texts["news:n1"] == "某市自来水厂发生故障 多个小区停水"  # GB18030 CSV, Chinese headers
    bad = result.quarantine.filter(pl.col("reason") == "bad_encoding")["detail"].to_list()
    assert any("forum_undecodable.jsonl" in d for d in bad)
    assert any("6_AAAAAAAA6" in d for d in bad)


def test_mapped_values(result):
    by = {r["post_id"]: r for r in result.posts.iter_rows(named=True)}
    assert by["forum:f1"]["created_at"].isoformat() == "2024-05-01T00:00:00+00:00"  # naive -> Beijing
    assert by["forum:f2"]["created_at"].isoformat() == "2024-05-01T01:30:00+00:00"  # Z
    assert by["forum:f3"]["created_at"].isoformat() == "2024-05-01T02:40:00+00:00"  # Unix seconds
    assert by["forum:f1"]["author_id"] == "501" and by["forum:f1"]["author_name"] == "张三"
    assert by["forum:f9"]["author_verified"] is True and by["forum:f9"]["author_type"] == "government"
    assert by["forum:f2"]["kind"] == "reply" and by["forum:f3"]["kind"] == "repost"
    assert by["forum:f3"]["root_id"] == "forum:f1"  # resolved through f2
    assert by["news:n2"]["author_type"] == "government"
    assert by["news:n1"]["created_at"].isoformat() == "2024-05-01T01:15:00+00:00"
    assert by["search:2"]["platform"] == "search"  # integer id, case-folded platform
    assert by["wechat:w1"]["author_followers"] == 1000 and by["wechat:w1"]["author_id"] == "gh_1"
    assert by["twitter:101"]["author_type"] == "government"
    assert by["twitter:100"]["event_label"] == "2012_Test_floods"


def test_duplicates_collapse_and_near_duplicates_are_marked(result):
    posts = result.posts
    assert posts.filter(pl.col("post_id") == "forum:f1")["text"].to_list() == ["小区停水三天了，物业不管"]
    assert posts.filter(pl.col("post_id") == "weibo:R1a").height == 1
    marked = dict(zip(posts["post_id"], posts["near_duplicate_of"], strict=True))
    assert marked["forum:f9"] == "forum:f1"  # same text but for spaces / punctuation
    assert marked["forum:f1"] is None
    assert sorted(result.report["duplicate_examples"]) == ["forum:f1", "weibo:R1a"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(
    st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "c", "d"]),
                           "time": st.sampled_from(["2024-01-01 00:00:00", "2024-02-30 00:00:00", "", 1.7e9, None]),
                           "n": st.one_of(st.integers(-5, 5), st.text(max_size=3), st.none())}),
    st.text(max_size=8),
), max_size=12))
def test_equation_holds_for_any_jsonl(tmp_path_factory, lines):
    folder = tmp_path_factory.mktemp("prop")
    (folder / "x.mapping.yaml").write_text(
        "name: prop\nformat: jsonl\nfiles: '*.jsonl'\nplatform: other\n"
        "columns:\n  post_id: id\n  created_at: time\n  likes: n\n", "utf-8")
    (folder / "data.jsonl").write_text(
        "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines), "utf-8")
    res = ingest.read(folder)
    t = res.report["total"]
    assert t["read"] == t["accepted"] + t["quarantined"] + t["duplicates"]
    assert t["accepted"] == res.posts.height and t["quarantined"] == res.quarantine.height
