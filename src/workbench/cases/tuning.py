"""Rule tuning across archived cases: change thresholds, re-grade every archived event with
the old and the new rules, and list the events whose level changes and why.

An archived case is a run folder written by ``workbench case run`` (it holds
``findings.parquet``). ``with_thresholds`` writes a copy of a rule set with some condition
values changed; ``compare`` grades the same findings with both rule sets and diffs them with
the rules package's own ``diff_gradings``, so the notebook and ``workbench rules diff``
agree.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from workbench.markup import md_join, md_text
from workbench.schema import FINDINGS_SCHEMA, conform


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


@dataclass
class Tuning:
    """The result of grading archived findings with two rule sets."""

    diff: pl.DataFrame  # changed events only: the rules package's DIFF_SCHEMA + title
    old: pl.DataFrame  # case, event_id, level, fired_rules under the old rules
    new: pl.DataFrame  # the same under the new rules
    old_version: str = ""
    new_version: str = ""

    @property
    def levels(self) -> pl.DataFrame:
        """event_id, level, rules ('old' / 'new'): for a before/after level chart."""
        return pl.concat([
            self.old.select("event_id", "level", rules=pl.lit("old")),
            self.new.select("event_id", "level", rules=pl.lit("new")),
        ])


def compare(findings: pl.DataFrame, old_rules: str | Path, new_rules: str | Path) -> Tuning:
    """Grade ``findings`` (from ``archived_findings``) case by case with both rule sets and
    diff them with the rules package's ``diff_gradings`` (the same diff as
    ``workbench rules diff``): which events change level, raised or lowered (breaking),
    and the rules gained and lost."""
    from workbench.grading import grade, load_ruleset
    from workbench.grading.diff import DIFF_SCHEMA, diff_gradings

    old_rs, new_rs = load_ruleset(old_rules), load_ruleset(new_rules)
    diffs, olds, news = [], [], []
    for (case,), part in findings.group_by("case", maintain_order=True):
        frame = conform(part, FINDINGS_SCHEMA)
        # a what-if, like `rules diff`: the rules being tuned may fail their fixtures
        g_old = grade(frame, old_rs, allow_failing=True)
        g_new = grade(frame, new_rs, allow_failing=True)
        diffs.append(diff_gradings(g_old, g_new, case=str(case)))
        keep = ["event_id", "level", "fired_rules"]
        olds.append(g_old.select(keep).with_columns(case=pl.lit(case)))
        news.append(g_new.select(keep).with_columns(case=pl.lit(case)))
    diff = pl.concat(diffs) if diffs else pl.DataFrame(schema=DIFF_SCHEMA)
    titles = findings.select("case", "event_id", "title", "n_posts")
    diff = diff.join(titles, on=["case", "event_id"], how="left").sort(
        ["breaking", "case", "event_id"], descending=[True, False, False])
    empty = pl.DataFrame(schema={"event_id": pl.Utf8, "level": pl.Utf8,
                                 "fired_rules": pl.List(pl.Utf8), "case": pl.Utf8})
    return Tuning(diff=diff, old=pl.concat(olds) if olds else empty,
                  new=pl.concat(news) if news else empty,
                  old_version=f"{old_rs.version} ({old_rs.hash})",
                  new_version=f"{new_rs.version} ({new_rs.hash})")


def summary(result: Tuning) -> str:
    """Markdown: how many events change level, and each change with its rules."""
    diff = result.diff
    n_events, n_cases = result.old.height, result.old["case"].n_unique() if result.old.height else 0
    lowered = int(diff["breaking"].sum()) if diff.height else 0
    lines = [f"**{diff.height} of {n_events} archived events change level** ({n_cases} cases; "
             f"old rules {md_text(result.old_version)}, new {md_text(result.new_version)}); "
             f"{diff.height - lowered} raised, {lowered} lowered"
             + (" — **breaking**: the new rules give these events less attention." if lowered
                else ".")]
    if diff.height:
        lines += ["", "| case | event | title | old | new | change | rules gained | rules lost |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in diff.iter_rows(named=True):
            change = "lowered (breaking)" if r["breaking"] else r["change"]
            lines.append(
                f"| {md_text(r['case'])} | {md_text(r['event_id'])} | {md_text(r['title'])} | "
                f"{md_text(r['old_level'])} | {md_text(r['new_level'])} | {change} | "
                f"{md_join(r['rules_gained']) or '—'} | {md_join(r['rules_lost']) or '—'} |")
    return "\n".join(lines)
