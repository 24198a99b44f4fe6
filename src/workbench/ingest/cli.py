"""``workbench ingest``: raw exports -> posts.parquet + quarantine.parquet + report.json."""

from __future__ import annotations

import argparse
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ingest",
        help="read raw exports (Weibo CED, CrisisLexT26, mapped CSV/JSONL/JSON/Parquet) into the post table",
        description=(
            "Read each SRC (a Weibo CED folder, a CrisisLexT26 folder, a *.mapping.yaml, a folder "
            "scanned for *.mapping.yaml, or single files next to a mapping) into the canonical "
            "post table. Writes DIR/posts.parquet, DIR/quarantine.parquet (every rejected row, "
            "with file, row and reason) and DIR/report.json (read = accepted + quarantined + "
            "duplicates, per file and in total), and prints a summary."
        ),
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("sources", nargs="+", metavar="SRC", help="folders or files to ingest")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument(
        "--pseudonymise",
        nargs="?",
        const="",
        default=None,
        metavar="SALT",
        help=(
            "replace author ids with salted hashes and drop author names in everything written; "
            "without SALT the salt is read from $WORKBENCH_PSEUDONYMISE_SALT (keeps it out of "
            "shell history)"
        ),
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.add_argument(
        "--streaming", action="store_true",
        help=("archives: read CHUNK units at a time into part files and write posts.parquet with "
              "Polars' streaming engine (sink_parquet): the archive is never all in memory. Same "
              "rows and report as the default; rows come chunk by chunk"),
    )
    p.add_argument("--chunk", type=int, default=200,
                   help="--streaming: CED events / CrisisLexT26 events / mapped files per chunk (a chunk "
                        "of files also closes at 32 MiB on disk)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from workbench import ingest
    from workbench.ingest import privacy

    salt = args.pseudonymise
    if salt == "":
        try:
            salt = privacy.salt_from_env()
        except ValueError as exc:
            print(f"workbench ingest: {exc}", file=sys.stderr)
            return 2
    if args.streaming:
        from workbench.ingest.result import format_summary
        from workbench.ingest.streaming import read_streaming

        try:
            report = read_streaming(args.sources, args.out, pseudonymise_salt=salt, chunk=args.chunk)
        except (FileNotFoundError, ValueError) as exc:
            print(f"workbench ingest: {exc}", file=sys.stderr)
            return 2
        print(format_summary(report))
        print(f"wrote {args.out}/posts.parquet, quarantine.parquet, report.json (streaming)")
        return 0
    try:
        result = ingest.read(args.sources, pseudonymise_salt=salt, progress=not args.no_progress)
    except (FileNotFoundError, ValueError) as exc:
        print(f"workbench ingest: {exc}", file=sys.stderr)
        return 2
    out = ingest.write(result, args.out)
    print(result.summary())
    print(f"wrote {out / 'posts.parquet'}, {out / 'quarantine.parquet'}, {out / 'report.json'}")
    return 0
