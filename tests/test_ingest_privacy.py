"""Pseudonymisation: no author id or name survives in anything written."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from workbench import ingest
from workbench.ingest.privacy import REDACTED, pseudonym

FIX = Path(__file__).parent / "fixtures" / "ingest"
SALT = "s3cret-salt"


@pytest.fixture(scope="module")
def plain():
    return ingest.read([FIX / "ced", FIX / "mapped"])


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("private")
    ingest.write(ingest.read([FIX / "ced", FIX / "mapped"], pseudonymise_salt=SALT), out)
    return out


def _author_ids(result) -> set[str]:
    ids = set(result.posts["author_id"].drop_nulls())
    ids |= {p.stem.split("_", 2)[2] for p in (FIX / "ced" / "CED_Dataset").rglob("*.json")}
    return ids


def test_author_ids_hashed_names_dropped(plain):
    private = ingest.read([FIX / "ced", FIX / "mapped"], pseudonymise_salt=SALT)
    assert private.posts["post_id"].to_list() == plain.posts["post_id"].to_list()
    assert private.posts["author_name"].null_count() == private.posts.height
    expected = [None if a is None else pseudonym(a, SALT) for a in plain.posts["author_id"]]
    assert private.posts["author_id"].to_list() == expected
    assert private.posts["author_id"].drop_nulls().str.starts_with("a_").all()
    # the same author keeps the same pseudonym; another salt gives another one
    assert pseudonym("501", SALT) == pseudonym("501", SALT) != pseudonym("501", "other")
    # parent/root ids are post ids and are kept
    assert private.posts["parent_id"].to_list() == plain.posts["parent_id"].to_list()
    assert private.posts["root_id"].to_list() == plain.posts["root_id"].to_list()


def test_nothing_written_contains_an_author_id(plain, written):
    ids = _author_ids(plain) | set(plain.posts["author_name"].drop_nulls())
    ids = {i for i in ids if len(i) >= 5 or not i.isascii()}  # short digit ids are checked above
    assert "some_screen_name" in ids and "1111111111" in ids and "张三" in ids
    posts = ingest.load(written).collect()
    quarantine = ingest.load_quarantine(written).collect()
    texts = []
    for frame in (posts.drop("text"), quarantine):  # post text is content and is kept
        for name, dtype in frame.schema.items():
            if dtype == pl.Utf8:
                texts += frame[name].drop_nulls().to_list()
    texts.append((written / "report.json").read_text("utf-8"))
    blob = "\n".join(texts)
    leaked = sorted(i for i in ids if i in blob)
    assert leaked == []
    assert set(quarantine["raw"].drop_nulls()) == {REDACTED}
    assert ingest.load_report(written)["pseudonymised"] is True


def test_pseudonymised_ced_file_names_still_locate_the_event(written):
    posts = ingest.load(written).collect()
    f = posts.filter(pl.col("post_id") == "weibo:AAAAAAAA1")["source_file"].item()
    assert "1_AAAAAAAA1_" in f and "1111111111" not in f
    assert f.endswith(f"1_AAAAAAAA1_{pseudonym('1111111111', SALT)}.json")


def test_bad_author_values_are_not_quoted_when_pseudonymised(tmp_path):
    (tmp_path / "m.mapping.yaml").write_text(
        "name: m\nformat: jsonl\nfiles: '*.jsonl'\nplatform: forum\n"
        "columns:\n  post_id: id\n  created_at: t\n  author_id: who\n  url: link\n  author_name: nick\n",
        "utf-8")
    (tmp_path / "a.jsonl").write_text(
        '{"id": 1, "t": "2024-01-01", "who": {"secret": "alice-123"}}\n'
        '{"id": 2, "t": "2024-01-01", "who": "bob-456", "nick": "bobby", "link": "http://x/bobby/2"}\n',
        "utf-8")
    res = ingest.read(tmp_path, pseudonymise_salt=SALT)
    assert "alice-123" not in res.quarantine.write_csv()
    assert res.quarantine["reason"].to_list() == ["bad_type:author_id"]
    assert res.posts["url"].to_list() == [None]  # the url held the author's name
    assert res.posts["author_id"].to_list() == [pseudonym("bob-456", SALT)]
