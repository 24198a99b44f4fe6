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
SUBJECTS = ("government", "enterprise", "individual", "unknown")

FINDINGS_COLUMNS: list[Column] = [
    Column("event_id", pl.Utf8, "Stable event id."),
    Column("title", pl.Utf8, "Short human title: top keywords joined, or the representative post's opening."),
    Column("keywords", pl.List(pl.Utf8), "Top c-TF-IDF keywords of the event (BERTopic representation)."),
    Column("representative_post_ids", pl.List(pl.Utf8), "post_ids of the most central posts (evidence)."),
    # volume and time shape
    Column("n_posts", pl.Int64, "Posts in the event (originals + reposts + replies)."),
    Column("n_originals", pl.Int64, "Original posts in the event."),
    Column("first_seen", UTC_TIME, "Time of the earliest post."),
    Column("peak_time", UTC_TIME, "Start of the busiest hour."),
    Column("last_seen", UTC_TIME, "Time of the latest post."),
    Column("duration_hours", pl.Float64, "last_seen - first_seen, in hours."),
    Column("peak_hour_posts", pl.Int64, "Posts in the busiest hour."),
    Column("posts_first_24h", pl.Int64, "Posts within 24 hours of first_seen (the plan's early window)."),
    Column("hourly_counts", pl.List(pl.Int64), "Posts per hour from the hour of first_seen (the volume series)."),
    Column("growth_rate", pl.Float64, "Posts in the last 6 hours of activity / posts in the 6 hours before (+1 smoothed); >1 = still growing."),
    Column("burst_count", pl.Int64, "Number of burst hours (robust z-score of the hourly series >= 3.5, see findings docs)."),
    Column("max_burst_z", pl.Float64, "Largest robust z-score of the hourly series."),
    Column("first_burst_at", UTC_TIME, "Start of the first burst hour (null = no burst)."),
    # who and how far
    Column("unique_authors", pl.Int64, "Distinct authors."),
    Column("reach", pl.Int64, "Sum of followers over distinct authors (potential audience)."),
    Column("engagement", pl.Int64, "Sum of reposts + comments + likes over the event's posts."),
    Column("verified_share", pl.Float64, "Share of posts by verified authors."),
    Column("kol_share", pl.Float64, "Share of posts by high-follower (>= 100,000) authors (KOLs)."),
    Column("n_platforms", pl.Int64, "Number of distinct platforms carrying the event."),
    Column("platforms", pl.List(pl.Utf8), "The platforms, most posts first."),
    Column("cascade_depth", pl.Int64, "Deepest repost/reply chain (0 = no reposts)."),
    Column("cascade_breadth", pl.Int64, "Most posts at any one depth of the repost trees."),
    # emotion
    Column("negative_share", pl.Float64, "Share of posts judged negative by the sentiment model."),
    Column("sentiment_intensity", pl.Float64, "Mean |score - 0.5| * 2 of the sentiment model over posts, 0..1."),
    # nature and subject
    Column("nature", pl.Utf8, f"Nature category, one of {NATURES}."),
    Column("nature_confidence", pl.Float64, "Confidence of the nature category, 0..1."),
    Column("nature_evidence", pl.List(pl.Utf8), "Words that decided the nature category."),
    Column("affected_subject", pl.Utf8, f"Who is affected, one of {SUBJECTS}."),
    # rumour and official response
    Column("rumour_signals", pl.Int64, "Posts carrying rumour / debunking signals (辟谣, 不实, 谣言, 网传, 未经证实, ...)."),
    Column("rumour_share", pl.Float64, "rumour_signals / n_posts."),
    Column("debunked", pl.Boolean, "An explicit debunking (辟谣 / 不实 / 假的 by an official or verified account) was seen."),
    Column("official_responses", pl.Int64, "Posts by official (government) accounts in the event."),
    Column("first_official_response_at", UTC_TIME, "Time of the first official post (null = none yet)."),
    Column("hours_to_official_response", pl.Float64, "first_official_response_at - first_seen in hours (null = none yet)."),
    Column("response_volume_change", pl.Float64, "Posts/hour in the 6 h after the first official response / the 6 h before (null = none)."),
    Column("response_negative_change", pl.Float64, "Negative share after minus before the first official response (null = none)."),
    # sensitive mentions
    Column("mentions_casualties", pl.Int64, "Posts mentioning deaths or injuries."),
    Column("casualties_reported", pl.Int64, "Largest death/injury count stated in the posts (null = none stated)."),
    Column("mentions_officials", pl.Int64, "Posts mentioning officials or government bodies."),
    Column("mentions_minors", pl.Int64, "Posts mentioning children / minors / students."),
    Column("sensitive_terms", pl.List(pl.Utf8), "Sensitive terms seen (most frequent first)."),
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
    """Select ``schema``'s columns in order, cast to its types; absent columns become nulls."""
    have = set(frame.collect_schema().names())
    return frame.select(
        [
            (pl.col(name).cast(dtype) if name in have else pl.lit(None, dtype=dtype)).alias(name)
            for name, dtype in schema.items()
        ]
    )


def empty(schema: pl.Schema) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)
