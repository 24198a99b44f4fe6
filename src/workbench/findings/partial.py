"""Mergeable partial aggregates of the findings: ``partial`` -> ``merge_table`` -> ``final``.

Most findings are sums, minima, maxima, distinct sets or counts per key over an event's
posts. ``partial(ev)`` reduces a per-post event frame (``frame.event_posts`` + ``enrich``)
to small keyed tables (``TABLES``): one row per event with counters, and one row per
(event, hour), (event, timestamp), (event, author), (event, platform), (event, tree, depth),
(event, lexicon word), (event, sensitive term), (event, debunking author) and (event,
English place name), the posts that state casualty counts, and the few posts that can still
become an event's fallback title or representatives.
``merge_table(name, copies)`` merges copies of a table (each column has its merge: sum,
min, max, any), so the tables of an event fed in pieces equal the tables of all its posts
at once. ``final(tables)`` turns them into the findings columns (all but the casualty counts,
which ``casualties.from_parts`` makes from the claims and the events' place mentions).

``findings.compute`` is ``final(partial(ev))`` (the reference, from scratch); the pipeline
keeps the tables and merges each feed's new posts into them
(``findings.incremental``), so a post added to an event of 50,000 posts costs about what
it costs in an event of 50. Two findings need the posts themselves and are not here: the
effect of the first official response (posts in a window around it: ``responses``) and
the casualty counts (corroboration and the event's places: ``casualties``).
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from workbench.findings import bursts, casualties, nature, signals, volume
from workbench.findings.casualties import credible
from workbench.findings.lexicons import Lexicons
from workbench.findings.sentiment import intensity

# table -> (keys, {column: how it merges})
TABLES: dict[str, tuple[tuple[str, ...], dict[str, str]]] = {
    "events": (("event_id",), {
        "n_posts": "sum", "n_originals": "sum", "first_seen": "min", "last_seen": "max",
        "engagement": "sum", "n_verified": "sum", "n_kol": "sum", "depth_max": "max",
        "neg_sum": "sum", "neg_n": "sum", "int_sum": "sum", "int_n": "sum",
        "spreading": "sum", "debunk": "sum", "official_debunk": "any",
        "mentions_casualties": "sum", "mentions_officials": "sum", "mentions_minors": "sum",
        **{f"mentions_{name}": "sum" for name in signals.OPTIONAL_GROUPS.values()},
        "n_own": "sum", "n_foreign": "sum", "n_subject": "sum", "nationals_unharmed": "any",
        "n_official": "sum", "n_claim_posts": "sum",
    }),
    "hours": (("event_id", "hour"), {"n": "sum"}),
    "times": (("event_id", "created_at"), {"n": "sum"}),
    "authors": (("event_id", "author_id"), {"followers": "max"}),
    "platforms": (("event_id", "platform"), {"n": "sum"}),
    "breadth": (("event_id", "tree", "depth"), {"n": "sum"}),
    "words": (("event_id", "lexicon", "word"), {"n": "sum"}),
    "terms": (("event_id", "term"), {"n": "sum"}),
    "debunkers": (("event_id", "author"), {}),
    "en_places": (("event_id", "place"), {}),
    "claims": (("event_id", "post_id"), {}),  # the posts that state a count (casualties)
}
CANDIDATE_COLUMNS = ("event_id", "post_id", "created_at", "text", "depth", "reposts",
                     "comments", "likes")
TITLE_CANDIDATES = 3  # representatives kept per event and kind (original / not)

_MERGE = {"sum": lambda c: pl.col(c).sum(), "min": lambda c: pl.col(c).min(),
          "max": lambda c: pl.col(c).max(), "any": lambda c: pl.col(c).any()}


def _event_counters(ev: pl.LazyFrame, lex: Lexicons, kol_followers: int) -> pl.LazyFrame:
    official = pl.col("is_official") | pl.col("author_verified").fill_null(False)
    spreading = pl.col("rumour") & ~pl.col("debunk")
    own = pl.col("own_words")
    neg = pl.col("sentiment_negative").cast(pl.Float64)
    strength = intensity(pl.col("sentiment_score"))
    return ev.group_by("event_id").agg(
        pl.len().cast(pl.Int64).alias("n_posts"),
        ((pl.col("kind") == "original").fill_null(pl.col("parent_id").is_null()))
        .sum().cast(pl.Int64).alias("n_originals"),
        pl.col("created_at").min().alias("first_seen"),
        pl.col("created_at").max().alias("last_seen"),
        (pl.col("reposts").fill_null(0) + pl.col("comments").fill_null(0)
         + pl.col("likes").fill_null(0)).sum().cast(pl.Int64).alias("engagement"),
        pl.col("author_verified").fill_null(False).sum().cast(pl.Int64).alias("n_verified"),
        (pl.col("author_followers").fill_null(0) >= kol_followers).sum().cast(pl.Int64)
        .alias("n_kol"),
        pl.col("depth").max().cast(pl.Int64).alias("depth_max"),
        neg.sum().alias("neg_sum"), neg.count().cast(pl.Int64).alias("neg_n"),
        strength.sum().alias("int_sum"), strength.count().cast(pl.Int64).alias("int_n"),
        spreading.sum().cast(pl.Int64).alias("spreading"),
        pl.col("debunk").sum().cast(pl.Int64).alias("debunk"),
        (pl.col("debunk") & official).any().alias("official_debunk"),
        (pl.col("sens_casualties") | (pl.col("casualty_claims").list.len() > 0))
        .sum().cast(pl.Int64).alias("mentions_casualties"),
        pl.col("sens_officials").sum().cast(pl.Int64).alias("mentions_officials"),
        pl.col("sens_minors").sum().cast(pl.Int64).alias("mentions_minors"),
        *[(pl.col(f"sens_{group}").sum() if group in lex.sensitive else pl.lit(0))
          .cast(pl.Int64).alias(f"mentions_{name}")
          for group, name in signals.OPTIONAL_GROUPS.items()],
        own.sum().cast(pl.Int64).alias("n_own"),
        (own & pl.col("place_foreign") & ~pl.col("place_home")).sum().cast(pl.Int64)
        .alias("n_foreign"),
        (own & (pl.col("subject_words").list.len() > 0)).sum().cast(pl.Int64).alias("n_subject"),
        (pl.col("nationals_unharmed_post") & credible(pl.col("is_official"))).any()
        .alias("nationals_unharmed"),
        pl.col("is_official").sum().cast(pl.Int64).alias("n_official"),
        (pl.col("casualty_claims").list.len() > 0).sum().cast(pl.Int64).alias("n_claim_posts"),
    )


def _words(ev: pl.LazyFrame) -> pl.LazyFrame:
    """(event_id, lexicon, word, n): posts of the event containing each nature / subject
    word (once per post and word)."""
    parts = []
    for lexicon, column in (("nature", "nature_words"), ("subject", "subject_words")):
        parts.append(
            ev.select("event_id", "post_id", pl.col(column).alias("word"))
            .explode("word").drop_nulls("word").unique(["event_id", "post_id", "word"])
            .group_by("event_id", "word").agg(pl.len().cast(pl.Int64).alias("n"))
            .select("event_id", pl.lit(lexicon).alias("lexicon"), "word", "n"))
    return pl.concat(parts, how="vertical")


def candidates(ev: pl.LazyFrame) -> pl.LazyFrame:
    """The posts that can be an event's fallback title or representatives
    (``findings._fallback_titles``): per event and kind (original or not), the
    ``TITLE_CANDIDATES`` with most engagement and the earliest one with text."""
    frame = ev.select(*CANDIDATE_COLUMNS).with_columns(
        (pl.col("reposts").fill_null(0) + pl.col("comments").fill_null(0)
         + pl.col("likes").fill_null(0)).alias("_eng"),
        (pl.col("depth") == 0).alias("_orig"),
        (pl.col("text").fill_null("").str.replace_all(r"\s+", " ").str.strip_chars()
         .str.len_chars() > 0).alias("_has_text"),
    )
    top = (frame.sort(["_eng", "post_id"], descending=[True, False])
           .group_by("event_id", "_orig", maintain_order=True).head(TITLE_CANDIDATES))
    first = (frame.filter(pl.col("_has_text")).sort(["created_at", "post_id"], nulls_last=True)
             .group_by("event_id", "_orig", maintain_order=True).head(1))
    return (pl.concat([top.select(CANDIDATE_COLUMNS), first.select(CANDIDATE_COLUMNS)],
                      how="vertical").unique("post_id", keep="first", maintain_order=True))


def partial(ev: pl.DataFrame | pl.LazyFrame, lex: Lexicons, *,
            kol_followers: int) -> dict[str, pl.LazyFrame]:
    """The keyed tables of ``ev`` (one per event-post row, with ``depth`` / ``tree`` and the
    ``enrich`` columns), as plans: see the module docstring (``collect`` runs them)."""
    ev = ev.lazy()
    timed = ev.filter(pl.col("created_at").is_not_null())
    n = pl.len().cast(pl.Int64).alias("n")
    return {
        "events": _event_counters(ev, lex, kol_followers),
        "hours": timed.group_by("event_id", pl.col("created_at").dt.truncate("1h").alias("hour"))
        .agg(n),
        "times": timed.group_by("event_id", "created_at").agg(n),
        "authors": ev.filter(pl.col("author_id").is_not_null()).group_by("event_id", "author_id")
        .agg(pl.col("author_followers").max().alias("followers")),
        "platforms": ev.filter(pl.col("platform").is_not_null()).group_by("event_id", "platform")
        .agg(n),
        "breadth": ev.filter(pl.col("depth") >= 1).group_by("event_id", "tree", "depth").agg(n),
        "words": _words(ev),
        "terms": ev.select("event_id", pl.col("sensitive_words").alias("term")).explode("term")
        .drop_nulls("term").group_by("event_id", "term").agg(n),
        "debunkers": ev.filter(pl.col("debunk")).select(
            "event_id", pl.col("author_id").fill_null(pl.col("post_id")).alias("author")).unique(),
        "candidates": candidates(ev),
        "en_places": casualties.english_places(ev),
        "claims": casualties.claim_rows(ev),
    }


def collect(tables: dict[str, pl.LazyFrame]) -> dict[str, pl.DataFrame]:
    """Run the plans of a set of tables side by side (one call of the engine)."""
    return dict(zip(tables, pl.collect_all(list(tables.values())), strict=True))


def merge_table(name: str, frames: list[pl.LazyFrame]) -> pl.LazyFrame:
    """One table of ``TABLES`` (or the candidates) from several partial copies."""
    both = pl.concat([f.lazy() for f in frames], how="vertical_relaxed")
    if name == "candidates":
        return candidates(both)
    keys, merge = TABLES[name]
    if not merge:
        return both.unique(list(keys), keep="first", maintain_order=True)
    return both.group_by(list(keys), maintain_order=True).agg(
        *[_MERGE[how](column) for column, how in merge.items()])


def final(tables: dict[str, pl.DataFrame | pl.LazyFrame], lex: Lexicons, *, window_hours: float,
          burst_threshold: float, burst_min_posts: int, max_series_hours: int,
          min_confidence: float, crowd_authors: int, crowd_ratio: float,
          top_terms: int = 20) -> pl.LazyFrame:
    """The findings that come from the tables, one row per event of ``tables['events']``
    (everything but the official-response effect, the casualty counts and the topics), as
    one plan."""
    from workbench.findings import _fallback_titles

    tables = {name: t.lazy() for name, t in tables.items()}
    w = timedelta(hours=window_hours)
    ev = tables["events"]
    series = volume.dense_series(tables["hours"], max_hours=max_series_hours)
    times = tables["times"].join(ev.select("event_id", "first_seen", "last_seen"), on="event_id")
    t = pl.col("created_at")
    windows = times.group_by("event_id").agg(
        pl.col("n").filter(t < pl.col("first_seen") + timedelta(hours=24)).sum().cast(pl.Int64)
        .alias("posts_first_24h"),
        pl.col("n").filter(t > pl.col("last_seen") - w).sum().alias("_recent"),
        pl.col("n").filter((t > pl.col("last_seen") - 2 * w) & (t <= pl.col("last_seen") - w))
        .sum().alias("_before"),
    )
    peak = (tables["hours"].sort(["event_id", "n", "hour"], descending=[False, True, False])
            .group_by("event_id", maintain_order=True)
            .agg(pl.col("hour").first().alias("peak_time"),
                 pl.col("n").first().cast(pl.Int64).alias("peak_hour_posts")))
    series_list = series.group_by("event_id").agg(pl.col("count").sort_by("i").alias("hourly_counts"))
    authors = tables["authors"].group_by("event_id").agg(
        pl.len().cast(pl.Int64).alias("unique_authors"),
        pl.col("followers").sum().cast(pl.Int64).alias("reach"))
    platforms = (tables["platforms"].sort(["event_id", "n", "platform"], descending=[False, True, False])
                 .group_by("event_id", maintain_order=True)
                 .agg(pl.col("platform").alias("platforms"),
                      pl.len().cast(pl.Int64).alias("n_platforms")))
    breadth = tables["breadth"].group_by("event_id").agg(
        pl.col("n").max().cast(pl.Int64).alias("cascade_breadth"))
    words = tables["words"]
    kinds = nature.from_word_counts(
        ev.select("event_id"),
        words.filter(pl.col("lexicon") == "nature").drop("lexicon"),
        words.filter(pl.col("lexicon") == "subject").drop("lexicon"),
        lex, min_confidence=min_confidence)
    terms = (tables["terms"].sort(["event_id", "n", "term"], descending=[False, True, False])
             .group_by("event_id", maintain_order=True)
             .agg(pl.col("term").head(top_terms).alias("sensitive_terms")))
    debunkers = tables["debunkers"].group_by("event_id").agg(
        pl.len().cast(pl.Int64).alias("_debunk_authors"))
    n_posts = pl.col("n_posts").cast(pl.Float64)
    n_own = pl.col("n_own").cast(pl.Float64)
    out = (
        ev.join(windows, on="event_id", how="left")
        .join(peak, on="event_id", how="left")
        .join(series_list, on="event_id", how="left")
        .join(bursts.per_event(series, threshold=burst_threshold, min_posts=burst_min_posts),
              on="event_id", how="left")
        .join(authors, on="event_id", how="left")
        .join(platforms, on="event_id", how="left")
        .join(breadth, on="event_id", how="left")
        .join(kinds, on="event_id", how="left")
        .join(terms, on="event_id", how="left")
        .join(debunkers, on="event_id", how="left")
        .join(_fallback_titles(tables["candidates"]), on="event_id", how="left")
        .with_columns(
            pl.col("posts_first_24h").fill_null(0),
            ((pl.col("_recent").fill_null(0) + 1) / (pl.col("_before").fill_null(0) + 1))
            .alias("growth_rate"),
            ((pl.col("last_seen") - pl.col("first_seen")).dt.total_seconds(fractional=True)
             / 3600.0).alias("duration_hours"),
            (pl.col("n_verified") / n_posts).alias("verified_share"),
            (pl.col("n_kol") / n_posts).alias("kol_share"),
            pl.col("n_platforms").fill_null(0),
            pl.col("platforms").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            pl.col("depth_max").fill_null(0).alias("cascade_depth"),
            pl.col("unique_authors").fill_null(0),
            pl.col("cascade_breadth").fill_null(0),
            pl.when(pl.col("neg_n") > 0).then(pl.col("neg_sum") / pl.col("neg_n"))
            .alias("negative_share"),
            pl.when(pl.col("int_n") > 0).then(pl.col("int_sum") / pl.col("int_n"))
            .alias("sentiment_intensity"),
            pl.col("spreading").alias("rumour_signals"),
            (pl.col("spreading") / n_posts).alias("rumour_share"),
            pl.col("debunk").alias("debunk_posts"),
            (pl.col("debunk") / n_posts).alias("debunk_share"),
            pl.when(pl.col("official_debunk")).then(pl.lit("official"))
            .when((pl.col("_debunk_authors").fill_null(0) >= crowd_authors)
                  & (pl.col("debunk") >= crowd_ratio * (pl.col("debunk") + pl.col("spreading"))))
            .then(pl.lit("crowd")).otherwise(pl.lit("none")).alias("debunked_by"),
            pl.col("sensitive_terms").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            pl.when(n_own > 0).then(pl.col("n_foreign") / n_own).otherwise(0.0)
            .alias("foreign_share"),
            pl.when(n_own > 0).then(pl.col("n_subject") / n_own).otherwise(0.0)
            .alias("subject_share"),
            pl.col("n_official").alias("official_responses"),
        )
        .with_columns((pl.col("debunked_by") != "none").alias("debunked"))
    )
    return out

