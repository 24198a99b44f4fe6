"""The drill report, in Markdown and self-contained HTML (charts inline as SVG, no CDN).

It follows the plan's evaluation points (section 6): the drill plan (scenario, roles,
clock), the criteria and scores, the timeline, problems found, lessons, and suggested
changes to rules or measures.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from workbench.drill.score import RANK, DrillScore, incident_track
from workbench.markup import markdown_to_html, md_code, md_text, page
from workbench.schema import UTC_TIME

if TYPE_CHECKING:  # altair is imported where charts are built: `workbench --help` stays fast
    import altair as alt

BEIJING = dt.timezone(dt.timedelta(hours=8))
LEVEL_NAMES = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般", "watch": "关注"}
LEVEL_COLOURS = {"I": "#d7191c", "II": "#f57c00", "III": "#e6b800", "IV": "#2c7bb6", "watch": "#9e9e9e"}
STATUS = {"on_time": "✅ on time", "late": "⚠️ late", "missing": "❌ missing", "open": "⏳ open (due after the drill)",
          "unprescribed": "➖ not prescribed"}


def _bj(t: dt.datetime | None) -> str:
    return "—" if t is None else t.astimezone(BEIJING).strftime("%m-%d %H:%M")


def _lvl(level: str | None) -> str:
    return "—" if level is None else f"{level} {LEVEL_NAMES.get(level, '')}".strip()


def _table(header: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table; cells are text (escaped: see ``workbench.markup.md_text``), except
    that ``**bold**`` stays bold."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(md_text(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# charts
# --------------------------------------------------------------------------------------
def volume_chart(truth_posts: pl.DataFrame, truth: dict[str, Any], score: DrillScore) -> alt.LayerChart:
    """Posts per hour (incident vs background, Beijing time) with the drill's key moments."""
    import altair as alt

    incident = truth["incident_event"]
    hourly = (
        truth_posts.with_columns(
            hour=pl.col("created_at").dt.convert_time_zone("Asia/Shanghai").dt.truncate("1h")
            .dt.replace_time_zone(None).dt.strftime("%Y-%m-%dT%H:%M:%S"),
            what=pl.when(pl.col("truth_event") == incident).then(pl.lit("incident 事件"))
            .otherwise(pl.lit("background 背景")),
        )
        .group_by("hour", "what").agg(posts=pl.len()).sort("hour")
    )
    bars = alt.Chart(alt.Data(values=hourly.to_dicts())).mark_bar().encode(
        x=alt.X("yearmonthdatehours(hour):T", title="Beijing time"),
        y=alt.Y("posts:Q", stack=True, title="posts per hour"),
        color=alt.Color("what:N", scale=alt.Scale(range=["#b2182b", "#bdbdbd"],
                                                  domain=["incident 事件", "background 背景"]), title=None),
    )
    marks = [("onset 发生", truth["onset"])]
    for row in truth.get("timeline", []):
        if row["what"] in {"official_response", "rumour", "debunk"}:
            label = {"official_response": "official 官方回应", "rumour": "rumour 谣言", "debunk": "debunk 辟谣"}
            marks.append((label[row["what"]], row["at"]))
    if score.detection["detected_at"] is not None:
        marks.append(("first alert 首次预警", score.detection["detected_at"]))
    rows = []
    for label, at in marks:
        t = dt.datetime.fromisoformat(at) if isinstance(at, str) else at
        rows.append({"label": label, "t": t.astimezone(BEIJING).replace(tzinfo=None).isoformat()})
    rules = alt.Chart(alt.Data(values=rows)).mark_rule(strokeDash=[4, 3]).encode(
        x="t:T", color=alt.value("#333"))
    text = alt.Chart(alt.Data(values=rows)).mark_text(angle=270, align="left", dx=4, dy=-4, fontSize=10).encode(
        x="t:T", y=alt.value(4), text="label:N")
    return alt.layer(bars, rules, text).properties(width=680, height=220, title="Volume and key moments")


def level_chart(track: pl.DataFrame, intended: str) -> alt.LayerChart:
    """The incident's graded level at each clock step against the intended level."""
    import altair as alt

    inv = {v: k for k, v in RANK.items()}
    data = track.with_columns(
        t=pl.col("at").dt.convert_time_zone("Asia/Shanghai").dt.replace_time_zone(None)
        .dt.strftime("%Y-%m-%dT%H:%M:%S"),
        level_rank=pl.col("level_rank"),
    ).select("t", "level", "level_rank").to_dicts()
    order = ["I", "II", "III", "IV", "watch"]
    line = alt.Chart(alt.Data(values=data)).mark_line(interpolate="step-after", color="#555").encode(
        x=alt.X("t:T", title="Beijing time"),
        y=alt.Y("level_rank:Q", scale=alt.Scale(domain=[5.3, 0.7]), title="level",
                axis=alt.Axis(values=[1, 2, 3, 4, 5],
                              labelExpr="['', 'I', 'II', 'III', 'IV', 'watch'][datum.value]")),
    )
    points = alt.Chart(alt.Data(values=data)).mark_point(filled=True, size=50).encode(
        x="t:T", y="level_rank:Q",
        color=alt.Color("level:N", scale=alt.Scale(domain=order, range=[LEVEL_COLOURS[k] for k in order]),
                        title="graded level"),
        tooltip=["t:T", "level:N"],
    )
    target = alt.Chart(alt.Data(values=[{"r": RANK[intended], "label": f"intended {intended}"}])).mark_rule(
        strokeDash=[6, 3], color=LEVEL_COLOURS.get(intended, "#000")).encode(y="r:Q")
    _ = inv
    return alt.layer(line, points, target).properties(width=680, height=200, title="Graded level over time")


def _svg(chart) -> str | None:
    try:
        import vl_convert as vlc

        spec = chart.configure(font="WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif").to_json()
        return vlc.vegalite_to_svg(spec)
    except Exception as exc:  # charts are a bonus: the report stands without them
        return f"<!-- chart failed: {type(exc).__name__} -->"


# --------------------------------------------------------------------------------------
# the report
# --------------------------------------------------------------------------------------
def markdown(score: DrillScore, truth: dict[str, Any], track: pl.DataFrame, *, every_hours: float,
             rules: str | None = None, steps: list[dict[str, Any]] | None = None,
             chart_files: dict[str, str] | None = None, last_findings: pl.DataFrame | None = None) -> str:
    onset = score.onset
    det, acc = score.detection, score.accuracy
    resp = truth.get("responders") or {}
    out: list[str] = []
    out.append(f"# Drill report: {md_text(truth.get('title', truth['scenario']))}")
    out.append(
        f"Scenario {md_code(truth['scenario'])} (seed {md_text(truth.get('seed'))}), nature "
        f"**{md_text(truth.get('nature'))}**, intended level **{md_text(_lvl(truth['intended_level']))}**. "
        f"Onset {_bj(onset)} Beijing time. The simulated stream ({md_text(truth.get('posts'))} posts, "
        f"{md_text(truth.get('incident_posts'))} about the incident) "
        f"was replayed through ingest → events → findings → grading every {every_hours:g} h."
        + (f" Rules: {md_text(rules)}." if rules else "")
    )
    out.append(f"\n**Overall score: {score.total:.0f} / 100**\n")

    out.append("## 1. Drill plan")
    plan_rows = [
        ["incident", truth.get("title", "")],
        ["type / nature", f"{truth.get('type')} / {truth.get('nature')}"],
        ["intended level", _lvl(truth["intended_level"])],
        ["channels", ", ".join(f"{k} ({v})" for k, v in (truth.get("files") or {}).items())],
        ["official response", "none scripted" if truth.get("official_response_hours") is None
         else f"{truth.get('official_by')} at +{truth['official_response_hours']:g} h"],
        ["rumour", _rumour(truth.get("rumour"))],
        ["responders (hours after first alert)",
         ", ".join(f"{k}: {'missing' if v is None else f'{v:g} h'}" for k, v in resp.items()) or "none"],
    ]
    out.append(_table(["item", "value"], plan_rows))

    out.append("\n## 2. Criteria and scores")
    out.append(_table(["criterion", "result", "score", "weight"],
                      [[c["criterion"], c["value"], f"{c['score']:.0f}", f"{c['weight']:.0%}"] for c in score.criteria]))
    out.append(f"\nWeighted total: **{score.total:.0f}**.")

    out.append("\n## 3. What happened when")
    events: list[tuple[dt.datetime, str]] = []
    for row in truth.get("timeline", []):
        events.append((dt.datetime.fromisoformat(row["at"]), f"truth: {row['what']} — {row['detail']}"))
    if det["first_seen_at"] is not None:
        events.append((det["first_seen_at"], "drill: the incident first appears as an event"))
    prev = None
    for r in track.iter_rows(named=True):
        if r["level"] != prev and r["hours_after_onset"] >= 0:
            events.append((r["at"], f"drill: graded **{_lvl(r['level'])}**"))
            prev = r["level"]
    for m in score.measures:
        if m["done_at"] is not None:
            events.append((m["done_at"], f"responders: {m['title'] or m['measure']} ({STATUS[m['status']]})"))
    events.sort(key=lambda e: e[0])
    out.append(_table(["Beijing time", "h after onset", "what"],
                      [[_bj(t), f"{(t - onset).total_seconds() / 3600:+.1f}", w] for t, w in events]))

    out.append("\n## 4. Detection and grading")
    if det["detected"]:
        first = (f"{_bj(det['detected_at'])}, {det['delay_hours']:.1f} h after the onset, "
                 f"at level {_lvl(det['first_level'])}")
    else:
        first = "never"
    reached = "never" if acc["reached_intended_at"] is None else f"{acc['hours_to_intended']:.1f} h after the onset"
    coverage = 0.0 if score.final_coverage is None else score.final_coverage
    purity = "—" if score.final_purity is None else f"{score.final_purity:.0%}"
    out.append(
        f"- First alert: {first}.\n"
        f"- Intended level {md_text(truth['intended_level'])} reached: {reached}.\n"
        f"- Steps at the intended level: {acc['exact_share']:.0%}; below it: {acc['under_share']:.0%}; "
        f"above it: {acc['over_share']:.0%} (over {acc['steps']} steps); peak {_lvl(acc['peak_level'])}, "
        f"final {_lvl(acc['final_level'])}.\n"
        f"- Nature graded: {md_text(score.graded_nature) or '—'} (intended {md_text(truth.get('nature'))}).\n"
        f"- The incident was carried by up to {score.max_fragments} event(s); at the end they held "
        f"{coverage:.0%} of its posts, and {purity} of their posts were about it; background alerts in "
        f"{score.false_alarm_steps} step(s)."
    )
    if last_findings is not None and last_findings.height:
        f = last_findings.sort("n_posts", descending=True).row(0, named=True)
        keys = ["n_posts", "peak_hour_posts", "max_burst_z", "unique_authors", "reach", "negative_share",
                "rumour_signals", "debunked", "official_responses", "hours_to_official_response",
                "casualties_reported", "nature"]
        out.append("\nFindings of the incident's main event at the end of the drill:\n")
        out.append(_table(["finding", "value"], [[k, _fmt(f.get(k))] for k in keys if k in f]))

    out.append("\n## 5. Measures and deadlines")
    if score.measures:
        out.append(_table(
            ["measure", "owner", "prescribed at (level)", "deadline", "due (Beijing)", "done (Beijing)", "status"],
            [[m["title"] or m["measure"], m["owner"] or "—",
              "—" if m["prescribed_at"] is None else f"{_bj(m['prescribed_at'])} ({m['level']})",
              "—" if m["deadline_hours"] is None else f"{m['deadline_hours']:g} h", _bj(m["due_at"]), _bj(m["done_at"]),
              STATUS[m["status"]] + (f" by {m['late_hours']:.1f} h" if m["late_hours"] else "")]
             for m in score.measures]))
    else:
        out.append("No measures were prescribed (the incident was never graded).")

    out.append("\n## 6. Problems found")
    out.append("\n".join(f"- {md_text(p)}" for p in score.problems) or "- None.")
    out.append("\n## 7. Lessons")
    out.append("\n".join(f"- {md_text(p)}" for p in score.lessons) or "- None.")
    out.append("\n## 8. Suggested changes to rules or measures")
    out.append("\n".join(f"- {md_text(p)}" for p in score.suggestions)
               or "- None: keep the current rules.")
    out.append("\nReplay these changes on this drill and on past cases (`workbench drill`, `rules diff`) "
               "before adopting them.")

    if chart_files:
        out.append("\n## 9. Charts")
        for title, path in chart_files.items():
            out.append(f"![{md_text(title)}]({md_text(path)})")
    if steps:
        secs = sum(s["seconds"] for s in steps)
        out.append(f"\n---\n{len(steps)} clock steps, {secs:.1f} s of pipeline time.")
    return "\n".join(out) + "\n"


def _rumour(r: dict[str, Any] | None) -> str:
    if not r:
        return "none"
    debunk = "never" if r.get("debunk_at_hours") is None else f"at +{r['debunk_at_hours']:g} h"
    return f"“{r['claim']}” at +{r['at_hours']:g} h, debunked {debunk}"  # a table cell: escaped there


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.2f}"
    return "—" if v is None else str(v)


def to_html(md: str, svgs: dict[str, str], title: str) -> str:
    """A self-contained page: the report (raw HTML escaped, links only to http(s)) and the
    charts inline."""
    body = markdown_to_html(md.split("\n## 9. Charts")[0])
    style = ("body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei',sans-serif;max-width:960px;margin:2em auto;"
             "padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;"
             "padding:3px 8px;font-size:14px;vertical-align:top}th{background:#f3f3f3}figure{margin:1em 0}"
             "figcaption{font-weight:bold}")
    return page(title, body, css=style, figures=list(svgs.items()), figures_heading="9. Charts")


def write_report(out_dir: str | Path, score: DrillScore, truth: dict[str, Any], timeline: pl.DataFrame,
                 truth_posts: pl.DataFrame, *, incident_total: pl.DataFrame | None = None, every_hours: float,
                 rules: str | None = None, steps: list[dict[str, Any]] | None = None,
                 last_findings: pl.DataFrame | None = None, charts: bool = True) -> dict[str, Path]:
    """Write drill.md, drill.html, the charts (SVG), score.json and timeline.parquet."""
    import orjson

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    track = incident_track(timeline, score.onset, incident_total)
    svgs: dict[str, str] = {}
    files: dict[str, str] = {}
    if charts:
        for name, title, chart in (
            ("volume.svg", "Volume and key moments", volume_chart(truth_posts, truth, score)),
            ("levels.svg", "Graded level over time", level_chart(track, truth["intended_level"])),
        ):
            svg = _svg(chart)
            if svg:
                svgs[title] = svg
                (out / name).write_text(svg, "utf-8")
                files[title] = name
    md = markdown(score, truth, track, every_hours=every_hours, rules=rules, steps=steps, chart_files=files,
                  last_findings=last_findings)
    (out / "drill.md").write_text(md, "utf-8")
    (out / "drill.html").write_text(to_html(md, svgs, f"Drill: {truth.get('title', '')}"), "utf-8")
    (out / "score.json").write_bytes(orjson.dumps(score.as_dict(), option=orjson.OPT_INDENT_2, default=str))
    timeline.write_parquet(out / "timeline.parquet")
    track.write_parquet(out / "track.parquet")
    return {"md": out / "drill.md", "html": out / "drill.html", "score": out / "score.json",
            "timeline": out / "timeline.parquet"}


__all__ = ["level_chart", "markdown", "to_html", "volume_chart", "write_report", "UTC_TIME"]
