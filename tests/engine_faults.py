"""Runners for the engine child process that fail the way durable-rules' C core can: a
SIGSEGV or a hang, on the fixture named by $WORKBENCH_TEST_FAULT (JSON: rule id and
fixture); only once when $WORKBENCH_TEST_FAULT_MARKER names a file (created when it
happens), else every time. Imported by the spawned child."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from workbench.grading.isolated import run_task

FAULT_VAR, MARKER_VAR = "WORKBENCH_TEST_FAULT", "WORKBENCH_TEST_FAULT_MARKER"


def fault_env(rule_id: str, fixture: dict) -> str:
    return json.dumps([rule_id, fixture], sort_keys=True)


def _strikes(task) -> bool:
    if json.dumps([task.rule_id, task.fixture], sort_keys=True) != os.environ.get(FAULT_VAR):
        return False
    marker = os.environ.get(MARKER_VAR)
    if marker:
        if Path(marker).exists():
            return False
        Path(marker).write_text(task.rule_id, "utf-8")
    return True


def segfault(rs, task, engines):
    if _strikes(task):
        os.kill(os.getpid(), signal.SIGSEGV)
    return run_task(rs, task, engines)


def hang(rs, task, engines):
    if _strikes(task):
        time.sleep(600)
    return run_task(rs, task, engines)
