"""Write a simulation in each channel's raw format, with a mapping file beside it, plus the
ground truth.

Each channel gets its own JSON Lines layout (nested user objects, different field names,
different time formats: Beijing wall-clock strings for Weibo, ISO 8601 with offset for news,
Unix seconds for the forum), so the ingest mapping reader is exercised exactly as on real
data. Ground truth:

- ``truth.json``: scenario, seed, incident event id, intended level, nature, type, onset,
  timeline of what happened when, scripted responder actions, counts per channel.
- ``truth_events.parquet``: one row per true event (the incident and each background topic).
- ``truth_posts.parquet``: one row per post: canonical ``post_id``, true event, phase,
  intended sentiment, rumour / debunk / official flags.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import yaml

from workbench.schema import UTC_TIME
from workbench.simulate.generate import SimPost, Simulation
from workbench.simulate.text import BACKGROUND_TITLE

MAPPINGS: dict[str, dict[str, Any]] = {
    "weibo": {
        "name": "sim_weibo", "format": "jsonl", "files": "weibo*.jsonl", "platform": "weibo",
        "timezone": "Asia/Shanghai", "time_format": "%Y-%m-%d %H:%M:%S", "encoding": None,
        "columns": {
            "post_id": "id", "created_at": "time", "text": "content", "author_id": "user.id",
            "author_name": "user.name", "author_followers": "user.followers",
            "author_verified": "user.verified", "author_type": "user.type", "parent_id": "parent",
            "root_id": "root", "kind": "kind", "reposts": "reposts", "comments": "comments",
            "likes": "likes", "url": "url", "lang": "lang", "event_label": "truth_event",
        },
    },
    "news": {
        "name": "sim_news", "format": "jsonl", "files": "news*.jsonl", "platform": "news",
        "timezone": "Asia/Shanghai", "time_format": None, "encoding": None,
        "columns": {
            "post_id": "article_id", "created_at": "published", "text": "body",
            "author_id": "outlet.id", "author_name": "outlet.name",
            "author_followers": "outlet.followers", "author_verified": "outlet.verified",
            "author_type": "outlet.type", "kind": "kind", "comments": "stats.comments",
            "likes": "stats.likes", "reposts": "stats.shares", "url": "link", "lang": "lang",
            "event_label": "truth_event",
        },
    },
    "forum": {
        "name": "sim_forum", "format": "jsonl", "files": "forum*.jsonl", "platform": "forum",
        "timezone": "Asia/Shanghai", "time_format": None, "encoding": None,
        "columns": {
            "post_id": "pid", "created_at": "ts", "text": "body", "author_id": "poster.uid",
            "author_name": "poster.nick", "author_followers": "poster.fans",
            "author_verified": "poster.verified", "author_type": "poster.type",
            "parent_id": "reply_to", "root_id": "thread", "kind": "kind", "likes": "likes",
            "comments": "replies", "url": "url", "lang": "lang", "event_label": "truth_event",
        },
    },
}


def _truth_fields(p: SimPost) -> dict[str, Any]:
    return {"truth_event": p.truth_event, "truth_phase": p.phase, "truth_sentiment": p.sentiment}


def _weibo(p: SimPost, sim: Simulation, posts: list[SimPost]) -> dict[str, Any]:
    when = sim.time_of(p.hours)  # Beijing, tz-aware
    parent = posts[p.parent].native_id if p.parent is not None else None
    root = posts[p.root].native_id if p.parent is not None else None
    return {
        "id": p.native_id, "time": when.strftime("%Y-%m-%d %H:%M:%S"), "content": p.text,
        "user": {"id": p.author.id, "name": p.author.name, "followers": p.author.followers,
                 "verified": p.author.verified, "type": p.author.type},
        "kind": p.kind, "parent": parent, "root": root, "reposts": p.reposts, "comments": p.comments,
        "likes": p.likes, "url": f"https://weibo.example.cn/{p.author.id}/{p.native_id}", "lang": "zh",
        **_truth_fields(p),
    }


def _news(p: SimPost, sim: Simulation, posts: list[SimPost]) -> dict[str, Any]:
    when = sim.time_of(p.hours)
    return {
        "article_id": p.native_id, "published": when.isoformat(), "body": p.text,
        "outlet": {"id": p.author.id, "name": p.author.name, "followers": p.author.followers,
                   "verified": p.author.verified, "type": p.author.type},
        "kind": p.kind, "stats": {"comments": p.comments, "likes": p.likes, "shares": p.reposts},
        "link": f"https://news.example.cn/{when:%Y%m%d}/{p.native_id}.html", "lang": "zh",
        **_truth_fields(p),
    }


def _forum(p: SimPost, sim: Simulation, posts: list[SimPost]) -> dict[str, Any]:
    when = sim.time_of(p.hours)
    return {
        "pid": p.native_id, "ts": int(when.timestamp()), "body": p.text,
        "poster": {"uid": p.author.id, "nick": p.author.name, "fans": p.author.followers,
                   "verified": p.author.verified, "type": p.author.type},
        "reply_to": posts[p.parent].native_id if p.parent is not None else None,
        "thread": posts[p.root].native_id, "kind": p.kind, "likes": p.likes, "replies": p.comments,
        "url": f"https://bbs.example.cn/thread/{posts[p.root].native_id}", "lang": "zh",
        **_truth_fields(p),
    }


WRITERS = {"weibo": _weibo, "news": _news, "forum": _forum}


def post_id(p: SimPost) -> str:
    """The canonical post_id the ingest readers give this post."""
    return f"{p.channel}:{p.native_id}"


def write(sim: Simulation, out_dir: str | Path) -> dict[str, Any]:
    """Write channel files, mapping files and ground truth under ``out_dir``; return truth."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    posts = sim.posts
    by_channel: dict[str, list[bytes]] = {c: [] for c in WRITERS}
    for p in posts:
        by_channel[p.channel].append(orjson.dumps(WRITERS[p.channel](p, sim, posts)))
    files = {}
    for channel, lines in by_channel.items():
        path = out / f"{channel}.jsonl"
        mapping = out / f"{channel}.mapping.yaml"
        if not lines:
            path.unlink(missing_ok=True)
            mapping.unlink(missing_ok=True)
            continue
        path.write_bytes(b"\n".join(lines) + b"\n")
        mapping.write_text(
            "# Simulated channel written by `workbench simulate`; read by the ingest mapping reader.\n"
            + yaml.safe_dump(MAPPINGS[channel], allow_unicode=True, sort_keys=False), "utf-8")
        files[channel] = len(lines)

    truth = truth_dict(sim, files)
    (out / "truth.json").write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2) + b"\n")
    truth_posts(sim).write_parquet(out / "truth_posts.parquet")
    truth_events(sim).write_parquet(out / "truth_events.parquet")
    return truth


def truth_dict(sim: Simulation, files: dict[str, int]) -> dict[str, Any]:
    sc = sim.scenario
    utc = dt.UTC
    return {
        "scenario": sc.name, "title": sc.title, "seed": sim.seed, "source": sc.source,
        "incident_event": sc.incident_id, "type": sc.type, "nature": sc.nature,
        "intended_level": sc.intended_level,
        "start": sc.start.astimezone(utc).isoformat(), "onset": sc.onset.astimezone(utc).isoformat(),
        "end": sc.end.astimezone(utc).isoformat(), "timezone": "Asia/Shanghai",
        "official_response_hours": sc.official_response_hours, "official_by": sc.official_by,
        "rumour": None if sc.rumour is None else {
            "claim": sc.rumour.claim, "at_hours": sc.rumour.at_hours,
            "debunk_at_hours": sc.rumour.debunk_at_hours},
        "responders": sc.responders,
        "timeline": sim.timeline,
        "posts": len(sim.posts),
        "incident_posts": sum(p.truth_event == sc.incident_id for p in sim.posts),
        "files": files,
    }


def truth_posts(sim: Simulation) -> pl.DataFrame:
    posts = sim.posts
    return pl.DataFrame(
        {
            "post_id": [post_id(p) for p in posts],
            "created_at": [sim.time_of(p.hours) for p in posts],
            "channel": [p.channel for p in posts],
            "kind": [p.kind for p in posts],
            "truth_event": [p.truth_event for p in posts],
            "phase": [p.phase for p in posts],
            "sentiment": [p.sentiment for p in posts],
            "is_rumour": [p.rumour for p in posts],
            "is_debunk": [p.debunk for p in posts],
            "is_official": [p.official for p in posts],
            "depth": [p.depth for p in posts],
        },
        schema_overrides={"created_at": UTC_TIME},
    )


def truth_events(sim: Simulation) -> pl.DataFrame:
    sc = sim.scenario
    rows: dict[str, dict[str, Any]] = {}
    for p in sim.posts:
        r = rows.setdefault(p.truth_event, {"n_posts": 0, "first": p.hours, "last": p.hours})
        r["n_posts"] += 1
        r["first"] = min(r["first"], p.hours)
        r["last"] = max(r["last"], p.hours)
    ids = sorted(rows, key=lambda e: (e != sc.incident_id, e))
    incident = [e == sc.incident_id for e in ids]
    return pl.DataFrame(
        {
            "event_id": ids,
            "kind": ["incident" if i else "background" for i in incident],
            "title": [sc.title if i else BACKGROUND_TITLE.get(e[3:], e) for e, i in zip(ids, incident, strict=False)],
            "type": [sc.type if i else "background" for i in incident],
            "nature": [sc.nature if i else None for i in incident],
            "intended_level": [sc.intended_level if i else None for i in incident],
            "n_posts": [rows[e]["n_posts"] for e in ids],
            "first_post_at": [sim.time_of(rows[e]["first"]) for e in ids],
            "last_post_at": [sim.time_of(rows[e]["last"]) for e in ids],
            "onset": [sc.onset if i else None for i in incident],
        },
        schema_overrides={"first_post_at": UTC_TIME, "last_post_at": UTC_TIME, "onset": UTC_TIME,
                          "nature": pl.Utf8, "intended_level": pl.Utf8},
    )
