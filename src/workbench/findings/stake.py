"""Whether an event touches someone the plan protects at home: ``domestic_stake``.

The plan weighs harm to government credibility, to enterprises and to individuals. A
hostile storm about a story abroad (a tourist couple in another country, a foreign
celebrity) reaches many accounts but puts none of them at stake. Per post (``post_flags``):
``own_words`` (the post has own text, repost chain left out), ``place_home`` /
``place_foreign`` (names a place of ``context.yaml`` ``places.home`` / ``places.foreign``).
Per event (``findings.partial``, from per-event counts of these flags):

* ``foreign_share``: share of the posts with own text that name a foreign place and no
  home place;
* ``subject_share``: share of the posts with own text that name any affected subject
  (subjects.yaml: a government body, an enterprise, a private person);
* ``nationals_unharmed``: a credible account (official, verified, media or government)
  states that no nationals were harmed (a word of ``context.yaml`` ``nationals`` - 中国公民,
  同胞, Chinese nationals - and 暂无 / 无 / 未有 ... 伤亡 / 遇难 / 受伤, or "no Chinese
  casualties"): the embassy's line on a disaster abroad, whose toll is then not a domestic one;
* ``domestic_stake``: ``affected_subject`` is known, ``subject_share >= min_subject_share``,
  ``foreign_share < max_foreign_share`` (defaults 0.1 and 0.5) and not ``nationals_unharmed``.
"""

from __future__ import annotations

import polars as pl

from workbench.findings.lexicons import Lexicons
from workbench.findings.matching import contains_any, own_text

# "暂无中国公民伤亡", "无中国公民受伤", "no Chinese casualties", "no Chinese nationals were hurt"
_NONE_HARMED_ZH = r"(暂无|均无|并无|没有|未有|未发现|无)[^。；;！!？?\n]{0,12}(伤亡|遇难|受伤|死亡|遇害)"
_NONE_HARMED_EN = (r"\bno (?:\w+ )?(?:nationals|citizens|casualties)\b"
                   r"|\bnone of the (?:\w+ )?(?:nationals|citizens)\b")


def post_flags(lex: Lexicons) -> list[pl.Expr]:
    own = own_text(pl.col("text"))
    lower = own.str.to_lowercase()
    none_harmed = (contains_any(own, lex.nationals)
                   & (lower.str.contains(_NONE_HARMED_ZH) | lower.str.contains(_NONE_HARMED_EN)))
    return [
        (own.str.len_chars() > 0).alias("own_words"),
        contains_any(own, lex.home_places).alias("place_home"),
        contains_any(own, lex.foreign_places).alias("place_foreign"),
        none_harmed.alias("nationals_unharmed_post"),
    ]


def domestic_stake(*, min_subject_share: float = 0.1, max_foreign_share: float = 0.5) -> pl.Expr:
    """The ``domestic_stake`` column from affected_subject, subject_share, foreign_share."""
    return (
        (pl.col("affected_subject").fill_null("unknown") != "unknown")
        & (pl.col("subject_share").fill_null(0.0) >= min_subject_share)
        & (pl.col("foreign_share").fill_null(0.0) < max_foreign_share)
        & ~pl.col("nationals_unharmed").fill_null(False)
    ).alias("domestic_stake")
