"""grade(): levels, watch, measures and deadlines, trace, versions; engine == reference;
re-running is safe; memory stays flat over many gradings."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from workbench.grading import load_ruleset
from workbench.grading.compile import FactError, fact_from_row
from workbench.grading.engine import GradingEngine
from workbench.grading.grade import grade, level_counts
from workbench.schema import FINDINGS_SCHEMA, GRADING_SCHEMA, conform

ROOT = Path(__file__).parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "findings_small.json"


@pytest.fixture(scope="module")
def rs():
    return load_ruleset(ROOT / "rules")


@pytest.fixture(scope="module")
def findings() -> pl.DataFrame:
    rows = json.loads(FIXTURE.read_text("utf-8"))
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.col("first_seen").str.to_datetime(time_zone="UTC"))
    return conform(frame, FINDINGS_SCHEMA)


def test_levels_watch_and_schema(rs, findings):
    g = grade(findings, rs)
    assert g.schema == GRADING_SCHEMA
    assert g.height == findings.height  # nothing dropped
    lv = dict(zip(g["event_id"], g["level"], strict=True))
    assert lv == {
        "E-casualty": "I",          # >= 30 casualties stated in >= 10 posts
        "E-official": "II",         # hostility towards government
        "E-rumour": "III",          # rumour spreading, not debunked
        "E-quiet": "watch",
        "E-flood": "III",           # >= 2,000 posts, 3 platforms, 30 M reach
        "E-nothing-known": "watch",
    }
    row = g.filter(pl.col("event_id") == "E-quiet").row(0, named=True)
    assert (row["level_rank"], row["level_name"], row["colour"]) == (5, "关注", "none")
    assert row["fired_rules"] == [] and json.loads(row["trace"]) == []
    assert [m["measure"] for m in row["measures"]] == ["monitor"]
    top = g.filter(pl.col("event_id") == "E-casualty").row(0, named=True)
    assert (top["level_name"], top["colour"]) == ("特别重大", "red")
    assert set(g["rules_version"]) == {rs.version} and set(g["rules_hash"]) == {rs.hash}


def test_highest_level_wins_and_trace_has_values(rs, findings):
    g = grade(findings, rs)
    row = g.filter(pl.col("event_id") == "E-casualty").row(0, named=True)
    assert row["fired_rules"][0] == "casualties-i-mass"
    assert {"casualties-ii-serious", "volume-iv-noticeable"} <= set(row["fired_rules"])
    trace = json.loads(row["trace"])
    assert [t["rule"] for t in trace] == row["fired_rules"]
    first = trace[0]
    assert first["level"] == "I" and first["because"]
    assert first["values"] == {"deaths_reported": 36, "injuries_reported": None,
                               "mentions_casualties": 40, "foreign_share": 0.0,
                               "nationals_unharmed": False}


def test_measures_have_owners_and_absolute_deadlines(rs, findings):
    g = grade(findings, rs)
    row = g.filter(pl.col("event_id") == "E-official").row(0, named=True)
    assert row["nature"] == "political"
    m = {x["measure"]: x for x in row["measures"]}
    first_seen = datetime(2024, 5, 2, 8, tzinfo=UTC)
    assert m["publish_info"]["owner"] == "spokesperson"
    assert m["publish_info"]["due_at"] == first_seen + timedelta(hours=5)
    assert m["press_conference"]["due_at"] == first_seen + timedelta(hours=24)
    assert m["legal_review"]["owner"] == "legal_counsel"  # political events only
    natural = g.filter(pl.col("event_id") == "E-flood").row(0, named=True)
    nm = {x["measure"]: x for x in natural["measures"]}
    assert nm["expert_interpretation"]["deadline_hours"] == 48  # natural, level III


def test_missing_first_seen_uses_now(rs, findings):
    now = datetime(2025, 1, 1, 12, tzinfo=UTC)
    g = grade(findings, rs, now=now)
    row = g.filter(pl.col("event_id") == "E-nothing-known").row(0, named=True)
    assert row["measures"][0]["due_at"] == now + timedelta(hours=24)
    assert row["nature"] == rs.default_nature


def test_engine_and_reference_agree_on_fixture(rs, findings):
    now = datetime(2025, 1, 1, tzinfo=UTC)
    a = grade(findings, rs, evaluator="engine", now=now)
    b = grade(findings, rs, evaluator="reference", now=now)
    assert a.equals(b)


def test_lazyframe_input_and_bad_types(rs, findings):
    assert grade(findings.lazy(), rs).height == findings.height
    # text counts are cast to numbers by the schema (never compared as text) ...
    g = grade(pl.DataFrame({"event_id": ["x"], "n_posts": ["5000"], "negative_share": ["0.5"],
                            "domestic_stake": [True]}), rs)
    assert g["fired_rules"].to_list()[0] == ["volume-iii-sizeable", "sentiment-iv-negative",
                                             "volume-iv-noticeable"] or \
        {"volume-iii-sizeable", "volume-iv-noticeable"} <= set(g["fired_rules"].to_list()[0])
    # ... and what is not a number is refused
    with pytest.raises(pl.exceptions.InvalidOperationError):
        grade(pl.DataFrame({"event_id": ["x"], "n_posts": ["lots"]}), rs)
    with pytest.raises(FactError, match="n_posts"):
        fact_from_row({"n_posts": "5000"}, ("n_posts",), event="x")
    with pytest.raises(ValueError, match="event_id is null"):
        grade(pl.DataFrame({"event_id": [None], "n_posts": [3]}), rs)


def test_rerunning_a_cell_reuses_the_ruleset(rs):
    e1, e2 = GradingEngine(rs), GradingEngine(rs)  # no "already registered"
    assert e1.ruleset_name == e2.ruleset_name
    assert e1.evaluate({"n_posts": 350, "negative_share": 0.35}) == ["volume-iv-noticeable"]
    assert e2.evaluate({"n_posts": 10}) == []
    again = load_ruleset(ROOT / "rules")
    assert GradingEngine(again).evaluate({"n_posts": 350, "negative_share": 0.35}) == [
        "volume-iv-noticeable"]


def test_or_firings_are_deduplicated(rs):
    e = GradingEngine(rs)
    # both branches of the volume `any` are true, and two of the sign-of-trouble `any`
    fired = e.evaluate({"n_posts": 150000, "posts_first_24h": 60000, "negative_share": 0.5,
                        "mentions_casualties": 9})
    assert fired.count("volume-i-nationwide") == 1


def test_level_counts_lists_every_level(rs, findings):
    c = level_counts(grade(findings, rs))
    assert c["level"].to_list() == ["I", "II", "III", "IV", "watch"]
    assert c["events"].sum() == findings.height


def test_memory_flat_over_many_gradings(rs):
    psutil = pytest.importorskip("psutil")
    proc = psutil.Process()
    e = GradingEngine(rs)
    facts = [{"n_posts": i % 3000, "negative_share": (i % 100) / 100, "mentions_casualties": i % 40,
              "deaths_reported": i % 50, "rumour_signals": i % 60, "rumour_share": 0.1}
             for i in range(2000)]
    for f in facts:  # warm up allocator and caches
        e.evaluate(f)
    before = proc.memory_info().rss
    for _ in range(10):
        for f in facts:
            e.evaluate(f)
    grown = proc.memory_info().rss - before
    assert grown < 8 * 2**20, f"RSS grew {grown / 2**20:.1f} MiB over 20,000 gradings"


def test_engine_equals_reference_on_a_random_frame(rs):
    import numpy as np

    rng = np.random.default_rng(3)
    n = 3000
    frame = conform(pl.DataFrame({
        "event_id": [f"R{i}" for i in range(n)],
        "n_posts": rng.integers(0, 30000, n),
        "posts_first_24h": rng.integers(0, 9000, n),
        "reach": rng.integers(0, 10**8, n),
        "n_platforms": rng.integers(1, 6, n),
        "negative_share": np.where(rng.random(n) < 0.05, np.nan, rng.random(n)),
        "sentiment_intensity": rng.random(n),
        "deaths_reported": rng.integers(0, 60, n),
        "injuries_reported": rng.integers(0, 400, n),
        "foreign_share": rng.random(n) * 0.8,
        "domestic_stake": rng.random(n) < 0.7,
        "debunk_posts": rng.integers(0, 30, n),
        "mentions_casualties": rng.integers(0, 60, n),
        "mentions_officials": rng.integers(0, 120, n),
        "mentions_minors": rng.integers(0, 40, n),
        "rumour_signals": rng.integers(0, 80, n),
        "rumour_share": rng.random(n) * 0.3,
        "debunked": rng.random(n) < 0.3,
        "affected_subject": rng.choice(["government", "individual"], n),
        "nature": rng.choice(["political", "social", "natural"], n),
    }), FINDINGS_SCHEMA)
    now = datetime(2025, 1, 1, tzinfo=UTC)
    a = grade(frame, rs, now=now)
    b = grade(frame, rs, now=now, evaluator="reference")
    assert a.equals(b)
    assert {"I", "II", "III"} <= set(a["level"])


def test_fast_path_equals_host_actions(rs):
    fast, host_path = GradingEngine(rs), GradingEngine(rs, fast=False)
    for r in rs.rules:
        for snip in (*r.fixtures_fire, *r.fixtures_not):
            fact = fact_from_row(snip, tuple(snip))
            assert sorted(fast.evaluate(fact)) == sorted(host_path.evaluate(fact)), (r.id, snip)


def test_threads_share_the_engine_safely(rs):
    from concurrent.futures import ThreadPoolExecutor

    e = GradingEngine(rs)
    facts = [{"n_posts": i * 37 % 3000, "negative_share": (i % 10) / 10,
              "mentions_casualties": i % 15, "deaths_reported": i % 40} for i in range(400)]
    want = [sorted(e.evaluate(f)) for f in facts]
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda f: sorted(GradingEngine(rs).evaluate(f)), facts))
    assert got == want


def test_deprecated_rules_do_not_grade(tmp_path):
    import shutil

    dst = tmp_path / "rules"
    shutil.copytree(ROOT / "rules", dst, ignore=shutil.ignore_patterns("lexicons"))
    f = dst / "grading" / "volume.yaml"
    text = f.read_text("utf-8")
    i = text.index("id: volume-iv-noticeable")
    f.write_text(text[:i] + text[i:].replace("status: stable", "status: deprecated", 1), "utf-8")
    rs2 = load_ruleset(dst)
    assert "volume-iv-noticeable" not in {r.id for r in rs2.active_rules}
    g = grade(pl.DataFrame({"event_id": ["x"], "n_posts": [350]}), rs2)
    assert g["level"][0] == "watch"


def test_empty_findings(rs):
    g = grade(pl.DataFrame(schema=FINDINGS_SCHEMA), rs)
    assert g.height == 0 and g.schema == GRADING_SCHEMA
