"""Compare two gradings of the same findings (two rule-set versions): which events changed
level, and which rules made the difference. A lowered level is a breaking change."""

from __future__ import annotations

from pathlib import Path

import polars as pl

DIFF_SCHEMA = pl.Schema({
    "case": pl.Utf8,
    "event_id": pl.Utf8,
    "old_level": pl.Utf8,
    "new_level": pl.Utf8,
    "change": pl.Utf8,          # 'raised' | 'lowered'
    "breaking": pl.Boolean,     # lowered: an event the old rules escalated gets less attention
    "rules_gained": pl.List(pl.Utf8),   # fired under NEW only
    "rules_lost": pl.List(pl.Utf8),     # fired under OLD only
})


def diff_gradings(old: pl.DataFrame, new: pl.DataFrame, *, case: str = "") -> pl.DataFrame:
    """Events whose level differs between ``old`` and ``new`` (both GRADING_SCHEMA)."""
    cols = ["event_id", "level", "level_rank", "fired_rules"]
    j = old.select(cols).join(new.select(cols), on="event_id", how="full", suffix="_new",
                              coalesce=True)
    j = j.filter(pl.col("level_rank") != pl.col("level_rank_new"))
    rows = []
    for r in j.to_dicts():
        o, n = set(r["fired_rules"] or []), set(r["fired_rules_new"] or [])
        lowered = r["level_rank_new"] > r["level_rank"]
        rows.append({
            "case": case, "event_id": r["event_id"], "old_level": r["level"],
            "new_level": r["level_new"], "change": "lowered" if lowered else "raised",
            "breaking": lowered, "rules_gained": sorted(n - o), "rules_lost": sorted(o - n),
        })
    return pl.DataFrame(rows, schema=DIFF_SCHEMA)


def findings_files(cases: Path) -> list[Path]:
    """Findings parquet files under a cases directory (files with event_id and n_posts)."""
    if cases.is_file():
        return [cases]
    out = []
    for p in sorted(cases.rglob("*.parquet")):
        try:
            names = pl.read_parquet_schema(p).keys()
        except Exception:
            continue
        if "event_id" in names and "n_posts" in names:
            out.append(p)
    return out


def diff_rulesets(old_dir: Path, new_dir: Path, cases: Path, *, evaluator: str = "engine"):
    """Grade every findings file under ``cases`` with both rule sets -> (diff frame, summary)."""
    from workbench.grading.grade import grade
    from workbench.grading.loader import load_ruleset

    old_rs, new_rs = load_ruleset(old_dir), load_ruleset(new_dir)
    files = findings_files(cases)
    frames, events = [], 0
    for p in files:
        findings = pl.read_parquet(p)
        events += findings.height
        # a diff is a what-if: a rule set still being tuned may fail its fixtures
        g_old = grade(findings, old_rs, evaluator=evaluator, allow_failing=True)
        g_new = grade(findings, new_rs, evaluator=evaluator, allow_failing=True)
        rel = p.relative_to(cases).as_posix() if cases.is_dir() else p.name
        frames.append(diff_gradings(g_old, g_new, case=rel))
    diff = pl.concat(frames) if frames else pl.DataFrame(schema=DIFF_SCHEMA)
    summary = {
        "old": {"version": old_rs.version, "hash": old_rs.hash},
        "new": {"version": new_rs.version, "hash": new_rs.hash},
        "files": len(files), "events": events, "changed": diff.height,
        "raised": int((diff["change"] == "raised").sum()),
        "lowered": int(diff["breaking"].sum()),
    }
    return diff, summary
