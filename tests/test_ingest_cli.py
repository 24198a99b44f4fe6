"""`workbench ingest`: writes the three outputs, prints the summary, fails cleanly."""

from __future__ import annotations

import argparse
from pathlib import Path

import polars as pl

from workbench import ingest
from workbench.ingest.cli import register
from workbench.schema import POST_SCHEMA

FIX = Path(__file__).parent / "fixtures" / "ingest"


def _parser() -> argparse.ArgumentParser:
    # only this area's subcommand: the full `workbench` parser imports every area
    parser = argparse.ArgumentParser(prog="workbench")
    register(parser.add_subparsers(dest="command"))
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return args.func(args)


def test_ingest_command_writes_and_summarises(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["ingest", str(FIX / "ced"), str(FIX / "crisislex"), str(FIX / "mapped"),
                 "--out", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "read 57 = accepted 23 + quarantined 32 + duplicates 2  (balanced)" in printed
    assert "rows per platform: weibo 10" in printed
    assert "time span (UTC): 2012-06-08T06:22:06+00:00 .. 2024-05-03T04:00:00+00:00" in printed
    assert "quarantined by reason: missing_timestamp 5" in printed
    posts = ingest.load(out)
    assert isinstance(posts, pl.LazyFrame)
    frame = posts.collect()
    assert frame.schema == POST_SCHEMA and frame.height == 23
    assert ingest.load_quarantine(out).collect().height == 32
    assert ingest.load_report(out)["total"]["balanced"] is True


def test_pseudonymise_from_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("WORKBENCH_PSEUDONYMISE_SALT", "env-salt")
    out = tmp_path / "out"
    assert main(["ingest", str(FIX / "mapped"), "--out", str(out), "--pseudonymise", "--no-progress"]) == 0
    assert "pseudonymised" in capsys.readouterr().out
    assert ingest.load(out).collect()["author_name"].null_count() == 5 + 2 + 2 + 2
    monkeypatch.delenv("WORKBENCH_PSEUDONYMISE_SALT")
    assert main(["ingest", str(FIX / "mapped"), "--out", str(out), "--pseudonymise"]) == 2
    assert "WORKBENCH_PSEUDONYMISE_SALT" in capsys.readouterr().err


def test_bad_input_exits_2_naming_it(tmp_path, capsys):
    assert main(["ingest", str(tmp_path / "absent"), "--out", str(tmp_path / "o")]) == 2
    assert "absent" in capsys.readouterr().err
    (tmp_path / "bad.mapping.yaml").write_text("name: x\nformat: csv\nfiles: '*.csv'\nbogus: 1\n", "utf-8")
    assert main(["ingest", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    assert "bad.mapping.yaml" in capsys.readouterr().err


def test_help_describes_the_command(capsys):
    try:
        main(["ingest", "--help"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "--pseudonymise" in out and "quarantine.parquet" in out and "--no-progress" in out
