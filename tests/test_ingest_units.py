"""Building blocks: decoding, time parsing, root resolution, dedup, CED single files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from workbench import ingest
from workbench.ingest.dedup import collapse, mark_near_duplicates
from workbench.ingest.encoding import DecodeError, decode
from workbench.ingest.times import parse_text
from workbench.ingest.trees import resolve_roots
from workbench.schema import POST_SCHEMA, conform

CED = Path(__file__).parent / "fixtures" / "ingest" / "ced" / "CED_Dataset"


def test_decode_accepts_utf8_bom_and_gb18030_and_rejects_the_rest():
    text = "网络舆情 — 测试"
    assert decode(text.encode("utf-8"), "a") == (text, "utf-8")
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "a") == (text, "utf-8-sig")
    assert decode(text.encode("gb18030"), "a") == (text, "gb18030")
    assert decode("简体中文".encode("gbk"), "a") == ("简体中文", "gb18030")
    with pytest.raises(DecodeError, match="bad.txt"):
        decode(b"\xff\xfe\x80\xff", "bad.txt")
    with pytest.raises(DecodeError, match="UTF-16"):
        decode("x".encode("utf-16"), "u16.txt")
    with pytest.raises(DecodeError, match="forced.txt"):
        decode(text.encode("gb18030"), "forced.txt", "utf-8")


@pytest.mark.parametrize(
    ("text", "tz", "fmt", "expected"),
    [
        ("2024-05-01 08:00:00", "Asia/Shanghai", None, "2024-05-01T00:00:00+00:00"),
        ("2024-05-01T08:00:00.250", "UTC", None, "2024-05-01T08:00:00.250000+00:00"),
        ("2024-05-01T08:00:00Z", "Asia/Shanghai", None, "2024-05-01T08:00:00+00:00"),
        ("2024-05-01T08:00:00+08:00", "UTC", None, "2024-05-01T00:00:00+00:00"),
        ("2024-05-01", "UTC", None, "2024-05-01T00:00:00+00:00"),
        ("1714531200", "Asia/Shanghai", None, "2024-05-01T02:40:00+00:00"),
        ("1714531200.5", "UTC", None, "2024-05-01T02:40:00.500000+00:00"),
        ("Mon May 27 12:07:05 +0800 2013", "UTC", None, "2013-05-27T04:07:05+00:00"),
        ("2024年05月01日 09:15", "Asia/Shanghai", "%Y年%m月%d日 %H:%M", "2024-05-01T01:15:00+00:00"),
        ("2024-02-30 10:00:00", "UTC", None, None),
        ("yesterday", "UTC", None, None),
    ],
)
def test_parse_text(text, tz, fmt, expected):
    got = pl.select(parse_text(pl.lit(text), tz, fmt)).item()
    assert (got.isoformat() if got else None) == expected


def _posts(rows):
    return conform(pl.DataFrame(rows, schema={"post_id": pl.Utf8, "parent_id": pl.Utf8, "root_id": pl.Utf8,
                                              "text": pl.Utf8}, orient="row"), POST_SCHEMA).with_columns(
        pl.lit(datetime(2024, 1, 1, tzinfo=UTC)).alias("created_at"))


def test_resolve_roots_follows_chains_and_stops_on_cycles():
    posts = _posts([
        ("a", None, None, ""), ("b", "a", None, ""), ("c", "b", None, ""), ("d", "c", None, ""),
        ("e", "missing", None, ""), ("f", "x", "given", ""), ("g", "h", None, ""), ("h", "g", None, ""),
    ])
    roots = dict(zip(*resolve_roots(posts).select("post_id", "root_id").to_dict(as_series=False).values(), strict=True))
    assert roots == {"a": "a", "b": "a", "c": "a", "d": "a", "e": "missing", "f": "given", "g": "h", "h": "g"}


def test_collapse_keeps_first_and_returns_dropped():
    posts = _posts([("a", None, None, "1"), ("b", None, None, "2"), ("a", None, None, "3")])
    kept, dropped = collapse(posts)
    assert kept["text"].to_list() == ["1", "2"] and dropped["text"].to_list() == ["3"]
    kept, dropped = collapse(posts.head(2))
    assert kept.height == 2 and dropped.height == 0


def test_near_duplicates_marked_not_deleted():
    posts = _posts([
        ("a", None, None, "RT @x: Flood waters rising downtown! http://t.co/1"),
        ("b", None, None, "flood waters rising   downtown"),
        ("c", None, None, "转发微博"), ("d", None, None, "转发微博"),
    ])
    out = mark_near_duplicates(posts)
    assert out.height == 4
    assert out["near_duplicate_of"].to_list() == [None, "a", None, None]  # short texts never marked


def test_ced_single_files():
    orig = ingest.read(CED / "original-microblog" / "1_AAAAAAAA1_1111111111.json")
    assert orig.posts["post_id"].to_list() == ["weibo:AAAAAAAA1"]
    assert orig.posts["event_label"].to_list() == ["rumor/1_AAAAAAAA1"]
    reposts = ingest.read(CED / "rumor-repost" / "1_AAAAAAAA1_1111111111.json")
    assert reposts.report["total"]["read"] == 8
    assert set(reposts.posts["root_id"]) == {"weibo:AAAAAAAA1"}
    # the year-less dates still use the sibling original's time
    assert "weibo:R1c" in reposts.posts["post_id"].to_list()


def test_a_file_named_twice_is_read_once():
    fix = CED.parent.parent
    once = ingest.read(fix / "ced").report["total"]
    for paths in ([fix / "ced", CED / "rumor-repost" / "1_AAAAAAAA1_1111111111.json"],
                  [CED / "rumor-repost" / "1_AAAAAAAA1_1111111111.json", fix / "ced"]):
        assert ingest.read(paths).report["total"] == once
    forum = fix / "mapped" / "forum_bom.jsonl"
    assert ingest.read([forum, forum]).report["total"]["read"] == 1
