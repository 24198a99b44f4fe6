"""The ``workbench`` command: thin; each area registers its own subcommands.

Every module in ``COMMAND_MODULES`` exposes ``register(subparsers)`` which adds its
subcommands with ``set_defaults(func=...)``; ``func(args)`` returns an exit code. Modules
keep heavy imports (torch, bertopic, durable-rules) inside their functions so that
``workbench --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from workbench import __version__

COMMAND_MODULES = (
    "workbench.ingest.cli",
    "workbench.events.cli",
    "workbench.findings.cli",
    "workbench.grading.cli",
    "workbench.simulate.cli",
    "workbench.drill.cli",
    "workbench.watch.cli",
    "workbench.cases.cli",
    "workbench.batch.cli",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="workbench",
        description="Analytics workbench for online public-opinion incidents (网络舆情事件).",
    )
    parser.add_argument("--version", action="version", version=f"workbench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:  # an area not built yet
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
