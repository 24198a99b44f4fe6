"""``workbench case run PARAMS`` and ``workbench case check PARAMS``."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    case = subparsers.add_parser(
        "case",
        help="run or check a parameterised case study (parameters/<case>.yaml)",
        description="Case studies: a parameters file drives the case-study notebook end to "
        "end (ingest -> events -> findings -> grading -> measures -> charts -> briefing).",
    )
    sub = case.add_subparsers(dest="case_command", metavar="ACTION")

    run = sub.add_parser(
        "run",
        help="execute a case with papermill into reports/<case>/<run-id>/",
        description="Validate PARAMS, execute its notebook with papermill, and write the "
        "executed notebook, report.html (offline, inputs hidden), briefing.md/.html and "
        "manifest.json (input hashes, row counts, rules version, model, timings) into "
        "<reports>/<case>/<run-id>/.",
    )
    run.add_argument("params", help="parameters file, e.g. parameters/demo.yaml")
    run.add_argument("--run-id", default=None, help="name of the run folder (default: UTC time)")
    run.add_argument("--reports", default=None,
                     help="reports root (default: the file's 'reports' key, else ../reports)")
    run.add_argument("--kernel", default=None,
                     help="Jupyter kernel (default: 'workbench' if it runs this Python, else python3)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.set_defaults(func=_run)

    check = sub.add_parser(
        "check",
        help="validate a parameters file against the schema and the notebook's parameters",
        description="Validate PARAMS against parameters/schema.json and the notebook's "
        "parameters cell; exit 1 with the file, line and key of every problem.",
    )
    check.add_argument("params", nargs="+", help="parameters file(s)")
    check.set_defaults(func=_check)
    case.set_defaults(func=lambda args: (case.print_help(), 0)[1])


def _check(args: argparse.Namespace) -> int:
    from workbench.cases.params import ParameterError, load_params

    status = 0
    for path in args.params:
        try:
            cp = load_params(path)
        except ParameterError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"ok: {path}: case '{cp.case}', notebook {cp.notebook.name}, "
              f"{len(cp.notebook_params)} parameters")
    return status


def _run(args: argparse.Namespace) -> int:
    from workbench.cases.params import ParameterError
    from workbench.cases.run import CaseRunError, run_case

    try:
        result = run_case(args.params, run_id=args.run_id, reports=args.reports,
                          kernel=args.kernel, progress=not args.no_progress)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except CaseRunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"run folder: {exc.run_dir}", file=sys.stderr)
        return 1
    m = result.manifest
    print(f"case {m['case']} run {m['run_id']}: {m['status']} in {m['timings']['total_s']:.1f} s")
    rows = m.get("rows", {})
    if rows:
        print("  rows: " + ", ".join(f"{k}={v}" for k, v in rows.items()))
    print(f"  report:   {result.report}")
    brief = result.run_dir / "briefing.html"
    if brief.exists():
        print(f"  briefing: {brief}")
    print(f"  manifest: {result.run_dir / 'manifest.json'}")
    return 0
