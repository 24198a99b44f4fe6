"""Nature category with evidence and confidence; affected subject; lexicon validation."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from workbench.findings import lexicons, nature


def _ev(groups: dict[str, list[str]]) -> pl.LazyFrame:
    rows = [(e, f"{e}:{i}", t) for e, texts in groups.items() for i, t in enumerate(texts)]
    return pl.LazyFrame(rows, schema={"event_id": pl.Utf8, "post_id": pl.Utf8,
                                      "text": pl.Utf8}, orient="row")


def test_nature_evidence_and_confidence(lex):
    ev = _ev({
        "quake": ["四川发生6.2级地震，震中附近房屋倒塌", "地震后余震不断", "为地震灾区祈福"],
        "food": ["某品牌奶粉被曝质量问题，公司回应召回", "消费者维权难"],
        "flood_en": ["Massive flooding in Calgary", "Flood waters rising", "Praying for all"],
        "none": ["今天吃了什么"],
    })
    out = {r["event_id"]: r for r in nature.per_event(ev, lex).collect().iter_rows(named=True)}
    q = out["quake"]
    assert q["nature"] == "natural"
    assert q["nature_evidence"][0] == "地震"  # in 3 posts
    # natural: 地震 x3, 余震, 震中, 灾区 = 6; social: 倒塌 = 1 -> (6 + 1) / (7 + 5)
    assert q["nature_confidence"] == pytest.approx(7 / 12)
    assert out["food"]["nature"] == "economic"
    assert out["food"]["affected_subject"] == "enterprise"
    assert out["flood_en"]["nature"] == "natural"
    assert out["none"]["nature"] == "uncertain"  # no word: the findings do not guess
    assert out["none"]["nature_confidence"] == 0.0
    assert out["none"]["nature_evidence"] == []
    assert out["none"]["affected_subject"] == "unknown"


def test_subject_government(lex):
    ev = _ev({"e": ["城管打人，当地政府回应", "某局长被免职", "网友质疑"]})
    out = nature.per_event(ev, lex).collect().row(0, named=True)
    assert out["affected_subject"] == "government"
    assert out["nature"] == "political"


def test_longest_word_wins(lex):
    # 森林火灾 (natural) must not also count as 火灾 (social)
    ev = _ev({"e": ["大兴安岭森林火灾"]})
    out = nature.per_event(ev, lex, min_confidence=0.0).collect().row(0, named=True)
    assert out["nature"] == "natural" and out["nature_evidence"] == ["森林火灾"]


def test_bad_lexicon_is_named(tmp_path: Path):
    folder = tmp_path / "lex"
    shutil.copytree(lexicons.find_lexicon_dir(), folder)
    text = (folder / "nature.yaml").read_text("utf-8").replace("  natural:", "  weather:")
    (folder / "nature.yaml").write_text(text, "utf-8")
    with pytest.raises(lexicons.LexiconError, match=r"nature\.yaml.*weather"):
        lexicons.load(folder)
    (folder / "nature.yaml").write_text("categories: [1, 2", "utf-8")
    with pytest.raises(lexicons.LexiconError, match="not valid YAML"):
        lexicons.load(folder)


def test_weak_or_split_vote_is_uncertain(lex):
    ev = _ev({
        "one_word": ["大兴安岭森林火灾"],  # one word: (1 + 1) / (1 + 5) = 0.33
        "split": ["股市大跌，政府出手", "股价暴跌，官员表态", "市场恐慌，政策救市"],
    })
    out = {r["event_id"]: r for r in nature.per_event(ev, lex).collect().iter_rows(named=True)}
    assert out["one_word"]["nature"] == "uncertain"
    assert out["one_word"]["nature_evidence"] == ["森林火灾"]  # the evidence is still shown
    assert out["split"]["nature"] == "uncertain"
    assert out["split"]["nature_confidence"] < 0.4
