"""Per-event findings: one row per event, in ``workbench.schema.FINDINGS_SCHEMA``.

``compute(posts, assignments, topics=None)`` joins the posts to their events and runs each
finding, every one a vectorised Polars aggregation grouped by ``event_id``:

=================  ===========================================================
module             findings
=================  ===========================================================
``volume``         counts, first/peak/last times, hourly series, growth
``bursts``         robust (median/MAD) z-score bursts of the hourly series
``spread``         authors, reach, engagement, verified/KOL share, platforms,
                   cascade depth and breadth
``sentiment``      per-post sentiment (Chinese lexicon) -> negative share,
                   intensity
``nature``         nature category with evidence and confidence; affected
                   subject
``signals``        rumour signals, debunking, sensitive mentions, stated
                   casualty counts
``responses``      official responses and the effect of the first one
=================  ===========================================================

The word lists live in ``rules/lexicons/*.yaml`` (experts edit them; see ``lexicons``).
Column meanings are documented in ``workbench.schema.FINDINGS_COLUMNS``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.schema import FINDINGS_SCHEMA, conform

__all__ = ["FindingsConfig", "compute", "enrich", "official_responses", "post_columns"]


@dataclass(frozen=True)
class FindingsConfig:
    """Tunable thresholds of the findings (defaults documented in each module)."""

    window_hours: float = 6.0  # growth and official-response windows
    kol_followers: int = 100_000  # followers from which an author is a KOL
    burst_threshold: float = 3.5  # robust z-score of a burst hour
    burst_min_posts: int = 3  # posts an hour needs to be a burst hour
    max_series_hours: int = 2016  # length cap of hourly_counts (12 weeks)
    include_outliers: bool = False  # count assignments with how == 'outlier'
    lexicon_dir: str | Path | None = None  # rules/lexicons by default
    corroboration: int = 2  # distinct authors a casualty count needs (credible: 1)
    crowd_debunk_authors: int = 3  # distinct authors for a crowd debunking
    crowd_debunk_ratio: float = 0.25  # debunk posts / (rumour + debunk posts) for the crowd
    nature_min_confidence: float = 0.4  # below: nature 'uncertain'
    min_subject_share: float = 0.1  # domestic_stake: posts naming an affected subject
    max_foreign_share: float = 0.5  # domestic_stake: posts about a place abroad


def _topics_frame(topics) -> pl.LazyFrame | None:
    if topics is None:
        return None
    if isinstance(topics, pl.DataFrame | pl.LazyFrame):
        frame = topics.lazy()
    else:
        frame = pl.DataFrame(topics).lazy()
    have = frame.collect_schema().names()
    if "event_id" not in have:
        raise ValueError("topics needs an event_id column")
    wanted = {"title": pl.Utf8, "keywords": pl.List(pl.Utf8),
              "representative_post_ids": pl.List(pl.Utf8)}
    return frame.select(
        pl.col("event_id").cast(pl.Utf8),
        *[(pl.col(c).cast(t) if c in have else pl.lit(None, dtype=t)).alias(f"_t_{c}")
          for c, t in wanted.items()],
    ).unique("event_id", keep="first")


def _fallback_titles(ev: pl.LazyFrame) -> pl.LazyFrame:
    """Title = opening of the earliest original post; representatives = up to 3 originals
    with the most engagement (used when topics are not given or lack a value)."""
    originals = ev.with_columns(
        (pl.col("reposts").fill_null(0) + pl.col("comments").fill_null(0)
         + pl.col("likes").fill_null(0)).alias("_eng"),
        pl.col("text").fill_null("").str.replace_all(r"\s+", " ").str.strip_chars().alias("_txt"),
        (pl.col("depth") == 0).alias("_orig"),
    )
    title = (
        originals.sort(["event_id", "_orig", "created_at"], descending=[False, True, False],
                       nulls_last=True)
        .filter(pl.col("_txt").str.len_chars() > 0)
        .group_by("event_id", maintain_order=True)
        .agg(pl.col("_txt").first().str.slice(0, 40).alias("_f_title"))
    )
    reps = (
        originals.sort(["event_id", "_orig", "_eng", "post_id"],
                       descending=[False, True, True, False])
        .group_by("event_id", maintain_order=True)
        .agg(pl.col("post_id").head(3).alias("_f_reps"))
    )
    return reps.join(title, on="event_id", how="left")


def enrich(posts: pl.DataFrame | pl.LazyFrame, *, config: FindingsConfig | None = None) -> pl.LazyFrame:
    """The per-post columns of the findings, which depend on each post alone: sentiment
    (``sentiment_raw``, ``sentiment_score``, ``sentiment_negative``), ``is_official``, the
    rumour / debunk / sensitive flags and stated counts of ``signals.flags``, and the nature
    and subject words of ``nature.post_words``. ``posts`` keeps its columns.

    ``compute`` runs this on the posts of the events it is given. A caller that computes
    findings again and again over growing events (the watch) can enrich each post once, keep
    the columns (``post_columns`` names them) and pass ``compute(..., enriched=True)``.
    """
    from workbench.findings import lexicons, nature, responses, signals, stake
    from workbench.findings.sentiment import default_model

    cfg = config or FindingsConfig()
    lex = lexicons.load(cfg.lexicon_dir)
    model = default_model(None if cfg.lexicon_dir is None else str(cfg.lexicon_dir))
    out = model.transform(posts).with_columns(responses.is_official(lex))
    out = signals.flags(out, lex)  # materialises once: every finding reads it
    return out.with_columns(*nature.post_words(lex), *stake.post_flags(lex))


_ENRICH_MARKERS = ("sentiment_score", "is_official", "rumour", "sensitive_words", "nature_words",
                   "subject_words", "casualty_claims", "own_words")


def post_columns(config: FindingsConfig | None = None) -> list[str]:
    """Names of the columns ``enrich`` adds (they depend on the lexicons' groups)."""
    from workbench.schema import POST_SCHEMA, empty

    posts = empty(POST_SCHEMA)
    return [c for c in enrich(posts, config=config).collect_schema().names() if c not in POST_SCHEMA]


def compute(
    posts: pl.DataFrame | pl.LazyFrame,
    assignments: pl.DataFrame | pl.LazyFrame,
    topics=None,
    *,
    config: FindingsConfig | None = None,
    enriched: bool = False,
) -> pl.DataFrame:
    """Findings table (FINDINGS_SCHEMA), one row per event_id, sorted by event_id.

    posts: POST_SCHEMA frame (any platform; missing columns are nulls). assignments:
    ASSIGNMENT_SCHEMA (post_id -> event_id; null event_id / 'outlier' rows are left out).
    topics (optional): a frame or records with event_id, title, keywords,
    representative_post_ids; missing values fall back to the earliest original post.
    enriched: the posts already carry the columns of ``enrich`` (same config), which are
    then used as they are instead of being computed again (the result is the same).
    Raises FindingsInputError when an assignment names an unknown post.
    """
    from workbench.findings import lexicons
    from workbench.findings.frame import event_posts

    cfg = config or FindingsConfig()
    lex = lexicons.load(cfg.lexicon_dir)

    if enriched:
        from workbench.schema import POST_SCHEMA

        have = posts.lazy().collect_schema().names()
        missing = [c for c in _ENRICH_MARKERS if c not in have]
        if missing:
            raise ValueError(f"compute(enriched=True): posts lack the enrich columns {missing}")
        extra = [c for c in have if c not in POST_SCHEMA]
        frame = event_posts(posts, assignments, include_outliers=cfg.include_outliers,
                            extra=extra).collect()
    else:  # materialise once: every finding reads it
        frame = enrich(event_posts(posts, assignments, include_outliers=cfg.include_outliers),
                       config=cfg).collect()
    if frame.height == 0:
        return pl.DataFrame(schema=FINDINGS_SCHEMA)
    from workbench.findings import casualties, partial, responses

    tables = partial.collect(partial.partial(frame, lex, kol_followers=cfg.kol_followers))
    out = final(tables, lex, cfg).collect()
    lazy = frame.lazy()
    effects = responses.first_effect(lazy, window_hours=cfg.window_hours).collect()
    candidates = casualties.event_candidates(tables["claims"].lazy(), tables["en_places"].lazy())
    totals, mentions = casualties.place_mentions(lazy, candidates)
    counts = casualties.from_parts(out.lazy().select("event_id"), tables["claims"].lazy(),
                                   totals, mentions, corroboration=cfg.corroboration,
                                   debunked=out.lazy().select("event_id", "debunked"),
                                   lex_foreign=lex.foreign_places).collect()
    return finish(out, effects, counts, topics, cfg)


def final(tables: dict[str, pl.DataFrame], lex, cfg: FindingsConfig) -> pl.LazyFrame:
    """``partial.final`` with the thresholds of ``cfg`` (a plan)."""
    from workbench.findings import partial

    return partial.final(
        tables, lex, window_hours=cfg.window_hours, burst_threshold=cfg.burst_threshold,
        burst_min_posts=cfg.burst_min_posts, max_series_hours=cfg.max_series_hours,
        min_confidence=cfg.nature_min_confidence, crowd_authors=cfg.crowd_debunk_authors,
        crowd_ratio=cfg.crowd_debunk_ratio)


def finish(out: pl.DataFrame | pl.LazyFrame, effects: pl.DataFrame, counts: pl.DataFrame, topics,
           cfg: FindingsConfig) -> pl.DataFrame:
    """The findings table from ``final``'s columns, the first official response's effect
    (``responses.first_effect``), the casualty counts (``casualties.per_event``) and the
    topics (titles, keywords, representatives; the fallback titles where they lack one)."""
    from workbench.findings import responses, stake

    out = (out.lazy().join(effects.lazy(), on="event_id", how="left")
           .join(counts.lazy(), on="event_id", how="left")
           .with_columns(responses.hours_to_response(pl.col("first_seen"))))
    topic_frame = _topics_frame(topics)
    if topic_frame is not None:
        out = out.join(topic_frame, on="event_id", how="left")
    else:
        out = out.with_columns(
            pl.lit(None, dtype=pl.Utf8).alias("_t_title"),
            pl.lit(None, dtype=pl.List(pl.Utf8)).alias("_t_keywords"),
            pl.lit(None, dtype=pl.List(pl.Utf8)).alias("_t_representative_post_ids"),
        )
    out = out.with_columns(
        pl.coalesce("_t_title", "_f_title", pl.col("event_id")).alias("title"),
        pl.col("_t_keywords").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))).alias("keywords"),
        pl.coalesce("_t_representative_post_ids", "_f_reps").alias("representative_post_ids"),
        pl.col("max_burst_z").fill_null(0.0),
        pl.col("burst_count").fill_null(0),
        pl.col("nationals_unharmed").fill_null(False),
        pl.col("casualty_claims_set_aside").fill_null(0),  # events that state no count
        *[pl.col(f"{k}_evidence").fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
          for k in ("deaths", "injuries")],
    ).with_columns(
        stake.domestic_stake(min_subject_share=cfg.min_subject_share,
                             max_foreign_share=cfg.max_foreign_share),
    )
    return conform(out, FINDINGS_SCHEMA).sort("event_id").collect()


def official_responses(posts, assignments, *, window_hours: float = 6.0, lexicon_dir=None):
    """One row per official post with its before/after effect (see ``responses.table``)."""
    from workbench.findings.responses import table

    return table(posts, assignments, window_hours=window_hours, lexicon_dir=lexicon_dir)
