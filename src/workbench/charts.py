"""Altair chart builders for events, findings and gradings.

Every builder takes the project's tables (``workbench.schema``: posts, findings, gradings)
as Polars frames, **aggregates in Polars first** (so a chart carries at most a few thousand
rows whatever the input size: Altair's 5,000-row limit never bites) and returns an Altair
chart (``alt.Chart``, or ``alt.LayerChart`` where marks are layered).

Times are shown as wall-clock time in ``tz`` (default Asia/Shanghai, the plan's clock):
timestamps are converted in Polars and handed to Vega as naive ISO strings, so a chart
renders the same on any machine whatever its local time zone.

Export: ``to_svg`` (text stays text: Chinese renders in any browser), ``to_png`` (needs a
CJK font on the machine, e.g. Debian's ``fonts-wqy-microhei``, or Chinese draws as boxes),
``save`` (by suffix), and ``use_offline_renderer()`` for notebooks whose HTML must render
without a CDN.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import polars as pl

DISPLAY_TZ = "Asia/Shanghai"
LEVEL_ORDER = ["I", "II", "III", "IV", "watch"]
LEVEL_COLOURS = {
    "I": "#d7191c",  # red
    "II": "#f57c00",  # orange
    "III": "#e6b800",  # yellow
    "IV": "#2c7bb6",  # blue
    "watch": "#9e9e9e",  # none
}
LEVEL_NAMES = {"I": "特别重大", "II": "重大", "III": "较大", "IV": "一般", "watch": "关注"}
BURST_Z = 3.5  # robust z-score threshold for a burst hour (as in findings)
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"

_ISO = "%Y-%m-%dT%H:%M:%S"


# --------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------
def level_scale() -> alt.Scale:
    """Fixed colour scale for levels: I red, II orange, III yellow, IV blue, watch grey."""
    return alt.Scale(domain=LEVEL_ORDER, range=[LEVEL_COLOURS[k] for k in LEVEL_ORDER])


def _styled(chart, *, width: int = 640, height: int = 240):
    # No .configure() here: builders' charts stay composable (layer / concat); export
    # functions add the CJK font list.
    return chart.properties(width=width, height=height)


def _local(expr: pl.Expr, tz: str) -> pl.Expr:
    """UTC datetime expression -> naive wall-clock ISO string in ``tz`` (for Vega)."""
    return expr.dt.convert_time_zone(tz).dt.replace_time_zone(None).dt.strftime(_ISO)


def _row(frame_or_row: pl.DataFrame | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if frame_or_row is None:
        return None
    if isinstance(frame_or_row, pl.DataFrame):
        if frame_or_row.height != 1:
            raise ValueError(f"expected one row, got {frame_or_row.height}")
        return frame_or_row.row(0, named=True)
    return dict(frame_or_row)


def _to_local_iso(value: datetime | None, tz: str) -> str | None:
    if value is None:
        return None
    frame = pl.DataFrame({"t": [value]})
    if frame.schema["t"].time_zone is None:  # type: ignore[union-attr]
        frame = frame.with_columns(pl.col("t").dt.replace_time_zone("UTC"))
    return frame.select(_local(pl.col("t"), tz)).item()


def robust_z(values: np.ndarray) -> np.ndarray:
    """Robust z-score: (x - median) / (1.4826 * MAD); mean absolute deviation if MAD is 0."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return x
    med = np.median(x)
    mad = np.median(np.abs(x - med)) * 1.4826
    if mad == 0:
        mad = np.mean(np.abs(x - med)) * 1.2533
    if mad == 0:
        return np.zeros_like(x)
    return (x - med) / mad


def pseudonym(author_id: str | None, salt: str = "") -> str:
    """A short stable pseudonym for an author id (salted sha256, 8 hex)."""
    if author_id is None:
        return "unknown"
    return "author-" + hashlib.sha256(f"{salt}:{author_id}".encode()).hexdigest()[:8]


def _bin_every(n_hours: int, max_bins: int) -> int:
    """Hours per bin so that a series of n_hours fits in max_bins bins (1, 2, 3, 6, 12, 24, 48...)."""
    for step in (1, 2, 3, 6, 12, 24, 48, 72, 168, 336, 720):
        if math.ceil(n_hours / step) <= max_bins:
            return step
    return math.ceil(n_hours / max_bins)


# --------------------------------------------------------------------------------------
# event timeline
# --------------------------------------------------------------------------------------
def hourly_frame(finding: pl.DataFrame | Mapping[str, Any], *, max_bins: int = 1000) -> pl.DataFrame:
    """The event's volume series (from ``hourly_counts``) with robust z and burst flags.

    Columns: start (UTC), hours (bin width), posts, z, burst. Long series are re-binned to at
    most ``max_bins`` bins (z and bursts are computed on the hourly series first).
    """
    row = _row(finding)
    assert row is not None
    counts = np.asarray(row.get("hourly_counts") or [], dtype=float)
    first = row.get("first_seen")
    if first is None or counts.size == 0:
        return pl.DataFrame(
            schema={"start": pl.Datetime("us", "UTC"), "hours": pl.Int64, "posts": pl.Int64,
                    "z": pl.Float64, "burst": pl.Boolean}
        )
    z = robust_z(counts)
    step = _bin_every(counts.size, max_bins)
    hourly = pl.DataFrame(
        {"i": np.arange(counts.size), "posts": counts.astype(np.int64), "z": z}
    ).with_columns(burst=pl.col("z") >= BURST_Z, bin=pl.col("i") // step)
    start0 = pl.DataFrame({"t": [first]}).select(pl.col("t").dt.truncate("1h")).item()
    out = (
        hourly.group_by("bin", maintain_order=True)
        .agg(pl.col("posts").sum(), pl.col("z").max(), pl.col("burst").any())
        .with_columns(
            start=pl.lit(start0) + pl.duration(hours=pl.col("bin") * step),
            hours=pl.lit(step, pl.Int64),
        )
        .select("start", "hours", "posts", "z", "burst")
    )
    if out.schema["start"].time_zone is None:  # type: ignore[union-attr]
        out = out.with_columns(pl.col("start").dt.replace_time_zone("UTC"))
    return out


def event_timeline(
    finding: pl.DataFrame | Mapping[str, Any],
    *,
    grading: pl.DataFrame | Mapping[str, Any] | None = None,
    level_changes: pl.DataFrame | None = None,
    tz: str = DISPLAY_TZ,
    max_bins: int = 1000,
    max_deadlines: int = 8,
    deadline_horizon_hours: float = 48.0,
    trim_tail: float | None = 0.95,
    width: int = 680,
    height: int = 240,
) -> alt.LayerChart:
    """Posts per hour of one event: burst hours in red, the first official response,
    level changes (``level_changes``: columns ``at`` (UTC) and ``level``) and the deadlines
    of the prescribed measures (from ``grading``'s ``measures``) as marked vertical rules.
    Deadlines more than ``deadline_horizon_hours`` after the last activity (e.g. a week-long
    follow-up) are listed in the subtitle instead of stretching the time axis; so is a long
    quiet tail: the axis ends a margin after ``trim_tail`` of the posts (None = show all).
    """
    row = _row(finding)
    assert row is not None
    hidden = ""
    counts = list(row.get("hourly_counts") or [])
    if trim_tail and 0 < trim_tail < 1 and sum(counts) > 0:
        # a long quiet tail (real cascades trickle on for weeks) would squash the event:
        # show up to where trim_tail of the posts are, plus a margin
        cum = np.cumsum(counts)
        cut = int(np.searchsorted(cum, trim_tail * cum[-1])) + 1
        end = cut + max(24, cut // 10)
        if end < len(counts):
            rest = int(sum(counts[end:]))
            last = _to_local_iso(row.get("last_seen"), tz) or ""
            hidden = f"{rest:,} later posts (to {last[:10]}) not shown"
            row = dict(row, hourly_counts=counts[:end])
    series = hourly_frame(row, max_bins=max_bins)
    step = int(series["hours"][0]) if series.height else 1
    data = series.with_columns(
        t=_local(pl.col("start"), tz),
        t_end=_local(pl.col("start") + pl.duration(hours=pl.col("hours")), tz),
        kind=pl.when(pl.col("burst")).then(pl.lit("burst")).otherwise(pl.lit("normal")),
    ).drop("start")
    unit = "hour" if step == 1 else f"{step} h"
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("t:T", title=f"time ({tz})"),
            x2="t_end:T",
            y=alt.Y("posts:Q", title=f"posts per {unit}", scale=alt.Scale(zero=True)),
            y2=alt.datum(0),
            color=alt.Color(
                "kind:N",
                title="hour",
                scale=alt.Scale(domain=["normal", "burst"], range=["#7f9cbf", "#d7191c"]),
            ),
            tooltip=["t:T", "posts:Q", alt.Tooltip("z:Q", format=".1f"), "kind:N"],
        )
    )
    layers: list[alt.Chart] = [bars]
    marks: list[dict[str, Any]] = []
    official = row.get("first_official_response_at")
    if official is not None:
        marks.append({"t": _to_local_iso(official, tz), "label": "official response",
                      "kind": "official"})
    grow = _row(grading)
    later: list[str] = []
    if grow:
        measures = sorted(
            (m for m in (grow.get("measures") or []) if m and m.get("due_at") is not None),
            key=lambda m: m["due_at"],
        )
        # deadlines far past the activity would squash the series: list them in a subtitle
        if series.height:
            horizon = series["start"].max() + timedelta(hours=step + deadline_horizon_hours)
            later = [f"{m.get('title') or m.get('measure')} "
                     f"{_to_local_iso(m['due_at'], tz)[:16].replace('T', ' ')}"
                     for m in measures if m["due_at"] > horizon]
            measures = [m for m in measures if m["due_at"] <= horizon]
        later += [f"{m.get('title') or m.get('measure')}" for m in measures[max_deadlines:]]
        for m in measures[:max_deadlines]:
            who = f" ({m['owner']})" if m.get("owner") else ""
            marks.append({"t": _to_local_iso(m["due_at"], tz),
                          "label": f"due: {m.get('title') or m.get('measure')}{who}",
                          "kind": "deadline"})
    if level_changes is not None and level_changes.height:
        lc = level_changes.sort("at").select(
            t=_local(pl.col("at"), tz), label=pl.lit("→ level ") + pl.col("level"),
            kind=pl.lit("level"),
        )
        marks.extend(lc.to_dicts())
    if marks:
        mdata = pl.DataFrame(marks, schema={"t": pl.Utf8, "label": pl.Utf8, "kind": pl.Utf8})
        mdata = mdata.sort("t", maintain_order=True)
        # where each mark falls along the x axis: labels in the right third point left
        times = pl.concat([data["t"], data["t_end"], mdata["t"]]).str.to_datetime(_ISO)
        lo, hi = times.min(), times.max()
        span = max((hi - lo).total_seconds(), 1.0)  # type: ignore[operator]
        mdata = mdata.with_columns(
            dy=(pl.int_range(pl.len()) % 12) * 13 + 4,
            right=((pl.col("t").str.to_datetime(_ISO) - lo).dt.total_seconds() / span) > 0.66,
        )
        kinds = ["official", "level", "deadline"]
        colours = ["#1a9641", "#7b3294", "#555555"]
        mscale = alt.Scale(domain=kinds, range=colours)
        rules = alt.Chart(mdata).mark_rule(strokeDash=[4, 3], strokeWidth=1.5).encode(
            x="t:T",
            color=alt.Color("kind:N", title="mark", scale=mscale),
            tooltip=["label:N", "t:T"],
        )
        layers.append(rules)
        for right in (False, True):
            part = mdata.filter(pl.col("right") == right)
            if not part.height:
                continue
            layers.append(
                alt.Chart(part)
                .mark_text(align="right" if right else "left", dx=-3 if right else 3,
                           baseline="top", fontSize=10)
                .encode(
                    x="t:T",
                    y=alt.Y("dy:Q", axis=None, scale=alt.Scale(domain=[0, height], reverse=True)),
                    text="label:N",
                    color=alt.Color("kind:N", scale=mscale, legend=None),
                )
            )

    level = f" · level {grow['level']}" if grow and grow.get("level") else ""
    title = f"{row.get('event_id', '')} {row.get('title') or ''}".strip() + level
    chart = alt.layer(*layers).resolve_scale(y="independent", color="independent")
    heading: Any = title
    notes = ([hidden] if hidden else []) + (["later deadlines: " + "; ".join(later)] if later else [])
    if notes:
        heading = alt.TitleParams(title, subtitle=notes)
    return chart.properties(title=heading, width=width, height=height)


# --------------------------------------------------------------------------------------
# map of events
# --------------------------------------------------------------------------------------
MAP_FEATURES = (
    "n_posts", "unique_authors", "reach", "engagement", "duration_hours", "growth_rate",
    "max_burst_z", "negative_share", "sentiment_intensity", "rumour_share", "n_platforms",
    "cascade_depth", "kol_share",
)


def _pca2(x: np.ndarray) -> np.ndarray:
    """Deterministic 2-D PCA (SVD, signs fixed so the largest loading is positive)."""
    x = np.asarray(x, dtype=float)
    if x.shape[0] == 0:
        return np.zeros((0, 2))
    x = x - x.mean(axis=0)
    if x.shape[0] < 2 or not np.any(x):
        return np.zeros((x.shape[0], 2))
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    vt = vt[:2]
    signs = np.sign(vt[np.arange(vt.shape[0]), np.argmax(np.abs(vt), axis=1)])
    out = x @ (vt * signs[:, None]).T
    if out.shape[1] < 2:
        out = np.hstack([out, np.zeros((out.shape[0], 2 - out.shape[1]))])
    return out


def event_projection(
    findings: pl.DataFrame, *, centroids: np.ndarray | Mapping[str, np.ndarray] | None = None
) -> pl.DataFrame:
    """event_id, x, y: a 2-D projection of the events.

    With ``centroids`` (an array aligned with ``findings`` rows, or a mapping event_id ->
    vector, e.g. the mean embedding of each event's posts) the projection is a PCA of the
    centroids (events about similar things lie close); otherwise of the standardised,
    log-scaled findings features in ``MAP_FEATURES``.
    """
    ids = findings["event_id"].to_list()
    if centroids is not None:
        if isinstance(centroids, Mapping):
            missing = [e for e in ids if e not in centroids]
            if missing:
                raise ValueError(f"centroids missing for events {missing[:5]}")
            x = np.vstack([np.asarray(centroids[e], dtype=float) for e in ids]) if ids else np.zeros((0, 2))
        else:
            x = np.asarray(centroids, dtype=float)
            if x.shape[0] != len(ids):
                raise ValueError(f"centroids has {x.shape[0]} rows for {len(ids)} events")
    else:
        cols = [c for c in MAP_FEATURES if c in findings.columns]
        x = findings.select(
            [pl.col(c).cast(pl.Float64).fill_null(0.0).fill_nan(0.0) for c in cols]
        ).to_numpy()
        x = np.sign(x) * np.log1p(np.abs(x))
        sd = x.std(axis=0)
        x = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    xy = _pca2(x)
    return pl.DataFrame({"event_id": ids, "x": xy[:, 0], "y": xy[:, 1]})


def event_map(
    findings: pl.DataFrame,
    gradings: pl.DataFrame | None = None,
    *,
    centroids: np.ndarray | Mapping[str, np.ndarray] | None = None,
    max_points: int = 5000,
    width: int = 560,
    height: int = 420,
) -> alt.Chart:
    """Events as points on a 2-D projection (see ``event_projection``): size = posts,
    colour = level (I red .. IV blue, watch grey). Beyond ``max_points`` events the
    largest by volume are drawn and the title says how many of how many."""
    proj = event_projection(findings, centroids=centroids)
    cols = ["event_id", "title", "n_posts", "nature", "first_seen"]
    data = proj.join(findings.select([c for c in cols if c in findings.columns]), on="event_id")
    if gradings is not None:
        data = data.join(gradings.select("event_id", "level"), on="event_id", how="left")
    else:
        data = data.with_columns(level=pl.lit(None, pl.Utf8))
    data = data.with_columns(pl.col("level").fill_null("watch"))
    total = data.height
    title = "Map of events (2-D projection; size = posts, colour = level)"
    if total > max_points:
        data = data.sort(["n_posts", "event_id"], descending=[True, False]).head(max_points)
        title += f" — largest {max_points:,} of {total:,} events"
    if "first_seen" in data.columns:
        data = data.with_columns(_local(pl.col("first_seen"), DISPLAY_TZ).alias("first_seen"))
    chart = (
        alt.Chart(data)
        .mark_circle(opacity=0.75, stroke="#333333", strokeWidth=0.5)
        .encode(
            x=alt.X("x:Q", title="projection 1", axis=alt.Axis(labels=False, ticks=False)),
            y=alt.Y("y:Q", title="projection 2", axis=alt.Axis(labels=False, ticks=False)),
            size=alt.Size("n_posts:Q", title="posts", scale=alt.Scale(type="sqrt", range=[20, 1600])),
            color=alt.Color("level:N", title="level", scale=level_scale(), sort=LEVEL_ORDER),
            order=alt.Order("n_posts:Q", sort="descending"),
            tooltip=[c for c in ("event_id", "title", "level", "n_posts", "nature", "first_seen")
                     if c in data.columns],
        )
        .properties(title=title)
    )
    return _styled(chart, width=width, height=height)


# --------------------------------------------------------------------------------------
# sentiment, channels
# --------------------------------------------------------------------------------------
def _time_bins(posts: pl.DataFrame | pl.LazyFrame, freq: str, tz: str) -> pl.LazyFrame:
    return posts.lazy().with_columns(
        _bin=pl.col("created_at").dt.convert_time_zone(tz).dt.truncate(freq)
        .dt.replace_time_zone(None)
    )


def sentiment_over_time(
    posts: pl.DataFrame | pl.LazyFrame,
    *,
    score: str = "sentiment",
    by: str | None = None,
    freq: str = "1h",
    tz: str = DISPLAY_TZ,
    width: int = 680,
    height: int = 220,
) -> alt.LayerChart:
    """Share of negative posts per ``freq`` bin (line), with volume as bars behind it.

    ``posts`` needs ``created_at`` and either a ``score`` column (probability that a post is
    positive, 0..1; negative = score < 0.5) or a boolean ``negative`` column. ``by`` (e.g.
    ``event_id`` or ``platform``) draws one line per group.
    """
    lf = _time_bins(posts, freq, tz)
    names = lf.collect_schema().names()
    if "negative" in names:
        neg = pl.col("negative").cast(pl.Float64)
    elif score in names:
        neg = (pl.col(score) < 0.5).cast(pl.Float64)
    else:
        raise ValueError(f"sentiment_over_time needs a '{score}' or 'negative' column; got {names}")
    keys = ["_bin"] + ([by] if by else [])
    agg = (
        lf.filter(pl.col("created_at").is_not_null())
        .group_by(keys)
        .agg(posts=pl.len(), negative_share=neg.mean())
        .sort(keys)
        .with_columns(t=pl.col("_bin").dt.strftime(_ISO),
                      t_end=pl.col("_bin").dt.offset_by(freq).dt.strftime(_ISO))
        .drop("_bin")
        .collect()
    )
    x = alt.X("t:T", title=f"time ({tz})")
    bars = alt.Chart(agg).mark_bar(opacity=0.25, color="#7f9cbf").encode(
        x=x, x2="t_end:T", y=alt.Y("sum(posts):Q", title=f"posts per {freq}"),
    )
    line_enc: dict[str, Any] = dict(
        x=x,
        y=alt.Y("negative_share:Q", title="negative share", scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%")),
        tooltip=["t:T", "posts:Q", alt.Tooltip("negative_share:Q", format=".0%")]
        + ([f"{by}:N"] if by else []),
    )
    if by:
        line_enc["color"] = alt.Color(f"{by}:N", title=by)
    line = alt.Chart(agg).mark_line(point=True, color="#d7191c").encode(**line_enc)
    chart = alt.layer(bars, line).resolve_scale(y="independent")
    return chart.properties(title="Sentiment over time", width=width, height=height)


def channel_mix(
    posts: pl.DataFrame | pl.LazyFrame,
    *,
    freq: str | None = "6h",
    tz: str = DISPLAY_TZ,
    width: int = 680,
    height: int = 220,
) -> alt.Chart:
    """Posts per platform: stacked over time (``freq`` bins), or totals with ``freq=None``."""
    lf = posts.lazy()
    if freq is None:
        agg = (
            lf.group_by("platform").agg(posts=pl.len()).sort(["posts", "platform"], descending=[True, False])
            .with_columns(share=pl.col("posts") / pl.col("posts").sum()).collect()
        )
        chart = alt.Chart(agg).mark_bar().encode(
            y=alt.Y("platform:N", sort="-x", title="channel"),
            x=alt.X("posts:Q", title="posts"),
            color=alt.Color("platform:N", legend=None),
            tooltip=["platform:N", "posts:Q", alt.Tooltip("share:Q", format=".1%")],
        )
    else:
        agg = (
            _time_bins(lf, freq, tz).group_by(["_bin", "platform"]).agg(posts=pl.len())
            .sort(["_bin", "platform"]).with_columns(t=pl.col("_bin").dt.strftime(_ISO))
            .drop("_bin").collect()
        )
        chart = alt.Chart(agg).mark_area().encode(
            x=alt.X("t:T", title=f"time ({tz})"),
            y=alt.Y("posts:Q", stack="zero", title=f"posts per {freq}"),
            color=alt.Color("platform:N", title="channel"),
            tooltip=["t:T", "platform:N", "posts:Q"],
        )
    return _styled(chart.properties(title="Channel mix"), width=width, height=height)


# --------------------------------------------------------------------------------------
# spreaders and cascades
# --------------------------------------------------------------------------------------
def spreaders(
    posts: pl.DataFrame | pl.LazyFrame, *, n: int = 10, pseudonymise: bool = True, salt: str = ""
) -> pl.DataFrame:
    """Authors ranked by the reposts/replies their posts drew (direct children), then by
    followers. Columns: author, posts, reposts_drawn, followers, verified, author_type.
    With ``pseudonymise`` the author column is a salted pseudonym, never a name."""
    lf = posts.lazy()
    base = lf.select("post_id", "author_id", "author_name", "author_followers",
                     "author_verified", "author_type")
    children = lf.filter(pl.col("parent_id").is_not_null()).group_by("parent_id").agg(
        drawn=pl.len()
    )
    per_post = base.join(children, left_on="post_id", right_on="parent_id", how="left")
    agg = (
        per_post.group_by("author_id")
        .agg(
            posts=pl.len(),
            reposts_drawn=pl.col("drawn").fill_null(0).sum(),
            followers=pl.col("author_followers").max(),
            verified=pl.col("author_verified").any(),
            author_type=pl.col("author_type").drop_nulls().first(),
            author_name=pl.col("author_name").drop_nulls().first(),
        )
        .sort(["reposts_drawn", "followers", "author_id"], descending=[True, True, False],
              nulls_last=True)
        .head(n)
        .collect()
    )
    if pseudonymise:
        label = [pseudonym(a, salt) for a in agg["author_id"].to_list()]
    else:
        label = [nm or a or "unknown" for nm, a in zip(agg["author_name"].to_list(),
                                                      agg["author_id"].to_list(), strict=True)]
    return agg.with_columns(author=pl.Series(label, dtype=pl.Utf8)).select(
        "author", "posts", "reposts_drawn", "followers", "verified", "author_type"
    )


def top_spreaders(
    posts: pl.DataFrame | pl.LazyFrame,
    *,
    n: int = 10,
    pseudonymise: bool = True,
    salt: str = "",
    width: int = 480,
    height: int = 260,
) -> alt.Chart:
    """Bar chart of the top ``n`` spreaders (see ``spreaders``), official accounts marked."""
    data = spreaders(posts, n=n, pseudonymise=pseudonymise, salt=salt).with_columns(
        pl.col("author_type").fill_null("unknown")
    )
    chart = alt.Chart(data).mark_bar().encode(
        y=alt.Y("author:N", sort="-x", title=None),
        x=alt.X("reposts_drawn:Q", title="reposts / replies drawn"),
        color=alt.Color("author_type:N", title="author type"),
        tooltip=["author:N", "reposts_drawn:Q", "posts:Q", "followers:Q", "verified:N",
                 "author_type:N"],
    ).properties(title=f"Top {n} spreaders")
    return _styled(chart, width=width, height=height)


def cascade_depths(posts: pl.DataFrame | pl.LazyFrame, *, max_depth: int = 200) -> pl.DataFrame:
    """post_id, depth in its repost/reply tree (0 = root/original; a parent outside the
    table counts as a root one level up), computed by iterative joins in Polars."""
    df = posts.lazy().select("post_id", "parent_id").collect()
    depth = df.select("post_id", pl.lit(None, pl.Int64).alias("depth")).with_columns(
        depth=pl.when(df["parent_id"].is_null()).then(0).otherwise(None)
    )
    known_ids = set(df["post_id"].to_list())
    # parents not in the table: their children sit at depth 1
    orphan = df.filter(pl.col("parent_id").is_not_null() & ~pl.col("parent_id").is_in(list(known_ids)))
    depth = depth.with_columns(
        depth=pl.when(pl.col("post_id").is_in(orphan["post_id"].to_list())).then(1)
        .otherwise(pl.col("depth"))
    )
    for _ in range(max_depth):
        unresolved = depth["depth"].null_count()
        if unresolved == 0:
            break
        step = df.join(depth.rename({"post_id": "parent_id", "depth": "pdepth"}),
                       on="parent_id", how="left").select("post_id", "pdepth")
        depth = depth.join(step, on="post_id", how="left").with_columns(
            depth=pl.coalesce("depth", pl.col("pdepth") + 1)
        ).drop("pdepth")
        if depth["depth"].null_count() == unresolved:  # a cycle: leave as null
            break
    return depth


def cascade_shape(
    posts: pl.DataFrame | pl.LazyFrame, *, width: int = 420, height: int = 220
) -> alt.Chart:
    """Posts at each depth of the repost/reply trees, split by kind (original, repost, ...)."""
    lf = posts.lazy()
    depths = cascade_depths(lf)
    data = (
        lf.select("post_id", "kind").collect().join(depths, on="post_id", how="left")
        .with_columns(pl.col("depth").fill_null(-1), pl.col("kind").fill_null("unknown"))
        .group_by(["depth", "kind"]).agg(posts=pl.len()).sort(["depth", "kind"])
    )
    chart = alt.Chart(data).mark_bar().encode(
        x=alt.X("depth:O", title="depth in the repost tree (0 = original; -1 = cycle)",
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("posts:Q", title="posts"),
        color=alt.Color("kind:N", title="kind"),
        tooltip=["depth:O", "kind:N", "posts:Q"],
    ).properties(title="Cascade shape")
    return _styled(chart, width=width, height=height)


# --------------------------------------------------------------------------------------
# levels
# --------------------------------------------------------------------------------------
def level_distribution(
    gradings: pl.DataFrame, *, by: str | None = "nature", grouped: bool = False,
    width: int = 420, height: int = 220,
) -> alt.Chart:
    """Number of events per level (I..IV, watch), stacked by ``by`` (e.g. nature; side by
    side with ``grouped``, e.g. old vs new rules) or coloured by level when ``by`` is None.
    Every level appears, even with no events."""
    keys = ["level"] + ([by] if by else [])
    data = (
        gradings.lazy().group_by(keys).agg(events=pl.len())
        .with_columns(
            label=pl.col("level") + " "
            + pl.col("level").replace_strict(LEVEL_NAMES, default="?", return_dtype=pl.Utf8)
        )
        .sort(keys).collect()
    )
    if by:
        data = data.with_columns(pl.col(by).fill_null("—"))
        color = alt.Color(f"{by}:N", title=by)
    else:
        color = alt.Color("level:N", scale=level_scale(), legend=None)
    order = [f"{k} {LEVEL_NAMES[k]}" for k in LEVEL_ORDER]
    top = int(data.group_by("level").agg(pl.col("events").sum())["events"].max() or 0)
    y_axis = (alt.Axis(values=list(range(top + 1)), format="d") if top <= 6
              else alt.Axis(tickMinStep=1))
    # every level on the axis, even with no events (the domain, not dummy rows)
    enc: dict[str, Any] = dict(
        x=alt.X("label:N", sort=order, title="level", scale=alt.Scale(domain=order),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(events):Q", title="events", axis=y_axis),
        color=color,
        tooltip=["label:N", "sum(events):Q"] + ([f"{by}:N"] if by else []),
    )
    if by and grouped:
        enc["xOffset"] = alt.XOffset(f"{by}:N")
    chart = alt.Chart(data).mark_bar().encode(**enc).properties(
        title="Level distribution across events")
    return _styled(chart, width=width, height=height)


# --------------------------------------------------------------------------------------
# export
# --------------------------------------------------------------------------------------
def spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's Vega-Lite spec with the CJK font list added to its config."""
    out = chart.to_dict()
    config = out.setdefault("config", {})
    config.setdefault("font", FONT)
    return out


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Static SVG (text stays text, so Chinese renders wherever a CJK font exists)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec(chart))


def to_png(chart: alt.TopLevelMixin, *, scale: float = 2.0) -> bytes:
    """PNG via vl-convert. Chinese needs a CJK font installed (fonts-wqy-microhei)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec(chart), scale=scale)


def save(chart: alt.TopLevelMixin, path: str | Path) -> Path:
    """Write ``chart`` as .svg, .png, .json (Vega-Lite spec) or .html (Vega inlined, offline)."""
    import vl_convert as vlc

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        path.write_text(to_svg(chart), encoding="utf-8")
    elif suffix == ".png":
        path.write_bytes(to_png(chart))
    elif suffix == ".json":
        path.write_text(json.dumps(spec(chart), ensure_ascii=False, indent=1), encoding="utf-8")
    elif suffix == ".html":
        path.write_text(vlc.vegalite_to_html(spec(chart), bundle=True), encoding="utf-8")
    else:
        raise ValueError(f"{path}: unsupported chart format {suffix!r} (svg, png, json, html)")
    return path


def _theme() -> dict[str, Any]:
    return {"config": {"font": FONT}}


def use_offline_renderer(fmt: str = "svg") -> None:
    """Make notebooks display charts as static SVG/PNG (vl-convert), with the CJK font list
    in every chart's config: no CDN, so an HTML export of the notebook renders offline."""
    alt.theme.register("workbench", enable=True)(_theme)
    alt.renderers.enable(fmt)


__all__ = [
    "DISPLAY_TZ", "LEVEL_COLOURS", "LEVEL_NAMES", "LEVEL_ORDER", "cascade_depths",
    "cascade_shape", "channel_mix", "event_map", "event_projection", "event_timeline",
    "hourly_frame", "level_distribution", "level_scale", "pseudonym", "robust_z", "save",
    "sentiment_over_time", "spec", "spreaders", "to_png", "to_svg", "top_spreaders",
    "use_offline_renderer",
]
