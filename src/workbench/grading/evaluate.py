"""``workbench rules evaluate GOLD``: grade a gold set with the real findings and rules and
compare with the analysts' levels and natures.

Every incident of the gold set (``grading.gold``) becomes one event: its posts go through
``findings.compute`` (sentiment, casualty counts, rumour and debunking, nature, stake, ...)
and the findings through ``grading.grade``. The result holds one row per incident and the
figures an expert reads first:

* the **level confusion matrix** (rows: the analyst's level; columns: the graded level;
  I..IV then watch) and the **nature confusion matrix** (with 'uncertain');
* **exact-level accuracy**, **within-one accuracy** (graded at most one level from the
  analyst's, watch counting as the level below IV) and **level-I false positives**
  (graded I where the analyst did not say I: the most expensive mistake);
* for every miss, the rules that caused it: for an over-grade the fired rules above the
  analyst's level, for an under-grade the rules that did fire (and that none of the
  analyst's level did).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from workbench.grading.gold import GOLD_LEVELS, GOLD_NATURES, Incident, load, posts
from workbench.grading.loader import RANKS, RuleSet, load_ruleset

# The simplest method that could explain the figure: grade by volume alone (one rule).
VOLUME_ONLY = ((5000, "I"), (1000, "II"), (300, "III"), (40, "IV"))


def volume_only(n_posts: pl.Expr) -> pl.Expr:
    """Level from the number of posts alone (the one-rule baseline)."""
    expr = pl.lit("watch")
    for bar, level in reversed(VOLUME_ONLY):
        expr = pl.when(n_posts >= bar).then(pl.lit(level)).otherwise(expr)
    return expr


@dataclass(frozen=True)
class Evaluation:
    rows: pl.DataFrame  # one row per incident: id, file, expected/graded level and nature, ...
    rules_version: str
    rules_hash: str

    def baselines(self) -> dict[str, dict[str, float]]:
        """Exact and within-one accuracy of the majority class and of volume alone."""
        top = self.rows["level"].mode().sort()[0]
        out = {}
        for name, col in (("majority class (" + top + ")", pl.lit(top)),
                          ("volume only", volume_only(pl.col("n_posts")))):
            r = self.rows.with_columns(col.alias("_b"))
            out[name] = {
                "exact": float((r["level"] == r["_b"]).mean()),
                "within_one": float(((r.select(_rank("level") - _rank("_b")).to_series()).abs()
                                     <= 1).mean()),
                "level_i_fp": int(((r["_b"] == "I") & (r["level"] != "I")).sum()),
            }
        return out

    @property
    def n(self) -> int:
        return self.rows.height

    @property
    def exact(self) -> float:
        return float(self.rows["level_ok"].mean()) if self.n else 0.0

    @property
    def within_one(self) -> float:
        return float(self.rows["within_one"].mean()) if self.n else 0.0

    @property
    def nature_accuracy(self) -> float:
        return float(self.rows["nature_ok"].mean()) if self.n else 0.0

    @property
    def level_i_false_positives(self) -> list[str]:
        r = self.rows.filter((pl.col("graded_level") == "I") & (pl.col("level") != "I"))
        return r["id"].to_list()

    def by_file(self) -> pl.DataFrame:
        """Exact accuracy per gold file, beside volume alone: where the rules add value."""
        return (
            self.rows.with_columns(volume_only(pl.col("n_posts")).alias("_v"))
            .group_by("file").agg(
                pl.len().alias("incidents"),
                pl.col("level_ok").mean().round(3).alias("rules_exact"),
                (pl.col("level") == pl.col("_v")).mean().round(3).alias("volume_only_exact"))
            .sort("file")
        )

    def misses(self) -> pl.DataFrame:
        return self.rows.filter(~pl.col("level_ok"))

    def matrix(self, what: str = "level") -> pl.DataFrame:
        """Confusion matrix: a row per analyst value, a column per graded value."""
        labels = GOLD_LEVELS if what == "level" else GOLD_NATURES
        truth, got = (("level", "graded_level") if what == "level"
                      else ("nature", "graded_nature"))
        counts = self.rows.group_by(truth, got).len()
        out = {"analyst": list(labels)}
        for col in labels:
            out[col] = [int(counts.filter((pl.col(truth) == row) & (pl.col(got) == col))["len"]
                            .sum()) for row in labels]
        return pl.DataFrame(out)

    def ok(self, *, min_exact: float = 0.85, min_within_one: float = 1.0,
           max_level_i_fp: int = 0) -> bool:
        return (self.exact >= min_exact and self.within_one >= min_within_one
                and len(self.level_i_false_positives) <= max_level_i_fp)

    def report(self) -> str:
        return format_report(self)


def _rank(col: str) -> pl.Expr:
    return pl.col(col).replace_strict(RANKS, return_dtype=pl.Int64)


def grade_gold(incidents: list[Incident], ruleset: RuleSet | str | Path | None = None, *,
               config=None, evaluator: str = "engine") -> tuple[pl.DataFrame, pl.DataFrame]:
    """(findings, gradings) of the incidents, one event per incident (event_id = its id)."""
    from workbench.findings import compute
    from workbench.grading.grade import grade

    frame = pl.concat([posts(i) for i in incidents], how="vertical")
    assignments = frame.select("post_id", pl.col("event_label").alias("event_id"),
                               how=pl.lit("gold"), score=pl.lit(None, dtype=pl.Float64))
    findings = compute(frame, assignments, config=config)
    rs = ruleset if isinstance(ruleset, RuleSet) else load_ruleset(ruleset)
    return findings, grade(findings, rs, evaluator=evaluator)


def evaluate(gold: str | Path | list[Incident], ruleset: RuleSet | str | Path | None = None,
             *, config=None, evaluator: str = "engine") -> Evaluation:
    """Grade the gold set (a file, a folder or loaded incidents) and compare."""
    incidents = gold if isinstance(gold, list) else load(gold)
    rs = ruleset if isinstance(ruleset, RuleSet) else load_ruleset(ruleset)
    findings, gradings = grade_gold(incidents, rs, config=config, evaluator=evaluator)
    truth = pl.DataFrame({
        "id": [i.id for i in incidents], "file": [i.file for i in incidents],
        "title": [i.title for i in incidents], "level": [i.level for i in incidents],
        "nature": [i.nature for i in incidents], "reason": [i.reason for i in incidents],
    })
    rules = {r.id: r for r in rs.rules}
    got = gradings.select(
        pl.col("event_id").alias("id"), pl.col("level").alias("graded_level"), "fired_rules",
    ).join(findings.select(pl.col("event_id").alias("id"), "n_posts",
                           pl.col("nature").alias("graded_nature")), on="id")
    rows = truth.join(got, on="id", how="left").with_columns(
        (pl.col("level") == pl.col("graded_level")).alias("level_ok"),
        ((_rank("level") - _rank("graded_level")).abs() <= 1).alias("within_one"),
        (pl.col("nature") == pl.col("graded_nature")).alias("nature_ok"),
    )
    causes = []
    for r in rows.iter_rows(named=True):
        want, fired = RANKS[r["level"]], r["fired_rules"] or []
        if r["level_ok"]:
            causes.append([])
        elif RANKS[r["graded_level"]] < want:  # over-graded: the rules above the analyst
            causes.append([f for f in fired if RANKS[rules[f].level] < want])
        else:  # under-graded: what fired instead (none of the analyst's level did)
            causes.append(list(fired) or ["(no rule fired)"])
    rows = rows.with_columns(pl.Series("caused_by", causes, dtype=pl.List(pl.Utf8)))
    return Evaluation(rows=rows, rules_version=rs.version, rules_hash=rs.hash)


def _table(frame: pl.DataFrame) -> str:
    cols = frame.columns
    widths = [max(len(str(c)), *(len(str(v)) for v in frame[c].to_list())) for c in cols]
    line = lambda vals: "  ".join(str(v).rjust(w) for v, w in zip(vals, widths, strict=True))  # noqa: E731
    return "\n".join([line(cols), *(line(r) for r in frame.iter_rows())])


def format_report(e: Evaluation, *, title: str = "") -> str:
    fp = e.level_i_false_positives
    lines = [
        f"gold set: {e.n} incidents, rules {e.rules_version} ({e.rules_hash}){title}",
        "",
        "level (rows: analyst, columns: graded)",
        _table(e.matrix("level")),
        "",
        "nature (rows: analyst, columns: findings)",
        _table(e.matrix("nature")),
        "",
        f"exact-level accuracy {e.exact:.3f}   within-one {e.within_one:.3f}   "
        f"level-I false positives {len(fp)}   nature accuracy {e.nature_accuracy:.3f}",
    ]
    for name, b in e.baselines().items():
        lines.append(f"  baseline {name}: exact {b['exact']:.3f} ({e.exact / max(b['exact'], 1e-9):.2f}x), "
                     f"within-one {b['within_one']:.3f}, level-I false positives {b['level_i_fp']}")
    lines += ["", "per file (rules vs volume alone)", _table(e.by_file())]
    misses = e.misses()
    if misses.height:
        lines += ["", f"misses ({misses.height}):"]
        for r in misses.iter_rows(named=True):
            lines.append(f"  {r['id']} ({r['file']}): analyst {r['level']}, graded "
                         f"{r['graded_level']}; caused by {', '.join(r['caused_by'])}"
                         f" | {r['reason']}")
    wrong_nature = e.rows.filter(~pl.col("nature_ok"))
    if wrong_nature.height:
        lines += ["", f"nature misses ({wrong_nature.height}):"]
        lines += [f"  {r['id']}: analyst {r['nature']}, findings {r['graded_nature']}"
                  for r in wrong_nature.iter_rows(named=True)]
    return "\n".join(lines)


def drill_peaks(scenarios: str | Path, ruleset: RuleSet | str | Path | None = None, *,
                every_hours: float = 3.0, workdir: str | Path | None = None,
                progress: bool = False) -> pl.DataFrame:
    """Drill every scenario YAML of a folder (or one file) on the simulator's true events
    (``drill.replay.LabelledEventsPipeline``: the findings and rules alone, no embedding
    model) and return one row per scenario: intended and peak level, final level, intended
    and graded nature, drill score."""
    import tempfile

    from workbench.drill import run
    from workbench.drill.replay import LabelledEventsPipeline

    path = Path(scenarios)
    files = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
    rs = ruleset if isinstance(ruleset, RuleSet) else load_ruleset(ruleset)
    rows = []
    with tempfile.TemporaryDirectory(prefix="workbench-drills-") as tmp:
        base = Path(workdir) if workdir is not None else Path(tmp)
        iterator = files
        if progress:
            from tqdm import tqdm

            iterator = tqdm(files, desc="drills", unit="scenario")
        for f in iterator:
            res = run(f, base / f.stem, every_hours=every_hours, charts=False,
                      pipeline=LabelledEventsPipeline(ruleset=rs))
            s = res.score
            rows.append({"scenario": f.stem, "intended_level": s.intended_level,
                         "peak_level": s.accuracy["peak_level"],
                         "final_level": s.accuracy["final_level"],
                         "intended_nature": s.nature, "graded_nature": s.graded_nature,
                         "score": float(s.total)})
    out = pl.DataFrame(rows, schema={"scenario": pl.Utf8, "intended_level": pl.Utf8,
                                     "peak_level": pl.Utf8, "final_level": pl.Utf8,
                                     "intended_nature": pl.Utf8, "graded_nature": pl.Utf8,
                                     "score": pl.Float64})
    return out.with_columns((pl.col("peak_level") == pl.col("intended_level")).alias("peak_ok"))


def format_drills(drills: pl.DataFrame) -> str:
    ok = int(drills["peak_ok"].sum())
    return "\n".join([
        f"drills (true events; findings + rules): {ok}/{drills.height} peak at the intended level",
        _table(drills.with_columns(pl.col("score").round(0))),
    ])
