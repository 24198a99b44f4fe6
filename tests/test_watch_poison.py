"""A poison file does not stall the watch (issue 14): it is quarantined, the good files
beside it are ingested, and a restart never replays into the same crash.

Real readers, the real ``workbench watch`` command in a subprocess, real files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from workbench.pipeline import IncrementalPipeline
from workbench.schema import ASSIGNMENT_SCHEMA, FINDINGS_SCHEMA, GRADING_SCHEMA, conform
from workbench.watch.loop import WatchLoop
from workbench.watch.quarantine import QuarantineLog, read_isolated
from workbench.watch.reader import FileReader
from workbench.watch.sources import SourceDir

MAPPING = """\
name: poison_test
format: jsonl
files: "posts*.jsonl"
platform: weibo
timezone: Asia/Shanghai
columns:
  post_id: id
  created_at: time
  text: content
  author_id: user
  likes: likes
"""


def _post(pid: str, minute: int, likes: int) -> str:
    return json.dumps({"id": pid, "time": f"2026-03-01T08:{minute:02d}:00+08:00",
                       "content": f"江城化工厂爆炸 现场第{minute}条消息", "user": f"u{pid}",
                       "likes": likes}, ensure_ascii=False) + "\n"


def _folder(tmp_path: Path) -> Path:
    src = tmp_path / "incoming"
    src.mkdir()
    (src / "poison_test.mapping.yaml").write_text(MAPPING, "utf-8")
    (src / "posts01.jsonl").write_text(_post("a1", 1, 5) + _post("a2", 2, 7), "utf-8")
    # one row with likes = 2**63: beyond int64
    (src / "posts02.jsonl").write_text(_post("b1", 3, 2**63) + _post("b2", 4, 1), "utf-8")
    (src / "posts03.jsonl").write_text(_post("c1", 5, 3), "utf-8")
    old = time.time() - 5
    for p in src.iterdir():
        os.utime(p, (old, old))
    return src


class _RaisesOn:
    """The real pipeline's reader, except that reading ``bad`` raises (a reader bug that
    content can trigger)."""

    def __init__(self, bad: str):
        self.bad, self.real = bad, FileReader()

    def read(self, paths):
        if any(Path(p).name == self.bad for p in paths):
            raise ValueError("invalid literal for int() with base 10: '²'")
        return self.real.read(paths)


def test_read_isolated_keeps_the_good_files_and_names_the_poison(tmp_path):
    src = _folder(tmp_path)
    source = SourceDir(src, settle_s=0)
    (src / "posts02.jsonl").unlink()  # the real poison row: the next test
    stamps = sorted(source.scan({}).changed, key=lambda s: s.path)
    got = read_isolated(_RaisesOn("posts03.jsonl"), stamps, source.resolve)
    assert [(s.path, reason) for s, reason, _ in got.poison] == [("posts03.jsonl", "read_failed")]
    assert "invalid literal" in got.poison[0][2]
    assert set(got.batch.posts["post_id"].to_list()) == {"weibo:a1", "weibo:a2"}
    # a file noted as being read when the process died is poison without another try
    noted = []
    got = read_isolated(FileReader(), stamps, source.resolve, attempts=3,
                        suspect="posts01.jsonl", note=noted.append)
    assert [(s.path, r) for s, r, _ in got.poison] == [("posts01.jsonl", "crashed_reader")]
    assert noted[-1] is None and "posts03.jsonl" in noted
    assert "weibo:c1" in set(got.batch.posts["post_id"].to_list())


def test_quarantine_log_does_not_repeat_entries(tmp_path):
    q = QuarantineLog(tmp_path / "q.jsonl")
    entry = {"key": "abc:-1", "kind": "file", "source_file": "x"}
    assert q.add([entry]) == 1 and q.add([entry]) == 0
    assert QuarantineLog(tmp_path / "q.jsonl").add([entry]) == 0


def _watch(src: Path, state: Path, kill_at: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    env.pop("WORKBENCH_WATCH_KILL_AT", None)
    if kill_at:
        env["WORKBENCH_WATCH_KILL_AT"] = kill_at
    return subprocess.run([sys.executable, "-m", "workbench", "watch", str(src), "--state", str(state),
                           "--once", "--settle", "0", "--quiet"],
                          env=env, capture_output=True, text=True, timeout=300)


def _held_posts(state: Path) -> set[str]:
    from workbench.watch.state import StateDir

    return set(StateDir(state).load().posts["post_id"].to_list())


@pytest.mark.slow
def test_poison_row_and_a_file_that_kills_the_reader_do_not_stall_the_watch(tmp_path):
    """posts02.jsonl holds a row with likes = 2**63 (the row, or while the reader raises on
    it, its file, is quarantined); the process dies (SIGKILL) every time it reads
    posts03.jsonl. After two cut-short attempts the batch is read file by file, the file
    being read when the process died is quarantined, the good file is ingested, the watch
    exits 0, and a restart neither crashes nor reads anything again."""
    src, state = _folder(tmp_path), tmp_path / "state"
    kill = "reading posts03.jsonl:1"
    codes = []
    for _ in range(5):
        run = _watch(src, state, kill_at=kill)
        codes.append(run.returncode)
        if run.returncode == 0:
            break
    assert codes == [-9, -9, -9, 0], (codes, run.stdout + run.stderr)
    posts = _held_posts(state)
    assert {"weibo:a1", "weibo:a2"} <= posts and "weibo:c1" not in posts
    entries = [json.loads(x) for x in (state / "quarantine.jsonl").read_text("utf-8").splitlines()]
    by_file = {}
    for e in entries:
        assert e["reason"] and e["key"] and e["source_file"]
        by_file.setdefault(Path(e["source_file"]).name, []).append((e["kind"], e["reason"]))
    assert by_file["posts03.jsonl"] == [("file", "crashed_reader")]
    assert by_file["posts02.jsonl"] in ([("file", "read_failed")],) or all(
        kind == "row" for kind, _ in by_file["posts02.jsonl"]), by_file
    again = _watch(src, state, kill_at=kill)
    assert again.returncode == 0, again.stdout + again.stderr
    assert _held_posts(state) == posts
    assert len((state / "quarantine.jsonl").read_text("utf-8").splitlines()) == len(entries)


class _FindingsFailOn(IncrementalPipeline):
    """Real reader; every post is event E1 (no embedder); the findings step raises on a
    post holding 毒 (a value the reader took but a later stage cannot); level IV."""

    def assign(self, new_posts, *, posts, assignments, ledger):
        return conform(new_posts.select("post_id", event_id=pl.lit("E1"), how=pl.lit("cluster")),
                       ASSIGNMENT_SCHEMA), ledger, None

    def findings(self, posts, assignments):
        if posts["text"].str.contains("毒").any():
            raise OverflowError("Python int too large to convert to C long")
        return conform(posts.select(
            event_id=pl.lit("E1"), title=pl.lit("t"), n_posts=pl.len().cast(pl.Int64),
            first_seen=pl.col("created_at").min(), last_seen=pl.col("created_at").max()),
            FINDINGS_SCHEMA)

    def grade(self, findings, *, now):
        return conform(findings.select("event_id", level=pl.lit("IV"), nature=pl.lit("social")),
                       GRADING_SCHEMA)


def test_a_file_that_breaks_a_later_stage_is_quarantined_and_the_rest_goes_on(tmp_path):
    src = _folder(tmp_path)
    (src / "posts02.jsonl").unlink()
    (src / "posts04.jsonl").write_text(
        _post("d1", 6, 1).replace("江城化工厂爆炸", "毒"), "utf-8")
    (src / "posts05.jsonl").write_text(_post("e1", 7, 1), "utf-8")
    old = time.time() - 5
    for p in src.iterdir():
        os.utime(p, (old, old))
    state = tmp_path / "state"
    with WatchLoop(state, _FindingsFailOn(), source=SourceDir(src, settle_s=0)) as loop:
        loop.run(once=True, max_steps=20)
        held = set(loop.state.posts["post_id"].to_list())
        files = set(loop.state.files)
    assert held == {"weibo:a1", "weibo:a2", "weibo:c1", "weibo:e1"}
    assert {"posts01.jsonl", "posts03.jsonl", "posts04.jsonl", "posts05.jsonl"} <= files
    entries = [json.loads(x) for x in (state / "quarantine.jsonl").read_text("utf-8").splitlines()]
    assert [(e["source_file"], e["reason"]) for e in entries] == [("posts04.jsonl", "processing_failed")]
    assert "OverflowError" in entries[0]["detail"]
    # a restart reads nothing again and fails nothing
    with WatchLoop(state, _FindingsFailOn(), source=SourceDir(src, settle_s=0)) as loop:
        step = loop.step()
        assert (step.files, step.new_posts) == (0, 0)
