"""Rumour signals, sensitive mentions and stated casualty counts."""

from __future__ import annotations

import polars as pl
import pytest

from workbench.findings import lexicons, signals


@pytest.fixture(scope="module")
def lex():
    return lexicons.load()


def _flags(texts: list[str], lex, **cols) -> pl.DataFrame:
    n = len(texts)
    frame = pl.LazyFrame(
        {
            "event_id": cols.get("event_id", ["E"] * n),
            "post_id": [f"p{i}" for i in range(n)],
            "text": texts,
            "is_official": cols.get("is_official", [False] * n),
            "author_verified": cols.get("author_verified", [None] * n),
        },
        schema_overrides={"author_verified": pl.Boolean, "text": pl.Utf8},
    )
    return signals.flags(frame, lex).collect()


@pytest.mark.parametrize(
    ("token", "value"),
    [("3", 3), ("1,200", 1200), ("十", 10), ("十二", 12), ("二十三", 23), ("两", 2),
     ("一百零五", 105), ("三万", 30000), ("两千三百", 2300), ("数", None), ("", None)],
)
def test_parse_number(token, value):
    assert signals.parse_number(token) == value


@pytest.mark.parametrize(
    ("text", "deaths", "injuries"),
    [
        ("事故已造成3人死亡", 3, None),
        ("截至目前死亡3人，受伤12人", 3, 12),
        ("车祸致5死", 5, None),
        ("爆炸造成12人受伤", None, 12),
        ("三人遇难，十二人受伤", 3, 12),
        ("遇难人数升至27人", 27, None),
        ("事故致3死5伤", 3, 5),
        ("2013年4月20日，天气晴", None, None),
        ("Flood waters rising, 2 people dead and 5 injured", 2, 5),
        ("Death toll rises to 40 after the quake", 40, None),
        ("Inundaciones: 3 muertos y 20 heridos", 3, 20),
        ("今天很开心", None, None),
        (None, None, None),
    ],
)
def test_stated_casualties(text, deaths, injuries, lex):
    row = _flags([text], lex).row(0, named=True)
    assert row["deaths"] == deaths
    assert row["injuries"] == injuries


def test_largest_count_wins_and_absurd_counts_ignored(lex):
    row = _flags(["网传死亡10人，官方称死亡3人；另有13800138000人受伤"], lex).row(0, named=True)
    assert row["deaths"] == 10
    assert row["injuries"] is None


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
    assert out["rumour_signals"] == 3
    assert out["rumour_share"] == pytest.approx(3 / 6)
    assert out["debunked"] is True
    assert out["mentions_officials"] == 2
    assert out["mentions_minors"] == 1
    assert "儿童" in out["sensitive_terms"] and "hoax" not in out["sensitive_terms"]


def test_debunk_by_ordinary_account_is_not_debunked(lex):
    f = _flags(["这是谣言，假的"], lex, is_official=[False], author_verified=[False])
    out = signals.per_event(f.lazy(), lex).collect().row(0, named=True)
    assert out["rumour_signals"] == 1
    assert out["debunked"] is False


def test_casualty_findings_per_event(lex):
    f = _flags(["事故致3死5伤", "目前已有7人死亡", "伤者已送医"], lex)
    out = signals.per_event(f.lazy(), lex).collect().row(0, named=True)
    assert out["mentions_casualties"] == 3
    assert out["deaths_reported"] == 7
    assert out["injuries_reported"] == 5
    assert out["casualties_reported"] == 7
