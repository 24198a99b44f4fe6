"""Chart builders: assert on the Vega-Lite specs (``chart.to_dict()``) built from small
frames in the project's schemas, and on rendered SVG/PNG."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import frames  # tests/fixtures/cases, put on sys.path by conftest.py
import numpy as np
import polars as pl
import pytest

from workbench import charts
from workbench.schema import FINDINGS_SCHEMA, POST_SCHEMA, conform


@pytest.fixture(scope="module")
def data():
    p = frames.posts()
    f = frames.findings(p)
    return p, f, frames.gradings(f)


def _dataset(spec: dict, layer: int | None = None) -> list[dict]:
    """Rows of the (first / given layer's) named dataset of a spec."""
    node = spec if layer is None else spec["layer"][layer]
    name = (node.get("data") or spec["data"])["name"]  # Altair hoists shared data
    return spec["datasets"][name]


def test_timeline_marks_bursts_deadlines_and_level_changes(data):
    _, f, g = data
    row = f.filter(pl.col("event_id") == "E000001")
    lc = pl.DataFrame({"at": [frames.T0 + timedelta(hours=3)], "level": ["II"]})
    chart = charts.event_timeline(row, grading=g.filter(pl.col("event_id") == "E000001"),
                                  level_changes=lc)
    spec = chart.to_dict()
    assert spec["title"].startswith("E000001 化工厂爆炸") and spec["title"].endswith("level II")
    bars = _dataset(spec, 0)
    assert sum(b["posts"] for b in bars) == 120  # every post in the series
    assert {b["kind"] for b in bars} == {"normal", "burst"}
    burst = [b for b in bars if b["kind"] == "burst"]
    assert all(b["z"] >= charts.BURST_Z for b in burst)
    marks = _dataset(spec, 1)
    labels = [m["label"] for m in marks]
    assert "official response" in labels
    assert "due: 发布权威信息 (spokesperson)" in labels
    assert "→ level II" in labels
    # times are wall-clock Asia/Shanghai: first_seen 08:xx UTC -> 16:00 local bin
    assert bars[0]["t"].startswith("2024-06-01T16:00")
    assert spec["layer"][0]["encoding"]["x2"]["field"] == "t_end"


def test_timeline_rebins_long_series_past_the_row_limit():
    counts = [1] * 20_000
    counts[5000] = 500
    f = conform(pl.DataFrame({"event_id": ["E9"], "title": ["长"], "hourly_counts": [counts],
                              "first_seen": [frames.T0]}), FINDINGS_SCHEMA)
    spec = charts.event_timeline(f, max_bins=500, trim_tail=None).to_dict()  # no MaxRowsError
    bars = _dataset(spec, 0)
    assert len(bars) <= 500
    assert sum(b["posts"] for b in bars) == sum(counts)
    assert any(b["kind"] == "burst" for b in bars)
    assert spec["layer"][0]["encoding"]["y"]["title"] == "posts per 48 h"


def test_timeline_trims_a_long_quiet_tail_and_says_so():
    counts = [50, 80, 40, 20] + [0] * 2000 + [1] * 10
    f = conform(pl.DataFrame({"event_id": ["E8"], "hourly_counts": [counts],
                              "first_seen": [frames.T0],
                              "last_seen": [frames.T0 + timedelta(hours=len(counts))]}),
                FINDINGS_SCHEMA)
    spec = charts.event_timeline(f).to_dict()
    bars = _dataset(spec, 0)
    assert sum(b["posts"] for b in bars) == 190 and len(bars) <= 30
    assert spec["title"]["subtitle"] == ["10 later posts (to 2024-08-24) not shown"]


def test_robust_z_flags_a_spike():
    z = charts.robust_z(np.array([2, 3, 2, 3, 2, 40]))
    assert z[-1] > charts.BURST_Z and (z[:-1] < charts.BURST_Z).all()
    assert (charts.robust_z(np.array([5, 5, 5])) == 0).all()


def test_event_map_sizes_by_volume_and_colours_by_level(data):
    _, f, g = data
    spec = charts.event_map(f, g).to_dict()
    enc = spec["encoding"]
    assert enc["size"]["field"] == "n_posts"
    assert enc["color"]["field"] == "level"
    assert enc["color"]["scale"]["domain"] == charts.LEVEL_ORDER
    assert enc["color"]["scale"]["range"][0] == charts.LEVEL_COLOURS["I"]
    rows = _dataset(spec)
    assert {r["event_id"]: r["level"] for r in rows} == {"E000001": "II", "E000002": "III",
                                                         "E000003": "IV"}
    # ungraded events are on watch, not dropped
    assert {r["level"] for r in _dataset(charts.event_map(f).to_dict())} == {"watch"}


def test_event_map_caps_points_and_says_so():
    n = 6000
    f = conform(pl.DataFrame({"event_id": [f"E{i:06d}" for i in range(n)],
                              "n_posts": np.arange(n), "reach": np.arange(n) * 3,
                              "negative_share": np.linspace(0, 1, n)}), FINDINGS_SCHEMA)
    spec = charts.event_map(f, max_points=5000).to_dict()
    rows = _dataset(spec)
    assert len(rows) == 5000 and min(r["n_posts"] for r in rows) == 1000
    assert "largest 5,000 of 6,000" in spec["title"]


def test_event_map_projects_centroids():
    f = conform(pl.DataFrame({"event_id": ["a", "b", "c"], "n_posts": [1, 2, 3]}), FINDINGS_SCHEMA)
    cent = {"a": np.array([1.0, 0, 0]), "b": np.array([0.9, 0.1, 0]), "c": np.array([0, 0, 1.0])}
    proj = charts.event_projection(f, centroids=cent)
    d = dict(zip(proj["event_id"], zip(proj["x"], proj["y"], strict=True), strict=True))
    near = np.hypot(d["a"][0] - d["b"][0], d["a"][1] - d["b"][1])
    far = np.hypot(d["a"][0] - d["c"][0], d["a"][1] - d["c"][1])
    assert near < far
    with pytest.raises(ValueError, match="centroids missing"):
        charts.event_projection(f, centroids={"a": cent["a"]})


def test_sentiment_over_time_aggregates_200k_posts():
    n = 200_000
    t = [frames.T0 + timedelta(minutes=i % 2880) for i in range(n)]
    posts = pl.DataFrame({"created_at": t, "sentiment": np.tile([0.1, 0.9, 0.2, 0.8], n // 4)})
    chart = charts.sentiment_over_time(posts, freq="1h")
    spec = chart.to_dict()  # would raise MaxRowsError unaggregated
    rows = _dataset(spec, 1)
    assert len(rows) == 48
    assert sum(r["posts"] for r in rows) == n
    assert all(r["negative_share"] == pytest.approx(0.5) for r in rows)


def test_sentiment_needs_a_score_column():
    with pytest.raises(ValueError, match="sentiment"):
        charts.sentiment_over_time(pl.DataFrame({"created_at": [frames.T0]}))


def test_channel_mix_over_time_and_totals(data):
    p, _, _ = data
    spec = charts.channel_mix(p, freq=None).to_dict()
    rows = _dataset(spec)
    assert {r["platform"]: r["posts"] for r in rows} == {"weibo": 180, "news": 90, "forum": 90}
    assert sum(r["share"] for r in rows) == pytest.approx(1.0)
    spec = charts.channel_mix(p, freq="6h").to_dict()
    assert spec["mark"]["type"] == "area"
    assert sum(r["posts"] for r in _dataset(spec)) == p.height


def _tree() -> pl.DataFrame:
    rows = [("a", None, "u1"), ("b", "a", "u2"), ("c", "a", "u3"), ("d", "b", "u2"),
            ("e", "zz", "u4"), ("x", "y", "u5"), ("y", "x", "u5")]
    return conform(pl.DataFrame({
        "post_id": [r[0] for r in rows], "parent_id": [r[1] for r in rows],
        "author_id": [r[2] for r in rows], "author_name": ["张三", "李四", "王五", "李四", "赵六", "x", "x"],
        "author_followers": [10, 500, 20, 500, 1, 1, 1],
        "kind": ["original", "repost", "repost", "repost", "repost", "repost", "repost"],
    }), POST_SCHEMA)


def test_cascade_depths_follow_parents():
    d = dict(charts.cascade_depths(_tree()).iter_rows())
    assert d["a"] == 0 and d["b"] == 1 and d["c"] == 1 and d["d"] == 2
    assert d["e"] == 1  # parent outside the table: one below an unseen root
    assert d["x"] is None and d["y"] is None  # a cycle stays unresolved, not looped forever
    spec = charts.cascade_shape(_tree()).to_dict()
    by_depth = {}
    for r in _dataset(spec):
        by_depth[r["depth"]] = by_depth.get(r["depth"], 0) + r["posts"]
    assert by_depth == {-1: 2, 0: 1, 1: 3, 2: 1}


def test_spreaders_rank_by_reposts_drawn_and_pseudonymise():
    tree = _tree()
    top = charts.spreaders(tree, n=3, salt="s")
    assert top["author"][0] == charts.pseudonym("u1", "s")  # a drew two reposts
    assert top["reposts_drawn"].to_list() == [2, 2, 1]  # u1, then u5 (a cycle), then u2
    spec = charts.top_spreaders(tree, salt="s").to_dict()
    text = str(spec)
    assert "张三" not in text and "u1" not in text.replace(charts.pseudonym("u1", "s"), "")
    named = charts.spreaders(tree, n=1, pseudonymise=False)
    assert named["author"][0] == "张三"


def test_level_distribution_shows_every_level(data):
    _, _, g = data
    spec = charts.level_distribution(g).to_dict()
    assert spec["encoding"]["x"]["scale"]["domain"] == [
        "I 特别重大", "II 重大", "III 较大", "IV 一般", "watch 关注"]
    rows = _dataset(spec)
    assert sum(r["events"] for r in rows) == 3
    spec = charts.level_distribution(g, by=None).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == charts.LEVEL_ORDER


def test_export_svg_keeps_chinese_and_png_renders(data, tmp_path):
    _, f, g = data
    chart = charts.level_distribution(g)
    svg = charts.to_svg(chart)
    assert "较大" in svg and "WenQuanYi" in svg
    png = charts.to_png(chart)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    for suffix in (".svg", ".png", ".json", ".html"):
        out = charts.save(charts.event_timeline(f[0], grading=g[0]), tmp_path / f"t{suffix}")
        assert out.stat().st_size > 1000
    html = (tmp_path / "t.html").read_text(encoding="utf-8")
    assert "cdn.jsdelivr" not in html and "<script src=\"http" not in html
    with pytest.raises(ValueError, match="unsupported"):
        charts.save(chart, tmp_path / "t.gif")


def test_builders_compose_without_config(data):
    import altair as alt

    p, f, g = data
    panel = alt.vconcat(charts.event_timeline(f[0], grading=g[0]),
                        alt.hconcat(charts.top_spreaders(p), charts.cascade_shape(p)))
    assert "vconcat" in panel.to_dict()
    assert datetime(2024, 1, 1, tzinfo=UTC)  # keep the import honest
