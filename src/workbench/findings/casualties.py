"""Stated casualty counts that belong to the event, by corroboration.

One post must not set an event's level. A count is read per *clause* of a post's own text
(the quoted ``//@name: ...`` repost chain, URLs and ``RT @name:`` copies left out) and is
then either kept or **set aside** with its reason:

* ``elsewhen``: the clause speaks of another time: a word of ``context.yaml`` ``elsewhen``
  (去年, 历史上, 周年, "years ago") or a year at least two years before the post (1976年,
  "in 1947");
* ``comparison``: a word of ``context.yaml`` ``comparison`` (相比, "compared with");
* ``abroad``: the clause names a foreign place of ``context.yaml`` ``places.foreign`` and no
  home place (the plan is domestic: 某国地震致5000人死亡 is not a domestic toll, while
  "3名中国游客在泰国遇难" is);
* ``elsewhere``: the clause names places (a country of ``context.yaml`` ``places``, a
  place name found by jieba's POS tags ``ns``, or an English capitalised name after
  in/at/near) and none of them is one of the event's own places (named by at least
  ``EVENT_PLACE_SHARE`` of the event's posts that name any of the places its counts are
  stated with, or the most named of them).

A part of a clause (between commas) that calls a claim false (a word of ``rumour.yaml``
``debunk``: 系谣言, 不实, 造谣, fake, hoax) states no count: in "爆炸造成2人受伤，网传多人死亡系
谣言" or "网传'百余人遇难'系谣言" the denial quotes the rumour's toll, and only the 2 injured count.

Kept counts are corroborated: an event's ``deaths_reported`` is the largest count that
either a *credible* author stated (official, verified, or a media / government account) or
at least ``corroboration`` distinct independent authors stated or exceeded in their own
words (the ``corroboration``-th largest of the authors' own largest claims, each claim's
clause counted once however many accounts copy it). Reposts that only copy a claim
(near-duplicates, ``RT @``, the same clause word for word) are not independent. In an event that has been debunked
(``signals``: by an official account or by the crowd) only credible authors' counts count. ``deaths_evidence`` lists the posts
stating at least the chosen count (credible ones first, at most 10). Injuries alike.
``casualty_claims_set_aside`` counts the posts with a count that was set aside.

Counts are parsed by the patterns of ``casualty_patterns`` (numbers in Arabic digits or
Chinese numerals; see ``signals`` for the forms), counts above 1,000,000 are ignored.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

from workbench.findings.lexicons import Lexicons
from workbench.findings.matching import ordered_patterns, own_text

NUM = r"(?:\d[\d,]*(?:\.\d+)?\s*[万千]?|[零〇一二两三四五六七八九十百千万]+)"
_NUM_TOKEN = r"(\d[\d,]*(?:\.\d+)?\s*[万千]?|[零〇一二两三四五六七八九十百千万]+)"
MAX_COUNT = 1_000_000
EVENT_PLACE_SHARE = 0.25
EVIDENCE_POSTS = 10

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
           "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}
_EN_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
             "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
             "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
             "fifty": 50, "hundred": 100, "dozens": 24, "hundreds": 200, "thousands": 2000}
_EN_NUM = r"(?:\d[\d,]*|" + "|".join(sorted(_EN_WORDS, key=len, reverse=True)) + r")"
_ANY_TOKEN = (r"(?i)(\d[\d,]*(?:\.\d+)?\s*[万千]?|[零〇一二两三四五六七八九十百千万]+|"
              + "|".join(sorted(_EN_WORDS, key=len, reverse=True)) + ")")
_CLAUSE_BREAK = r"[。！？!?；;\n]+|\.\s+|\.$"
_YEAR = r"(?:1[89]|20)\d\d\s*年|(?i)\b(?:1[89]|20)\d\d\b(?:\s+[a-z]+)?"
_NOT_YEAR = r"(?i)\s+(?:people|persons|dead|killed|died|deaths|injured|hurt|wounded|residents|victims|homes|houses|evacuated|missing)$"
_EN_PLACE = r"\b(?:in|at|near|of)\s+((?:[A-Z][a-zA-Z]+)(?:\s+[A-Z][a-zA-Z]+)?)"
_EN_NOT_PLACE = {"The", "This", "That", "Our", "My", "His", "Her", "Their", "A", "An", "All",
                 "Total", "Breaking", "Update", "Today", "Tonight", "Monday", "Tuesday",
                 "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January",
                 "February", "March", "April", "May", "June", "July", "August", "September",
                 "October", "November", "December", "RT", "I", "We", "It"}

CLAIM_DTYPE = pl.Struct({
    "deaths": pl.Int64, "injuries": pl.Int64, "set_aside": pl.Utf8, "places": pl.List(pl.Utf8),
    "source": pl.Utf8,
})
SOURCE_CHARS = 40  # a claim's source: its clause, normalised, first characters


def parse_number(token: str) -> int | None:
    """Arabic digits ('1,200'), a Chinese numeral ('十二', '两百零五', '三万') or both
    ('24万', '1.2万') -> int."""
    token = token.replace(",", "").replace(" ", "").strip()
    if not token:
        return None
    if token.lower() in _EN_WORDS:
        return _EN_WORDS[token.lower()]
    if token.isdigit():
        return int(token)
    mixed = re.fullmatch(r"(\d+(?:\.\d+)?)([万千])", token)
    if mixed:
        return int(float(mixed.group(1)) * (10_000 if mixed.group(2) == "万" else 1000))
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
    r"(?i)\b" + _EN_NUM + r"\s+(?:people\s+|persons\s+|were\s+|are\s+|have\s+been\s+|confirmed\s+)*"
    r"(?:dead|killed|died|deaths|fatalities|muertos|fallecidos|personas\s+muertas)"
    r"|death\s+toll\s+(?:\w+\s+){0,3}?(?:to|at|of|is|hits|reaches)\s+\d[\d,]*"
    r"|(?:killed|killing|kills)\s+(?:at\s+least\s+)?\d[\d,]*"
)
_EN_INJURY = (
    r"(?i)\b" + _EN_NUM + r"\s+(?:people\s+|persons\s+|were\s+|are\s+|have\s+been\s+)*"
    r"(?:injured|hurt|wounded|heridos|lesionados)"
)
_DEATH_INJURY = rf"{NUM}\s*死\s*{NUM}\s*伤"


def _tokens(matches_expr: pl.Expr, *, group: int = 1) -> pl.Expr:
    """The ``group``-th number token of each match in a list of matches."""
    pattern = _ANY_TOKEN if group == 1 else rf"{NUM}\D+?{_NUM_TOKEN}"
    return matches_expr.list.eval(pl.element().str.extract(pattern, 1)).list.drop_nulls()


def stated_counts(text: pl.Expr, words: list[str], extra: str, *, pair_group: int) -> pl.Expr:
    """List of number tokens (strings) stated with ``words`` in ``text``."""
    joined = "|".join(casualty_patterns(words))
    main = _tokens(text.str.extract_all(joined))
    other = _tokens(text.str.extract_all(extra))
    pair = _tokens(text.str.extract_all(_DEATH_INJURY), group=pair_group)
    return pl.concat_list(main, other, pair)


def casualty_hint(lex: Lexicons) -> str:
    """A cheap pre-filter: texts that could state a count at all."""
    words = sorted(set(lex.death_words + lex.injury_words), key=len, reverse=True)
    english = r"dead|killed|died|death|fatalit|injur|hurt|wounded|muert|herid|fallecid|lesionad"
    return "(?i)" + "|".join([*(re.escape(w) for w in words), english])


def _english_place_names(text: pl.Expr) -> pl.Expr:
    """Capitalised names after in / at / near / of in ``text``, lower-cased (a list)."""
    return text.str.extract_all(_EN_PLACE).list.eval(
        pl.element().str.replace(r"^(?:in|at|near|of)\s+", "")
        .filter(~pl.element().str.split(" ").list.first().is_in(list(_EN_NOT_PLACE)))
        .str.to_lowercase())


@lru_cache(maxsize=4096)
def _zh_places(clause: str) -> tuple[str, ...]:
    import jieba.posseg

    return tuple(dict.fromkeys(w for w, flag in jieba.posseg.cut(clause)
                               if flag == "ns" and len(w) >= 2))


def _clause_places(clauses: pl.DataFrame, lex: Lexicons) -> pl.Series:
    """Places named in each clause (lexicon countries, jieba ``ns``, English 'in X')."""
    known = ordered_patterns(lex.home_places + lex.foreign_places)
    found = clauses.select(
        "clause",
        pl.col("clause").str.to_lowercase().str.extract_many(known, overlapping=True)
        .alias("lexicon"),
        _english_place_names(pl.col("clause")).alias("english"),
    )
    out = []
    for clause, lex_hits, en_hits in found.iter_rows():
        names = list(lex_hits or [])
        if re.search(r"[\u4e00-\u9fff]", clause):
            names += _zh_places(clause)
        names += en_hits or []
        out.append(list(dict.fromkeys(names)))
    return pl.Series("places", out, dtype=pl.List(pl.Utf8))


def _without_denials(clause: pl.Expr, debunk: list[str]) -> pl.Expr:
    """The clause with its comma-separated parts that call a claim false left out."""
    words = ordered_patterns(debunk)
    if not words:
        return clause
    return (clause.str.replace_all(r"[，,]", "\x1e").str.split("\x1e")
            .list.eval(pl.element().filter(~pl.element().str.to_lowercase()
                                           .str.contains_any(words)))
            .list.join("，"))


def claims(frame: pl.DataFrame, lex: Lexicons) -> pl.Series:
    """Per row of ``frame`` (by position, needs ``text`` and ``created_at``): the list of
    count claims of its own text, one struct per clause stating a count: ``deaths``,
    ``injuries`` (largest of each in the clause, null = none), ``set_aside`` (null = kept,
    else 'elsewhen', 'comparison' or 'abroad'; 'elsewhere' is decided per event),
    ``places`` and ``source`` (the clause normalised: copies of it are one source)."""
    empty = pl.Series("casualty_claims", [None] * frame.height, dtype=pl.List(CLAIM_DTYPE))
    if frame.height == 0:
        return empty
    text = pl.col("text").fill_null("")
    rows = (
        frame.select(
            text.alias("text"),
            pl.col("created_at").dt.year().fill_null(0).alias("__year"),
        )
        .with_row_index("__r")
        .filter(pl.col("text").str.contains(casualty_hint(lex))
                & ~pl.col("text").str.contains(r"^\s*RT @"))
        .with_columns(own_text(pl.col("text")).alias("__own"))
    )
    if rows.height == 0:
        return empty
    clauses = (
        rows.select("__r", "__year",
                    pl.col("__own").str.replace_all(_CLAUSE_BREAK, "\x1f").str.split("\x1f")
                    .alias("clause"))
        .explode("clause")
        .filter(pl.col("clause").str.len_chars() > 0)
        .with_row_index("__c")
        .with_columns(_without_denials(pl.col("clause"), lex.debunk).alias("__counted"))
        .with_columns(
            stated_counts(pl.col("__counted"), lex.death_words, _EN_DEATH, pair_group=1)
            .alias("d"),
            stated_counts(pl.col("__counted"), lex.injury_words, _EN_INJURY, pair_group=2)
            .alias("i"),
        )
        .filter((pl.col("d").list.len() > 0) | (pl.col("i").list.len() > 0))
    )
    if clauses.height == 0:
        return empty
    uniq = pl.concat([clauses["d"].explode(), clauses["i"].explode()]).drop_nulls().unique()
    mapping = {t: parse_number(t) for t in uniq.to_list()}

    def largest(col: str) -> pl.Expr:
        return (pl.col(col).list.eval(
            pl.element().replace_strict(mapping, return_dtype=pl.Int64, default=None))
            .list.eval(pl.element().filter(pl.element() <= MAX_COUNT)).list.max())

    lower = pl.col("clause").str.to_lowercase()
    years = pl.col("clause").str.extract_all(_YEAR).list.eval(
        pl.element().filter(~pl.element().str.contains(_NOT_YEAR))
        .str.extract(r"(\d{4})", 1).cast(pl.Int64, strict=False))
    elsewhen = ordered_patterns(lex.elsewhen)
    comparison = ordered_patterns(lex.comparison)
    clauses = clauses.with_columns(
        largest("d").alias("deaths"),
        largest("i").alias("injuries"),
        pl.when(lower.str.contains_any(elsewhen)
                | (years.list.min() <= pl.col("__year") - 2))
        .then(pl.lit("elsewhen"))
        .when(lower.str.contains_any(comparison)).then(pl.lit("comparison"))
        .otherwise(pl.lit(None, dtype=pl.Utf8)).alias("set_aside"),
    ).filter(pl.col("deaths").is_not_null() | pl.col("injuries").is_not_null())
    if clauses.height == 0:
        return empty
    clauses = clauses.with_columns(
        _clause_places(clauses, lex),
        # the same words copied by many accounts (a quoted '@name: ...' repost) are one source
        pl.col("clause").str.to_lowercase().str.replace(r"^\s*@[^:：\s]+[:：]", "")
        .str.replace_all(r"[\s\p{P}\p{S}]", "").str.slice(0, SOURCE_CHARS).alias("source"),
    )
    foreign = ordered_patterns(lex.foreign_places)
    home = ordered_patterns(lex.home_places)
    clauses = clauses.with_columns(
        pl.when(pl.col("set_aside").is_null() & lower.str.contains_any(foreign)
                & ~lower.str.contains_any(home))
        .then(pl.lit("abroad")).otherwise(pl.col("set_aside")).alias("set_aside"))
    per_row = clauses.group_by("__r").agg(
        pl.struct("deaths", "injuries", "set_aside", "places", "source").alias("casualty_claims"))
    out = (pl.DataFrame({"__r": pl.int_range(frame.height, eager=True, dtype=pl.UInt32)})
           .join(per_row, on="__r", how="left").sort("__r"))
    return out["casualty_claims"].cast(pl.List(CLAIM_DTYPE))


def _english_places(ev: pl.LazyFrame) -> list[str]:
    """English place names (``_english_place_names``) in any post of ``ev``."""
    found = (ev.select(_english_place_names(own_text(pl.col("text"))).alias("p"))
             .explode("p").drop_nulls().unique().collect())
    return found["p"].to_list()


def _independent() -> pl.Expr:
    return pl.col("near_duplicate_of").is_null()


def credible(official: pl.Expr) -> pl.Expr:
    """Official, verified, or a media / government account."""
    return (official | pl.col("author_verified").fill_null(False)
            | pl.col("author_type").fill_null("").is_in(["media", "government"]))


CLAIM_ROW_COLUMNS = ("event_id", "post_id", "created_at", "author_id", "is_official",
                     "author_verified", "author_type", "near_duplicate_of", "casualty_claims")


def claim_rows(ev: pl.LazyFrame) -> pl.LazyFrame:
    """The event posts that state a count, with the columns ``per_event`` reads."""
    return ev.filter(pl.col("casualty_claims").list.len() > 0).select(CLAIM_ROW_COLUMNS)


def english_places(ev: pl.LazyFrame) -> pl.LazyFrame:
    """(event_id, place): English place names (``_english_place_names``) in the event's posts."""
    return (ev.select("event_id", _english_place_names(own_text(pl.col("text"))).alias("place"))
            .explode("place").drop_nulls("place").unique(["event_id", "place"]))


def _claimed(claims: pl.LazyFrame) -> pl.LazyFrame:
    return (
        claims.select("event_id", "post_id", "created_at",
                      pl.col("author_id").fill_null(pl.col("post_id")).alias("author"),
                      credible(pl.col("is_official")).alias("credible"),
                      _independent().alias("independent"),
                      "casualty_claims")
        .explode("casualty_claims")
        .unnest("casualty_claims")
        .with_row_index("__k")
    )


def event_candidates(claims: pl.LazyFrame, en_places: pl.LazyFrame) -> pl.DataFrame:
    """(event_id, place): the places an event's counts are stated with (counts set aside
    left out) and, for an event with any, the English place names of any of its posts."""
    stated = (_claimed(claims).filter(pl.col("set_aside").is_null())
              .select("event_id", pl.col("places").alias("place")).explode("place")
              .drop_nulls("place").unique(["event_id", "place"]))
    english = en_places.join(stated.select("event_id").unique(), on="event_id", how="semi")
    return (pl.concat([stated, english.select("event_id", "place")], how="vertical")
            .unique(["event_id", "place"]).sort("event_id", "place").collect())


def place_mentions(ev: pl.LazyFrame, candidates: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(totals: event_id, __n posts naming any of the event's candidate places; counts:
    event_id, __home, len posts naming each), over the own words of ``ev``'s posts."""
    totals_schema = {"event_id": pl.Utf8, "__n": pl.UInt32}
    counts_schema = {"event_id": pl.Utf8, "__home": pl.Utf8, "len": pl.UInt32}
    patterns = ordered_patterns(candidates.get_column("place").unique().to_list())
    if not patterns:
        return pl.DataFrame(schema=totals_schema), pl.DataFrame(schema=counts_schema)
    own = own_text(pl.col("text")).str.to_lowercase()
    named = (
        ev.join(candidates.lazy().select("event_id").unique(), on="event_id", how="semi")
        .select("event_id", "post_id",
                own.str.extract_many(patterns, overlapping=True).list.unique().alias("__home"))
        .filter(pl.col("__home").list.len() > 0)
        .explode("__home")
        .join(candidates.lazy().select("event_id", pl.col("place").alias("__home")),
              on=["event_id", "__home"], how="semi")
    )
    totals, counts = pl.collect_all([
        named.group_by("event_id").agg(pl.col("post_id").n_unique().cast(pl.UInt32).alias("__n")),
        named.group_by("event_id", "__home").agg(pl.len().cast(pl.UInt32).alias("len")),
    ])
    return totals, counts


def per_event(ev: pl.LazyFrame, *, corroboration: int = 2,
              debunked: pl.LazyFrame | None = None,
              lex_foreign: list[str] | tuple[str, ...] = ()) -> pl.LazyFrame:
    """One row per event_id with ``deaths_reported``, ``injuries_reported``,
    ``casualties_reported``, their evidence and ``casualty_claims_set_aside``.

    ``debunked`` (event_id, debunked): in an event whose claim has been called false (a
    spoof, a rumour), only credible authors' counts are kept: a crowd repeating a fake toll
    corroborates nothing. ``lex_foreign``: the foreign places of the lexicon (a count stated
    with no place in an event whose most named place is foreign is set aside as abroad).

    The parts (``claim_rows``, ``english_places``, ``event_candidates``, ``place_mentions``,
    ``from_parts``) let a caller that holds an event's claims and place counts (the
    pipeline's incremental findings) skip the posts that state nothing."""
    claims = claim_rows(ev)
    candidates = event_candidates(claims, english_places(ev))
    totals, counts = place_mentions(ev, candidates)
    return from_parts(ev.select("event_id").unique(), claims, totals, counts,
                      corroboration=corroboration, debunked=debunked, lex_foreign=lex_foreign)


def from_parts(ids: pl.LazyFrame, claims: pl.LazyFrame, totals: pl.DataFrame,
               counts: pl.DataFrame, *, corroboration: int = 2,
               debunked: pl.LazyFrame | None = None,
               lex_foreign: list[str] | tuple[str, ...] = ()) -> pl.LazyFrame:
    """``per_event`` from the events' ids, their claim rows (``claim_rows``) and the place
    mentions of their posts (``place_mentions``)."""
    claimed = _claimed(claims)
    # The event's own places: the most named one, and any named by >= EVENT_PLACE_SHARE of
    # the event's posts that name one of the places its counts are stated with (counts
    # already set aside do not say where the event is: "想起2008年汶川地震，69227人遇难",
    # quoted by thousands, must not make 汶川 the place of today's quake).
    counts, totals = counts.lazy(), totals.lazy()
    share = (
        counts.join(totals, on="event_id")
        .filter((pl.col("len") >= EVENT_PLACE_SHARE * pl.col("__n"))
                | (pl.col("len") == pl.col("len").max().over("event_id")))
        .select("event_id", "__home", pl.lit(True).alias("__is_home"))
    )
    foreign = ordered_patterns(lex_foreign)
    top = (
        counts.sort(["event_id", "len", "__home"], descending=[False, True, False])
        .group_by("event_id", maintain_order=True).first()
        .select("event_id", pl.col("__home").is_in(foreign).alias("__abroad"))
    )
    homes = (
        claimed.select("__k", "event_id", "places").explode("places")
        .join(share, left_on=["event_id", "places"], right_on=["event_id", "__home"],
              how="left")
        .group_by("__k").agg(
            pl.col("places").drop_nulls().len().alias("__named"),
            pl.col("__is_home").fill_null(False).any().alias("__at_home"))
    )
    claimed = claimed.join(homes, on="__k", how="left").join(top, on="event_id", how="left")
    claimed = claimed.with_columns(
        pl.when(pl.col("set_aside").is_null() & (pl.col("__named") > 0) & ~pl.col("__at_home"))
        .then(pl.lit("elsewhere"))
        # a count stated with no place belongs where the event is: abroad when its most
        # named place is a foreign one
        .when(pl.col("set_aside").is_null() & (pl.col("__named").fill_null(0) == 0)
              & pl.col("__abroad").fill_null(False))
        .then(pl.lit("abroad"))
        .otherwise(pl.col("set_aside")).alias("set_aside")
    )
    kept = claimed.filter(pl.col("set_aside").is_null())
    if debunked is not None:
        kept = kept.join(debunked.select("event_id", pl.col("debunked").alias("__debunked")),
                         on="event_id", how="left").filter(
            ~pl.col("__debunked").fill_null(False) | pl.col("credible"))
    set_aside = claimed.filter(pl.col("set_aside").is_not_null()).group_by("event_id").agg(
        pl.col("post_id").n_unique().cast(pl.Int64).alias("casualty_claims_set_aside"))
    out = ids.join(set_aside, on="event_id", how="left")
    for kind in ("deaths", "injuries"):
        out = out.join(_corroborated(kept, kind, corroboration), on="event_id", how="left")
    return out.with_columns(
        pl.max_horizontal("deaths_reported", "injuries_reported").alias("casualties_reported"),
        pl.col("casualty_claims_set_aside").fill_null(0),
        *[pl.col(f"{k}_evidence").fill_null(pl.lit([], dtype=pl.List(pl.Utf8)))
          for k in ("deaths", "injuries")],
    )


def _corroborated(kept: pl.LazyFrame, kind: str, corroboration: int) -> pl.LazyFrame:
    c = kept.filter(pl.col(kind).is_not_null())
    # one vote per source text (its earliest post), then one per author
    first = c.sort("created_at", nulls_last=True).unique(["event_id", "source"], keep="first")
    by_author = first.group_by("event_id", "author").agg(
        pl.col(kind).filter(pl.col("independent") | pl.col("credible")).max().alias("__max"),
        pl.col(kind).filter(pl.col("credible")).max().alias("__cred"),
    )
    value = by_author.group_by("event_id").agg(
        pl.col("__cred").max().alias("__c"),
        pl.col("__max").drop_nulls().sort(descending=True).get(corroboration - 1, null_on_oob=True)
        .alias("__k"),
    ).select("event_id", pl.max_horizontal("__c", "__k").alias(f"{kind}_reported"))
    evidence = (
        c.join(value, on="event_id")
        .filter(pl.col(kind) >= pl.col(f"{kind}_reported"))
        .sort(["event_id", "credible", "created_at", "post_id"],
              descending=[False, True, False, False], nulls_last=True)
        .unique(["event_id", "post_id"], keep="first", maintain_order=True)
        .group_by("event_id", maintain_order=True)
        .agg(pl.col("post_id").head(EVIDENCE_POSTS).alias(f"{kind}_evidence"))
    )
    return value.join(evidence, on="event_id", how="left")
