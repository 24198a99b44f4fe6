"""Issue 14 (ingest): each reproducer class is a regression test. Readers never raise on row
content, a bad value / line costs only its row, counts reconcile, mappings stay in their folder."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from workbench import ingest
from workbench.ingest.mapped import MappingError, load_mapping

BIG = 2**70  # beyond int64 and uint64


def mapping(folder: Path, fmt: str, files: str, columns: dict[str, str], **extra) -> Path:
    lines = [f"name: t_{fmt}", f"format: {fmt}", f"files: {json.dumps(files)}", "platform: forum"]
    lines += [f"{k}: {json.dumps(v)}" for k, v in extra.items()]
    lines += ["columns:", *[f"  {k}: {json.dumps(v)}" for k, v in columns.items()]]
    path = folder / f"t_{fmt}.mapping.yaml"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


COLS = {"post_id": "id", "created_at": "time", "text": "text", "likes": "likes"}
T = "2024-05-01T08:00:00Z"


def balanced(res: ingest.IngestResult) -> dict:
    t = res.report["total"]
    assert t["balanced"] and t["read"] == t["accepted"] + t["quarantined"] + t["duplicates"]
    assert t["accepted"] == res.posts.height and t["quarantined"] == res.quarantine.height
    q = res.quarantine
    assert q["source_file"].null_count() == 0 and q["source_row"].null_count() == 0
    assert q["reason"].null_count() == 0
    return t


def reasons(res) -> dict[int, str]:
    return dict(zip(res.quarantine["source_row"], res.quarantine["reason"], strict=True))


def jsonl(folder: Path, records: list, name: str = "a.jsonl") -> Path:
    path = folder / name
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    return path


# ---------------------------------------------------------------- one bad value, one row


@pytest.mark.parametrize("bad", ["²", "--5", "٣", "1e400", "+-1", "1_000"])
def test_a_non_number_count_costs_its_row_and_names_column_and_value(tmp_path, bad):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    jsonl(tmp_path, [{"id": 1, "time": T, "likes": 5}, {"id": 2, "time": T, "likes": bad},
                     {"id": 3, "time": T, "likes": "7"}])
    res = ingest.read(tmp_path)
    t = balanced(res)
    assert (t["read"], t["accepted"], t["quarantined"]) == (3, 2, 1)
    row = res.quarantine.row(0, named=True)
    assert (row["source_row"], row["reason"]) == (1, "bad_type:likes")
    assert "likes" in row["detail"] and bad in row["detail"] and "a.jsonl:1" in row["detail"]
    assert dict(zip(res.posts["post_id"], res.posts["likes"], strict=True)) == {"forum:1": 5, "forum:3": 7}


def test_ids_beyond_int64_keep_every_digit_and_big_counts_are_quarantined(tmp_path):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    jsonl(tmp_path, [{"id": BIG, "time": T, "likes": 1}, {"id": 2, "time": T, "likes": 2**63},
                     {"id": 3, "time": T, "likes": str(2**64)}, {"id": 4, "time": T, "likes": 2**63 - 1}])
    res = ingest.read(tmp_path)
    balanced(res)
    assert set(res.posts["post_id"]) == {f"forum:{BIG}", "forum:4"}
    assert res.posts.filter(pl.col("post_id") == "forum:4")["likes"].item() == 2**63 - 1
    assert reasons(res) == {1: "bad_value:likes", 2: "bad_value:likes"}
    assert res.quarantine["detail"].str.contains("int64").all()


def test_csv_counts_and_ids_beyond_int64(tmp_path):
    mapping(tmp_path, "csv", "*.csv", COLS)
    (tmp_path / "a.csv").write_text(f"id,time,text,likes\n{BIG},{T},x,²\n{BIG + 1},{T},y,{2**63}\n9,{T},z,3\n", "utf-8")
    res = ingest.read(tmp_path)
    balanced(res)
    assert res.posts["post_id"].to_list() == ["forum:9"]
    assert reasons(res) == {0: "bad_type:likes", 1: "bad_value:likes"}


def test_ced_original_with_unicode_digit_or_huge_count(tmp_path):
    base = tmp_path / "CED_Dataset"
    (base / "original-microblog").mkdir(parents=True)
    (base / "rumor-repost").mkdir()
    good = {"text": "t", "user": {"followers": 5}, "time": 1356966000, "reposts": 1, "comments": 0, "likes": 0}
    cases = {"1_A1_u1": {**good, "likes": "²"}, "2_A2_u2": {**good, "user": {"followers": 2**63}},
             "3_A3_u3": {**good, "reposts": "--5"}, "4_A4_u4": {**good, "time": "²"}, "5_A5_u5": good}
    for stem, value in cases.items():
        (base / "original-microblog" / f"{stem}.json").write_text(json.dumps(value), "utf-8")
    (base / "rumor-repost" / "5_A5_u5.json").write_text(json.dumps([
        {"mid": BIG, "uid": "u", "parent": "", "text": "big id", "date": "2013-01-01 10:00:00"},
        {"mid": "R2", "uid": "u", "parent": "", "text": "ok", "date": "2013-01-01 10:00:00"},
    ]), "utf-8")
    res = ingest.read(tmp_path)
    balanced(res)
    got = {Path(f).stem: r for f, r in zip(res.quarantine["source_file"], res.quarantine["reason"], strict=True)}
    assert got == {"1_A1_u1": "bad_type:likes", "2_A2_u2": "bad_value:followers",
                   "3_A3_u3": "bad_type:reposts", "4_A4_u4": "bad_timestamp"}
    assert set(res.posts["post_id"]) == {"weibo:A5", f"weibo:{BIG}", "weibo:R2"}


def test_a_long_csv_field_is_read(tmp_path):
    mapping(tmp_path, "csv", "*.csv", COLS)
    long = "长" * 300_000
    (tmp_path / "a.csv").write_text(f'id,time,text,likes\n1,{T},"{long}",1\n2,{T},short,2\n', "utf-8")
    res = ingest.read(tmp_path)
    assert balanced(res)["accepted"] == 2
    assert res.posts.filter(pl.col("post_id") == "forum:1")["text"].item() == long


def test_crisislex_long_field(tmp_path):
    event = tmp_path / "2013_X"
    event.mkdir()
    (event / "2013_X-tweets_labeled.csv").write_text(
        f'Tweet ID, Tweet Text, Information Source\n"324542345000448000","{"x" * 200_000}",Media\n', "utf-8")
    res = ingest.read(tmp_path)
    assert balanced(res)["accepted"] == 1


@pytest.mark.parametrize("sep", ["\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c", "\r"])
def test_jsonl_lines_are_split_on_newline_only(tmp_path, sep):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    # json.dumps(ensure_ascii=False) writes U+2028 etc. raw; a lone \r is escaped
    jsonl(tmp_path, [{"id": 1, "time": T, "text": f"a{sep}b"}, {"id": 2, "time": T, "text": "c"}])
    res = ingest.read(tmp_path)
    t = balanced(res)
    assert (t["read"], t["accepted"]) == (2, 2)
    assert res.posts.filter(pl.col("post_id") == "forum:1")["text"].item() == f"a{sep}b"


def test_an_undecodable_or_nul_line_costs_only_that_line(tmp_path):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    lines = [json.dumps({"id": i, "time": T, "text": "好"}, ensure_ascii=False).encode() for i in range(4)]
    lines[1] = lines[1].replace("好".encode(), b"\xff\xfe")
    lines[2] = lines[2].replace(b'"text"', b'"te\x00xt"')
    (tmp_path / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    res = ingest.read(tmp_path)
    balanced(res)
    assert reasons(res) == {1: "bad_encoding", 2: "bad_encoding"}
    assert res.posts["text"].to_list() == ["好", "好"]


def test_an_undecodable_csv_row_costs_only_that_row(tmp_path):
    mapping(tmp_path, "csv", "*.csv", COLS)
    body = f"id,time,text,likes\n1,{T},好,1\n2,{T},X,2\n3,{T},好,3\n".encode().replace(b"X", b"\xff")
    (tmp_path / "a.csv").write_bytes(body)
    res = ingest.read(tmp_path)
    balanced(res)
    assert reasons(res) == {1: "bad_encoding"} and res.posts["text"].to_list() == ["好", "好"]


def test_a_truncated_json_array_keeps_its_complete_items(tmp_path):
    mapping(tmp_path, "json", "*.json", COLS)
    text = json.dumps([{"id": i, "time": T} for i in range(5)])
    (tmp_path / "a.json").write_text(text[: text.rindex("{") + 8], "utf-8")  # the last item cut
    res = ingest.read(tmp_path)
    t = balanced(res)
    assert (t["read"], t["accepted"], t["quarantined"]) == (5, 4, 1)
    assert reasons(res) == {4: "bad_json"}


def test_a_truncated_ced_repost_file_keeps_its_complete_records(tmp_path):
    base = tmp_path / "CED_Dataset"
    (base / "original-microblog").mkdir(parents=True)
    (base / "rumor-repost").mkdir()
    (base / "original-microblog" / "1_A1_u1.json").write_text(json.dumps({"text": "t", "time": 1356966000}), "utf-8")
    reposts = json.dumps([{"mid": f"R{i}", "uid": "u", "parent": "", "text": "x", "date": "2013-01-01 10:00:00"}
                          for i in range(3)])
    (base / "rumor-repost" / "1_A1_u1.json").write_text(reposts[:-20], "utf-8")
    res = ingest.read(tmp_path)
    balanced(res)
    assert set(res.posts["post_id"]) == {"weibo:A1", "weibo:R0", "weibo:R1"}
    assert res.quarantine["reason"].to_list() == ["bad_json"]


def test_parquet_typed_datetimes_are_taken_as_they_are(tmp_path):
    mapping(tmp_path, "parquet", "*.parquet", {"post_id": "id", "created_at": "ts", "likes": "n"},
            timezone="Asia/Shanghai")
    naive = [datetime(2024, 5, 1, 8, 0), datetime(2024, 5, 1, 9, 0)]
    pl.DataFrame({"id": [1, 2], "ts": naive, "n": [1, None]}).write_parquet(tmp_path / "naive.parquet")
    pl.DataFrame({"id": [3], "ts": [datetime(2024, 5, 1, 8, 0, tzinfo=UTC)], "n": [3]}).write_parquet(
        tmp_path / "aware.parquet")
    pl.DataFrame({"id": [4], "ts": [datetime(2024, 5, 1).date()], "n": [BIG % 1000]}).write_parquet(
        tmp_path / "date.parquet")
    res = ingest.read(tmp_path)
    assert balanced(res)["accepted"] == 4
    by = dict(zip(res.posts["post_id"], res.posts["created_at"], strict=True))
    assert by["forum:1"].isoformat() == "2024-05-01T00:00:00+00:00"  # naive = Beijing wall clock
    assert by["forum:3"].isoformat() == "2024-05-01T08:00:00+00:00"
    assert by["forum:4"].isoformat() == "2024-04-30T16:00:00+00:00"


def test_parquet_nested_value_where_text_belongs(tmp_path):
    mapping(tmp_path, "parquet", "*.parquet", {"post_id": "id", "created_at": "ts", "text": "body"})
    pl.DataFrame({"id": ["a", "b"], "ts": [T, T], "body": [{"x": 1}, None]}).write_parquet(tmp_path / "a.parquet")
    res = ingest.read(tmp_path)
    balanced(res)
    assert reasons(res) == {0: "bad_type:text"} and res.posts["post_id"].to_list() == ["forum:b"]


def test_deep_nesting_costs_its_line(tmp_path):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    deep = '{"id": 1, "time": "' + T + '", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    (tmp_path / "a.jsonl").write_text(deep + "\n" + json.dumps({"id": 2, "time": T}) + "\n", "utf-8")
    res = ingest.read(tmp_path)
    balanced(res)
    assert reasons(res) == {0: "bad_json"} and res.posts["post_id"].to_list() == ["forum:2"]


# ---------------------------------------------------------------- confinement


@pytest.mark.parametrize("glob", ["/etc/passw*", "../*.jsonl", "sub/../../x*.jsonl", "~/x.jsonl"])
def test_absolute_and_parent_globs_are_refused(tmp_path, glob):
    path = mapping(tmp_path, "jsonl", glob, COLS)
    with pytest.raises(MappingError, match="not allowed"):
        load_mapping(path)


def test_a_symlink_out_of_the_folder_is_not_read(tmp_path):
    secret = tmp_path / "secret.jsonl"
    secret.write_text(json.dumps({"id": "s", "time": T, "text": "SECRET"}) + "\n", "utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    mapping(folder, "jsonl", "*.jsonl", COLS)
    jsonl(folder, [{"id": 1, "time": T}])
    (folder / "link.jsonl").symlink_to(secret)
    res = ingest.read(folder)
    balanced(res)
    assert res.posts["post_id"].to_list() == ["forum:1"]
    row = res.quarantine.row(0, named=True)
    assert row["reason"] == "outside_folder" and row["raw"] is None
    assert not res.quarantine["detail"].str.contains("SECRET").any()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_quarantined_not_read(tmp_path):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    jsonl(tmp_path, [{"id": 1, "time": T}])
    os.mkfifo(tmp_path / "pipe.jsonl")
    res = ingest.read(tmp_path)
    balanced(res)
    assert res.quarantine["reason"].to_list() == ["not_a_file"]
    # named explicitly, too
    res = ingest.read(tmp_path / "pipe.jsonl")
    assert res.quarantine["reason"].to_list() == ["not_a_file"]


def test_a_fifo_in_a_ced_tree_is_quarantined(tmp_path):
    base = tmp_path / "CED_Dataset"
    (base / "original-microblog").mkdir(parents=True)
    (base / "rumor-repost").mkdir()
    (base / "original-microblog" / "1_A1_u1.json").write_text(json.dumps({"text": "t", "time": 1356966000}), "utf-8")
    os.mkfifo(base / "rumor-repost" / "1_A1_u1.json")
    os.mkfifo(base / "original-microblog" / "2_A2_u2.json")
    res = ingest.read(tmp_path)
    balanced(res)
    assert res.quarantine["reason"].to_list() == ["not_a_file", "not_a_file"]
    assert res.posts["post_id"].to_list() == ["weibo:A1"]


def test_unreadable_and_dangling_files_are_quarantined(tmp_path):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    jsonl(tmp_path, [{"id": 1, "time": T}])
    (tmp_path / "gone.jsonl").symlink_to(tmp_path / "nowhere" / "x.jsonl")
    locked = jsonl(tmp_path, [{"id": 2, "time": T}], "locked.jsonl")
    locked.chmod(0)
    try:
        res = ingest.read(tmp_path)
    finally:
        locked.chmod(0o644)
    balanced(res)
    got = dict(zip(res.quarantine["source_file"].map_elements(lambda s: Path(s).name, pl.Utf8),
                   res.quarantine["reason"], strict=True))
    assert got["gone.jsonl"] in ("unreadable_file", "outside_folder")
    if os.geteuid() != 0:  # root reads anything
        assert got["locked.jsonl"] == "unreadable_file"


def test_a_folder_named_like_a_data_file_is_skipped(tmp_path):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    jsonl(tmp_path, [{"id": 1, "time": T}])
    (tmp_path / "dir.jsonl").mkdir()
    res = ingest.read(tmp_path)
    assert balanced(res)["read"] == 1


# ---------------------------------------------------------------- mapping features


def test_time_from_snowflake(tmp_path):
    mapping(tmp_path, "csv", "*.csv", {"post_id": "id", "text": "text"}, time_from="snowflake")
    (tmp_path / "a.csv").write_text("id,text\n324542345000448000,boston\n12,too small\nabc,no id\n", "utf-8")
    res = ingest.read(tmp_path)
    balanced(res)
    assert res.posts["created_at"].item() == datetime(2013, 4, 17, 15, 18, 19, 410000, tzinfo=UTC)
    assert reasons(res) == {1: "missing_timestamp", 2: "missing_timestamp"}
    assert "snowflake" in res.quarantine["detail"][0]


def test_time_from_snowflake_fills_only_missing_times(tmp_path):
    mapping(tmp_path, "csv", "*.csv", {"post_id": "id", "created_at": "t"}, time_from="snowflake")
    (tmp_path / "a.csv").write_text(f"id,t\n324542345000448000,{T}\n324542345000448001,\n", "utf-8")
    res = ingest.read(tmp_path)
    assert [t.year for t in res.posts["created_at"]] == [2024, 2013]


@pytest.mark.parametrize(("value", "ok"), [
    (1714531200, True), (1714531200123, True), (1714531200123456, True), (1714531200123456789, True),
    (17145312001234567890, False), (-1714531200, False), (99999999999, False)])
def test_epoch_units_by_magnitude_with_bounds(tmp_path, value, ok):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    jsonl(tmp_path, [{"id": 1, "time": value}])
    res = ingest.read(tmp_path)
    balanced(res)
    if ok:
        assert res.posts["created_at"].item().replace(microsecond=0).isoformat() == "2024-05-01T02:40:00+00:00"
    else:
        assert res.quarantine["reason"].item() in ("implausible_timestamp", "bad_timestamp")


def test_strip_quotes_filter_and_label_from(tmp_path):
    mapping(tmp_path, "csv", "*.csv", {"post_id": "id", "created_at": "t", "likes": "n"},
            strip_quotes=True, filter="label == on-topic", label_from="file_name")
    (tmp_path / "2013_Flood-tweets.csv").write_text(
        f"id,t,n,label\n'3254',{T},'7',on-topic\n\"3255\",{T},8,off-topic\n3256,{T},9,\n", "utf-8")
    res = ingest.read(tmp_path)
    balanced(res)
    row = res.posts.row(0, named=True)
    assert (row["post_id"], row["likes"], row["event_label"]) == ("forum:3254", 7, "2013_Flood-tweets")
    assert reasons(res) == {1: "filtered", 2: "filtered"}
    assert "off-topic" in res.quarantine["detail"][0] and "label == on-topic" in res.quarantine["detail"][0]


@pytest.mark.parametrize(("spec", "kept"), [
    ("label != on-topic", {"2"}), ("label in on-topic, maybe", {"1"}), ("label not in on-topic", {"2"}),
    ("label contains topic", {"1", "2"}), ("label matches ^off", {"2"})])
def test_filter_ops(tmp_path, spec, kept):
    mapping(tmp_path, "jsonl", "*.jsonl", COLS, filter=spec)
    jsonl(tmp_path, [{"id": 1, "time": T, "label": "on-topic"}, {"id": 2, "time": T, "label": "off-topic"}])
    res = ingest.read(tmp_path)
    balanced(res)
    assert {p.split(":")[1] for p in res.posts["post_id"]} == kept


@pytest.mark.parametrize(("extra", "message"), [
    ({"time_from": "sunrise"}, "time_from"), ({"label_from": "moon"}, "label_from"),
    ({"filter": "label ~ x"}, "filter"), ({"filter": "label matches ("}, "regular expression"),
    ({"strip_quotes": ["nope"]}, "strip_quotes"), ({"strip_quotes": 3}, "strip_quotes")])
def test_bad_feature_keys_fail_naming_the_file(tmp_path, extra, message):
    path = mapping(tmp_path, "jsonl", "*.jsonl", COLS, **extra)
    with pytest.raises(MappingError, match=message) as err:
        load_mapping(path)
    assert str(path) in str(err.value)


def test_created_at_may_be_left_to_time_from_only(tmp_path):
    with pytest.raises(MappingError, match="time_from"):
        load_mapping(mapping(tmp_path, "csv", "*.csv", {"post_id": "id"}))
    assert load_mapping(mapping(tmp_path, "csv", "*.csv", {"post_id": "id"}, time_from="snowflake")).time_from


def test_crisislex_dates_tweets_from_their_ids(tmp_path):
    event = tmp_path / "2013_Boston_bombings"
    event.mkdir()
    (event / "2013_Boston_bombings-tweets_labeled.csv").write_text(
        "Tweet ID, Tweet Text, Information Source\n"
        '"324542345000448000","boston",Media\n"77","pre-snowflake id",Media\n', "utf-8")
    res = ingest.read(tmp_path)
    balanced(res)
    assert res.posts["created_at"].item().isoformat() == "2013-04-17T15:18:19.410000+00:00"
    assert res.quarantine["reason"].to_list() == ["missing_timestamp"]
    assert "not a Twitter snowflake" in res.quarantine["detail"].item()


def test_an_unexpected_error_names_the_file(tmp_path, monkeypatch):
    from workbench.ingest import mapped
    from workbench.ingest.files import IngestFileError

    mapping(tmp_path, "jsonl", "*.jsonl", COLS)
    path = jsonl(tmp_path, [{"id": 1, "time": T}])

    def broken(*args, **kwargs):  # stands for a bug in a reader, which bad data never reaches
        raise KeyError("boom")

    monkeypatch.setattr(mapped, "_jsonl", broken)
    monkeypatch.setitem(mapped.TEXT_READERS, "jsonl", broken)
    with pytest.raises(IngestFileError, match=str(path)):
        ingest.read(tmp_path)


def test_parquet_filter_on_a_boolean_or_number_column(tmp_path):
    mapping(tmp_path, "parquet", "*.parquet", {"post_id": "id", "created_at": "ts"}, filter=["keep == true", "n in 1, 2"])
    pl.DataFrame({"id": ["a", "b", "c"], "ts": [T] * 3, "keep": [True, False, True], "n": [1, 1, 3]}).write_parquet(
        tmp_path / "a.parquet")
    res = ingest.read(tmp_path)
    balanced(res)
    assert res.posts["post_id"].to_list() == ["forum:a"]
    assert reasons(res) == {1: "filtered", 2: "filtered"}
