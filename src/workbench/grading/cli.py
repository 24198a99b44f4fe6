"""``workbench rules ...``: check, diff and grade with the rule files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "rules", help="check, diff and apply the grading rules in rules/",
        description="Tools for the experts who tune the grading rules in rules/.")
    sub = p.add_subparsers(dest="rules_command", metavar="ACTION")

    c = sub.add_parser(
        "check", help="validate rule files and run every fixture (engine and reference)",
        description="Schema-validate every rule file, reject duplicate ids and rules without "
                    "fixtures, run each fixture through the reference evaluator and durable-rules "
                    "and check that both agree. Exit 1 on any problem (file:line: [rule id] ...).")
    c.add_argument("dir", nargs="?", default=None, help="rules directory (default: rules/)")
    c.add_argument("--no-engine", action="store_true", help="reference evaluator only")
    c.set_defaults(func=_check)

    d = sub.add_parser(
        "diff", help="grade archived findings with two rule-set versions and compare",
        description="Grade the same findings parquet files with OLD and NEW rules; list every "
                    "event whose level changes and which rules made the difference. A lowered "
                    "level is flagged BREAKING and makes the exit status 1.")
    d.add_argument("old", type=Path, help="old rules directory")
    d.add_argument("new", type=Path, help="new rules directory")
    d.add_argument("--cases", type=Path,
                   help="directory (searched recursively) or file of findings parquet")
    d.add_argument("--gold", type=Path,
                   help="also (or only) grade this gold set with OLD and NEW and print both "
                        "confusion matrices")
    d.add_argument("--out", type=Path, help="also write the diff (.parquet, .csv or .json)")
    d.add_argument("--reference", action="store_true", help="use the reference evaluator")
    d.set_defaults(func=_diff)

    e = sub.add_parser(
        "evaluate", help="grade a graded gold set and print the confusion matrices",
        description="Expand every incident of a gold set (tests/gold/*.yaml: posts with the "
                    "level and nature an analyst gives them) into posts, compute the real "
                    "findings, grade them with the rules and compare: confusion matrices of "
                    "level and nature, exact-level and within-one accuracy, level-I false "
                    "positives, and the rules that caused each miss. Exit 1 below the bars.")
    e.add_argument("gold", type=Path, nargs="?", default=Path("tests/gold"),
                   help="gold file or folder (default: tests/gold)")
    e.add_argument("--rules", type=Path, default=None, help="rules directory (default: rules/)")
    e.add_argument("--min-exact", type=float, default=0.85, help="exact-level accuracy bar")
    e.add_argument("--min-within-one", type=float, default=1.0, help="within-one accuracy bar")
    e.add_argument("--max-level-i-fp", type=int, default=0, help="level-I false positives allowed")
    e.add_argument("--out", type=Path, help="also write one row per incident (.parquet/.csv/.json)")
    e.add_argument("--reference", action="store_true", help="use the reference evaluator")
    e.add_argument("--drills", type=Path, default=None,
                   help="also drill every scenario of this folder (e.g. scenarios/) on its true "
                        "events and require each to peak at its intended level")
    e.add_argument("--drill-every", type=float, default=3.0, help="drill clock step in hours")
    e.set_defaults(func=_evaluate)

    sc = sub.add_parser(
        "schema", help="regenerate rules/schema/findings.schema.json from workbench.schema",
        description="Write the findings JSON Schema (every findings field with its meaning) and "
                    "the closed list of condition fields in grading.schema.json, both generated "
                    "from workbench.schema. --check: exit 1 if they are out of date.")
    sc.add_argument("dir", nargs="?", type=Path, default=Path("rules"), help="rules directory")
    sc.add_argument("--check", action="store_true", help="only report stale files")
    sc.set_defaults(func=_schema)

    g = sub.add_parser(
        "grade", help="grade a findings parquet file",
        description="Grade every event of a findings parquet file (FINDINGS_SCHEMA) and write "
                    "the gradings (GRADING_SCHEMA) to --out (.parquet, .csv or .json). A rule "
                    "set that fails `rules check` is refused (exit 2) unless --allow-failing.")
    g.add_argument("findings", type=Path, help="findings parquet file")
    g.add_argument("--out", type=Path, required=True, help="output file")
    g.add_argument("--rules", type=Path, default=None, help="rules directory (default: rules/)")
    g.add_argument("--reference", action="store_true", help="use the reference evaluator")
    g.add_argument("--allow-failing", action="store_true",
                   help="grade even if the rule set fails `rules check`; the gradings record "
                        "it (rules_version ends in +check-failed)")
    g.set_defaults(func=_grade)
    p.set_defaults(func=lambda args: (p.print_help(), 0)[1])


FORMATS = (".parquet", ".csv", ".json")


def _flat(frame):
    """CSV has no lists or structs: string lists joined with ';', other nested columns left out."""
    import polars as pl

    return frame.with_columns(
        [pl.col(c).cast(pl.List(pl.Utf8)).list.join(";") for c, t in frame.schema.items()
         if t == pl.List(pl.Utf8)]
    ).select([c for c, t in frame.schema.items() if not isinstance(t, pl.List) or
              t == pl.List(pl.Utf8)])


def _write(frame, out: Path) -> None:
    _write_batches([frame], out)


def _write_batches(frames, out: Path) -> None:
    """Write frames of one schema to ``out`` (.parquet, .csv or .json) one at a time, so that
    only one is in memory (Parquet: part files, then one streaming copy into ``out``)."""
    import shutil
    import tempfile

    import polars as pl

    if out.suffix not in FORMATS:
        raise SystemExit(f"--out: unknown format {out.suffix!r} (use .parquet, .csv or .json)")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        parts = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            n = 0
            for n, frame in enumerate(frames, 1):
                frame.write_parquet(parts / f"part-{n:06d}.parquet")
            if n == 0:
                raise ValueError("no frames to write")
            # the streaming engine copies row group by row group (the default engine would
            # gather the nested columns in memory first: +280 MiB at 200,000 rows, measured)
            pl.scan_parquet(sorted(parts.glob("part-*.parquet"))).sink_parquet(
                out, engine="streaming", row_group_size=5_000)
        finally:
            shutil.rmtree(parts, ignore_errors=True)
        return
    with out.open("w", encoding="utf-8", newline="") as fh:
        if out.suffix == ".csv":
            for n, frame in enumerate(frames):
                _flat(frame).write_csv(fh, include_header=n == 0)
            return
        fh.write("[")  # .json: one array of rows, written a frame at a time
        written = False
        for frame in frames:
            if frame.height:
                fh.write(("," if written else "") + frame.write_json()[1:-1])
                written = True
        fh.write("]")


def _check(args: argparse.Namespace) -> int:
    from workbench.grading.check import check

    report = check(args.dir, engine=not args.no_engine)
    print(report.summary())
    return 0 if report.ok else 1


def _schema(args: argparse.Namespace) -> int:
    from workbench.grading import schemas

    if args.check:
        stale = schemas.stale(args.dir)
        for p in stale:
            print(f"{p}: out of date; run `workbench rules schema`")
        return 1 if stale else 0
    for p in schemas.write(args.dir):
        print(f"wrote {p}")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from workbench.grading.evaluate import evaluate
    from workbench.grading.gold import GoldError
    from workbench.grading.loader import RulesError

    try:
        e = evaluate(args.gold, args.rules, evaluator="reference" if args.reference else "engine")
    except (GoldError, RulesError) as exc:
        print(exc, file=sys.stderr)
        return 2
    print(e.report())
    if args.out:
        _write(e.rows, args.out)
    gold_ok = e.ok(min_exact=args.min_exact, min_within_one=args.min_within_one,
                   max_level_i_fp=args.max_level_i_fp)
    bars = (f"exact >= {args.min_exact}, within-one >= {args.min_within_one}, "
            f"level-I false positives <= {args.max_level_i_fp}")
    ok = gold_ok
    if args.drills is not None:
        import polars as pl

        from workbench.grading.evaluate import drill_peaks, format_drills

        drills = drill_peaks(args.drills, args.rules, every_hours=args.drill_every,
                             progress=True)
        print()
        print(format_drills(drills))
        missed = drills.filter(~pl.col("peak_ok"))["scenario"].to_list()
        bars += ", every drill at its intended peak"
        if missed:
            bars += f" (missed: {', '.join(missed)})"
        ok = ok and not missed
    print(f"{'PASS' if ok else 'FAIL'}: {bars}" + ("" if gold_ok else " (the gold set is below its bars)"))
    return 0 if ok else 1


def _diff_gold(args: argparse.Namespace) -> int:
    import polars as pl

    from workbench.grading.evaluate import evaluate, format_report

    old = evaluate(args.gold, args.old)
    new = evaluate(args.gold, args.new)
    print(format_report(old, title=" [OLD]"))
    print()
    print(format_report(new, title=" [NEW]"))
    moved = old.rows.select("id", pl.col("level"), pl.col("graded_level").alias("old")).join(
        new.rows.select("id", pl.col("graded_level").alias("new")), on="id")
    changed = moved.filter(pl.col("old") != pl.col("new"))
    print(f"\ngold incidents whose grade changed: {changed.height}")
    for r in changed.iter_rows(named=True):
        print(f"  {r['id']}: {r['old']} -> {r['new']} (analyst {r['level']})")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from workbench.grading.diff import diff_rulesets
    from workbench.grading.loader import RulesError

    if args.cases is None and args.gold is None:
        print("rules diff: give --cases and/or --gold", file=sys.stderr)
        return 2
    status = _diff_gold(args) if args.gold is not None else 0
    if args.cases is None:
        return status

    try:
        diff, s = diff_rulesets(args.old, args.new, args.cases,
                                evaluator="reference" if args.reference else "engine")
    except RulesError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(f"old {s['old']['version']} ({s['old']['hash']}) -> new {s['new']['version']} "
          f"({s['new']['hash']}): {s['files']} findings files, {s['events']} events")
    for r in diff.iter_rows(named=True):
        flag = "BREAKING " if r["breaking"] else ""
        print(f"  {flag}{r['case']} {r['event_id']}: {r['old_level']} -> {r['new_level']} "
              f"({r['change']}); gained {r['rules_gained'] or '-'}; lost {r['rules_lost'] or '-'}")
    print(f"{s['changed']} events changed level: {s['raised']} raised, {s['lowered']} lowered"
          + (" (BREAKING)" if s["lowered"] else ""))
    if args.out:
        _write(diff, args.out)
    return 1 if s["lowered"] else 0


def _grade(args: argparse.Namespace) -> int:
    import polars as pl

    from workbench.grading.check import checked
    from workbench.grading.grade import grade_batches, level_counts
    from workbench.grading.loader import RulesError, load_ruleset

    try:
        rs = load_ruleset(args.rules)
        report = checked(rs, isolate=True)  # the engine's fixtures in a child process
        if not report.ok and args.allow_failing:
            print(f"warning: grading with a rule set that fails `rules check` "
                  f"({len(report.problems)} problem(s), --allow-failing); the gradings record "
                  "it in rules_version:\n" + "\n".join(f"  {p}" for p in report.problems),
                  file=sys.stderr)
        batches = grade_batches(pl.scan_parquet(args.findings), rs, allow_failing=args.allow_failing,
                                evaluator="reference" if args.reference else "engine",
                                progress=True)
        seen: list = []

        def counted(frames):
            for frame in frames:  # keep only the levels: the batches go to disk one by one
                seen.append(frame.select("level", "rules_version"))
                yield frame

        _write_batches(counted(batches), args.out)
    except RulesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    levels = pl.concat(seen) if seen else pl.DataFrame(schema={"level": pl.Utf8,
                                                              "rules_version": pl.Utf8})
    counts = level_counts(levels)
    version = levels["rules_version"][0] if levels.height else "-"
    print(f"graded {levels.height} events with rules {version} -> {args.out}")
    print("  " + ", ".join(f"{r['level']}: {r['events']}" for r in counts.iter_rows(named=True)))
    return 0
