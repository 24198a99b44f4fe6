"""Rumour and debunking signals and sensitive mentions.

Per post (``flags``): ``rumour`` (contains a word of rumour.yaml ``signals``), ``debunk``
(contains a word of ``debunk``: the post says a claim is false, whoever wrote it), one
boolean ``sens_<group>`` per sensitive group of sensitive.yaml (``casualties``,
``officials``, ``minors``, ...), ``sensitive_words`` (every sensitive word the post
contains, overlapping matches included: 伤亡 and 死亡 both count in 伤亡死亡), and
``casualty_claims``, the stated death / injury counts of each clause (``casualties``).
Words match as substrings of the lower-cased text.

Per event (``per_event``): a post that debunks is not counted as spreading the rumour
(``rumour_signals`` counts rumour posts that do not debunk); ``debunk_posts`` and
``debunk_share`` count the debunking ones; ``debunked_by`` is 'official' when an official or
verified account debunked, 'crowd' when at least ``crowd_authors`` distinct authors did and
their posts are at least ``crowd_ratio`` of the rumour and debunk posts, else 'none';
``debunked`` is ``debunked_by != 'none'`` (never null).

Casualty counts (``casualties``) are read from patterns such as (numbers in Arabic digits or Chinese
numerals like 三, 十二, 两百零五; 余/多 allowed after the number):

* number + 人/名/位 [+ 已/当场/不幸] + death or injury word: 3人死亡, 十二名遇难, 5人受伤
* death or injury word [+ 人数] [+ 已/达/为/升至/增至] + number + 人/名: 死亡3人, 遇难人数升至12人
* 致/造成 + number [+ 人] + death or injury word: 致5死, 造成2人受伤
* number 死 number 伤: 3死5伤
* English / Spanish: "12 people killed", "3 dead", "death toll rises to 40", "5 injured",
  "10 muertos", "20 heridos".

The death and injury words come from sensitive.yaml ``casualty_words``. Counts above
1,000,000 are ignored (years and phone numbers, not casualties).
"""

from __future__ import annotations

import polars as pl

from workbench.findings import casualties
from workbench.findings.lexicons import Lexicons
from workbench.findings.matching import contains_any, ordered_patterns

# Optional groups of sensitive.yaml with a count of their own (group -> findings column
# mentions_<name>); a lexicon without the group gives 0.
OPTIONAL_GROUPS = {"mass_incident": "unrest", "values": "values"}


# Casualty words said to be absent: 无人员伤亡, 未造成人员伤亡, 暂无人员死亡, 无人受伤, 均未受伤,
# "no one was hurt", "no injuries", "no casualties" (left out of mentions_casualties)
NEGATED_CASUALTIES = (
    r"(?:无|没有|未造成|未有|暂无|并无|均无|均未|未|没)(?:任何)?(?:人员|人|一人)?(?:伤亡|受伤|死亡|遇难|伤)"
    r"|\bno (?:one|body|people) (?:was |were )?(?:hurt|injured|killed)\b"
    r"|\bno (?:injuries|casualties|deaths|fatalities)\b|\bnobody (?:was )?(?:hurt|injured|killed)\b"
    r"|\bunhurt\b|\buninjured\b")


def flags(ev: pl.LazyFrame, lex: Lexicons) -> pl.LazyFrame:
    """Add the per-post signal columns (see module docs) to the event-post frame.

    One overlapping Aho-Corasick pass finds every rumour, debunk and sensitive word a post
    contains; the group flags are list look-ups on that result."""
    frame = ev.collect()
    groups = {"rumour": lex.rumour_signals, "debunk": lex.debunk,
              **{f"sens_{g}": words for g, words in lex.sensitive.items()}}
    vocabulary = ordered_patterns(w for words in groups.values() for w in words)
    sensitive = ordered_patterns(w for words in lex.sensitive.values() for w in words)
    found = pl.col("text").fill_null("").str.to_lowercase().str.extract_many(
        vocabulary, overlapping=True
    ).list.unique(maintain_order=True)
    frame = frame.with_columns(found.alias("__found")).with_columns(
        *[pl.col("__found").list.eval(pl.element().is_in(ordered_patterns(words))).list.any()
          .alias(name) for name, words in groups.items()],
        pl.col("__found").list.eval(pl.element().filter(pl.element().is_in(sensitive)))
        .alias("sensitive_words"),
    ).drop("__found")
    if "sens_casualties" in frame.columns:
        # "无人员伤亡", "无人受伤", "no one was hurt" say nobody was harmed: not a mention
        negated = pl.col("text").fill_null("").str.to_lowercase().str.replace_all(
            NEGATED_CASUALTIES, "")
        frame = frame.with_columns(
            (pl.col("sens_casualties") & contains_any(negated, lex.sensitive["casualties"]))
            .alias("sens_casualties"))
    return frame.with_columns(casualties.claims(frame, lex)).lazy()


def per_event(ev: pl.LazyFrame, lex: Lexicons, *, top_terms: int = 20, corroboration: int = 2,
              crowd_authors: int = 3, crowd_ratio: float = 0.25) -> pl.LazyFrame:
    """One row per event_id with rumour, debunking, casualty and sensitive-mention findings
    (``ev`` from flags)."""
    official = pl.col("is_official") | pl.col("author_verified").fill_null(False)
    spreading = pl.col("rumour") & ~pl.col("debunk")
    base = ev.group_by("event_id").agg(
        spreading.sum().cast(pl.Int64).alias("rumour_signals"),
        (spreading.sum() / pl.len()).alias("rumour_share"),
        pl.col("debunk").sum().cast(pl.Int64).alias("debunk_posts"),
        (pl.col("debunk").sum() / pl.len()).alias("debunk_share"),
        (pl.col("debunk") & official).any().alias("__official_debunk"),
        pl.col("author_id").fill_null(pl.col("post_id")).filter(pl.col("debunk")).n_unique()
        .alias("__debunk_authors"),
        (pl.col("sens_casualties") | (pl.col("casualty_claims").list.len() > 0))
        .sum().cast(pl.Int64).alias("mentions_casualties"),
        pl.col("sens_officials").sum().cast(pl.Int64).alias("mentions_officials"),
        pl.col("sens_minors").sum().cast(pl.Int64).alias("mentions_minors"),
        *[(pl.col(f"sens_{group}").sum() if group in lex.sensitive else pl.lit(0))
          .cast(pl.Int64).alias(f"mentions_{name}") for group, name in OPTIONAL_GROUPS.items()],
    ).with_columns(
        pl.when(pl.col("__official_debunk")).then(pl.lit("official"))
        .when((pl.col("__debunk_authors") >= crowd_authors)
              & (pl.col("debunk_posts")
                 >= crowd_ratio * (pl.col("debunk_posts") + pl.col("rumour_signals"))))
        .then(pl.lit("crowd")).otherwise(pl.lit("none")).alias("debunked_by"),
    ).with_columns((pl.col("debunked_by") != "none").alias("debunked")).drop(
        "__official_debunk", "__debunk_authors")
    base = base.join(casualties.per_event(ev, corroboration=corroboration, debunked=base,
                                          lex_foreign=lex.foreign_places),
                     on="event_id", how="left")
    terms = (
        ev.select("event_id", pl.col("sensitive_words").alias("term"))
        .explode("term")
        .filter(pl.col("term").is_not_null())
        .group_by("event_id", "term")
        .len()
        .sort(["event_id", "len", "term"], descending=[False, True, False])
        .group_by("event_id", maintain_order=True)
        .agg(pl.col("term").head(top_terms).alias("sensitive_terms"))
    )
    return base.join(terms, on="event_id", how="left").with_columns(
        pl.col("sensitive_terms").fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
    )
