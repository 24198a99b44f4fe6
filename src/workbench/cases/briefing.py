"""A briefing per case, Markdown and HTML, that another department can read on its own.

For each of the most severe events: its level and nature, what happened (times, peak,
bursts, official response), key numbers with post ids as evidence, why it got its level
(the rules that fired) and the measures with owners and deadlines. Authors are never named
when ``pseudonymise`` is on (the default): ``@mentions`` in quoted posts are masked too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from workbench.charts import DISPLAY_TZ, LEVEL_COLOURS, LEVEL_NAMES, LEVEL_ORDER
from workbench.markup import markdown_to_html, md_code, md_join, md_text, page

RUMOUR = r"辟谣|不实|谣言|网传|未经证实|假消息|造谣"
CASUALTY = r"死亡|身亡|遇难|丧生|受伤|伤亡|罹难"
_MENTION = re.compile(r"@[^\s:：,，。!！?？/]+")


def _fmt_time(value: datetime | None, tz: str) -> str:
    if value is None:
        return "—"
    frame = pl.DataFrame({"t": [value]})
    if frame.schema["t"].time_zone is None:  # type: ignore[union-attr]
        frame = frame.with_columns(pl.col("t").dt.replace_time_zone("UTC"))
    return frame.select(pl.col("t").dt.convert_time_zone(tz).dt.strftime("%Y-%m-%d %H:%M")).item()


def _num(value: Any, fmt: str = "{:,}") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and fmt == "{:,}":
        fmt = "{:,.1f}"
    return fmt.format(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def excerpt(text: str | None, *, pseudonymise: bool = True, width: int = 90) -> str:
    """One-line excerpt of a post; ``@names`` masked when pseudonymising. Plain text: pass
    it through :func:`workbench.markup.md_text` before putting it in Markdown."""
    text = (text or "").replace("\n", " ").strip()
    if pseudonymise:
        text = _MENTION.sub("@***", text)
    text = text.replace("|", "｜")
    return text if len(text) <= width else text[: width - 1] + "…"


def _ids(frame: pl.DataFrame | None, n: int = 3) -> str:
    if frame is None or frame.height == 0:
        return ""
    return ", ".join(md_code(p) for p in frame["post_id"].head(n).to_list())


def _trace(trace: str | None) -> list[dict[str, Any]]:
    if not trace:
        return []
    try:
        data = json.loads(trace)
    except (TypeError, ValueError):
        return []
    if isinstance(data, dict):
        data = data.get("fired") or data.get("rules") or [
            dict(v, id=k) if isinstance(v, dict) else {"id": k, "because": str(v)}
            for k, v in data.items()
        ]
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def _evidence(posts: pl.DataFrame | None, finding: dict[str, Any]) -> dict[str, str]:
    """metric -> post ids backing it, from the event's posts."""
    ev: dict[str, str] = {}
    reps = finding.get("representative_post_ids") or []
    if reps:
        ev["n_posts"] = ", ".join(md_code(p) for p in reps[:3])
    for key in ("deaths", "injuries"):  # the findings' own evidence for the counts
        ids = finding.get(f"{key}_evidence") or []
        if ids:
            ev[f"{key}_reported"] = ", ".join(md_code(p) for p in ids[:3])
    if posts is None or posts.height == 0:
        return ev
    posts = posts.sort(["created_at", "post_id"])
    peak = finding.get("peak_time")
    if peak is not None:
        ev["peak_hour_posts"] = _ids(posts.filter(pl.col("created_at").dt.truncate("1h") == peak))
    ev["official_responses"] = _ids(posts.filter(pl.col("author_type") == "government"))
    ev["rumour_signals"] = _ids(posts.filter(pl.col("text").str.contains(RUMOUR)))
    ev["mentions_casualties"] = _ids(posts.filter(pl.col("text").str.contains(CASUALTY)))
    if "parent_id" in posts.columns:
        drawn = (posts.filter(pl.col("parent_id").is_not_null()).group_by("parent_id").len()
                 .sort(["len", "parent_id"], descending=[True, False]))
        if drawn.height:
            ev["cascade_depth"] = f"{md_code(drawn['parent_id'][0])} (most reposted, {drawn['len'][0]})"
    return {k: v for k, v in ev.items() if v}


def _event_section(
    i: int, row: dict[str, Any], posts: pl.DataFrame | None, *, tz: str, pseudonymise: bool,
    graded_at: datetime | None,
) -> list[str]:
    level = md_text(row.get("level") or "watch")
    name = md_text(row.get("level_name") or LEVEL_NAMES.get(level, ""))
    colour = md_text(row.get("colour") or "none")
    event_id = md_text(row["event_id"])
    title = md_text(row.get("title")) or event_id
    out = [f"## {i}. {event_id} — {title}", ""]
    out.append(f"**Level {level} {name}** (warning colour: {colour}) · nature: "
               f"**{md_text(row.get('nature')) or '—'}** (confidence {_num(row.get('nature_confidence'), '{:.2f}')}"
               + (f"; evidence: {md_join((row.get('nature_evidence') or [])[:5])}"
                  if row.get("nature_evidence") else "")
               + f") · affected: {md_text(row.get('affected_subject')) or '—'}")
    out.append("")

    # what happened
    what = [
        f"First seen {_fmt_time(row.get('first_seen'), tz)}, peak hour from "
        f"{_fmt_time(row.get('peak_time'), tz)} ({_num(row.get('peak_hour_posts'))} posts), "
        f"last seen {_fmt_time(row.get('last_seen'), tz)} "
        f"({_num(row.get('duration_hours'))} h)."
    ]
    if row.get("burst_count"):
        what.append(f"{row['burst_count']} burst hour(s), the first at "
                    f"{_fmt_time(row.get('first_burst_at'), tz)}.")
    if row.get("first_official_response_at") is not None:
        what.append(
            f"First official response {_fmt_time(row['first_official_response_at'], tz)} "
            f"({_num(row.get('hours_to_official_response'))} h after first seen)"
            + (f"; posts/hour after vs before ×{row['response_volume_change']:.2f}"
               if row.get("response_volume_change") is not None else "") + "."
        )
    else:
        what.append("No official response seen yet.")
    by = row.get("debunked_by")
    if by == "official":
        what.append(f"An official or verified account has debunked a rumour "
                    f"({_num(row.get('debunk_posts'))} debunking posts).")
    elif by == "crowd" or (by is None and row.get("debunked")):
        what.append(f"The crowd has called the claim false ({_num(row.get('debunk_posts'))} "
                    f"debunking posts); no official debunking yet.")
    if row.get("casualty_claims_set_aside"):
        what.append(f"{_num(row['casualty_claims_set_aside'])} post(s) stating a death or injury "
                    f"count about another time, place or incident were set aside.")
    if row.get("keywords"):
        what.append("Keywords: " + md_join((row.get("keywords") or [])[:8], "、") + ".")
    out += ["**What happened.** " + " ".join(what), ""]

    # key numbers
    ev = _evidence(posts, row)
    metrics = [
        ("posts", "n_posts", _num(row.get("n_posts"))),
        ("posts in the first 24 h", "posts_first_24h", _num(row.get("posts_first_24h"))),
        ("posts in the peak hour", "peak_hour_posts", _num(row.get("peak_hour_posts"))),
        ("growth (last 6 h / 6 h before)", "growth_rate", _num(row.get("growth_rate"), "{:.2f}")),
        ("unique authors", "unique_authors", _num(row.get("unique_authors"))),
        ("reach (followers)", "reach", _num(row.get("reach"))),
        ("engagement", "engagement", _num(row.get("engagement"))),
        ("platforms", "platforms", md_join(row.get("platforms") or []) or "—"),
        ("negative share", "negative_share", _pct(row.get("negative_share"))),
        ("cascade depth / breadth", "cascade_depth",
         f"{_num(row.get('cascade_depth'))} / {_num(row.get('cascade_breadth'))}"),
        ("rumour signals", "rumour_signals", _num(row.get("rumour_signals"))),
        ("official responses", "official_responses", _num(row.get("official_responses"))),
        ("posts mentioning casualties", "mentions_casualties", _num(row.get("mentions_casualties"))),
        ("deaths (corroborated)", "deaths_reported", _num(row.get("deaths_reported"))),
        ("injuries (corroborated)", "injuries_reported", _num(row.get("injuries_reported"))),
        ("domestic stake", "domestic_stake",
         "—" if row.get("domestic_stake") is None else ("yes" if row["domestic_stake"] else "no")),
        ("posts mentioning minors", "mentions_minors", _num(row.get("mentions_minors"))),
        ("posts mentioning officials", "mentions_officials", _num(row.get("mentions_officials"))),
    ]
    out += ["**Key numbers**", "", "| metric | value | evidence (post ids) |", "|---|---|---|"]
    out += [f"| {label} | {value} | {ev.get(key, '')} |" for label, key, value in metrics]
    out.append("")

    reps = row.get("representative_post_ids") or []
    if posts is not None and reps:
        quoted = posts.filter(pl.col("post_id").is_in(reps[:3]))
        if quoted.height:
            out.append("**Representative posts**")
            out.append("")
            for r in quoted.iter_rows(named=True):
                who = "" if pseudonymise else f" — {md_text(r.get('author_name') or r.get('author_id'))}"
                out.append(f"> {md_code(r['post_id'])} ({_fmt_time(r['created_at'], tz)}, "
                           f"{md_text(r['platform'])}){who}: "
                           f"{md_text(excerpt(r['text'], pseudonymise=pseudonymise))}")
                out.append(">")
            out[-1] = ""

    fired = _trace(row.get("trace"))
    if fired:
        out += ["**Why this level**", ""]
        for f in fired:
            rid = f.get("id") or f.get("rule") or f.get("rule_id") or "?"
            because = md_text(f.get("because") or "")
            values = f.get("values") or f.get("matched") or {}
            vals = (", ".join(f"{md_text(k)}={md_text(v)}" for k, v in values.items())
                    if isinstance(values, dict) else "")
            out.append(f"- {md_code(rid)} (level {md_text(f.get('level', '?'))}): {because}"
                       + (f" [{vals}]" if vals else ""))
        out.append("")
    elif row.get("fired_rules"):
        out += ["**Why this level**: rules fired: "
                + ", ".join(md_code(r) for r in row["fired_rules"]), ""]

    measures = [m for m in (row.get("measures") or []) if m]
    if measures:
        out += ["**Measures, owners and deadlines**", "",
                "| measure | owner | deadline | hours from first seen | status | source |",
                "|---|---|---|---|---|---|"]
        official = row.get("first_official_response_at")
        for m in sorted(measures, key=lambda m: (m.get("due_at") is None, m.get("due_at"))):
            due = m.get("due_at")
            publish = "publish" in str(m.get("measure") or "")
            if publish and official is not None and due is not None:
                # an official post is the authoritative information the measure asks for
                status = (f"met: official post {_fmt_time(official, tz)}" if official <= due
                          else f"**late**: first official post {_fmt_time(official, tz)}")
            elif due is None or graded_at is None:
                status = "—"
            elif due < graded_at:
                status = "**deadline passed** at grading time"
            else:
                status = f"due in {(due - graded_at).total_seconds() / 3600:.1f} h"
            out.append(f"| {md_text(m.get('title') or m.get('measure'))} | "
                       f"{md_text(m.get('owner')) or '—'} | "
                       f"{_fmt_time(due, tz)} | {_num(m.get('deadline_hours'))} | {status} | "
                       f"{md_text(m.get('source'))} |")
        out.append("")
    else:
        out += ["**Measures**: none prescribed (kept on watch).", ""]
    return out


def build_briefing(
    findings: pl.DataFrame,
    gradings: pl.DataFrame,
    posts: pl.DataFrame | None = None,
    assignments: pl.DataFrame | None = None,
    *,
    title: str = "Case briefing",
    case: str = "",
    top_n: int = 5,
    pseudonymise: bool = True,
    tz: str = DISPLAY_TZ,
    graded_at: datetime | None = None,
    rules_version: str | None = None,
    rules_hash: str | None = None,
    model_id: str | None = None,
    notes: Sequence[str] = (),
) -> str:
    """The briefing as Markdown."""
    g = gradings.select("event_id", "level", "level_rank", "level_name", "colour", "measures",
                        "fired_rules", "trace")
    ranked = (
        findings.join(g, on="event_id", how="left")
        .with_columns(pl.col("level_rank").fill_null(5), pl.col("level").fill_null("watch"))
        .sort(["level_rank", "n_posts", "event_id"], descending=[False, True, False])
    )
    counts = dict(ranked.group_by("level").len().rows())
    n_posts = int(findings["n_posts"].sum() or 0) if findings.height else 0
    out = [f"# 舆情简报 · Briefing: {md_text(title)}", ""]
    meta = [f"case {md_code(case)}" if case else "",
            f"graded at {_fmt_time(graded_at, tz)} ({md_text(tz)})" if graded_at else "",
            f"rules {md_text(rules_version)} ({md_text(rules_hash)})" if rules_version else "",
            f"model {md_text(model_id)}" if model_id else "",
            "authors pseudonymised" if pseudonymise else "**authors named**"]
    out += [" · ".join(m for m in meta if m), ""]
    out += [f"**{ranked.height} events, {n_posts:,} posts.** By level:", "",
            "| level | | events |", "|---|---|---|"]
    out += [f"| {lv} | {LEVEL_NAMES[lv]} | {counts.get(lv, 0)} |" for lv in LEVEL_ORDER]
    out.append("")
    out += [f"- {md_text(n)}" for n in notes]
    if notes:
        out.append("")
    top = ranked.head(top_n)
    if top.height:
        out += ["## Events needing action, most severe first", ""]
        out += [f"{i}. **{md_text(r['event_id'])}** level {md_text(r['level'])} "
                f"({md_text(r.get('level_name'))}) — {md_text(r.get('title'))} ({r['n_posts']:,} posts)"
                for i, r in enumerate(top.iter_rows(named=True), 1)]
        out.append("")
    ep = None
    if posts is not None and assignments is not None:
        ep = posts.join(assignments.select("post_id", "event_id"), on="post_id", how="inner")
    for i, row in enumerate(top.iter_rows(named=True), 1):
        event_posts = ep.filter(pl.col("event_id") == row["event_id"]) if ep is not None else None
        out += _event_section(i, row, event_posts, tz=tz, pseudonymise=pseudonymise,
                              graded_at=graded_at)
    if ranked.height > top.height:
        out += [f"*{ranked.height - top.height} further events are in the case report.*", ""]
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","Microsoft YaHei","PingFang SC",
sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.2rem .5rem;
text-align:left;vertical-align:top}th{background:#f3f3f3}blockquote{color:#555;margin:.3rem 0;
border-left:4px solid #ddd;padding-left:.6rem}code{font-size:.85em;background:#f6f6f6}
h2{border-top:2px solid #ddd;padding-top:.6rem}figure{margin:1rem 0}
"""


def to_html(markdown: str, *, title: str = "Briefing", figures: Sequence[str] = ()) -> str:
    """A self-contained HTML page (inline CSS, inline SVG figures, no scripts): raw HTML in
    the Markdown is escaped, links only to http(s)."""
    body = markdown_to_html(markdown)
    for level, colour in LEVEL_COLOURS.items():
        body = body.replace(f"<strong>Level {level} ",
                            f'<strong style="color:{colour}">Level {level} ')
    return page(title, body, css=_CSS, figures=[("", svg) for svg in figures])


def write_briefing(out_dir: str | Path, markdown: str, *, title: str = "Briefing",
                   charts: Sequence[Any] = ()) -> tuple[Path, Path]:
    """Write ``briefing.md`` and ``briefing.html`` (charts inlined as SVG) into ``out_dir``."""
    from workbench.charts import to_svg

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md = out / "briefing.md"
    md.write_text(markdown, encoding="utf-8")
    html = out / "briefing.html"
    html.write_text(to_html(markdown, title=title, figures=[to_svg(c) for c in charts]),
                    encoding="utf-8")
    return md, html
