"""What the notebooks display: short Markdown summaries and per-event chart panels, so the
notebooks stay a sequence of calls."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from workbench import charts
from workbench.cases.briefing import _fmt_time
from workbench.cases.pipeline import Case
from workbench.markup import md_code, md_text


def ingest_summary(case: Case) -> str:
    c = case.counts
    rep = case.ingest_report.get("total", {}) if isinstance(case.ingest_report, dict) else {}
    lines = [
        f"**Ingested** {c.get('posts_ingested', 0):,} posts"
        + (f" (read {rep.get('read', '?'):,} = accepted {rep.get('accepted', '?'):,} + "
           f"quarantined {rep.get('quarantined', '?'):,} + duplicates {rep.get('duplicates', '?'):,})"
           if rep and all(isinstance(rep.get(k), int) for k in
                          ("read", "accepted", "quarantined", "duplicates")) else "")
        + f"; **selected** {c.get('posts_selected', case.posts.height):,}.",
    ]
    if case.posts.height:
        span = case.posts.select(pl.col("created_at").min().alias("a"),
                                 pl.col("created_at").max().alias("b")).row(0)
        lines.append(f"Time span {_fmt_time(span[0], charts.DISPLAY_TZ)} – "
                     f"{_fmt_time(span[1], charts.DISPLAY_TZ)} ({charts.DISPLAY_TZ}).")
        per = case.posts.group_by("platform").len().sort(["len", "platform"], descending=[True, False])
        lines.append("Posts per platform: "
                     + ", ".join(f"{md_text(p)} {n:,}" for p, n in per.rows()) + ".")
    sel = {k: v for k, v in case.selection.items() if v}
    if sel:
        lines.append("Selection: " + ", ".join(f"{k}={md_text(v)}" for k, v in sel.items()) + ".")
    if case.quarantine is not None and case.quarantine.height:
        reasons = case.quarantine.group_by("reason").len().sort("len", descending=True)
        lines.append("Quarantined by reason: "
                     + ", ".join(f"{md_text(r)} {n}" for r, n in reasons.rows()) + ".")
    return "\n\n".join(lines)


def events_summary(case: Case, n: int = 10) -> str:
    f = case.findings.sort(["n_posts", "event_id"], descending=[True, False])
    lines = [f"**{f.height} events** from {case.counts.get('posts_assigned', 0):,} posts "
             f"(model {md_code(case.model_id)}).", "",
             "| event | title | posts | authors | first seen | bursts | negative |",
             "|---|---|---|---|---|---|---|"]
    for r in f.head(n).iter_rows(named=True):
        neg = "—" if r["negative_share"] is None else f"{r['negative_share']:.0%}"
        lines.append(f"| {md_text(r['event_id'])} | {md_text(r['title'])} | {r['n_posts']:,} | "
                     f"{r['unique_authors'] or 0:,} | {_fmt_time(r['first_seen'], charts.DISPLAY_TZ)} | "
                     f"{r['burst_count'] or 0} | {neg} |")
    return "\n".join(lines)


def top_events(case: Case, n: int = 5) -> list[str]:
    return case.ranked().head(n)["event_id"].to_list()


def grading_summary(case: Case, *, top_n: int = 5, tz: str = charts.DISPLAY_TZ) -> str:
    ranked = case.ranked()
    counts = dict(ranked.group_by("level").len().rows())
    lines = [f"Rules **{md_text(case.rules_version)}** (hash {md_code(case.rules_hash)}), graded at "
             f"{_fmt_time(case.graded_at, tz)} ({tz}).", "",
             "Events per level: " + ", ".join(f"{lv} {counts.get(lv, 0)}"
                                              for lv in charts.LEVEL_ORDER) + ".", "",
             "| event | level | nature | posts | first measure due | owner |", "|---|---|---|---|---|---|"]
    for r in ranked.head(top_n).iter_rows(named=True):
        ms = sorted((m for m in (r.get("measures") or []) if m and m.get("due_at")),
                    key=lambda m: m["due_at"])
        first = ms[0] if ms else {}
        lines.append(f"| {md_text(r['event_id'])} {md_text(r['title'])} | {md_text(r['level'])} "
                     f"{md_text(r.get('level_name'))} | {md_text(r.get('nature')) or '—'} | "
                     f"{r['n_posts']:,} | {_fmt_time(first.get('due_at'), tz) if first else '—'} "
                     f"{md_text(first.get('title'))} | {md_text(first.get('owner')) or '—'} |")
    return "\n".join(lines)


def event_header(case: Case, event_id: str, *, tz: str = charts.DISPLAY_TZ) -> str:
    r = case.ranked().filter(pl.col("event_id") == event_id).row(0, named=True)
    return (f"### {md_text(event_id)} — {md_text(r['title'])}\n\nLevel **{md_text(r['level'])} "
            f"{md_text(r.get('level_name'))}**, nature {md_text(r.get('nature')) or '—'}, "
            f"{r['n_posts']:,} posts from {_fmt_time(r['first_seen'], tz)}; rules fired: "
            + (", ".join(md_code(x) for x in (r.get("fired_rules") or [])) or "none"))


def scored_posts(case: Case) -> pl.DataFrame:
    """Event posts with per-post sentiment (``sentiment_score``, ``sentiment_negative``)."""
    from workbench.findings.sentiment import default_model

    return default_model().transform(case.event_posts()).collect()


def event_charts(
    case: Case, event_id: str, *, tz: str = charts.DISPLAY_TZ, salt: str = "",
    pseudonymise: bool = True, level_changes: pl.DataFrame | None = None,
) -> alt.VConcatChart:
    """Timeline (bursts, official response, deadlines), spreaders and cascade shape of one
    event, as one panel."""
    f = case.findings.filter(pl.col("event_id") == event_id)
    g = case.gradings.filter(pl.col("event_id") == event_id)
    posts = case.posts_of(event_id)
    timeline = charts.event_timeline(f, grading=g if g.height else None,
                                     level_changes=level_changes, tz=tz, width=640, height=200)
    row = alt.hconcat(
        charts.top_spreaders(posts, n=8, pseudonymise=pseudonymise, salt=salt, width=260,
                             height=180),
        charts.cascade_shape(posts, width=260, height=180),
    ).resolve_scale(color="independent")
    return alt.vconcat(timeline, row).resolve_scale(color="independent")


def briefing_charts(case: Case, *, top_n: int = 3, tz: str = charts.DISPLAY_TZ) -> list[Any]:
    """Charts embedded (as SVG) in the briefing's HTML: level distribution, then the
    timelines of the most severe events."""
    out: list[Any] = [charts.level_distribution(case.gradings)]
    for event_id in top_events(case, top_n):
        f = case.findings.filter(pl.col("event_id") == event_id)
        g = case.gradings.filter(pl.col("event_id") == event_id)
        out.append(charts.event_timeline(f, grading=g if g.height else None, tz=tz))
    return out


def event_detail(case: Case, event_id: str, *, tz: str = charts.DISPLAY_TZ,
                 pseudonymise: bool = True) -> str:
    """The briefing's section for one event: level, what happened, key numbers with
    evidence, why (trace), measures with owners and deadlines."""
    from workbench.cases.briefing import _event_section

    row = case.ranked().filter(pl.col("event_id") == event_id).row(0, named=True)
    return "\n".join(_event_section(1, row, case.posts_of(event_id), tz=tz,
                                    pseudonymise=pseudonymise, graded_at=case.graded_at))
