"""Rumour and debunking signals, sensitive mentions (casualty counts: test_findings_casualties)."""

from __future__ import annotations

import polars as pl
import pytest

from workbench.findings import signals


def _flags(texts: list[str], lex, **cols) -> pl.DataFrame:
    n = len(texts)
    frame = pl.LazyFrame(
        {
            "event_id": cols.get("event_id", ["E"] * n),
            "post_id": [f"p{i}" for i in range(n)],
            "text": texts,
            "is_official": cols.get("is_official", [False] * n),
            "author_verified": cols.get("author_verified", [None] * n),
            "author_id": cols.get("author_id", [f"a{i}" for i in range(n)]),
            "author_type": [None] * n,
            "near_duplicate_of": [None] * n,
            "created_at": [None] * n,
        },
        schema_overrides={"author_verified": pl.Boolean, "text": pl.Utf8,
                          "author_type": pl.Utf8, "near_duplicate_of": pl.Utf8,
                          "created_at": pl.Datetime("us", "UTC")},
    )
    return signals.flags(frame, lex).collect()


def test_rumour_and_sensitive_flags(lex):
    texts = [
        "网传某地发生爆炸，未经证实",  # rumour
        "官方辟谣：系谣言",  # rumour + debunk (official)
        "某局长被查，涉及多名官员",  # officials
        "幼儿园儿童食物中毒",  # minors
        "Police say the dam story is a HOAX",  # English rumour, officials
        "今天天气不错",
    ]
    f = _flags(texts, lex, is_official=[False, True, False, False, False, False])
    assert f["rumour"].to_list() == [True, True, False, False, True, False]
    assert f["debunk"].to_list() == [False, True, False, False, True, False]
    assert f["sens_officials"].to_list() == [False, False, True, False, True, False]
    assert f["sens_minors"].to_list() == [False, False, False, True, False, False]
    out = signals.per_event(f.lazy(), lex).collect().row(0, named=True)
    assert out["rumour_signals"] == 1  # the two debunking posts do not spread the rumour
    assert out["rumour_share"] == pytest.approx(1 / 6)
    assert out["debunk_posts"] == 2
    assert out["debunked"] is True and out["debunked_by"] == "official"
    assert out["mentions_officials"] == 2
    assert out["mentions_minors"] == 1
    assert "儿童" in out["sensitive_terms"] and "hoax" not in out["sensitive_terms"]


def test_one_ordinary_debunker_is_not_a_debunking(lex):
    f = _flags(["这是谣言，假的"], lex, is_official=[False], author_verified=[False])
    out = signals.per_event(f.lazy(), lex).collect().row(0, named=True)
    assert (out["rumour_signals"], out["debunk_posts"]) == (0, 1)
    assert out["debunked"] is False and out["debunked_by"] == "none"


def test_the_crowd_debunks_a_spoof(lex):
    # a spoof death: some ask, more reposters say it is fake -> debunked by the crowd
    texts = ["网传歌手王某去世，是真的吗"] * 4 + ["又被死亡了，是假的", "恶搞，P图", "旧闻，别信",
                                              "假的，本人刚发了微博"]
    f = _flags(texts, lex)
    out = signals.per_event(f.lazy(), lex).collect().row(0, named=True)
    assert (out["rumour_signals"], out["debunk_posts"]) == (4, 4)
    assert out["debunked_by"] == "crowd" and out["debunked"] is True
    # the same words from one author only are not a crowd
    f = _flags(texts, lex, author_id=["same"] * len(texts))
    out = signals.per_event(f.lazy(), lex).collect().row(0, named=True)
    assert out["debunked_by"] == "none"


def test_a_few_doubters_among_many_spreaders_are_not_a_debunking(lex):
    texts = ["网传某地发生爆炸，未经证实"] * 40 + ["假的吧", "谣言", "是假的"]
    out = signals.per_event(_flags(texts, lex).lazy(), lex).collect().row(0, named=True)
    assert out["debunked_by"] == "none"  # 3 authors but 3 / 43 < 25%
