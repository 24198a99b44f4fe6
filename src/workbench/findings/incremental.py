"""``IncrementalFindings``: findings of events that grow a few posts at a time.

It holds the mergeable tables of ``findings.partial`` for every event and, at each
``update``, reduces only the new event-post rows to tables and appends them to the held
ones; the touched events' rows are merged per key (``partial.merge_table``) when their
findings are derived (``partial.final``), and every ``compact_every`` feeds the whole
tables are merged, which bounds their size. A post added to an event of 50,000 posts costs
about what it costs in one of 50: a few small group-bys over the new rows, and a pick of
the touched events' rows out of the held tables (one row per event, per hour, per
timestamp, per author, per platform, per cascade level, per lexicon word, per sensitive
term), by slices of their merged part and a probe of the few feeds appended since
(``findings.held``).

Two findings need an event's posts themselves; they are recomputed from them only when
they can have changed, and carried over otherwise:

- the effect of the first official response (``responses.first_effect``): when the event
  gained an official post, or a post earlier than the end of the first response's window;
- the casualty counts (``casualties.from_parts``): from the event's posts that state a count
  (held in the tables) and the mentions of its candidate places, counted in the new posts
  only while the candidates stay the same, in all its posts when a claim names a new place.

An event whose posts moved (merged into another, or out to an outlier) or whose posts'
cascade depths changed (a parent arrived after its reposts) is rebuilt from all its posts.
``findings.compute`` (everything from scratch) is the reference; the two agree (tested on
random streams in ``tests/test_pipeline_incremental.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta

import polars as pl

from workbench.findings import FindingsConfig, finish, partial
from workbench.findings import final as final_columns
from workbench.findings.held import HeldTables
from workbench.schema import FINDINGS_SCHEMA, empty

RowsOf = Callable[[list[str]], pl.DataFrame]


def _keep(frame: pl.DataFrame, ids: list[str], *, inside: bool) -> pl.DataFrame:
    if not frame.height or not ids:
        return frame if not inside else frame.clear()
    test = _is_in(ids)
    return frame.filter(test if inside else ~test)


class IncrementalFindings:
    """The findings' tables of every event held; see the module docstring.

    ``update(new_rows, rows_of, rebuild=..., drop=..., topics=...)``: ``new_rows`` are the
    event-post rows (``frame.event_posts`` with the ``enrich`` columns) of posts that joined
    an event in this feed; ``rebuild``: events whose tables are rebuilt from
    ``rows_of(ids)`` (all their rows now); ``drop``: events gone. Returns the findings of the
    events of ``new_rows`` and ``rebuild`` (FINDINGS_SCHEMA).
    """

    def __init__(self, config: FindingsConfig | None = None):
        from workbench.findings import lexicons

        self.config = config or FindingsConfig()
        self.lex = lexicons.load(self.config.lexicon_dir)
        self.tables = HeldTables()
        self.effects = _empty_effects()  # responses.first_effect, per event with an official
        self.counts = _empty_counts()  # casualties.per_event, per event that states counts
        # per event that states counts: its candidate places and the posts naming them
        self.places = pl.DataFrame(schema={"event_id": pl.Utf8, "place": pl.Utf8})
        self.place_totals = pl.DataFrame(schema={"event_id": pl.Utf8, "__n": pl.UInt32})
        self.place_counts = pl.DataFrame(schema={"event_id": pl.Utf8, "__home": pl.Utf8,
                                                 "len": pl.UInt32})
        self.place_events: set[str] = set()

    compact_every = 32  # feeds between two merges of the held tables

    def compact(self) -> None:
        """Merge the held tables per key (each feed appends its new rows' tables; reading
        merges the touched events' rows, so this only bounds the tables' size)."""
        if not self.tables.empty:
            self.tables.compact()

    def _partial(self, rows: pl.DataFrame) -> dict[str, pl.DataFrame]:
        return partial.partial(rows, self.lex, kol_followers=self.config.kol_followers)

    def _effects(self, rows: pl.DataFrame) -> pl.DataFrame:
        from workbench.findings import responses

        return responses.first_effect(rows.lazy(), window_hours=self.config.window_hours).collect()

    def _forget_counts(self, ids: list[str]) -> None:
        """Drop the casualty counts and place mentions of ``ids``."""
        self.counts = _keep(self.counts, ids, inside=False)
        self.places = _keep(self.places, ids, inside=False)
        self.place_totals = _keep(self.place_totals, ids, inside=False)
        self.place_counts = _keep(self.place_counts, ids, inside=False)
        self.place_events -= set(ids)

    def _casualties(self, ids: list[str], new_rows: pl.DataFrame, rebuilt: set[str],
                    rows_of: RowsOf, debunked: pl.DataFrame) -> pl.DataFrame:
        """``casualties.per_event`` of the events ``ids`` (they state counts) from their
        held claims and place mentions. The mentions of an event's candidate places are
        counted in the new posts only while its candidates stay the same; when they change
        (a claim names a new place) or the event was rebuilt, in all its posts again."""
        from workbench.findings import casualties

        held = self.tables.pick(ids, ("claims", "en_places"))
        claims, en = partial.collect({
            "claims": partial.merge_table("claims", [held["claims"].lazy()]),
            "en_places": partial.merge_table("en_places", [held["en_places"].lazy()]),
        }).values()
        cands = casualties.event_candidates(claims.lazy(), en.lazy())

        def sets(frame: pl.DataFrame) -> dict[str, tuple[str, ...]]:
            return {e: tuple(p) for e, p in frame.group_by("event_id")
                    .agg(pl.col("place").sort()).iter_rows()}

        now, before = sets(cands), sets(_keep(self.places, ids, inside=True))
        same = [e for e in ids if e in self.place_events and e not in rebuilt
                and now.get(e, ()) == before.get(e, ())]
        again = [e for e in ids if e not in set(same)]
        totals = [_keep(self.place_totals, same, inside=True)]
        counts = [_keep(self.place_counts, same, inside=True)]
        if same and new_rows.height:
            t, c = casualties.place_mentions(_keep(new_rows, same, inside=True).lazy(),
                                             _keep(cands, same, inside=True))
            totals.append(t)
            counts.append(c)
        if again:
            t, c = casualties.place_mentions(rows_of(again).lazy(), _keep(cands, again, inside=True))
            totals.append(t)
            counts.append(c)
        totals = pl.concat(totals, how="vertical_relaxed").group_by("event_id").agg(
            pl.col("__n").sum().cast(pl.UInt32))
        counts = pl.concat(counts, how="vertical_relaxed").group_by("event_id", "__home").agg(
            pl.col("len").sum().cast(pl.UInt32))
        self.place_totals = pl.concat([_keep(self.place_totals, ids, inside=False), totals],
                                      how="vertical_relaxed")
        self.place_counts = pl.concat([_keep(self.place_counts, ids, inside=False), counts],
                                      how="vertical_relaxed")
        self.places = pl.concat([_keep(self.places, ids, inside=False), cands],
                                how="vertical_relaxed")
        self.place_events |= set(ids)
        cfg = self.config
        return casualties.from_parts(
            pl.LazyFrame({"event_id": ids}, schema={"event_id": pl.Utf8}), claims.lazy(),
            totals, counts, corroboration=cfg.corroboration, debunked=debunked.lazy(),
            lex_foreign=self.lex.foreign_places).collect()

    def _responses_dirty(self, new_rows: pl.DataFrame) -> set[str]:
        """Events of ``new_rows`` whose first official response's effect can change."""
        if not new_rows.height:
            return set()
        w = timedelta(hours=self.config.window_hours)
        rows = new_rows.select("event_id", "is_official", "created_at")
        if self.effects.height:
            rows = rows.join(self.effects.select("event_id", "first_official_response_at"),
                             on="event_id", how="left")
            early = pl.col("created_at") < pl.col("first_official_response_at") + w
        else:
            early = pl.lit(False)
        hit = rows.filter(pl.col("is_official") | early.fill_null(False))
        return set(hit.get_column("event_id").unique().to_list())

    def update(self, new_rows: pl.DataFrame, rows_of: RowsOf, *, rebuild: Iterable[str] = (),
               drop: Iterable[str] = (), topics=None) -> pl.DataFrame:
        rebuild = sorted(set(rebuild))
        gone = sorted(set(drop) | set(rebuild))
        if rebuild and new_rows.height:  # their rows come from rows_of
            new_rows = _keep(new_rows, rebuild, inside=False)
        added = sorted(set(new_rows.get_column("event_id").unique().to_list())) \
            if new_rows.height else []
        touched = sorted(set(added) | set(rebuild))
        rows = [r for r in (new_rows, rows_of(rebuild) if rebuild else None)
                if r is not None and r.height]
        if gone and not self.tables.empty:
            self.tables.drop(gone)
            self.effects = _keep(self.effects, gone, inside=False)
            self._forget_counts(gone)
        if rows:  # the new rows' tables are appended; merged per key when read (and compacted)
            fresh = partial.collect(self._partial(
                pl.concat(rows, how="vertical_relaxed") if len(rows) > 1 else rows[0]))
            self.tables.append(fresh)
            if self.tables.appended >= self.compact_every:
                self.compact()
        if self.tables.empty or not touched:
            return empty(FINDINGS_SCHEMA)
        mine = {name: partial.merge_table(name, [t.lazy()])
                for name, t in self.tables.pick(touched).items()}
        out = final_columns(mine, self.lex, self.config).collect()
        if not out.height:
            return empty(FINDINGS_SCHEMA)
        present = set(out.get_column("event_id").to_list())
        # the official response's effect: recomputed where it can have changed
        with_official = set(out.filter(pl.col("n_official") > 0).get_column("event_id").to_list())
        dirty = sorted((self._responses_dirty(new_rows) | set(rebuild)) & with_official)
        # casualty counts: recomputed for the touched events that state any
        claims = sorted(set(out.filter(pl.col("n_claim_posts") > 0).get_column("event_id").to_list()))
        if dirty:
            eff = self._effects(rows_of(dirty))
            self.effects = pl.concat([_keep(self.effects, dirty, inside=False), eff],
                                     how="vertical_relaxed")
        if claims:
            cnt = self._casualties(claims, new_rows, set(rebuild), rows_of,
                                   out.select("event_id", "debunked"))
            self.counts = pl.concat([_keep(self.counts, claims, inside=False), cnt],
                                    how="vertical_relaxed")
        stale = sorted((present - set(claims)) & self.place_events)  # rebuilt without claims
        if stale:
            self._forget_counts(stale)
        return finish(out, self.effects, self.counts, topics, self.config)


def _is_in(ids: list[str]) -> pl.Expr | None:
    return pl.col("event_id").is_in(pl.Series(ids, dtype=pl.Utf8).implode()) if ids else None


def _empty_effects() -> pl.DataFrame:
    return pl.DataFrame(schema={"event_id": pl.Utf8,
                                "first_official_response_at": pl.Datetime("us", "UTC"),
                                "response_volume_change": pl.Float64,
                                "response_negative_change": pl.Float64})


def _empty_counts() -> pl.DataFrame:
    return pl.DataFrame(schema={"event_id": pl.Utf8, "casualty_claims_set_aside": pl.Int64,
                                "deaths_reported": pl.Int64,
                                "deaths_evidence": pl.List(pl.Utf8),
                                "injuries_reported": pl.Int64,
                                "injuries_evidence": pl.List(pl.Utf8),
                                "casualties_reported": pl.Int64})
