"""Rule tuning across archived cases: change thresholds, re-grade every archived event with
the old and the new rules, and list the events whose level changes and why.

An archived case is a run folder written by ``workbench case run`` (it holds
``findings.parquet``). ``with_thresholds`` writes a copy of a rule set with some condition
values changed; ``compare`` grades the same findings with both rule sets — through the
rules package's own ``diff`` when it has one, so the notebook and ``workbench rules diff``
agree.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from workbench.schema import FINDINGS_SCHEMA, conform

LEVEL_RANK = {"I": 1, "II": 2, "III": 3, "IV": 4, "watch": 5}


def archived_findings(paths: Sequence[str | Path]) -> pl.DataFrame:
    """Findings of every archived run under ``paths`` (run folders, or folders above them),
    with a ``case`` column (``<case>/<run-id>``) and ``key`` = ``case:event_id``."""
    frames = []
    for root in paths:
        root = Path(root)
        files = [root / "findings.parquet"] if (root / "findings.parquet").exists() else sorted(
            root.rglob("findings.parquet"))
        if not files:
            raise FileNotFoundError(f"{root}: no findings.parquet (not a case run folder)")
        for f in files:
            name = f"{f.parent.parent.name}/{f.parent.name}"
            frame = conform(pl.read_parquet(f), FINDINGS_SCHEMA)
            frames.append(frame.with_columns(case=pl.lit(name)))
    if not frames:
        return conform(pl.DataFrame(), FINDINGS_SCHEMA).with_columns(case=pl.lit(None, pl.Utf8))
    out = pl.concat(frames, how="vertical")
    return out.with_columns(key=pl.col("case") + ":" + pl.col("event_id"))


def with_thresholds(rules_dir: str | Path, changes: Mapping[str, Mapping[str, Any]],
                    out_dir: str | Path) -> Path:
    """Copy ``rules_dir`` to ``out_dir`` with condition values changed:
    ``{rule_id: {field: new_value}}`` sets ``value`` of every condition on ``field`` in that
    rule. Unknown rule ids or fields are an error naming them."""
    src, out = Path(rules_dir), Path(out_dir)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(src, out)
    pending = {rid: dict(fields) for rid, fields in changes.items()}
    for path in sorted((out / "grading").glob("*.yaml")) if (out / "grading").is_dir() else []:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        touched = False
        for rule in (data or {}).get("rules", []) or []:
            rid = rule.get("id")
            if rid not in pending:
                continue
            for fld, value in list(pending[rid].items()):
                if _set_value(rule.get("when", {}), fld, value):
                    pending[rid].pop(fld)
                    touched = True
            # fixtures pin the old thresholds; tuned copies are graded, not checked
            if pending[rid] == {}:
                pending.pop(rid)
        if touched:
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")
    if pending:
        raise KeyError(f"{rules_dir}: no condition for {pending} (rule id -> fields)")
    return out


def _set_value(cond: Any, fld: str, value: Any) -> bool:
    if isinstance(cond, dict):
        hit = False
        if cond.get("field") == fld and "value" in cond:
            cond["value"] = value
            hit = True
        for key in ("all", "any", "not"):
            sub = cond.get(key)
            for c in sub if isinstance(sub, list) else [sub] if sub else []:
                hit = _set_value(c, fld, value) or hit
        return hit
    return False


def _grade(findings: pl.DataFrame, ruleset: Any) -> pl.DataFrame:
    from workbench.cases.pipeline import grade_function

    graded = grade_function()(conform(findings.with_columns(event_id=pl.col("key")),
                                   FINDINGS_SCHEMA), ruleset)
    return graded.select("event_id", "level", "fired_rules").rename({"event_id": "key"})


def compare(findings: pl.DataFrame, old_rules: str | Path, new_rules: str | Path) -> pl.DataFrame:
    """Grade ``findings`` (from ``archived_findings``) with both rule sets; one row per
    event: case, event_id, title, level_old, level_new, change (up / down / same),
    rules_added, rules_removed (the rules that made the difference)."""
    from workbench import grading

    old = _grade(findings, grading.load_ruleset(old_rules))
    new = _grade(findings, grading.load_ruleset(new_rules))
    both = (
        findings.select("key", "case", "event_id", "title", "n_posts")
        .join(old.rename({"level": "level_old", "fired_rules": "fired_old"}), on="key")
        .join(new.rename({"level": "level_new", "fired_rules": "fired_new"}), on="key")
    )
    rank = {k: v for k, v in LEVEL_RANK.items()}
    return (
        both.with_columns(
            r_old=pl.col("level_old").replace_strict(rank, default=5, return_dtype=pl.Int64),
            r_new=pl.col("level_new").replace_strict(rank, default=5, return_dtype=pl.Int64),
            rules_added=pl.col("fired_new").list.set_difference(pl.col("fired_old")),
            rules_removed=pl.col("fired_old").list.set_difference(pl.col("fired_new")),
        )
        .with_columns(
            change=pl.when(pl.col("r_new") < pl.col("r_old")).then(pl.lit("up"))
            .when(pl.col("r_new") > pl.col("r_old")).then(pl.lit("down (breaking)"))
            .otherwise(pl.lit("same"))
        )
        .drop("r_old", "r_new", "key")
        .sort(["change", "case", "event_id"])
    )


def summary(diff: pl.DataFrame) -> str:
    """Markdown: how many events change level, and each change with its rules."""
    changed = diff.filter(pl.col("change") != "same")
    lines = [f"**{changed.height} of {diff.height} archived events change level** "
             f"({diff['case'].n_unique() if diff.height else 0} cases)."]
    if changed.height:
        lines += ["", "| case | event | title | old | new | change | rules added | rules removed |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in changed.iter_rows(named=True):
            lines.append(
                f"| {r['case']} | {r['event_id']} | {r['title'] or ''} | {r['level_old']} | "
                f"{r['level_new']} | {r['change']} | {', '.join(r['rules_added']) or '—'} | "
                f"{', '.join(r['rules_removed']) or '—'} |")
    return "\n".join(lines)
