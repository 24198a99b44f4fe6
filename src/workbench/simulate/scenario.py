"""Scenario files: load a YAML description of a simulated incident and validate it.

A scenario describes one incident (its type, nature, intended level, place and actors), the
channels it spreads on, its size and time shape, the sentiment mix, an optional rumour and
its debunking, the official response, the responders' scripted actions (for drills) and the
background chatter around it. Every time is given in **hours after the onset** except
``start`` (the simulated clock's first instant, Beijing time) and ``onset_hours`` (hours
after ``start``). Errors name the file and the key that is wrong.

Keys (see ``scenarios/flagship.yaml`` for a full example)::

    name, title, description      identifiers; the incident's truth event id is SIM-<name>
    type                          incident type (text vocabulary): chemical_explosion, flood,
                                  food_safety, official_rumour, price_rise, celebrity_controversy,
                                  official_misconduct, product_contamination, values_controversy,
                                  community_dispute, severe_weather
    nature                        political | economic | social | cultural | natural
    intended_level                I | II | III | IV (what a correct grading should reach)
    start                         ISO time of the simulated clock's start (naive = Beijing)
    onset_hours, duration_hours   onset after start; the clock's length
    seed                          default seed (the CLI's --seed overrides it)
    place: {city, district, ...}  fills the text templates ({city}, {district}, {river}, ...)
    actors: {...}                 enterprise, brand, person, star, ...; ``enterprise_account``
                                  adds the company's / studio's own statement
    facts: {deaths, injured, ...} numbers the posts state
    size: {incident_posts, background_posts}
    channels: {weibo, news, forum}                 weights of the original posts' channels
    time_shape: {peak_hours, shape, branching, decay_hours}
                                  originals ~ gamma(shape) peaking at peak_hours; Hawkes
                                  branching ratio (reposts per post) and repost delay
    sentiment: {negative, neutral, positive}       mix of the ordinary posts
    rumour: {claim, at_hours, share, debunk_at_hours, debunk_by}   optional
    official_response: {at_hours, by}              optional (absent = no official response)
    responders: {measure: hours after the first alert | null}    scripted actions for drills;
                                  measure ids as in rules/measures.yaml; null = never done
    background: {topics: [food, weather, drama, exam, sports, tech, pets, commute, travel,
                 fitness]}
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from workbench.schema import LEVELS, NATURES

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
CHANNELS = ("weibo", "news", "forum")
SENTIMENTS = ("negative", "neutral", "positive")


class ScenarioError(ValueError):
    """A scenario file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Rumour:
    at_hours: float
    claim: str
    share: float = 0.12
    debunk_at_hours: float | None = None
    debunk_by: str | None = None


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    type: str
    nature: str
    intended_level: str
    start: dt.datetime  # tz-aware (Beijing)
    onset_hours: float
    duration_hours: float
    seed: int
    place: dict[str, str]
    actors: dict[str, str]
    facts: dict[str, Any]
    incident_posts: int
    background_posts: int
    channels: dict[str, float]
    peak_hours: float
    shape: float
    branching: float
    decay_hours: float
    sentiment: dict[str, float]
    rumour: Rumour | None
    official_response_hours: float | None
    official_by: str | None
    responders: dict[str, float | None]
    background_topics: list[str]
    description: str = ""
    source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def onset(self) -> dt.datetime:
        return self.start + dt.timedelta(hours=self.onset_hours)

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(hours=self.duration_hours)

    @property
    def incident_id(self) -> str:
        return f"SIM-{self.name}"

    def scaled(self, factor: float) -> Scenario:
        """The same scenario with ``factor`` times the posts (at least 20 incident posts)."""
        from dataclasses import replace

        return replace(
            self,
            incident_posts=max(20, round(self.incident_posts * factor)),
            background_posts=max(0, round(self.background_posts * factor)),
        )


KNOWN_KEYS = {
    "name", "title", "type", "nature", "intended_level", "start", "onset_hours",
    "duration_hours", "seed", "place", "actors", "facts", "size", "channels", "time_shape",
    "sentiment", "rumour", "official_response", "responders", "background", "description",
}


def _err(path: str, key: str, msg: str) -> ScenarioError:
    return ScenarioError(f"{path}: key '{key}': {msg}")


def _num(raw: dict, key: str, path: str, default=None, *, lo=None, hi=None, prefix="") -> float:
    full = f"{prefix}{key}"
    if key not in raw or raw[key] is None:
        if default is None:
            raise _err(path, full, "is required")
        return default
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _err(path, full, f"must be a number, got {value!r}")
    if lo is not None and value < lo:
        raise _err(path, full, f"must be >= {lo}, got {value}")
    if hi is not None and value > hi:
        raise _err(path, full, f"must be <= {hi}, got {value}")
    return float(value)


def _mix(raw: Any, key: str, path: str, allowed: tuple[str, ...]) -> dict[str, float]:
    if not isinstance(raw, dict) or not raw:
        raise _err(path, key, f"must be a mapping of {list(allowed)} to weights")
    out: dict[str, float] = {}
    for name, weight in raw.items():
        if name not in allowed:
            raise _err(path, f"{key}.{name}", f"unknown; allowed: {list(allowed)}")
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight < 0:
            raise _err(path, f"{key}.{name}", f"weight must be a number >= 0, got {weight!r}")
        out[name] = float(weight)
    total = sum(out.values())
    if total <= 0:
        raise _err(path, key, "weights sum to zero")
    return {name: out[name] / total for name in allowed if name in out}


def _time(raw: Any, path: str) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str):
        try:
            value = dt.datetime.fromisoformat(raw)
        except ValueError as exc:
            raise _err(path, "start", f"not an ISO 8601 time: {raw!r}") from exc
    else:
        raise _err(path, "start", f"must be an ISO 8601 time, got {raw!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=BEIJING)
    return value.astimezone(BEIJING)


def parse(raw: Any, path: str = "<scenario>") -> Scenario:
    """Validate a scenario mapping (as loaded from YAML) and build a :class:`Scenario`."""
    from workbench.simulate.text import BACKGROUND, INCIDENTS

    if not isinstance(raw, dict):
        raise ScenarioError(f"{path}: a scenario must be a YAML mapping")
    unknown = sorted(set(raw) - KNOWN_KEYS)
    if unknown:
        raise _err(path, unknown[0], f"unknown key; allowed: {sorted(KNOWN_KEYS)}")
    for key in ("name", "title", "type", "nature", "intended_level"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise _err(path, key, "is required (a string)")
    if raw["type"] not in INCIDENTS:
        raise _err(path, "type", f"unknown incident type {raw['type']!r}; known: {sorted(INCIDENTS)}")
    if raw["nature"] not in NATURES:
        raise _err(path, "nature", f"must be one of {list(NATURES)}, got {raw['nature']!r}")
    if raw["intended_level"] not in LEVELS:
        raise _err(path, "intended_level", f"must be one of {list(LEVELS)}, got {raw['intended_level']!r}")
    if "start" not in raw:
        raise _err(path, "start", "is required")
    start = _time(raw["start"], path)
    onset_hours = _num(raw, "onset_hours", path, 0.0, lo=0)
    duration = _num(raw, "duration_hours", path, lo=1, hi=24 * 60)
    if onset_hours >= duration:
        raise _err(path, "onset_hours", f"must be before the end (duration_hours={duration})")
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise _err(path, "seed", f"must be an integer >= 0, got {seed!r}")

    def strmap(key: str, required: tuple[str, ...] = ()) -> dict[str, str]:
        value = raw.get(key) or {}
        if not isinstance(value, dict):
            raise _err(path, key, "must be a mapping")
        for k, v in value.items():
            if not isinstance(v, str | int | float) or isinstance(v, bool):
                raise _err(path, f"{key}.{k}", f"must be a string, got {v!r}")
        for k in required:
            if k not in value:
                raise _err(path, f"{key}.{k}", "is required")
        return {str(k): str(v) for k, v in value.items()}

    place = strmap("place", ("city",))
    actors = strmap("actors")
    facts = raw.get("facts") or {}
    if not isinstance(facts, dict):
        raise _err(path, "facts", "must be a mapping")

    size = raw.get("size") or {}
    if not isinstance(size, dict):
        raise _err(path, "size", "must be a mapping with incident_posts and background_posts")
    incident_posts = int(_num(size, "incident_posts", path, lo=10, hi=200_000, prefix="size."))
    background_posts = int(_num(size, "background_posts", path, 0.0, lo=0, hi=200_000, prefix="size."))

    channels = _mix(raw.get("channels"), "channels", path, CHANNELS)
    shape = raw.get("time_shape") or {}
    if not isinstance(shape, dict):
        raise _err(path, "time_shape", "must be a mapping")
    p = "time_shape."
    peak_hours = _num(shape, "peak_hours", path, 6.0, lo=0.1, prefix=p)
    gamma_shape = _num(shape, "shape", path, 2.5, lo=1.05, hi=50, prefix=p)
    branching = _num(shape, "branching", path, 0.45, lo=0, hi=0.9, prefix=p)
    decay_hours = _num(shape, "decay_hours", path, 1.5, lo=0.01, prefix=p)
    sentiment = _mix(raw.get("sentiment") or {"negative": 1, "neutral": 1, "positive": 1},
                     "sentiment", path, SENTIMENTS)

    rumour = None
    if raw.get("rumour") is not None:
        r = raw["rumour"]
        if not isinstance(r, dict):
            raise _err(path, "rumour", "must be a mapping (at_hours, claim, debunk_at_hours)")
        if not isinstance(r.get("claim"), str):
            raise _err(path, "rumour.claim", "is required (a string)")
        at = _num(r, "at_hours", path, lo=0, prefix="rumour.")
        debunk = r.get("debunk_at_hours")
        if debunk is not None:
            debunk = _num(r, "debunk_at_hours", path, lo=0, prefix="rumour.")
            if debunk <= at:
                raise _err(path, "rumour.debunk_at_hours", f"must be after rumour.at_hours ({at})")
        rumour = Rumour(
            at_hours=at, claim=r["claim"], share=_num(r, "share", path, 0.12, lo=0, hi=0.6, prefix="rumour."),
            debunk_at_hours=debunk, debunk_by=r.get("debunk_by"),
        )

    official_hours = None
    official_by = None
    if raw.get("official_response") is not None:
        o = raw["official_response"]
        if not isinstance(o, dict):
            raise _err(path, "official_response", "must be a mapping (at_hours, by)")
        official_hours = _num(o, "at_hours", path, lo=0, prefix="official_response.")
        official_by = o.get("by")

    responders_raw = raw.get("responders") or {}
    if not isinstance(responders_raw, dict):
        raise _err(path, "responders", "must map measure -> hours after detection (or null = missing)")
    responders: dict[str, float | None] = {}
    for measure, hours in responders_raw.items():
        if hours is None or (isinstance(hours, str) and hours.lower() in {"missing", "none"}):
            responders[str(measure)] = None
        elif isinstance(hours, int | float) and not isinstance(hours, bool) and hours >= 0:
            responders[str(measure)] = float(hours)
        else:
            raise _err(path, f"responders.{measure}", f"must be hours >= 0 or null, got {hours!r}")

    bg = raw.get("background") or {}
    if not isinstance(bg, dict):
        raise _err(path, "background", "must be a mapping with topics")
    topics = bg.get("topics") or sorted(BACKGROUND)
    if not isinstance(topics, list):
        raise _err(path, "background.topics", "must be a list")
    for t in topics:
        if t not in BACKGROUND:
            raise _err(path, "background.topics", f"unknown topic {t!r}; known: {sorted(BACKGROUND)}")

    for key, hours in (("official_response.at_hours", official_hours),
                       ("rumour.at_hours", rumour.at_hours if rumour else None)):
        if hours is not None and onset_hours + hours > duration:
            raise _err(path, key, f"falls after the end of the scenario ({duration} h)")

    return Scenario(
        name=raw["name"], title=raw["title"], type=raw["type"], nature=raw["nature"],
        intended_level=raw["intended_level"], start=start, onset_hours=onset_hours,
        duration_hours=duration, seed=seed, place=place, actors=actors, facts=dict(facts),
        incident_posts=incident_posts, background_posts=background_posts, channels=channels,
        peak_hours=peak_hours, shape=gamma_shape, branching=branching, decay_hours=decay_hours,
        sentiment=sentiment, rumour=rumour,
        official_response_hours=official_hours, official_by=official_by, responders=responders,
        background_topics=list(topics), description=str(raw.get("description") or ""),
        source=path,
    )


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario YAML file."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text("utf-8"))
    except FileNotFoundError as exc:
        raise ScenarioError(f"{path}: no such scenario file") from exc
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    return parse(raw, str(path))
