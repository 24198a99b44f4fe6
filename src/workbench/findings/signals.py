"""Rumour signals and sensitive mentions, including stated casualty counts.

Per post (``flags``): ``rumour`` (contains a word of rumour.yaml ``signals``), ``debunk``
(contains a word of ``debunk``), one boolean ``sens_<group>`` per sensitive group of
sensitive.yaml (``casualties``, ``officials``, ``minors``, ...), ``sensitive_words`` (every
sensitive word the post contains, overlapping matches included: 伤亡 and 死亡 both count in
伤亡死亡), and the largest stated ``deaths`` and ``injuries`` counts parsed from the text.
Words match as substrings of the lower-cased text.

Casualty counts are read from patterns such as (numbers in Arabic digits or Chinese
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

import re

import polars as pl

from workbench.findings.lexicons import Lexicons
from workbench.findings.matching import ordered_patterns

NUM = r"(?:\d[\d,]*|[零〇一二两三四五六七八九十百千万]+)"
_NUM_TOKEN = r"(\d[\d,]*|[零〇一二两三四五六七八九十百千万]+)"
MAX_COUNT = 1_000_000

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def parse_number(token: str) -> int | None:
    """Arabic digits ('1,200') or a Chinese numeral ('十二', '两百零五', '三万') -> int."""
    token = token.replace(",", "").strip()
    if not token:
        return None
    if token.isdigit():
        return int(token)
    total = section = num = 0
    for ch in token:
        if ch in _DIGITS:
            num = _DIGITS[ch]
        elif ch in _UNITS:
            section += (num or 1) * _UNITS[ch]
            num = 0
        elif ch == "万":
            total += (section + num) * 10_000
            section = num = 0
        else:
            return None
    return total + section + num


def _alt(words: list[str]) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


def casualty_patterns(words: list[str]) -> list[str]:
    """Regexes whose match holds one stated count (the first number in the match)."""
    w = _alt(words)
    return [
        rf"{NUM}\s*(?:余|多)?\s*(?:名|人|位|个人)\s*(?:已经|已|当场|不幸|先后)?{w}",
        rf"{w}(?:人数|者)?\s*(?:已经|已|达到|达|为|至|升至|上升至|增至|增加至|超过)*\s*{NUM}\s*(?:余|多)?\s*(?:人|名)",
        rf"(?:致|造成)\s*{NUM}\s*(?:余|多)?\s*(?:人|名)?\s*{w}",
    ]


_EN_DEATH = (
    r"(?i)\d[\d,]*\s+(?:people\s+|persons\s+|were\s+|are\s+|have\s+been\s+|confirmed\s+)*"
    r"(?:dead|killed|died|deaths|fatalities|muertos|fallecidos|personas\s+muertas)"
    r"|death\s+toll\s+(?:\w+\s+){0,3}?(?:to|at|of|is|hits|reaches)\s+\d[\d,]*"
)
_EN_INJURY = (
    r"(?i)\d[\d,]*\s+(?:people\s+|persons\s+|were\s+|are\s+|have\s+been\s+)*"
    r"(?:injured|hurt|wounded|heridos|lesionados)"
)
_DEATH_INJURY = rf"{NUM}\s*死\s*{NUM}\s*伤"


def _largest(matches_expr: pl.Expr, *, group: int = 1) -> pl.Expr:
    """Largest number found in a list of matches (the ``group``-th number of each match)."""
    pattern = _NUM_TOKEN if group == 1 else rf"{NUM}\D+?{_NUM_TOKEN}"
    return matches_expr.list.eval(pl.element().str.extract(pattern, 1)).list.drop_nulls()


def stated_counts(text: pl.Expr, words: list[str], extra: str, *, pair_group: int) -> pl.Expr:
    """List of number tokens (strings) stated with ``words`` in ``text``."""
    joined = "|".join(casualty_patterns(words))
    main = _largest(text.str.extract_all(joined))
    other = _largest(text.str.extract_all(extra))
    pair = _largest(text.str.extract_all(_DEATH_INJURY), group=pair_group)
    return pl.concat_list(main, other, pair)


def _casualty_hint(lex: Lexicons) -> str:
    """A cheap pre-filter: rows that could state a count at all."""
    words = sorted(set(lex.death_words + lex.injury_words), key=len, reverse=True)
    english = r"dead|killed|died|death|fatalit|injur|hurt|wounded|muert|herid|fallecid|lesionad"
    return "(?i)" + "|".join([*(re.escape(w) for w in words), english])


def _largest_counts(frame: pl.DataFrame, lex: Lexicons) -> pl.DataFrame:
    """Per row of ``frame`` (by position): the largest stated ``deaths`` and ``injuries``."""
    text = pl.col("text").fill_null("")
    rows = frame.select(text.alias("text")).with_row_index("__r").filter(
        pl.col("text").str.contains(_casualty_hint(lex))
    )
    tokens = rows.select(
        "__r",
        stated_counts(text, lex.death_words, _EN_DEATH, pair_group=1).alias("deaths"),
        stated_counts(text, lex.injury_words, _EN_INJURY, pair_group=2).alias("injuries"),
    )
    uniq = pl.concat([tokens["deaths"].explode(), tokens["injuries"].explode()]).drop_nulls()
    mapping = {t: parse_number(t) for t in uniq.unique().to_list()}

    def best(col: str) -> pl.DataFrame:
        return (
            tokens.select("__r", pl.col(col)).explode(col).filter(pl.col(col).is_not_null())
            .with_columns(pl.col(col).replace_strict(mapping, return_dtype=pl.Int64,
                                                     default=None))
            .filter(pl.col(col) <= MAX_COUNT)
            .group_by("__r").agg(pl.col(col).max())
        )

    out = pl.DataFrame({"__r": pl.int_range(frame.height, eager=True, dtype=pl.UInt32)})
    out = out.join(best("deaths"), on="__r", how="left").join(best("injuries"), on="__r",
                                                                  how="left")
    return out.sort("__r").drop("__r")


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
    return pl.concat([frame, _largest_counts(frame, lex)], how="horizontal").lazy()


def per_event(ev: pl.LazyFrame, lex: Lexicons, *, top_terms: int = 20) -> pl.LazyFrame:
    """One row per event_id with rumour and sensitive-mention findings (``ev`` from flags)."""
    official = pl.col("is_official") | pl.col("author_verified").fill_null(False)
    base = ev.group_by("event_id").agg(
        pl.col("rumour").sum().cast(pl.Int64).alias("rumour_signals"),
        (pl.col("rumour").sum() / pl.len()).alias("rumour_share"),
        (pl.col("debunk") & official).any().alias("debunked"),
        (pl.col("sens_casualties") | pl.col("deaths").is_not_null()
         | pl.col("injuries").is_not_null()).sum().cast(pl.Int64).alias("mentions_casualties"),
        pl.col("deaths").max().alias("deaths_reported"),
        pl.col("injuries").max().alias("injuries_reported"),
        pl.col("sens_officials").sum().cast(pl.Int64).alias("mentions_officials"),
        pl.col("sens_minors").sum().cast(pl.Int64).alias("mentions_minors"),
    ).with_columns(
        pl.max_horizontal("deaths_reported", "injuries_reported").alias("casualties_reported")
    )
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
