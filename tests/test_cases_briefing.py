"""The per-case briefing: readable alone, evidence by post id, owners and deadlines,
authors pseudonymised by default; HTML self-contained."""

from __future__ import annotations

from datetime import timedelta

import frames  # tests/fixtures/cases, put on sys.path by conftest.py
import polars as pl
import pytest

from workbench import charts
from workbench.cases import briefing


@pytest.fixture(scope="module")
def tables():
    p = frames.posts()
    f = frames.findings(p)
    g = frames.gradings(f)
    a = p.select("post_id", "event_id")
    return p, f, g, a


def test_briefing_levels_evidence_measures(tables):
    p, f, g, a = tables
    graded = frames.T0 + timedelta(hours=20)
    md = briefing.build_briefing(f, g, p, a, title="测试", case="t", graded_at=graded,
                                 rules_version="1.0", rules_hash="abc", top_n=2)
    assert md.startswith("# 舆情简报 · Briefing: 测试")
    assert "| II | 重大 | 1 |" in md and "| I | 特别重大 | 0 |" in md
    # most severe first, only top_n detailed
    assert md.index("## 1. E000001") < md.index("## 2. E000002")
    assert "## 3." not in md and "1 further events" in md
    assert "**Level II 重大** (warning colour: orange)" in md
    # measures with owner, local deadline, status against the grading time
    first_seen = f.filter(pl.col("event_id") == "E000001")["first_seen"][0]
    due = briefing._fmt_time(first_seen + timedelta(hours=5), "Asia/Shanghai")
    assert f"| 发布权威信息 | spokesperson | {due} | 5.0 |" in md
    assert "due in" in md
    later = briefing.build_briefing(f, g, p, a, graded_at=graded + timedelta(days=5), top_n=1)
    assert "**deadline passed** at grading time" in later
    # the fixture's official post came 12 h after first seen: the 5 h publish deadline is late
    assert "**late**: first official post" in md
    # evidence: representative post ids back the volume
    reps = f["representative_post_ids"][0]
    assert f"`{reps[0]}`" in md
    # pseudonymised: no names, @mentions masked in quotes
    assert "用户u" not in md and "@某某" not in md and "@***" in md
    assert "authors pseudonymised" in md


def test_briefing_can_name_authors_when_asked(tables):
    p, f, g, a = tables
    md = briefing.build_briefing(f, g, p, a, pseudonymise=False, top_n=1)
    assert "用户u" in md and "**authors named**" in md


def test_briefing_html_is_self_contained(tables, tmp_path):
    p, f, g, a = tables
    md = briefing.build_briefing(f, g, p, a, top_n=1)
    md_path, html_path = briefing.write_briefing(tmp_path, md, title="t",
                                                 charts=[charts.level_distribution(g)])
    html = html_path.read_text(encoding="utf-8")
    assert md_path.read_text(encoding="utf-8") == md
    assert "<script" not in html and "http" not in html.split("<svg")[0]
    assert "<svg" in html and "<table>" in html
    assert f'color:{charts.LEVEL_COLOURS["II"]}' in html


def test_excerpt_masks_mentions_and_pipes():
    assert briefing.excerpt("转发 //@张三:好|坏 @李四 说", pseudonymise=True) == "转发 //@***:好｜坏 @*** 说"
    assert briefing.excerpt("x" * 200, width=10) == "x" * 9 + "…"


def test_hostile_posts_title_and_keywords_stay_inert(tables, tmp_path):
    """Post text, event titles, keywords and the case title are outside text (issue 14)."""
    import mistune
    from output_safety import HOSTILE, HOSTILE_TITLE, live_markup

    p, f, g, a = tables
    p = p.with_columns(pl.format("{} {}", pl.col("text"), pl.lit(" ".join(HOSTILE))))
    f = f.with_columns(pl.lit(HOSTILE_TITLE).alias("title"), pl.lit(HOSTILE).alias("keywords"))
    md = briefing.build_briefing(f, g, p, a, title=HOSTILE_TITLE, case="t", top_n=2)
    _, html_path = briefing.write_briefing(tmp_path, md, title=HOSTILE_TITLE)
    html = html_path.read_text("utf-8")
    assert "<script" not in md and "<img" not in md and "<h1" not in md
    for page in (html, mistune.html(md)):  # mistune.html: raw HTML on, as nbconvert renders
        assert live_markup(page) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "标题" in html
