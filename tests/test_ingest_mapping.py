"""Mapping files: the contract is exact, bad mappings fail naming the file, single files work."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench import ingest
from workbench.ingest import mapped
from workbench.ingest.mapped import MappingError, load_mapping

FIX = Path(__file__).parent / "fixtures" / "ingest" / "mapped"
EXAMPLES = Path(ingest.__file__).parent / "mappings"

GOOD = """\
name: sim_weibo
format: jsonl
files: "weibo*.jsonl"
platform: weibo
timezone: Asia/Shanghai
time_format: null
encoding: null
columns:
  post_id: id
  created_at: time
  text: content
  author_id: user.id
  author_name: user.name
  author_followers: user.followers
  author_verified: user.verified
  author_type: user.type
  parent_id: parent
  root_id: root
  kind: kind
  reposts: reposts
  comments: comments
  likes: likes
  url: url
  lang: lang
  event_label: truth_event
"""


def test_the_contract_example_loads(tmp_path):
    path = tmp_path / "sim.mapping.yaml"
    path.write_text(GOOD, "utf-8")
    m = load_mapping(path)
    assert (m.name, m.format, m.files, m.platform, m.timezone) == (
        "sim_weibo", "jsonl", ("weibo*.jsonl",), "weibo", "Asia/Shanghai")
    assert m.columns["author_id"] == "user.id" and len(m.columns) == 17


def test_contract_example_reads_simulator_style_data(tmp_path):
    (tmp_path / "sim.mapping.yaml").write_text(GOOD, "utf-8")
    (tmp_path / "weibo_001.jsonl").write_text(
        '{"id": 1, "time": "2024-06-01T08:00:00", "content": "原帖", "user": {"id": "u1", "name": "A",'
        ' "followers": 10, "verified": true, "type": "government"}, "kind": "original",'
        ' "reposts": 3, "comments": 1, "likes": 0, "lang": "zh", "truth_event": "E1"}\n'
        '{"id": 2, "time": 1717200000, "content": "转发", "user": {"id": "u2"}, "parent": 1,'
        ' "kind": "repost", "truth_event": "E1"}\n'
        '{"id": "weibo:3", "time": "2024-06-01 09:00:00", "content": "", "user": {"id": "u3"},'
        ' "parent": "weibo:2", "kind": "repost", "truth_event": "E1"}\n', "utf-8")
    res = ingest.read(tmp_path)
    posts = {r["post_id"]: r for r in res.posts.iter_rows(named=True)}
    assert set(posts) == {"weibo:1", "weibo:2", "weibo:3"}  # no double prefix
    assert posts["weibo:1"]["created_at"].isoformat() == "2024-06-01T00:00:00+00:00"
    assert posts["weibo:3"]["root_id"] == "weibo:1" and posts["weibo:2"]["parent_id"] == "weibo:1"
    assert posts["weibo:1"]["source"] == "sim_weibo" and posts["weibo:1"]["event_label"] == "E1"
    assert posts["weibo:1"]["author_verified"] is True and posts["weibo:1"]["reposts"] == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t + "extra_key: 1\n", "unknown key(s) ['extra_key']"),
        (lambda t: t.replace("  lang: lang\n", "  language: lang\n"), "unknown column(s) ['language']"),
        (lambda t: t.replace("  lang: lang\n", "  source_row: line\n"), "unknown column(s) ['source_row']"),
        (lambda t: t.replace("format: jsonl", "format: xml"), "format 'xml'"),
        (lambda t: t.replace("platform: weibo\n", ""), "no platform"),
        (lambda t: t.replace("platform: weibo", "platform: myspace"), "platform 'myspace'"),
        (lambda t: t.replace("Asia/Shanghai", "Mars/Olympus"), "unknown timezone"),
        (lambda t: t.replace("  post_id: id\n", ""), "columns.post_id is required"),
        (lambda t: t.replace("encoding: null", "encoding: klingon"), "unknown encoding"),
        (lambda t: t.replace("name: sim_weibo\n", ""), "missing required key(s) ['name']"),
        (lambda t: "- just\n- a list\n", "must be a YAML mapping"),
    ],
)
def test_bad_mapping_files_fail_naming_the_file(tmp_path, change, message):
    path = tmp_path / "broken.mapping.yaml"
    path.write_text(change(GOOD), "utf-8")
    with pytest.raises(MappingError) as err:
        load_mapping(path)
    assert str(path) in str(err.value) and message in str(err.value)
    with pytest.raises(MappingError, match="broken.mapping.yaml"):
        ingest.read(tmp_path)


def test_example_mappings_are_valid():
    names = {load_mapping(p).name for p in EXAMPLES.glob("*.mapping.yaml")}
    assert names == {"news_export", "forum_crawl", "search_results"}


def test_single_file_uses_the_mapping_beside_it():
    res = ingest.read(FIX / "forum_bom.jsonl")
    assert res.posts["post_id"].to_list() == ["forum:b1"]
    assert res.posts["source"].to_list() == ["test_forum"]
    assert list(res.report["files"]) == [str(FIX / "forum_bom.jsonl")]
    # a mapping in a parent folder whose glob does not reach into exports/ does not claim it
    assert mapped.mapping_for(FIX / "exports" / "wechat_2024.parquet") == FIX / "exports" / "wechat.mapping.yaml"


def test_read_mapping_restricted_to_files():
    res = ingest.read_mapping(FIX / "forum.mapping.yaml", [FIX / "forum_bom.jsonl", FIX / "forum_empty.jsonl"])
    assert res.report["total"] == {"read": 2, "accepted": 1, "quarantined": 1, "duplicates": 0, "balanced": True}
    with pytest.raises(MappingError, match="does not describe"):
        ingest.read_mapping(FIX / "forum.mapping.yaml", [FIX / "news_gbk.csv"])


def test_unclaimed_inputs_are_errors(tmp_path):
    stray = tmp_path / "stray.csv"
    stray.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(ValueError, match="stray.csv"):
        ingest.read(stray)
    with pytest.raises(ValueError, match="no \\*.mapping.yaml"):
        ingest.read(tmp_path)
    with pytest.raises(FileNotFoundError, match="nowhere"):
        ingest.read(tmp_path / "nowhere")


def test_mapping_matching_nothing_is_noted(tmp_path):
    (tmp_path / "sim.mapping.yaml").write_text(GOOD, "utf-8")
    res = ingest.read(tmp_path)
    assert res.posts.height == 0 and res.report["total"]["read"] == 0
    assert any("matched nothing" in n for n in res.report["notes"])


def test_time_format_and_timezone(tmp_path):
    (tmp_path / "t.mapping.yaml").write_text(
        "name: t\nformat: csv\nfiles: '*.csv'\nplatform: news\ntimezone: America/New_York\n"
        "time_format: '%d/%m/%Y %H:%M'\ncolumns:\n  post_id: id\n  created_at: when\n", "utf-8")
    (tmp_path / "a.csv").write_text("id,when\n1,01/07/2024 12:00\n2,2024-07-01 12:00\n", "utf-8")
    res = ingest.read(tmp_path)
    assert res.posts["created_at"].to_list()[0].isoformat() == "2024-07-01T16:00:00+00:00"  # EDT
    assert res.quarantine["reason"].to_list() == ["bad_timestamp"]


def test_parquet_with_wrong_types_and_unreadable_parquet(tmp_path):
    (tmp_path / "p.mapping.yaml").write_text(
        "name: p\nformat: parquet\nfiles: '*.parquet'\nplatform: other\n"
        "columns:\n  post_id: id\n  created_at: ts\n  likes: likes\n", "utf-8")
    pl.DataFrame({"id": [1, 2], "ts": ["2024-01-01", "2024-01-02"], "likes": [1.0, 2.5]}).write_parquet(
        tmp_path / "a.parquet")
    (tmp_path / "b.parquet").write_bytes(b"not parquet at all")
    res = ingest.read(tmp_path)
    assert res.posts["post_id"].to_list() == ["other:1"]
    assert sorted(res.quarantine["reason"].to_list()) == ["bad_parquet", "bad_type:likes"]
    assert res.report["total"]["balanced"]


def test_the_json_schema_is_in_step_with_the_reader():
    schema = mapped.schema_validator().schema
    assert set(schema["properties"]) == set(mapped.KEYS)
    assert set(schema["required"]) == set(mapped.REQUIRED)
    assert set(schema["properties"]["columns"]["propertyNames"]["enum"]) == set(mapped.MAPPABLE)
    assert set(schema["properties"]["format"]["enum"]) == set(mapped.FORMATS)
    assert set(schema["properties"]["platform"]["enum"]) - {None} == set(mapped.PLATFORMS)
    assert set(schema["properties"]["time_from"]["enum"]) - {None} == set(mapped.TIME_FROM)
    assert set(schema["properties"]["label_from"]["enum"]) - {None} == set(mapped.LABEL_FROM)
    for example in EXAMPLES.glob("*.mapping.yaml"):
        import yaml

        assert not list(mapped.schema_validator().iter_errors(yaml.safe_load(example.read_text("utf-8"))))
