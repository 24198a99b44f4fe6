"""The typed tables that flow between the workbench's stages, documented column by column.

Data flows one way (see README): raw files -> **posts** (+ quarantine) -> embeddings ->
**assignments** (post -> event) -> **findings** (one row per event) -> **gradings**.
Every stage reads and writes these schemas, so each can be run, cached, tested and charted
on its own. ``docs(schema)`` renders a table's documentation; ``conform(frame, schema)``
selects and casts a frame to a schema (missing columns become nulls).
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

UTC_TIME = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Column:
    name: str
    dtype: pl.DataType
    doc: str


def _schema(columns: list[Column]) -> pl.Schema:
    return pl.Schema({c.name: c.dtype for c in columns})


# --------------------------------------------------------------------------------------
# Posts: the canonical post table, one row per post from any channel.
# --------------------------------------------------------------------------------------
PLATFORMS = ("weibo", "twitter", "news", "forum", "search", "wechat", "douyin", "other")
POST_KINDS = ("original", "repost", "reply", "comment")
AUTHOR_TYPES = ("individual", "government", "media", "enterprise", "organisation", "unknown")

POST_COLUMNS: list[Column] = [
    Column("post_id", pl.Utf8, "Stable id, '<platform>:<native id>' (e.g. 'weibo:3535424564512460'). Unique in a post table."),
    Column("platform", pl.Utf8, f"Channel the post came from, one of {PLATFORMS}."),
    Column("source", pl.Utf8, "Reader / dataset that produced the row (e.g. 'weibo_ced', 'crisislex_t26', a mapping name)."),
    Column("kind", pl.Utf8, f"One of {POST_KINDS}: an original post, or a repost/reply/comment of parent_id."),
    Column("created_at", UTC_TIME, "When the post was published, UTC, tz-aware."),
    Column("text", pl.Utf8, "Post text as published (may be empty for bare reposts)."),
    Column("lang", pl.Utf8, "ISO 639-1 language code when known ('zh', 'en', 'es', ...), else null."),
    Column("url", pl.Utf8, "Link to the post when known."),
    Column("author_id", pl.Utf8, "Author's id on the platform (a salted hash when pseudonymised)."),
    Column("author_name", pl.Utf8, "Author's screen name when known (null when pseudonymised)."),
    Column("author_followers", pl.Int64, "Author's follower count at crawl time (null = unknown)."),
    Column("author_verified", pl.Boolean, "Author carries a platform verification badge (null = unknown)."),
    Column("author_type", pl.Utf8, f"One of {AUTHOR_TYPES}; 'government' marks official accounts."),
    Column("reposts", pl.Int64, "Repost/share count at crawl time (null = unknown)."),
    Column("comments", pl.Int64, "Comment/reply count at crawl time (null = unknown)."),
    Column("likes", pl.Int64, "Like count at crawl time (null = unknown)."),
    Column("parent_id", pl.Utf8, "post_id this post reposts or replies to (null for originals)."),
    Column("root_id", pl.Utf8, "post_id of the original at the root of this post's repost/reply tree (itself for originals)."),
    Column("event_label", pl.Utf8, "Label carried by the source (e.g. CrisisLexT26 event, CED event file), for evaluation; null when none."),
    Column("near_duplicate_of", pl.Utf8, "post_id of an earlier post with near-identical text (marked, never deleted); null if none."),
    Column("source_file", pl.Utf8, "File the row was read from."),
    Column("source_row", pl.Int64, "Row / line / array index in source_file (0-based)."),
]
POST_SCHEMA = _schema(POST_COLUMNS)

QUARANTINE_COLUMNS: list[Column] = [
    Column("source_file", pl.Utf8, "File the rejected row came from."),
    Column("source_row", pl.Int64, "Row / line / array index in that file (0-based; -1 = the whole file)."),
    Column("reason", pl.Utf8, "Short machine-readable reason (e.g. 'bad_json', 'missing_timestamp', 'bad_type:followers')."),
    Column("detail", pl.Utf8, "Human-readable detail of what was wrong."),
    Column("raw", pl.Utf8, "The raw row as text (truncated to 2,000 characters), so nothing is lost."),
]
QUARANTINE_SCHEMA = _schema(QUARANTINE_COLUMNS)

# --------------------------------------------------------------------------------------
# Assignments: post -> event.
# --------------------------------------------------------------------------------------
ASSIGNMENT_COLUMNS: list[Column] = [
    Column("post_id", pl.Utf8, "Post (see posts)."),
    Column("event_id", pl.Utf8, "Stable event id, e.g. 'E000042'; kept across re-runs and new data."),
    Column("how", pl.Utf8, "How the post was assigned: 'cluster', 'cascade' (followed its root), 'nearest' (new post to existing event), 'outlier'."),
    Column("score", pl.Float64, "Similarity to the event centroid (cosine), null for cascade assignments."),
]
ASSIGNMENT_SCHEMA = _schema(ASSIGNMENT_COLUMNS)

# --------------------------------------------------------------------------------------
# Findings: one row per event. Rules grade on these columns; charts draw them.
# --------------------------------------------------------------------------------------
NATURES = ("political", "economic", "social", "cultural", "natural")
NATURE_UNCERTAIN = "uncertain"  # the findings do not guess a nature
SUBJECTS = ("government", "enterprise", "individual", "unknown")

FINDINGS_COLUMNS: list[Column] = [
    # Computed by workbench.findings.compute; each module's docstring gives the full method.
    Column("event_id", pl.Utf8, "Stable event id."),
    Column("title", pl.Utf8, "Short human title: the topic title when given, else the opening (40 characters) of the event's earliest original post."),
    Column("keywords", pl.List(pl.Utf8), "Top c-TF-IDF keywords of the event (BERTopic representation); empty when no topics were given."),
    Column("representative_post_ids", pl.List(pl.Utf8), "post_ids of the most central posts (evidence); without topics, the up-to-3 originals with the most engagement."),
    # volume and time shape (findings.volume)
    Column("n_posts", pl.Int64, "Posts in the event (originals + reposts + replies)."),
    Column("n_originals", pl.Int64, "Original posts in the event (kind 'original', or no parent_id when kind is unknown)."),
    Column("first_seen", UTC_TIME, "Time of the earliest post."),
    Column("peak_time", UTC_TIME, "Start of the busiest UTC clock hour (earliest on ties)."),
    Column("last_seen", UTC_TIME, "Time of the latest post."),
    Column("duration_hours", pl.Float64, "last_seen - first_seen, in hours."),
    Column("peak_hour_posts", pl.Int64, "Posts in the busiest hour."),
    Column("posts_first_24h", pl.Int64, "Posts within 24 hours of first_seen (the plan's early window)."),
    Column("hourly_counts", pl.List(pl.Int64), "Posts per UTC clock hour from the hour of first_seen to the hour of last_seen, zero-filled, at most 2,016 hours (12 weeks)."),
    Column("growth_rate", pl.Float64, "(posts in the last 6 hours up to last_seen + 1) / (posts in the 6 hours before those + 1); >1 = still growing when the data ends."),
    Column("burst_count", pl.Int64, "Burst hours: modified z-score 0.6745*(x - median)/MAD of the hourly series >= 3.5 and >= 3 posts (MAD = 0 -> mean absolute deviation * 1.2533; see findings.bursts)."),
    Column("max_burst_z", pl.Float64, "Largest modified z-score of the hourly series (0 for a flat or one-hour series)."),
    Column("first_burst_at", UTC_TIME, "Start of the first burst hour (null = no burst)."),
    # who and how far (findings.spread)
    Column("unique_authors", pl.Int64, "Distinct non-null author_ids."),
    Column("reach", pl.Int64, "Sum of followers over distinct authors (each author's largest count; unknown counts as 0)."),
    Column("engagement", pl.Int64, "Sum of reposts + comments + likes over the event's posts (unknown counts as 0)."),
    Column("verified_share", pl.Float64, "Share of posts by verified authors (unknown counts as not verified)."),
    Column("kol_share", pl.Float64, "Share of posts by high-follower (>= 100,000) authors (KOLs)."),
    Column("n_platforms", pl.Int64, "Number of distinct platforms carrying the event."),
    Column("platforms", pl.List(pl.Utf8), "The platforms, most posts first."),
    Column("cascade_depth", pl.Int64, "Deepest repost/reply chain in hops from a post up to its tree's top (0 = no reposts; a repost of a post missing from the data counts 1 hop)."),
    Column("cascade_breadth", pl.Int64, "Most posts at any one depth >= 1 of one repost tree (0 = no reposts)."),
    # emotion (findings.sentiment)
    Column("negative_share", pl.Float64, "Share of the posts with own text (bare reposts left out) judged negative by the lexicon sentiment model; null when no post has own text."),
    Column("sentiment_intensity", pl.Float64, "Mean |score - 0.5| * 2 of the sentiment score (0..1, 1 = positive) over posts with own text, 0..1."),
    # nature and subject (findings.nature)
    Column("nature", pl.Utf8, f"Nature category, one of {NATURES}, or '{NATURE_UNCERTAIN}' when the vote is not clear (nature_confidence below the findings' nature_min_confidence, default 0.4, or no word matched): the category whose words (rules/lexicons/nature.yaml) the most posts contain."),
    Column("nature_confidence", pl.Float64, "(winner's evidence + 1) / (all evidence + 5), 0..1; 0 when no nature word matched."),
    Column("nature_evidence", pl.List(pl.Utf8), "Up to 5 words of the winning category that matched the most posts."),
    Column("affected_subject", pl.Utf8, f"Who is affected, one of {SUBJECTS}: most posts with its words (rules/lexicons/subjects.yaml)."),
    Column("subject_share", pl.Float64, "Share of the posts with own text that name any affected subject (a government body, an enterprise, a private person: subjects.yaml)."),
    Column("foreign_share", pl.Float64, "Share of the posts with own text that name a foreign place and no home place (rules/lexicons/context.yaml places)."),
    Column("nationals_unharmed", pl.Boolean, "A credible account (official, verified, media, government) states that no nationals were harmed (暂无中国公民伤亡, 'no Chinese casualties'; context.yaml nationals): the event's toll is abroad, not a domestic one (findings.stake)."),
    Column("domestic_stake", pl.Boolean, "Someone the plan protects at home is at stake: affected_subject known, subject_share >= 0.1, foreign_share < 0.5 and not nationals_unharmed (findings.stake)."),
    # rumour and official response (findings.signals, findings.responses)
    Column("rumour_signals", pl.Int64, "Posts spreading or questioning a claim (rumour.yaml signals: 网传, 据说, 未经证实, 是真的吗, ...) that do not debunk it."),
    Column("rumour_share", pl.Float64, "rumour_signals / n_posts."),
    Column("debunk_posts", pl.Int64, "Posts saying a claim is false, by anyone (rumour.yaml debunk: 辟谣, 假的, 谣言, 恶搞, P图, 旧闻, 被死亡, fake, hoax, ...)."),
    Column("debunk_share", pl.Float64, "debunk_posts / n_posts."),
    Column("debunked_by", pl.Utf8, "Who debunked: 'official' (an official or verified account), 'crowd' (>= 3 distinct authors whose debunk posts are >= 25% of the rumour and debunk posts), or 'none'."),
    Column("debunked", pl.Boolean, "debunked_by != 'none': the claim has been called false, officially or by the crowd (never null)."),
    Column("official_responses", pl.Int64, "Posts by official accounts in the event: author_type 'government', or verified with an official-sounding name (rules/lexicons/officials.yaml)."),
    Column("first_official_response_at", UTC_TIME, "Time of the first official post (null = none yet)."),
    Column("hours_to_official_response", pl.Float64, "first_official_response_at - first_seen in hours (null = none yet)."),
    Column("response_volume_change", pl.Float64, "(posts in the 6 h after the first official response, itself left out + 1) / (posts in the 6 h before + 1) (null = no response)."),
    Column("response_negative_change", pl.Float64, "Negative share in the 6 h after minus in the 6 h before the first official response (null = no response, or no post with text in a window)."),
    # sensitive mentions (findings.signals)
    Column("mentions_casualties", pl.Int64, "Posts mentioning deaths or injuries (a casualty word, or a stated count)."),
    Column("casualties_reported", pl.Int64, "max(deaths_reported, injuries_reported) (null = no corroborated count)."),
    Column("deaths_reported", pl.Int64, "Corroborated death count of this event (死亡3人, 3人死亡, 致5死, 三人遇难, '12 killed'): the largest count stated by a credible author (official, verified, media) or stated or exceeded by >= 2 independent authors; counts about another time, place or a comparison are set aside (findings.casualties). Null = none."),
    Column("deaths_evidence", pl.List(pl.Utf8), "post_ids stating at least deaths_reported (credible first, at most 10)."),
    Column("injuries_reported", pl.Int64, "Corroborated injury count (造成12人受伤, 3死5伤, '30 injured'), as deaths_reported. Null = none."),
    Column("injuries_evidence", pl.List(pl.Utf8), "post_ids stating at least injuries_reported (credible first, at most 10)."),
    Column("casualty_claims_set_aside", pl.Int64, "Posts with a stated count set aside as about another time (去年, 1976年, 'in 1947'), another place, abroad, or a comparison."),
    Column("mentions_officials", pl.Int64, "Posts mentioning officials or government bodies."),
    Column("mentions_minors", pl.Int64, "Posts mentioning children / minors / students."),
    Column("mentions_unrest", pl.Int64, "Posts mentioning collective action offline (sensitive.yaml mass_incident: 聚集, 游行, 罢工, 上访, protest, ...)."),
    Column("mentions_values", pl.Int64, "Posts about national memory, heroes and heritage (sensitive.yaml values: 英烈, 烈士, 侵华, 美化侵略, 文物, ...): the values controversies the plan grades by their hurt to public feeling, not by casualties."),
    Column("sensitive_terms", pl.List(pl.Utf8), "Sensitive words seen (rules/lexicons/sensitive.yaml, every group), most posts first, at most 20."),
]
FINDINGS_SCHEMA = _schema(FINDINGS_COLUMNS)

# --------------------------------------------------------------------------------------
# Gradings: one row per event, the result of running rules/ over findings.
# --------------------------------------------------------------------------------------
LEVELS = ("I", "II", "III", "IV")
WATCH = "watch"  # fired no rule: below IV, kept on watch, never dropped

MEASURE_DTYPE = pl.Struct(
    {
        "measure": pl.Utf8,
        "title": pl.Utf8,
        "owner": pl.Utf8,
        "deadline_hours": pl.Float64,
        "due_at": UTC_TIME,
        "source": pl.Utf8,
    }
)

GRADING_COLUMNS: list[Column] = [
    Column("event_id", pl.Utf8, "Event graded."),
    Column("level", pl.Utf8, f"One of {LEVELS} or '{WATCH}' (fired nothing: below IV, on watch)."),
    Column("level_rank", pl.Int64, "1 (I, most severe) .. 4 (IV); 5 = watch."),
    Column("level_name", pl.Utf8, "特别重大 / 重大 / 较大 / 一般 / 关注."),
    Column("colour", pl.Utf8, "Warning colour: red / orange / yellow / blue / none."),
    Column("nature", pl.Utf8, "Nature category used for the measures."),
    Column("measures", pl.List(MEASURE_DTYPE), "Prescribed measures with owner role and absolute deadline (from first_seen)."),
    Column("fired_rules", pl.List(pl.Utf8), "Ids of every rule that fired."),
    Column("trace", pl.Utf8, "JSON: for each fired rule, its level, because, and the finding values it matched."),
    Column("rules_version", pl.Utf8, "Human version of the rule set."),
    Column("rules_hash", pl.Utf8, "Content hash of the rule set (sha256 of the files, first 12 hex)."),
]
GRADING_SCHEMA = _schema(GRADING_COLUMNS)


def docs(columns: list[Column]) -> str:
    """Markdown table documenting a schema's columns."""
    lines = ["| column | type | meaning |", "|---|---|---|"]
    lines += [f"| `{c.name}` | `{c.dtype}` | {c.doc} |" for c in columns]
    return "\n".join(lines)


def conform(frame: pl.DataFrame | pl.LazyFrame, schema: pl.Schema):
    """Select ``schema``'s columns in order, cast to its types; absent columns become nulls.

    A frame that already has exactly ``schema`` is returned as it is (the watch conforms
    several frames a batch: building the select of 60 columns costs ~1 ms)."""
    have = frame.collect_schema()
    if isinstance(frame, pl.DataFrame) and have == schema:
        return frame
    return frame.select(
        [
            (pl.col(name) if have[name] == dtype else pl.col(name).cast(dtype))
            if name in have else pl.lit(None, dtype=dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )


_EMPTY: dict[int, tuple[object, pl.DataFrame]] = {}


def empty(schema: pl.Schema) -> pl.DataFrame:
    """A frame with no rows in ``schema`` (a fresh copy of one kept per schema object:
    building a frame from a schema costs ~1 ms, and the watch asks for several per batch)."""
    hit = _EMPTY.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = (schema, pl.DataFrame(schema=schema))
        _EMPTY[id(schema)] = hit
    return hit[1].clear()
