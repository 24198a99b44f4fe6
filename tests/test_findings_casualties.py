"""Stated casualty counts: parsing, clauses about other times / places set aside,
corroboration by independent or credible authors, evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from workbench.findings import casualties, compute
from workbench.schema import POST_SCHEMA, conform

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)


def _claims(texts: list[str], lex) -> list:
    frame = pl.DataFrame({"text": texts, "created_at": [T0] * len(texts)},
                         schema={"text": pl.Utf8, "created_at": pl.Datetime("us", "UTC")})
    return casualties.claims(frame, lex).to_list()


def _event(posts: list[tuple[str, str, dict]]) -> dict:
    """Findings of one event from (author, text, extra columns) triples."""
    rows = [{"post_id": f"p{i}", "platform": "weibo", "kind": "original", "text": text,
             "created_at": T0 + timedelta(hours=i), "author_id": author, **extra}
            for i, (author, text, extra) in enumerate(posts)]
    frame = conform(pl.DataFrame(rows, infer_schema_length=None), POST_SCHEMA)
    a = frame.select("post_id", event_id=pl.lit("E"))
    return compute(frame, a).row(0, named=True)


@pytest.mark.parametrize(
    ("token", "value"),
    [("3", 3), ("1,200", 1200), ("十", 10), ("十二", 12), ("二十三", 23), ("两", 2),
     ("一百零五", 105), ("三万", 30000), ("两千三百", 2300), ("数", None), ("", None)],
)
def test_parse_number(token, value):
    assert casualties.parse_number(token) == value


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
        ("Flood waters rising, 2 people dead and 5 injured", 2, 5),
        ("Death toll rises to 40 after the quake", 40, None),
        ("Inundaciones: 3 muertos y 20 heridos", 3, 20),
    ],
)
def test_stated_counts(text, deaths, injuries, lex):
    (claims,) = _claims([text], lex)
    assert max((c["deaths"] or 0) for c in claims) == (deaths or 0)
    assert max((c["injuries"] or 0) for c in claims) == (injuries or 0)
    assert all(c["set_aside"] is None for c in claims)


@pytest.mark.parametrize("text", ["2013年4月20日，天气晴", "今天很开心", None,
                                  "另有13800138000人受伤"])
def test_no_count(text, lex):
    assert _claims([text], lex) == [None]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1976年唐山大地震24万人遇难，不能忘记", "elsewhen"),
        ("Worst flood since 1947, when 1200 people died", "elsewhen"),
        ("In 1900 the Galveston storm left 8000 dead", "elsewhen"),
        ("去年同一路段车祸致5人死亡", "elsewhen"),
        ("271 people were killed in Iraq last month", "elsewhen"),
        ("与当年相比，这次死亡10人已经很少", "elsewhen"),
        ("相比之下，那次事故造成30人死亡", "comparison"),
    ],
)
def test_counts_about_other_times_are_set_aside(text, reason, lex):
    (claims,) = _claims([text], lex)
    assert claims and {c["set_aside"] for c in claims} == {reason}


def test_todays_date_does_not_set_a_count_aside(lex):
    (claims,) = _claims(["2026年3月1日上午，海城化工厂爆炸已造成12人死亡"], lex)
    assert [(c["deaths"], c["set_aside"]) for c in claims] == [(12, None)]


def test_only_the_clause_with_the_history_is_set_aside(lex):
    (claims,) = _claims(["化工厂爆炸已致3人死亡。1976年那次地震死亡24万人"], lex)
    assert sorted((c["deaths"], c["set_aside"] or "") for c in claims) == [
        (3, ""), (240000, "elsewhen")]


def test_one_stray_post_does_not_set_the_count():
    f = _event([("a1", "化工厂爆炸，有人受伤", {}), ("a2", "网传已经死亡500人", {}),
                ("a3", "现场已致3人死亡", {}), ("a4", "目前确认3人死亡", {})])
    assert f["deaths_reported"] == 3  # 500 by one unverified author only
    assert set(f["deaths_evidence"]) == {"p2", "p3"} or set(f["deaths_evidence"]) >= {"p2", "p3"}


def test_a_credible_account_counts_alone():
    f = _event([("news", "海城化工厂爆炸已造成12人死亡", {"author_verified": True,
                                                  "author_type": "media"}),
                ("a2", "太可怕了", {})])
    assert f["deaths_reported"] == 12 and f["deaths_evidence"] == ["p0"]


def test_copies_are_not_independent():
    f = _event([("a1", "现场已致30人死亡", {}),
                ("a2", "现场已致30人死亡", {"near_duplicate_of": "p0"}),
                ("a3", "RT @a1: 现场已致30人死亡", {})])
    assert f["deaths_reported"] is None


def test_rising_toll_takes_the_latest_corroborated_count():
    f = _event([("a1", "事故已致3人死亡", {}), ("a2", "事故已致3人死亡", {}),
                ("a3", "死亡人数升至8人", {}), ("a4", "死亡人数升至8人", {}),
                ("gov", "截至目前，事故共造成15人遇难", {"author_type": "government"})])
    assert f["deaths_reported"] == 15 and f["deaths_evidence"] == ["p4"]


def test_a_count_about_another_country_is_set_aside():
    texts = (["Colorado floods: 3 people dead, hundreds evacuated in Colorado",
              "Boulder flooding in Colorado, 3 dead so far"]
             + ["Praying for Colorado", "Stay safe Boulder", "Roads closed near Lyons"] * 8
             + ["Meanwhile 271 people were killed in Iraq and nobody cares",
                "271 killed in Iraq, 271 killed in Iraq"])
    f = _event([(f"a{i}", t, {}) for i, t in enumerate(texts)])
    assert f["deaths_reported"] == 3
    assert f["casualty_claims_set_aside"] == 2


def test_deaths_and_injuries_are_separate():
    f = _event([("news", "事故造成2人死亡，150人受伤", {"author_verified": True})])
    assert (f["deaths_reported"], f["injuries_reported"], f["casualties_reported"]) == (2, 150, 150)


def test_the_same_words_copied_by_many_accounts_are_one_source():
    # a viral rumour: 30 accounts paste the same claim (some as a quoted '@name: ...')
    rows = [(f"a{i}", "求扩散！水库决堤，遇难540人都不止！", {}) for i in range(20)]
    rows += [(f"b{i}", "@某用户: 求扩散！水库决堤，遇难540人都不止！", {}) for i in range(10)]
    rows += [("c1", "听说有人遇难，具体不清楚", {})]
    assert _event(rows)["deaths_reported"] is None
    # two accounts in their own words do corroborate
    rows += [("d1", "当地确认遇难3人", {}), ("d2", "目前已知3人遇难，仍有人失联", {})]
    assert _event(rows)["deaths_reported"] == 3


def test_a_reminder_of_another_incident_is_set_aside(lex):
    (claims,) = _claims(["海城爆炸致2人死亡。也请大家不要忘记湖北大火烧死14名同胞"], lex)
    assert sorted((c["deaths"], c["set_aside"] or "") for c in claims) == [
        (2, ""), (14, "comparison")]


def test_a_denial_that_quotes_the_rumoured_toll_states_no_count(lex):
    assert _claims(["网传“百余人遇难”系谣言"], lex) == [None]
    (kept,) = _claims(["经核实，爆炸造成2人受伤，网传多人死亡系谣言。"], lex)[0]
    assert kept["set_aside"] is None and kept["injuries"] == 2 and kept["deaths"] is None


def test_an_official_denial_does_not_corroborate_the_rumour_it_quotes():
    gov = {"author_type": "government", "author_verified": True, "is_official": True}
    f = _event([
        ("u1", "听说仓库烧死了一百多个工人", {}),
        ("fire", "临河消防：火灾造成2人轻伤，无人员死亡。网传“百余人遇难”系谣言", gov),
        ("u2", "辟谣了，大家别传了", {}),
    ])
    assert f["deaths_reported"] is None
    assert f["injuries_reported"] == 2


def test_no_casualties_is_not_a_casualty_mention():
    f = _event([(f"u{i}", t, {}) for i, t in enumerate(
        ["龙舟翻了，所有队员都爬上来了，无人受伤", "比赛太精彩了，没有人员伤亡就好",
         "Boat capsized, no one was hurt", "今天的龙舟赛冠军是东湖队"])])
    assert f["mentions_casualties"] == 0
    g = _event([("u1", "事故造成3人受伤", {}), ("u2", "希望伤者早日康复", {})])
    assert g["mentions_casualties"] == 2


def test_a_toll_quoted_from_history_does_not_decide_where_the_event_is():
    media = {"author_type": "media", "author_verified": True}
    posts = [("m", "青岚县地震已造成47人死亡、312人受伤", media)]
    posts += [(f"u{i}", "想起2008年汶川地震，69227人遇难", {}) for i in range(6)]
    f = _event(posts)
    assert f["deaths_reported"] == 47


def test_an_embassy_saying_no_nationals_were_harmed_takes_the_toll_abroad():
    media = {"author_type": "media", "author_verified": True}
    gov = {"author_type": "government", "author_verified": True, "is_official": True}
    f = _event([
        ("m", "Death toll from the Tarsenia earthquake rises to 2,300", media),
        ("e", "中国驻塔尔塞尼亚大使馆：目前暂无中国公民伤亡报告", gov),
        ("u1", "Praying for everyone affected", {}),
    ])
    assert f["nationals_unharmed"] is True
    assert f["domestic_stake"] is False
    # a crowd post saying the same proves nothing
    g = _event([("m", "Death toll rises to 2,300", media), ("u", "听说暂无中国公民伤亡", {})])
    assert g["nationals_unharmed"] is False
