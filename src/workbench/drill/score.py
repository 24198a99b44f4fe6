"""Drill scoring: pure functions over a timeline of gradings and the scenario's truth.

The **timeline** has one row per (clock step, detected event): ``at`` (UTC), ``event_id``,
``level``, ``level_rank``, ``n_posts``, ``incident_posts`` (posts of the event that truly
belong to the incident), ``measures`` (list of MEASURE_DTYPE structs) and ``fired_rules``.
From it:

- :func:`incident_track`: per step, the incident's best level over the detected events that
  are mostly incident posts (``incident_share >= match_share``), how many events it is split
  into, and how many of its posts so far those events cover; plus background events that
  raised an alert (false alarms).
- :func:`detection`: first alert (any level I-IV) vs the onset.
- :func:`grading_accuracy`: the level over time against the intended level.
- :func:`measure_timeliness`: prescribed measures' deadlines vs the responders' scripted
  actions (hours after detection): on time, late, missing.
- :func:`evaluate`: all of the above, the criteria with scores 0-100, problems found,
  lessons and suggested changes to rules or measures.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from workbench.schema import LEVELS, MEASURE_DTYPE, UTC_TIME, WATCH

RANK = {level: i + 1 for i, level in enumerate(LEVELS)} | {WATCH: 5}

TIMELINE_SCHEMA = pl.Schema({
    "at": UTC_TIME,
    "event_id": pl.Utf8,
    "level": pl.Utf8,
    "level_rank": pl.Int64,
    "n_posts": pl.Int64,
    "incident_posts": pl.Int64,
    "measures": pl.List(MEASURE_DTYPE),
    "fired_rules": pl.List(pl.Utf8),
})

TRACK_SCHEMA = pl.Schema({
    "at": UTC_TIME,
    "hours_after_onset": pl.Float64,
    "level": pl.Utf8,
    "level_rank": pl.Int64,
    "n_events": pl.Int64,
    "incident_posts_seen": pl.Int64,
    "covered": pl.Float64,
    "purity": pl.Float64,
    "false_alarms": pl.Int64,
})

# Measure ids as scenarios name them, and other names the rules may use for the same thing.
MEASURE_ALIASES: dict[str, tuple[str, ...]] = {
    "start_response": ("activate_response", "launch_response", "启动应急响应", "启动响应"),
    "investigate": ("verify", "investigate_verify", "investigation", "开展调查核实", "调查核实"),
    "publish_info": ("publish_information", "release_information", "authoritative_information",
                     "发布权威信息", "信息发布"),
    "press_conference": ("news_conference", "举行新闻发布会", "新闻发布会"),
    "expert_interpretation": ("expert", "experts", "组织专家解读", "专家解读"),
    "guide_opinion": ("opinion_guidance", "guidance", "加强舆情引导", "舆论引导", "舆情引导"),
    "media_communication": ("media", "媒体沟通"),
    "legal_review": ("legal", "法律审核"),
    "follow_up": ("follow_up_evaluation", "后续跟踪与评估", "后续跟踪"),
    "monitor": ("monitoring", "持续监测研判", "持续监测"),
}


def _norm(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def canonical_measure(name: str) -> str:
    """Map a measure id or title to the scenario's name for it (or itself)."""
    n = _norm(name)
    for canon, aliases in MEASURE_ALIASES.items():
        if n == canon or n in {_norm(a) for a in aliases}:
            return canon
    for canon, aliases in MEASURE_ALIASES.items():  # titles such as "发布权威信息（通报）"
        if any(len(a) >= 2 and not a.isascii() and a in str(name) for a in aliases):
            return canon
    return n


def empty_timeline() -> pl.DataFrame:
    return pl.DataFrame(schema=TIMELINE_SCHEMA)


def _as_utc(value: str | dt.datetime) -> dt.datetime:
    t = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    return t.astimezone(dt.UTC) if t.tzinfo else t.replace(tzinfo=dt.UTC)


def incident_track(timeline: pl.DataFrame, onset: dt.datetime, incident_total: pl.DataFrame | None = None,
                   *, match_share: float = 0.5) -> pl.DataFrame:
    """Per clock step: the incident's level (most severe over its matched events), events it is
    split into, coverage of its posts so far, and alerts raised on background events.

    ``incident_total``: optional (at, incident_posts_seen) = how many incident posts existed
    at each step (for coverage); without it coverage is computed against the matched events.
    """
    onset = _as_utc(onset)
    tl = timeline.with_columns(
        share=pl.col("incident_posts") / pl.col("n_posts").clip(lower_bound=1),
    ).with_columns(matched=pl.col("share") >= match_share)
    steps = tl.select("at").unique().sort("at")
    inc = (
        tl.filter("matched")
        .group_by("at")
        .agg(level_rank=pl.col("level_rank").min(), n_events=pl.len(),
             covered_posts=pl.col("incident_posts").sum(), matched_posts=pl.col("n_posts").sum())
    )
    fa = (  # alerts on events that are mostly background chatter (< 20% incident posts)
        tl.filter((pl.col("share") < 0.2) & (pl.col("level_rank") < RANK[WATCH]))
        .group_by("at").agg(false_alarms=pl.len())
    )
    seen = tl.group_by("at").agg(all_incident=pl.col("incident_posts").sum())
    out = steps.join(inc, on="at", how="left").join(fa, on="at", how="left").join(seen, on="at", how="left")
    if incident_total is not None:
        out = out.drop("all_incident").join(
            incident_total.rename({"incident_posts_seen": "all_incident"}), on="at", how="left")
    inv = {v: k for k, v in RANK.items()}
    out = out.with_columns(
        level_rank=pl.col("level_rank").fill_null(RANK[WATCH]).cast(pl.Int64),
        n_events=pl.col("n_events").fill_null(0).cast(pl.Int64),
        false_alarms=pl.col("false_alarms").fill_null(0).cast(pl.Int64),
        incident_posts_seen=pl.col("all_incident").fill_null(0).cast(pl.Int64),
        covered=(pl.col("covered_posts").fill_null(0) / pl.col("all_incident").clip(lower_bound=1)).cast(pl.Float64),
        purity=(pl.col("covered_posts") / pl.col("matched_posts").clip(lower_bound=1)).cast(pl.Float64),
        hours_after_onset=((pl.col("at") - pl.lit(onset, dtype=UTC_TIME)).dt.total_seconds() / 3600).cast(pl.Float64),
    ).with_columns(level=pl.col("level_rank").replace_strict(inv, return_dtype=pl.Utf8))
    return out.select(list(TRACK_SCHEMA)).cast(dict(TRACK_SCHEMA)).sort("at")


def detection(track: pl.DataFrame, onset: dt.datetime) -> dict[str, Any]:
    """First alert at any level (I-IV) on the incident, and first time it was seen at all."""
    onset = _as_utc(onset)
    alerted = track.filter(pl.col("level_rank") < RANK[WATCH])
    seen = track.filter(pl.col("n_events") > 0)
    at = alerted["at"][0] if alerted.height else None
    first_seen = seen["at"][0] if seen.height else None
    return {
        "detected": at is not None,
        "detected_at": at,
        "delay_hours": None if at is None else (at - onset).total_seconds() / 3600,
        "first_level": None if at is None else alerted["level"][0],
        "first_seen_at": first_seen,
        "seen_delay_hours": None if first_seen is None else (first_seen - onset).total_seconds() / 3600,
    }


def grading_accuracy(track: pl.DataFrame, intended: str, *, since: dt.datetime | None = None) -> dict[str, Any]:
    """How the incident's level compares with the intended level, step by step.

    Steps from ``since`` (default: the first alert; all steps after the onset when never
    alerted) count. ``under`` = less severe than intended, ``over`` = more severe.
    """
    target = RANK[intended]
    t = track.filter(pl.col("hours_after_onset") >= 0)
    if since is not None:
        t = t.filter(pl.col("at") >= since)
    else:
        first = t.filter(pl.col("level_rank") < RANK[WATCH])
        if first.height:
            t = t.filter(pl.col("at") >= first["at"][0])
    n = t.height
    if n == 0:
        return {"steps": 0, "exact_share": 0.0, "under_share": 1.0, "over_share": 0.0,
                "mean_abs_rank_error": None, "peak_level": WATCH, "final_level": WATCH,
                "reached_intended_at": None, "hours_to_intended": None}
    ranks = t["level_rank"]
    reached = t.filter(pl.col("level_rank") <= target)
    peak = int(ranks.min())
    inv = {v: k for k, v in RANK.items()}
    return {
        "steps": n,
        "exact_share": float((ranks == target).mean()),
        "under_share": float((ranks > target).mean()),
        "over_share": float((ranks < target).mean()),
        "mean_abs_rank_error": float((ranks - target).abs().mean()),
        "peak_level": inv[peak],
        "final_level": t["level"][-1],
        "reached_intended_at": reached["at"][0] if reached.height else None,
        "hours_to_intended": float(reached["hours_after_onset"][0]) if reached.height else None,
    }


def prescribed_measures(timeline: pl.DataFrame, *, match_share: float = 0.5) -> list[dict[str, Any]]:
    """Measures prescribed for the incident over the drill: each measure once, with the earliest
    (strictest) deadline any grading gave it and the level that prescribed it.

    A deadline runs from when the incident first reached the level that prescribed it (or a
    higher one), as in the watch, not from the event's first post: ``due_at`` = that time +
    ``deadline_hours``; the grading's own due time (from the first post) is kept as
    ``due_from_first_post``."""
    tl = timeline.filter(
        (pl.col("incident_posts") / pl.col("n_posts").clip(lower_bound=1)) >= match_share
    ).filter(pl.col("level_rank") < RANK[WATCH])
    if tl.height == 0:
        return []
    reached = {lv: tl.filter(pl.col("level_rank") <= RANK[lv])["at"].min() for lv in LEVELS}
    rows = (
        tl.select("at", "level", "measures").explode("measures").drop_nulls("measures")
        .unnest("measures")
        .with_columns(
            level_reached_at=pl.col("level").replace_strict(reached, return_dtype=UTC_TIME),
            due_from_first_post=pl.col("due_at"),
        )
        .with_columns(due_at=pl.col("level_reached_at") + pl.duration(
            microseconds=(pl.col("deadline_hours") * 3.6e9).round().cast(pl.Int64)))
        .sort("due_at", "at", nulls_last=True)
    )
    out: dict[str, dict[str, Any]] = {}
    for r in rows.iter_rows(named=True):
        key = canonical_measure(r["measure"] or r["title"] or "")
        if key not in out:
            out[key] = {"measure": key, "rule_measure": r["measure"], "title": r["title"], "owner": r["owner"],
                        "deadline_hours": r["deadline_hours"], "due_at": r["due_at"],
                        "prescribed_at": r["at"], "level": r["level"],
                        "level_reached_at": r["level_reached_at"],
                        "due_from_first_post": r["due_from_first_post"]}
    return list(out.values())


def measure_timeliness(prescribed: list[dict[str, Any]], responders: dict[str, float | None],
                       detected_at: dt.datetime | None, end: dt.datetime | None = None) -> list[dict[str, Any]]:
    """For each prescribed measure: when the responders did it (detection + scripted hours),
    its deadline, and a status: ``on_time``, ``late`` (by ``late_hours``), ``missing`` (scripted
    as never done, or not scripted and its deadline passed before ``end``, the drill's last
    step) or ``open`` (not scripted, deadline after the drill ended: not scored). Scripted
    actions the rules did not prescribe are listed as ``unprescribed``."""
    scripted = {canonical_measure(k): v for k, v in responders.items()}
    out: list[dict[str, Any]] = []
    for m in prescribed:
        hours = scripted.get(m["measure"])
        done = None if (hours is None or detected_at is None) else detected_at + dt.timedelta(hours=hours)
        due = m["due_at"]
        if done is None and m["measure"] not in scripted and end is not None and due is not None and due > end:
            status, late = "open", None
        elif done is None:
            status, late = "missing", None
        elif due is None or done <= due:
            status, late = "on_time", None
        else:
            status, late = "late", (done - due).total_seconds() / 3600
        out.append({**m, "done_at": done, "status": status, "late_hours": late,
                    "scripted_hours": hours})
    names = {m["measure"] for m in prescribed}
    for k, v in scripted.items():
        if k not in names:
            done = None if (v is None or detected_at is None) else detected_at + dt.timedelta(hours=v)
            out.append({"measure": k, "rule_measure": None, "title": None, "owner": None, "deadline_hours": None,
                        "due_at": None, "prescribed_at": None, "level": None, "done_at": done,
                        "status": "unprescribed", "late_hours": None, "scripted_hours": v})
    return out


@dataclass
class DrillScore:
    scenario: str
    intended_level: str
    nature: str
    onset: dt.datetime
    detection: dict[str, Any]
    accuracy: dict[str, Any]
    measures: list[dict[str, Any]]
    criteria: list[dict[str, Any]]
    total: float
    problems: list[str] = field(default_factory=list)
    lessons: list[str] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    false_alarm_steps: int = 0
    max_fragments: int = 0
    final_coverage: float | None = None
    final_purity: float | None = None
    graded_nature: str | None = None

    def as_dict(self) -> dict[str, Any]:
        def conv(v):
            if isinstance(v, dt.datetime):
                return v.isoformat()
            if isinstance(v, dict):
                return {k: conv(x) for k, x in v.items()}
            if isinstance(v, list):
                return [conv(x) for x in v]
            return v

        return conv(self.__dict__)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _lin(value: float | None, good: float, bad: float) -> float:
    """100 at or below ``good``, 0 at or above ``bad``, linear between; 0 when None."""
    if value is None:
        return 0.0
    if value <= good:
        return 100.0
    if value >= bad:
        return 0.0
    return 100.0 * (bad - value) / (bad - good)


def evaluate(timeline: pl.DataFrame, truth: dict[str, Any], *, incident_total: pl.DataFrame | None = None,
             graded_nature: str | None = None, detect_good_hours: float = 2.0,
             detect_bad_hours: float = 24.0, every_hours: float | None = None) -> DrillScore:
    """Score a drill: criteria with scores, problems found, lessons, suggested changes."""
    onset = _as_utc(truth["onset"])
    intended = truth["intended_level"]
    track = incident_track(timeline, onset, incident_total)
    det = detection(track, onset)
    acc = grading_accuracy(track, intended)
    prescribed = prescribed_measures(timeline)
    end = track["at"].max() if track.height else None
    measures = measure_timeliness(prescribed, truth.get("responders") or {}, det["detected_at"], end)
    due = [m for m in measures if m["status"] in {"on_time", "late", "missing"}]
    on_time = sum(m["status"] == "on_time" for m in due)
    after = track.filter(pl.col("hours_after_onset") >= 0)
    fa_steps = int((after["false_alarms"] > 0).sum()) if after.height else 0
    max_frag = int(after["n_events"].max() or 0) if after.height else 0
    coverage = float(after["covered"][-1]) if after.height else None
    purity = after["purity"].drop_nulls()
    purity = float(purity[-1]) if purity.len() else None

    criteria = [
        {"criterion": "Detection: first alert within "
                      f"{detect_good_hours:g} h of the onset (0 points at {detect_bad_hours:g} h)",
         "value": "never" if det["delay_hours"] is None else f"{det['delay_hours']:.1f} h",
         "score": _lin(det["delay_hours"], detect_good_hours, detect_bad_hours), "weight": 0.3},
        {"criterion": f"Grading: share of steps after the first alert at the intended level {intended}",
         "value": f"{acc['exact_share']:.0%} (peak {acc['peak_level']}, final {acc['final_level']})",
         "score": 100.0 * acc["exact_share"], "weight": 0.3},
        {"criterion": "Response: prescribed measures done by their deadlines",
         "value": f"{on_time}/{len(due)} on time" if due else "none prescribed",
         "score": 100.0 * on_time / len(due) if due else 0.0, "weight": 0.3},
        {"criterion": "Tracking: one event for the incident, holding its posts and little else; "
                      "no alerts on background chatter",
         "value": f"max {max_frag} event(s), coverage {_pct(coverage)}, purity {_pct(purity)}, "
                  f"false alarms in {fa_steps} step(s)",
         "score": max(0.0, 100.0 - 25.0 * max(0, max_frag - 1) - 10.0 * fa_steps
                      - 100.0 * max(0.0, 0.9 - (purity if purity is not None else 0.0))), "weight": 0.1},
    ]
    total = sum(c["score"] * c["weight"] for c in criteria) / sum(c["weight"] for c in criteria)

    problems, lessons, suggestions = _findings(det, acc, measures, intended, truth, fa_steps, max_frag,
                                               graded_nature, detect_good_hours, purity, every_hours)
    return DrillScore(
        scenario=truth.get("scenario", ""), intended_level=intended, nature=truth.get("nature", ""),
        onset=onset, detection=det, accuracy=acc, measures=measures, criteria=criteria, total=total,
        problems=problems, lessons=lessons, suggestions=suggestions, false_alarm_steps=fa_steps,
        max_fragments=max_frag, final_coverage=coverage, final_purity=purity, graded_nature=graded_nature,
    )


def _findings(det, acc, measures, intended, truth, fa_steps, max_frag, graded_nature, good_hours, purity,
              every_hours=None):
    problems: list[str] = []
    lessons: list[str] = []
    suggestions: list[str] = []
    if not det["detected"]:
        problems.append("The incident was never alerted: no grading reached level IV or above.")
        suggestions.append("Lower the entry thresholds of the level-IV rules (volume, growth or burst) "
                           "and replay this drill.")
    elif det["delay_hours"] > good_hours and every_hours and det["delay_hours"] <= every_hours:
        problems.append(f"Detection took {det['delay_hours']:.1f} h after the onset (target {good_hours:g} h): "
                        f"the first clock step after the onset, so the {every_hours:g}-hour monitoring "
                        "interval, not the rules, set the delay.")
        suggestions.append(f"Monitor more often than every {every_hours:g} h (the plan asks for 24-hour "
                           "monitoring with early warning).")
    elif det["delay_hours"] > good_hours:
        problems.append(f"Detection took {det['delay_hours']:.1f} h after the onset (target {good_hours:g} h).")
        suggestions.append("Add or loosen an early-warning rule on burst z-score / growth in the first "
                           "hours (findings `max_burst_z`, `growth_rate`), or shorten the monitoring interval.")
    else:
        lessons.append(f"Detection worked: first alert {det['delay_hours']:.1f} h after the onset "
                       f"at level {det['first_level']}.")
    target = RANK[intended]
    if acc["steps"]:
        if acc["reached_intended_at"] is None:
            problems.append(f"The intended level {intended} was never reached (peak {acc['peak_level']}).")
            suggestions.append(f"Review the level-{intended} rules: the incident's findings at its peak should "
                               f"satisfy at least one of them (see the trace of the peak grading).")
        elif acc["hours_to_intended"] is not None and acc["hours_to_intended"] > 6:
            problems.append(f"Level {intended} was reached only {acc['hours_to_intended']:.1f} h after the onset.")
            suggestions.append(f"Let early signals (casualty mentions, official involvement, KOL share) "
                               f"escalate to level {intended} sooner.")
        if acc["peak_level"] != WATCH and RANK[acc["peak_level"]] < target:
            problems.append(f"Over-grading: the incident peaked at {acc['peak_level']}, more severe than the "
                            f"intended {intended}.")
            suggestions.append(f"Tighten the level-{acc['peak_level']} rules' thresholds so that an incident of "
                               f"this size stays at {intended}.")
        if acc["exact_share"] >= 0.7:
            lessons.append(f"Grading was stable: {acc['exact_share']:.0%} of the steps at the intended level.")
        if acc["under_share"] > 0.5 and acc["reached_intended_at"] is not None:
            lessons.append("The level lags the incident: most steps were graded below the intended level, "
                           "so the first hours rely on the analysts' judgement.")
    for m in measures:
        label = m["title"] or m["measure"]
        if m["status"] == "late":
            problems.append(f"Measure '{label}' (owner {m['owner']}) was done {m['late_hours']:.1f} h after "
                            f"its deadline.")
            suggestions.append(f"Either give '{label}' a backup owner and a reminder before its deadline, or set "
                               f"its deadline to at least {m['deadline_hours'] + m['late_hours']:.0f} h if that "
                               f"is what responders can actually do.")
        elif m["status"] == "missing":
            problems.append(f"Measure '{label}' (owner {m['owner']}) was prescribed but never done.")
            suggestions.append(f"Make '{label}' a tracked task with an escalation when its deadline passes.")
        elif m["status"] == "unprescribed" and m["scripted_hours"] is not None:
            lessons.append(f"Responders did '{m['measure']}' although the rules did not prescribe it: consider "
                           f"adding it to the measures for {truth.get('nature')} incidents at level {intended}.")
    impossible = [m for m in measures if m.get("due_at") is not None and m.get("prescribed_at") is not None
                  and m["due_at"] < m["prescribed_at"]]
    if impossible:
        names = ", ".join(f"'{m['title'] or m['measure']}'" for m in impossible)
        problems.append(f"Deadlines that had passed before they were set: {names} were prescribed when the "
                        f"incident reached level {impossible[0]['level']}, but their deadlines run from the "
                        "event's first post, which was earlier.")
        suggestions.append("Run a level's deadlines from the time the event reaches that level (or from the "
                           "first alert), not from its first post, or prescribe the urgent measures already "
                           "at the lower level.")
    on_time = [m for m in measures if m["status"] == "on_time"]
    if on_time:
        lessons.append("On time: " + ", ".join(m["title"] or m["measure"] for m in on_time) + ".")
    if fa_steps:
        problems.append(f"Background chatter raised alerts in {fa_steps} step(s) (false alarms).")
        suggestions.append("Require a minimum of negative sentiment or sensitive terms in the level-IV "
                           "rules, so everyday topics stay on watch.")
    if purity is not None and purity < 0.8:
        problems.append(f"The incident's event(s) also swallowed unrelated posts: only {purity:.0%} of their "
                        "posts are about the incident, which inflates its volume and reach.")
        suggestions.append("Tighten event clustering (a lower distance threshold, or a larger time weight) "
                           "so background chatter is not merged into the incident.")
    if max_frag > 1:
        problems.append(f"The incident was split into up to {max_frag} events.")
        suggestions.append("Raise the event clustering threshold or merge events sharing hashtags.")
    if graded_nature and truth.get("nature") and graded_nature != truth["nature"]:
        problems.append(f"Nature graded as '{graded_nature}', intended '{truth['nature']}'.")
        suggestions.append(f"Add the incident's words to the '{truth['nature']}' lexicon (rules/lexicons).")
    if not problems:
        lessons.append("No problems found in this drill.")
    return problems, lessons, suggestions
