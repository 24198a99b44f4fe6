"""``detect(posts)``: posts -> events (assignments, topics, ledger), with stable ids."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from workbench.events.cascade import cascade_keys
from workbench.events.cluster import TextTimeClusterer
from workbench.events.identity import (
    EVENT_LEDGER_SCHEMA,
    MEMBER_SCHEMA,
    PENDING_SCHEMA,
    Ledger,
)
from workbench.events.text import clean_expr
from workbench.events.topics import TOPIC_SCHEMA, represent, representatives, title_from
from workbench.schema import ASSIGNMENT_SCHEMA, POST_SCHEMA, conform

# Cuts measured per embedding model (BENCHMARKS.md ``## events``): cosine similarities of
# unrelated texts differ by model (m3e-small ~0.64, multilingual USE ~0.2).
# 0.3 for m3e-small since the concurrent-stream benchmark (issue 12): at 0.35 the time term
# did the separating, and 48 h of concurrent incidents chained into a few large events;
# 0.25 scored best there but split the flagship drill's one explosion (1,200 posts) into 42
# events (813 + 203 + ...), which 0.3 keeps as one of 1,099 (BENCHMARKS.md ## events).
# The static model distilled from m3e-small (``m3e-small-static``) and the int8 m3e-small:
# 0.3 measured on the concurrent streams (issue 12; static: CED with structure 0.945 / 0.525
# at 0.3 against 0.856 / 0.141 at 0.5), though the static one splits the flagship incident
# at any cut that separates CED (BENCHMARKS.md ## embedding).
MODEL_THRESHOLDS = {"moka-ai/m3e-small": 0.3, "local:m3e-small": 0.3,
                    "moka-ai/m3e-small/int8": 0.3, "moka-ai/m3e-small/m2v-256-r2": 0.3,
                    "use-multilingual-v3": 0.8}
DEFAULT_THRESHOLD = 0.25
# Joining an existing event compares a new cascade with the event's centroid (a mean, so
# lower similarities than pairs): the cut measured before issue 12 stays for that step.
MODEL_JOIN_THRESHOLDS = {"moka-ai/m3e-small": 0.35, "local:m3e-small": 0.35,
                         "moka-ai/m3e-small/int8": 0.35, "moka-ai/m3e-small/m2v-256-r2": 0.35,
                         "use-multilingual-v3": 0.8}
DEFAULT_JOIN_THRESHOLD = 0.35


@dataclass
class EventConfig:
    """Settings of event detection (defaults measured in BENCHMARKS.md ``## events``).

    threshold: cut of the average-linkage tree on the text+time distance
      ``(1 - cosine) + time_weight * min(1, gap_hours / time_scale_hours)``; None = the
      value measured for the embedder (``MODEL_THRESHOLDS``; 0.25 for other models).
    join_threshold: with a ledger, a new cascade joins the nearest existing event when its
      text+time distance to the event's centroid is within this; None = the value measured
      for the embedder (``MODEL_JOIN_THRESHOLDS``), or ``threshold`` when that is given.
    signal_weight: weight of the key signatures (hashtags, links, mentions, named entities,
      numbers; :mod:`workbench.events.signals`) added to the cosine of the sentence vectors;
      0 turns them off. signal_max_df: keys in more than this share of units are ignored.
    min_posts / absorb_threshold: clusters of fewer posts than ``min_posts`` join the
      closest larger cluster within ``absorb_threshold`` (same distance); 0 = off.
    use_structure: cluster cascades (reposts/replies follow their root) instead of posts.
    embed_all: also embed reposts' own words (with the structure they follow their root,
      so by default only roots, or the words of cascades whose root is absent, are embedded).
    merge_threshold: two ledger events closer than this (centroid distance) are merged.
    recluster: with a ledger, re-cluster everything and map clusters to old ids by shared
      posts (records splits and merges), instead of adding new posts incrementally.
    """

    threshold: float | None = None
    join_threshold: float | None = None
    signal_weight: float = 0.5
    signal_max_df: float = 0.05
    min_posts: int = 5
    absorb_threshold: float = 0.35
    time_weight: float = 0.6
    time_scale_hours: float = 336.0
    max_direct: int = 4000
    use_structure: bool = True
    embed_all: bool = False
    merge_threshold: float = 0.2
    recluster: bool = False
    top_n_words: int = 10
    n_representatives: int = 3
    random_state: int = 0

    def for_model(self, model_id: str) -> EventConfig:
        """This config with ``threshold`` / ``join_threshold`` filled in for ``model_id``
        where they are None."""
        out = self
        if out.join_threshold is None:  # an explicit ``threshold`` cuts both, as before
            out = replace(out, join_threshold=self.threshold if self.threshold is not None
                          else MODEL_JOIN_THRESHOLDS.get(model_id, DEFAULT_JOIN_THRESHOLD))
        if out.threshold is None:
            out = replace(out, threshold=MODEL_THRESHOLDS.get(model_id, DEFAULT_THRESHOLD))
        return out

    def clusterer(self) -> TextTimeClusterer:
        return TextTimeClusterer(
            threshold=self.threshold, time_weight=self.time_weight,
            time_scale_hours=self.time_scale_hours, max_direct=self.max_direct,
            signal_weight=self.signal_weight, min_posts=self.min_posts,
            absorb_threshold=self.absorb_threshold, random_state=self.random_state,
        )


@dataclass
class Events:
    posts: pl.DataFrame
    assignments: pl.DataFrame
    topics: pl.DataFrame
    ledger: Ledger
    config: EventConfig = field(default_factory=EventConfig)
    # posts of earlier runs that waited for their root (``waiting_root``) and follow it now
    placed_pending: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema=ASSIGNMENT_SCHEMA))

    def findings(self) -> pl.DataFrame:
        """One row per event (FINDINGS_SCHEMA), via ``workbench.findings.compute``."""
        from workbench.findings import compute

        return compute(self.posts, self.assignments, self.topics)

    def write(self, out_dir: str | Path, *, findings: bool = True) -> Path:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        self.assignments.write_parquet(out / "assignments.parquet")
        self.topics.write_parquet(out / "topics.parquet")
        self.ledger.save(out / "ledger")
        if findings:
            self.findings().write_parquet(out / "findings.parquet")
        return out

    def summary(self) -> pl.DataFrame:
        counts = self.assignments.group_by("event_id").agg(n_posts=pl.len())
        return self.topics.join(counts, on="event_id", how="left").sort(
            "n_posts", descending=True
        )


def _hours(times: pl.Series) -> np.ndarray:
    return times.dt.epoch("s").to_numpy().astype(np.float64) / 3600.0


def _normalise(x: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(x, axis=1, keepdims=True)
    n[n == 0] = 1.0
    return (x / n).astype(np.float32)


def prepare_units(posts: pl.DataFrame, embedder, *, use_structure: bool = True,
                  embed_all: bool = False, max_texts_per_unit: int = 20,
                  progress: bool = False, dim: int | None = None):
    """Clean texts, find each post's cascade unit, embed, and build one vector per unit.

    Returns (posts with ``clean``/``unit``/``hours`` columns, unit table, unit vectors,
    unit has-words mask, post vectors (zeros where not embedded), embedded-rows mask).
    A unit's vector is its root's when the root has words, else the mean of (up to
    ``max_texts_per_unit`` of the earliest of) its posts that have words; units with no
    words at all get none. With the structure, only those texts are embedded (reposts
    follow their root whatever they say), unless ``embed_all``. ``dim``: the vector size
    when nothing has words (default: the embedder's ``dim``), so that zero vectors of
    wordless batches match the ledger's centroids.
    """
    frame = posts.with_columns(clean=clean_expr("text"))
    frame = frame.with_columns(unit=cascade_keys(frame, use_structure=use_structure))
    frame = frame.with_columns(hours=pl.col("created_at").dt.epoch("s").cast(pl.Float64) / 3600)
    has_text = (frame["clean"] != "").to_numpy()
    units = (
        frame.with_row_index("row")
        .with_columns(has=pl.Series(has_text), is_root=pl.col("post_id") == pl.col("unit"))
        .sort("created_at", "row")
        .group_by("unit", maintain_order=True)
        .agg(
            rows=pl.col("row"),
            root_row=pl.col("row").filter(pl.col("is_root") & pl.col("has")).first(),
            text_rows=pl.col("row").filter(pl.col("has")).head(max_texts_per_unit),
            first_time=pl.col("created_at").min(),
            hours=pl.col("hours").min(),
        )
        .sort("first_time", "unit")
    )
    if embed_all or not use_structure:
        embed_mask = has_text.copy()
    else:
        embed_mask = np.zeros(frame.height, dtype=bool)
        for root_row, text_rows in zip(units["root_row"].to_list(),
                                       units["text_rows"].to_list(), strict=True):
            if root_row is not None:
                embed_mask[root_row] = True
            else:
                embed_mask[text_rows] = True
    texts = frame["clean"].to_list()
    idx = np.flatnonzero(embed_mask)
    vecs = embedder.encode([texts[i] for i in idx], progress=progress) if len(idx) else None
    if vecs is not None:
        dim = vecs.shape[1]
    elif dim is None:
        dim = int(embedder.dim)
    post_vecs = np.zeros((frame.height, dim), dtype=np.float32)
    if vecs is not None:
        post_vecs[idx] = vecs
    n_units = units.height
    unit_vecs = np.zeros((n_units, dim), dtype=np.float32)
    unit_has = np.zeros(n_units, dtype=bool)
    if vecs is not None:
        for j, (root_row, text_rows) in enumerate(
            zip(units["root_row"].to_list(), units["text_rows"].to_list(), strict=True)
        ):
            if root_row is not None:
                unit_vecs[j] = post_vecs[root_row]
                unit_has[j] = True
            elif text_rows:
                unit_vecs[j] = post_vecs[text_rows].mean(axis=0)
                unit_has[j] = True
        unit_vecs = _normalise(unit_vecs)
    return frame, units, unit_vecs, unit_has, post_vecs, embed_mask


def _time_nearest(unit_hours: np.ndarray, labelled_hours: np.ndarray,
                  labelled_labels: np.ndarray) -> np.ndarray:
    """Label of the nearest-in-time labelled unit (for units without words)."""
    if len(labelled_hours) == 0:
        return np.full(len(unit_hours), -1, dtype=np.int64)
    order = np.argsort(labelled_hours, kind="stable")
    h, lab = labelled_hours[order], labelled_labels[order]
    pos = np.clip(np.searchsorted(h, unit_hours), 1, len(h)) if len(h) > 1 else np.zeros(
        len(unit_hours), dtype=np.int64)
    if len(h) == 1:
        return np.full(len(unit_hours), lab[0], dtype=np.int64)
    left = np.clip(pos - 1, 0, len(h) - 1)
    right = np.clip(pos, 0, len(h) - 1)
    pick = np.where(np.abs(unit_hours - h[left]) <= np.abs(h[right] - unit_hours), left, right)
    return lab[pick]


def _interval_gap(h: np.ndarray, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """Hours between unit times (rows) and event spans (columns); 0 inside the span."""
    return np.maximum(0.0, np.maximum(first[None, :] - h[:, None], h[:, None] - last[None, :]))


def detect(posts: pl.DataFrame | pl.LazyFrame, *, embedder=None,
           config: EventConfig | dict | None = None, ledger: Ledger | None = None,
           progress: bool = False) -> Events:
    """Group posts into events (text + time + repost structure) with stable event ids.

    ``posts``: a post table (``POST_SCHEMA``). ``embedder``: any ``workbench.embed``
    embedder (default ``get_embedder()``). ``ledger``: a previous run's :class:`Ledger`
    (its ids are kept; it is updated in place and returned). See ``EventConfig``.
    """
    if isinstance(posts, pl.LazyFrame):
        posts = posts.collect()
    posts = conform(posts, POST_SCHEMA)
    missing = posts.filter(pl.col("post_id").is_null() | pl.col("created_at").is_null())
    if missing.height:
        row = missing.row(0, named=True)
        raise ValueError(
            f"{missing.height} posts lack post_id or created_at (first: post_id="
            f"{row['post_id']!r}, source_file={row['source_file']!r}, "
            f"source_row={row['source_row']!r})"
        )
    if posts["post_id"].is_duplicated().any():
        dup = posts.filter(pl.col("post_id").is_duplicated())["post_id"][0]
        raise ValueError(f"post_id must be unique; {dup!r} appears more than once")
    if isinstance(config, dict):
        config = EventConfig(**config)
    config = config or EventConfig()
    if embedder is None:
        from workbench.embed import get_embedder

        embedder = get_embedder()
    config = config.for_model(embedder.model_id)
    ledger = ledger if ledger is not None else Ledger()
    if ledger.model_id and ledger.model_id != embedder.model_id:
        raise ValueError(
            f"ledger was built with embedder {ledger.model_id!r}, not {embedder.model_id!r}"
        )
    ledger.model_id = embedder.model_id
    ledger.config = asdict(config)
    ledger.runs += 1
    incremental = not ledger.is_empty and not config.recluster

    held = ledger.events["centroid"].drop_nulls()
    frame, units, unit_vecs, unit_has, post_vecs, embedded = prepare_units(
        posts, embedder, use_structure=config.use_structure, embed_all=config.embed_all,
        progress=progress, dim=len(held[0]) if len(held) else None,
    )
    unit_hours = units["hours"].to_numpy()
    n_units = units.height
    unit_event = np.full(n_units, None, dtype=object)
    unit_how = np.full(n_units, "cluster", dtype=object)
    row_unit = np.empty(frame.height, dtype=np.int64)
    for j, rows in enumerate(units["rows"].to_list()):
        row_unit[rows] = j

    # 1. posts the ledger already knows keep their event; their cascades follow it.
    known = {}
    if not ledger.is_empty and not config.recluster:
        known_df = frame.select("post_id").with_row_index("row").join(
            ledger.members.select("post_id", "event_id", "how", "score"), on="post_id")
        resolved = ledger.resolve_all(known_df["event_id"].unique().to_list())
        for row, eid in zip(known_df["row"].to_list(), known_df["event_id"].to_list(),
                            strict=True):
            known[row] = resolved[eid]
        votes: dict[int, dict[str, int]] = {}
        for row, eid in known.items():
            votes.setdefault(int(row_unit[row]), {}).setdefault(eid, 0)
            votes[int(row_unit[row])][eid] += 1
        for j, v in votes.items():
            unit_event[j] = sorted(v.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
            unit_how[j] = "known"

    # 1b. cascades whose root the ledger already holds (the root is not in this batch)
    # follow the root's event.
    if incremental:
        roots = units.select("unit").with_row_index("j").join(
            ledger.members.select(pl.col("post_id").alias("unit"), "event_id"), on="unit")
        held_at = ledger.resolve_all(roots["event_id"].drop_nulls().unique().to_list())
        for j, eid in roots.select("j", "event_id").iter_rows():
            if unit_event[j] is None and eid is not None:
                unit_event[j] = held_at[eid]
                unit_how[j] = "cascade"
    # 1c. wordless cascades whose root is absent (neither here nor in the ledger) have
    # nothing to be placed by: in incremental use they wait for the root (no event, no
    # centroid update; kept in ``ledger.pending``), see ``Ledger``.
    root_here = units["unit"].is_in(frame["post_id"].implode()).to_numpy()
    orphan = (unit_event == None) & ~unit_has & ~root_here  # noqa: E711
    waiting = orphan & incremental

    # 2. new cascades near an existing event join it.
    ids, cent, first, last = ledger.centroids() if not config.recluster else ([], None, None, None)
    todo = np.flatnonzero((unit_event == None) & unit_has)  # noqa: E711
    if len(ids) and len(todo) and cent.shape[1] == unit_vecs.shape[1]:
        gap = _interval_gap(unit_hours[todo], first, last)
        dist = (1 - unit_vecs[todo] @ cent.T) + config.time_weight * np.minimum(
            gap / config.time_scale_hours, 1.0)
        best = dist.argmin(axis=1)
        ok = dist[np.arange(len(todo)), best] <= config.join_threshold
        for j, b in zip(todo[ok], best[ok], strict=True):
            unit_event[j] = ids[b]
            unit_how[j] = "nearest"
        todo = todo[~ok]

    # 3. the rest are clustered among themselves.
    sig = (_unit_signatures(frame, units, todo, config) if len(todo) and config.signal_weight
           else None)
    unit_posts = units["rows"].list.len().to_numpy()
    labels = config.clusterer().fit_predict(unit_vecs[todo], unit_hours[todo], sig,
                                            unit_posts[todo]) if len(
        todo) else np.zeros(0, dtype=np.int64)
    new_label = np.full(n_units, -1, dtype=np.int64)
    new_label[todo] = labels
    # units without words: by time, to the nearest unit that has an event or a new label
    wordless = np.flatnonzero((unit_event == None) & ~unit_has & ~waiting)  # noqa: E711
    if len(wordless):
        placed = np.flatnonzero((unit_event != None) | (new_label >= 0))  # noqa: E711
        codes = {}
        keyed = np.array([codes.setdefault(("e", unit_event[j]) if unit_event[j] is not None
                                           else ("n", int(new_label[j])), len(codes))
                          for j in placed], dtype=np.int64)
        inverse = {v: k for k, v in codes.items()}
        if len(placed):
            near = _time_nearest(unit_hours[wordless], unit_hours[placed], keyed)
            for j, c in zip(wordless, near, strict=True):
                kind, val = inverse[int(c)]
                if kind == "e":
                    unit_event[j] = val
                else:
                    new_label[j] = val
                unit_how[j] = "outlier"
        else:  # nothing has words: orphan reposts wait, the rest is one event
            waiting[wordless[orphan[wordless]]] = True
            wordless = wordless[~orphan[wordless]]
            new_label[wordless] = 0
            unit_how[wordless] = "outlier"

    # 4. ids for new clusters (first time order); with recluster, map to old ids.
    new_ids = _assign_new_ids(ledger, frame, row_unit, new_label, unit_hours, config)
    for j in np.flatnonzero(new_label >= 0):
        unit_event[j] = new_ids[int(new_label[j])]

    # 5. post-level assignments
    post_event = unit_event[row_unit]
    is_root = (frame["post_id"] == frame["unit"]).to_numpy()
    how = np.where(is_root | (not config.use_structure), unit_how[row_unit], "cascade").astype(object)
    wait_row = waiting[row_unit]
    how[wait_row] = "waiting_root"
    for row, eid in known.items():  # known posts keep their recorded event and how
        post_event[row] = eid
        how[row] = "known"
    prior = ledger.members.select("post_id", "how").rename({"how": "prior_how"})
    assignments = pl.DataFrame({
        "post_id": frame["post_id"], "event_id": pl.Series(post_event.tolist(), dtype=pl.Utf8),
        "how": pl.Series(how.tolist(), dtype=pl.Utf8),
    })
    assignments = assignments.join(prior, on="post_id", how="left").with_columns(
        how=pl.when(pl.col("how") == "known").then(pl.col("prior_how")).otherwise("how")
    ).drop("prior_how")

    fresh_events = {e for i, e in enumerate(post_event.tolist())
                    if i not in known and e is not None}
    all_rows = frame.select("post_id")
    waiting_rows = assignments.filter(pl.Series(wait_row))
    if wait_row.any():  # the rest of the run sees only posts with an event
        keep = ~wait_row
        frame, assignments = frame.filter(pl.Series(keep)), assignments.filter(pl.Series(keep))
        post_vecs, row_unit, embedded = post_vecs[keep], row_unit[keep], embedded[keep]

    # 6. centroids, merges, scores
    _update_events(ledger, frame, assignments, post_vecs, unit_vecs, row_unit, unit_has)
    _merge_close(ledger, config, fresh_events)
    final = ledger.resolve_all(assignments["event_id"].unique().to_list())
    assignments = assignments.with_columns(
        event_id=pl.col("event_id").replace_strict(final, default=pl.col("event_id"))
    )
    ids, cent, _, _ = ledger.centroids()
    cent = _normalise(cent) if len(ids) else cent
    pos = {e: i for i, e in enumerate(ids)}
    ev_idx = np.array([pos[e] for e in assignments["event_id"].to_list()])
    own = unit_vecs[row_unit]
    scores = np.einsum("ij,ij->i", own, cent[ev_idx]) if len(ev_idx) else np.zeros(0)
    score_ok = unit_has[row_unit] & (assignments["how"] != "cascade").fill_null(True).to_numpy()
    assignments = assignments.with_columns(
        score=pl.Series(np.where(score_ok, scores, np.nan)).fill_nan(None)
    )
    assignments = conform(assignments, ASSIGNMENT_SCHEMA)
    members = assignments.with_columns(run=pl.lit(ledger.runs, pl.Int64)).select(
        MEMBER_SCHEMA.names()).cast(MEMBER_SCHEMA)
    ledger.members = _with_members(ledger, members, replaces=bool(known) or config.recluster)
    topics = _topics(frame, assignments, post_vecs, embedded, config)
    if waiting_rows.height:
        new_pending = frame_waiting(posts, waiting_rows, frame_units=all_rows,
                                    units=_units_of(posts, config), run=ledger.runs)
        ledger.pending = pl.concat([
            ledger.pending.join(new_pending.select("post_id"), on="post_id", how="anti"),
            new_pending,
        ])
        assignments = all_rows.join(
            pl.concat([assignments, conform(waiting_rows.with_columns(score=None),
                                            ASSIGNMENT_SCHEMA)]),
            on="post_id", how="left", maintain_order="left")
        assignments = conform(assignments, ASSIGNMENT_SCHEMA)
    placed = _place_pending(ledger)
    return Events(posts=posts, assignments=assignments, topics=topics, ledger=ledger,
                  config=config, placed_pending=placed)


def _with_members(ledger: Ledger, members: pl.DataFrame, *, replaces: bool) -> pl.DataFrame:
    """The ledger's members with this run's rows (``members``, resolved) in place of any
    earlier rows of the same posts (``replaces``: some may be held), every event id
    resolved to the event holding it now.

    The held members are resolved at the end of every run; they can only name a merged
    event when this run merged one (merges move them in ``_merge_close``; a recluster marks
    merges without moving them). The common incremental run (new posts only, no merge) is
    an append: nothing of the held members is re-read."""
    held = ledger.members
    if replaces:
        held = held.join(members.select("post_id"), on="post_id", how="anti")
    merges = ledger.this_run("merge") if ledger.history.height else ledger.history
    if merges.height:
        held = held.with_columns(event_id=pl.col("event_id").replace_strict(
            ledger.resolve_all(held["event_id"].unique().to_list()), default=pl.col("event_id")))
    if not held.height:
        return members
    out = pl.concat([held, members], rechunk=False)
    return out.rechunk() if out.n_chunks() > 32 else out  # grown a run at a time


def _unit_signatures(frame: pl.DataFrame, units: pl.DataFrame, which: np.ndarray,
                     config: EventConfig):
    """Key signatures (:mod:`workbench.events.signals`) of the units ``which``: the keys of
    the raw texts that make each unit's vector (its root's, else its first posts')."""
    from workbench.events.signals import keys, signature_matrix

    raw = frame["text"].fill_null("").to_list()
    roots, text_rows = units["root_row"].to_list(), units["text_rows"].to_list()
    unit_keys = []
    for j in which.tolist():
        rows = [roots[j]] if roots[j] is not None else text_rows[j]
        unit_keys.append([k for r in rows for k in keys(raw[r])])
    return signature_matrix(unit_keys, max_df=config.signal_max_df)


def _units_of(posts: pl.DataFrame, config: EventConfig) -> pl.DataFrame:
    return posts.select("post_id", cascade_keys(posts, use_structure=config.use_structure)
                        .alias("root_id"))


def frame_waiting(posts: pl.DataFrame, waiting_rows: pl.DataFrame, *, frame_units,
                  units: pl.DataFrame, run: int) -> pl.DataFrame:
    """``ledger.pending`` rows for this run's waiting posts."""
    return (
        waiting_rows.select("post_id")
        .join(units, on="post_id", how="left")
        .join(posts.select("post_id", "created_at"), on="post_id", how="left")
        .with_columns(run=pl.lit(run, pl.Int64))
        .select(PENDING_SCHEMA.names()).cast(PENDING_SCHEMA)
    )


def _place_pending(ledger: Ledger) -> pl.DataFrame:
    """Pending posts whose root now has an event follow it (``cascade``): they join the
    ledger's members and leave ``pending``; returned as assignment rows. (The event's
    ``n_posts`` and span are refreshed when it next receives posts.)"""
    if not ledger.pending.height:
        return pl.DataFrame(schema=ASSIGNMENT_SCHEMA)
    pending = ledger.pending.join(ledger.members.select("post_id"), on="post_id", how="anti")
    found = pending.join(
        ledger.members.select(pl.col("post_id").alias("root_id"), "event_id")
        .filter(pl.col("event_id").is_not_null()), on="root_id", how="inner")
    ledger.pending = pending.join(found.select("post_id"), on="post_id", how="anti")
    if not found.height:
        return pl.DataFrame(schema=ASSIGNMENT_SCHEMA)
    resolved = {e: ledger.resolve(e) for e in found["event_id"].unique().to_list()}
    placed = found.select(
        "post_id", pl.col("event_id").replace_strict(resolved),
        how=pl.lit("cascade"), score=pl.lit(None, pl.Float64),
    )
    placed = conform(placed, ASSIGNMENT_SCHEMA)
    ledger.members = pl.concat([
        ledger.members,
        placed.with_columns(run=pl.lit(ledger.runs, pl.Int64))
        .select(MEMBER_SCHEMA.names()).cast(MEMBER_SCHEMA),
    ])
    return placed


def _assign_new_ids(ledger: Ledger, frame: pl.DataFrame, row_unit: np.ndarray,
                    new_label: np.ndarray, unit_hours: np.ndarray,
                    config: EventConfig) -> dict[int, str]:
    labels = sorted({int(x) for x in new_label if x >= 0},
                    key=lambda c: (unit_hours[new_label == c].min(), c))
    out: dict[int, str] = {}
    if config.recluster and not ledger.is_empty:
        # shared posts between each new cluster and each old event
        old = dict(ledger.members.select("post_id", "event_id").iter_rows())
        post_label = new_label[row_unit]
        overlap: dict[int, dict[str, int]] = {}
        for pid, lab in zip(frame["post_id"].to_list(), post_label.tolist(), strict=True):
            if lab >= 0 and pid in old:
                eid = ledger.resolve(old[pid])
                overlap.setdefault(lab, {}).setdefault(eid, 0)
                overlap[lab][eid] += 1
        claimed: dict[str, int] = {}
        for lab in sorted(overlap, key=lambda c: -sum(overlap[c].values())):
            eid, n = sorted(overlap[lab].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            if eid not in claimed:
                claimed[eid] = lab
                out[lab] = eid
                for other, m in overlap[lab].items():  # others mostly absorbed: merged
                    if other != eid and other not in claimed and m >= 0.5 * _size(ledger, other):
                        _mark_merged(ledger, other, eid, m)
                        claimed[other] = lab
            else:
                out[lab] = ledger.new_id()
                ledger.record("split", out[lab], other=eid, n_posts=n)
    for lab in labels:
        if lab not in out:
            out[lab] = ledger.new_id()
            ledger.record("open", out[lab], n_posts=int((new_label[row_unit] == lab).sum()))
    return out


def _size(ledger: Ledger, event_id: str) -> int:
    return int((ledger.members["event_id"] == event_id).sum())


def _mark_merged(ledger: Ledger, event_id: str, into: str, n_posts: int | None) -> None:
    ledger.events = ledger.events.with_columns(
        status=pl.when(pl.col("event_id") == event_id).then(pl.lit("merged"))
        .otherwise("status"),
        merged_into=pl.when(pl.col("event_id") == event_id).then(pl.lit(into))
        .otherwise("merged_into"),
        updated_run=pl.when(pl.col("event_id") == event_id).then(pl.lit(ledger.runs))
        .otherwise("updated_run"),
    )
    ledger.record("merge", event_id, other=into, n_posts=n_posts)


def _update_events(ledger, frame, assignments, post_vecs, unit_vecs, row_unit, unit_has):
    """Refresh centroid, span and size of every event touched by this run."""
    ev = assignments["event_id"].to_numpy()
    touched = sorted(set(ev.tolist()))
    if not touched:
        return
    times = frame["created_at"]
    rows = []
    wanted = pl.col("event_id").is_in(pl.Series(touched, dtype=pl.Utf8).implode())
    old = {r["event_id"]: r for r in ledger.events.filter(wanted).iter_rows(named=True)}
    # members before this run of the touched events (a probe of the held members, not a join)
    prev_members = ledger.members.filter(wanted).join(
        assignments.select("post_id"), on="post_id", how="anti")
    prev_n = dict(prev_members.group_by("event_id").agg(n=pl.len()).iter_rows())
    uniq_units = {}
    for i, (e, u) in enumerate(zip(ev.tolist(), row_unit.tolist(), strict=True)):
        uniq_units.setdefault(e, {}).setdefault(u, i)
    codes, inverse = np.unique(ev, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    groups = np.split(order, np.cumsum(np.bincount(inverse, minlength=len(codes)))[:-1])
    rows_of = {str(c): g for c, g in zip(codes.tolist(), groups, strict=True)}
    for e in touched:
        idx = rows_of[e]
        us = [u for u in uniq_units[e] if unit_has[u]]
        c = unit_vecs[us].mean(axis=0) if us else np.zeros(unit_vecs.shape[1], np.float32)
        prior = old.get(e)
        n_prev = prev_n.get(e, 0)
        if prior is not None and prior["centroid"] is not None and n_prev:
            pc = np.asarray(prior["centroid"], dtype=np.float32)
            if pc.shape == c.shape:
                w = n_prev / (n_prev + len(idx))
                c = w * pc + (1 - w) * c
        # the plain mean (norm <= 1): x . c is then x's average similarity to the event's
        # cascades, the same quantity average linkage cuts on
        t = times.gather(idx)
        first, last = t.min(), t.max()
        if prior is not None and n_prev:
            first, last = min(first, prior["first_seen"]), max(last, prior["last_seen"])
        rows.append({
            "event_id": e, "status": "active", "merged_into": None, "first_seen": first,
            "last_seen": last, "n_posts": int(n_prev + len(idx)),
            "centroid": c.astype(np.float32).tolist(),
            "opened_run": prior["opened_run"] if prior else ledger.runs,
            "updated_run": ledger.runs,
        })
    fresh = pl.DataFrame(rows, schema=EVENT_LEDGER_SCHEMA)
    ledger.events = pl.concat([
        ledger.events.filter(~pl.col("event_id").is_in(touched)), fresh,
    ]).sort("event_id")


def _merge_close(ledger: Ledger, config: EventConfig, fresh: set[str]) -> None:
    """Merge events that new posts brought within ``merge_threshold`` of another event.

    Distance as in clustering: ``1 - mean similarity`` (centroids are plain means) plus the
    time penalty on the gap between the events' first posts. Only events that received new
    posts this run are considered, so re-running on the same posts changes nothing; a
    first run never merges (the clustering already decided).
    """
    ids, cent, first, _ = ledger.centroids()
    opened = set(ledger.events.filter(pl.col("opened_run") == ledger.runs)["event_id"])
    touched = fresh - opened
    if len(ids) < 2 or config.merge_threshold <= 0 or not touched:
        return
    # distances from the touched events to every event (not all pairs: the rest did not move)
    rows = np.flatnonzero(np.isin(np.asarray(ids, dtype=object), list(touched)))
    sim = cent[rows] @ cent.T
    gap = np.abs(first[rows, None] - first[None, :])
    dist = (1 - sim) + config.time_weight * np.minimum(gap / config.time_scale_hours, 1)
    hit_r, hit_c = np.nonzero(dist <= config.merge_threshold)
    a, b = rows[hit_r], hit_c
    pairs = {(min(x, y), max(x, y)) for x, y in zip(a.tolist(), b.tolist(), strict=True) if x != y}
    if not pairs:
        return
    close = sorted(pairs)  # the order of the upper triangle, row by row
    into: dict[str, str] = {}  # merges of this call, followed like ``merged_into``

    def resolve(e: str) -> str:
        while e in into:
            e = into[e]
        return e

    for a, b in close:
        keep, gone = resolve(ids[a]), resolve(ids[b])
        if keep != gone:
            _mark_merged(ledger, gone, keep, None)
            into[gone] = keep
    # members move once, to where each merged event ends up
    final = {gone: resolve(gone) for gone in into}
    ledger.members = ledger.members.with_columns(
        event_id=pl.col("event_id").replace(final))


def _topics(frame: pl.DataFrame, assignments: pl.DataFrame, post_vecs, embedded,
            config) -> pl.DataFrame:
    ev = assignments["event_id"].to_list()
    uniq = sorted(set(ev))
    code = {e: i for i, e in enumerate(uniq)}
    labels = np.array([code[e] for e in ev], dtype=np.int64)
    texts = frame["clean"].to_list()
    has = np.array([bool(t) for t in texts])
    words = represent([t for t, h in zip(texts, has, strict=True) if h], labels[has],
                      post_vecs[has], top_n=config.top_n_words) if has.any() else {}
    if embedded.any():
        idx = np.flatnonzero(embedded)
        reps = representatives(post_vecs[idx], labels[idx],
                               [frame["post_id"][int(i)] for i in idx],
                               [texts[i] for i in idx], k=config.n_representatives)
    else:
        reps = {}
    first_text = {}
    order = np.argsort(frame["created_at"].to_numpy(), kind="stable")
    for i in order:
        first_text.setdefault(labels[i], texts[i] or frame["text"][int(i)])
    rows = []
    for e in uniq:
        c = code[e]
        kw = words.get(c, [])
        rows.append({"event_id": e, "title": title_from(kw, first_text.get(c)), "keywords": kw,
                     "representative_post_ids": reps.get(c, [])})
    return pl.DataFrame(rows, schema=TOPIC_SCHEMA)
