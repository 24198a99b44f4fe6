"""Nature category (political / economic / social / cultural / natural) and affected subject
(government / enterprise / individual) of each event, from the words of its posts.

Both are a vote of evidence over a lexicon of categories (rules/lexicons/nature.yaml and
subjects.yaml). A category's evidence is the number of (post, word) pairs in the event
where the post contains the word, counted once per post and word. The winner has the most
evidence; ties go to the order of the categories in the YAML file.

* ``nature``: the winner when its confidence reaches ``min_confidence`` (default 0.4),
  else "uncertain": the findings do not guess (the measures then use the rule set's
  ``default_nature``, and reports say the nature is uncertain). ``nature_confidence`` =
  (winner + 1) / (all + 5), Laplace-smoothed over the five categories so a single word
  gives 0.33, a split vote about 0.5 and overwhelming evidence tends to 1; 0.0 when no
  word matched. ``nature_evidence``: up to 5 of the winner's words, most posts first
  (also when the nature is uncertain, so an analyst sees what the vote leaned on).
* ``affected_subject``: the winner, or "unknown" when no word matched.
"""

from __future__ import annotations

import polars as pl

from workbench.findings.lexicons import Lexicons
from workbench.findings.matching import matches

UNCERTAIN = "uncertain"
MIN_CONFIDENCE = 0.4
EVIDENCE_WORDS = 5


def _word_table(groups: dict[str, list[str]]) -> pl.DataFrame:
    rows = [(w.lower(), name, rank) for rank, (name, words) in enumerate(groups.items())
            for w in words]
    return pl.DataFrame(rows, schema={"word": pl.Utf8, "category": pl.Utf8, "rank": pl.Int64},
                        orient="row").unique("word", keep="first", maintain_order=True)


def post_words(lex: Lexicons) -> list[pl.Expr]:
    """Per-post columns ``nature_words`` and ``subject_words``: the lexicon words each post
    contains (they depend on the post alone, so a caller may compute them once per post and
    keep them; ``per_event`` uses them when present)."""
    return [
        matches(pl.col("text"), _word_table(lex.nature)["word"].to_list()).alias("nature_words"),
        matches(pl.col("text"), _word_table(lex.subjects)["word"].to_list()).alias("subject_words"),
    ]


def word_counts(ev: pl.LazyFrame, groups: dict[str, list[str]],
                column: str | None = None) -> pl.LazyFrame:
    """(event_id, word, n): the event's posts that contain each lexicon word, once per post
    and word. ``column``: a per-post list of matched words already computed (see
    ``post_words``)."""
    table = _word_table(groups)
    words = pl.col(column) if column else matches(pl.col("text"), table["word"].to_list())
    return (
        ev.select("event_id", "post_id", words.alias("word"))
        .explode("word")
        .filter(pl.col("word").is_not_null())
        .unique(["event_id", "post_id", "word"])
        .group_by("event_id", "word")
        .agg(pl.len().cast(pl.Int64).alias("n"))
    )


def _votes(counts: pl.LazyFrame, groups: dict[str, list[str]]) -> pl.LazyFrame:
    """(event_id, category, rank, evidence, words) with evidence > 0, from ``word_counts``."""
    per_word = counts.join(_word_table(groups).lazy(), on="word", how="inner")
    return per_word.group_by("event_id", "category", "rank").agg(
        pl.col("n").sum().alias("evidence"),
        pl.col("word").sort_by(["n", "word"], descending=[True, False]).alias("words"),
    )


def _winner(votes: pl.LazyFrame) -> pl.LazyFrame:
    return (
        votes.with_columns(pl.col("evidence").sum().over("event_id").alias("total"))
        .sort(["event_id", "evidence", "rank"], descending=[False, True, False])
        .group_by("event_id", maintain_order=True)
        .first()
    )


def per_event(ev: pl.LazyFrame, lex: Lexicons, *,
              min_confidence: float = MIN_CONFIDENCE) -> pl.LazyFrame:
    """One row per event_id (that has posts): nature, confidence, evidence, subject."""
    have = set(ev.collect_schema().names())
    nature_col = "nature_words" if "nature_words" in have else None
    subject_col = "subject_words" if "subject_words" in have else None
    return from_word_counts(ev.select("event_id").unique(),
                            word_counts(ev, lex.nature, nature_col),
                            word_counts(ev, lex.subjects, subject_col),
                            lex, min_confidence=min_confidence)


def from_word_counts(ids: pl.LazyFrame, nature_counts: pl.LazyFrame,
                     subject_counts: pl.LazyFrame, lex: Lexicons, *,
                     min_confidence: float = MIN_CONFIDENCE) -> pl.LazyFrame:
    """``per_event`` from the events' ids and their (event_id, word, n) counts of nature and
    subject words."""
    nature = _winner(_votes(nature_counts, lex.nature)).select(
        "event_id",
        pl.col("category").alias("nature"),
        ((pl.col("evidence") + 1) / (pl.col("total") + 5)).alias("nature_confidence"),
        pl.col("words").list.head(EVIDENCE_WORDS).alias("nature_evidence"),
    )
    subject = _winner(_votes(subject_counts, lex.subjects)).select(
        "event_id", pl.col("category").alias("affected_subject")
    )
    return (
        ids.join(nature, on="event_id", how="left")
        .join(subject, on="event_id", how="left")
        .with_columns(pl.col("nature_confidence").fill_null(0.0))
        .with_columns(
            pl.when(pl.col("nature_confidence") >= min_confidence).then(pl.col("nature"))
            .otherwise(pl.lit(UNCERTAIN)).alias("nature"),
            pl.col("nature_evidence").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
            pl.col("affected_subject").fill_null("unknown"),
        )
    )
