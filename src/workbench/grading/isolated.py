"""Engine fixture runs in a child process, so that a crash in durable-rules' C core (a
SIGSEGV was seen on a failing fixture) becomes a failed check naming the rule, not a dead
``workbench rules check``.

:func:`run_engine_tasks` sends the rule set and a list of :class:`Task` to a spawned child;
the child reports each task as it starts and as it ends. When the child dies (a signal, an
exit) or stops answering, the task it had started is tried once more alone in a fresh child:
a crash that comes again is reported as the task's error, one that does not (durable-rules'
heap faults are not always reproducible) as a note beside its result. A fresh child then goes
on with the next task, so one bad rule never hides the others.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from workbench.grading.loader import RuleSet

#: seconds a child may take for one task before it is taken to hang
TASK_TIMEOUT_S = 60.0
#: seconds a child may take to start (imports) and between tasks, on a loaded machine
STARTUP_TIMEOUT_S = 300.0


@dataclass(frozen=True)
class Task:
    """One fixture through the engine: ``kind`` 'grading' (result: the rule ids fired) or
    'escalation' (result: whether ``rule_id`` escalated)."""

    kind: str
    rule_id: str
    fixture: Any


@dataclass(frozen=True)
class Outcome:
    result: Any = None
    error: str | None = None  # the engine raised, or the child crashed / hung (twice)
    note: str | None = None  # the child crashed once, the retry gave ``result``


def run_task(rs: RuleSet, task: Task, engines: dict) -> Any:
    """One task in the child (``engines`` caches the engine across its tasks)."""
    if task.kind == "grading":
        from workbench.grading.compile import fact_from_row
        from workbench.grading.engine import GradingEngine

        if "engine" not in engines:
            engines["engine"] = GradingEngine(rs)
        fact = fact_from_row(task.fixture, tuple(task.fixture), event="fixture")
        return sorted(engines["engine"].evaluate(fact))
    if task.kind == "escalation":
        from workbench.grading.escalation import run_fixture

        return run_fixture(rs, task.fixture, task.rule_id, evaluator="engine")
    raise ValueError(f"unknown task kind {task.kind!r}")


Runner = Callable[[RuleSet, Task, dict], Any]


def _child(rs: RuleSet, tasks: list[Task], conn, runner: Runner) -> None:
    """The child's loop: 'start' i, then 'done' i result or 'error' i message."""
    engines: dict = {}
    for i, task in enumerate(tasks):
        conn.send(("start", i))
        try:
            conn.send(("done", i, runner(rs, task, engines)))
        except Exception as exc:  # reported as a failed fixture, the child goes on
            conn.send(("error", i, f"{type(exc).__name__}: {exc}"))
    conn.send(("end", len(tasks)))
    conn.close()


_DEATH_PREFIXES = ("no answer within", "durable-rules crashed", "the engine process exited")


def _death(exitcode: int | None, started: bool = True) -> str:
    if exitcode is None:
        return f"no answer within {TASK_TIMEOUT_S if started else STARTUP_TIMEOUT_S:.0f} s (killed)"
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"durable-rules crashed the engine process ({name}, exit {exitcode})"
    return f"the engine process exited with status {exitcode}"


def _one_child(rs: RuleSet, tasks: list[Task], out: dict[int, Outcome], offset: int,
               runner: Runner) -> int:
    """Run ``tasks`` in one child; fill ``out`` (by absolute index); return how many tasks
    were settled (all of them, or up to and including the one that killed the child)."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(rs, tasks, child, runner), daemon=True)
    proc.start()
    child.close()
    started: int | None = None
    settled = 0
    hung = False
    try:
        while True:
            if not parent.poll(TASK_TIMEOUT_S if started is not None else STARTUP_TIMEOUT_S):
                hung = True
                break
            try:
                msg = parent.recv()
            except (EOFError, OSError):
                break  # died
            if msg[0] == "start":
                started = msg[1]
            elif msg[0] == "done":
                out[offset + msg[1]] = Outcome(result=msg[2])
                settled, started = msg[1] + 1, None
            elif msg[0] == "error":
                out[offset + msg[1]] = Outcome(error=msg[2])
                settled, started = msg[1] + 1, None
            elif msg[0] == "end":
                return len(tasks)
    finally:
        parent.close()
        proc.join(5)
        if proc.is_alive():
            proc.kill()
            proc.join(5)
    in_task = started is not None
    if started is None:  # died between tasks (e.g. at start-up): blame the next task
        started = settled
    out[offset + started] = Outcome(error=_death(None if hung else proc.exitcode, in_task))
    return started + 1


def run_engine_tasks(rs: RuleSet, tasks: list[Task], *, runner: Runner = run_task) -> list[Outcome]:
    """Every task's outcome, in order; children are restarted past any task that killed one
    (retried once alone first). ``runner`` (a module-level function: the child imports it)
    runs one task."""
    out: dict[int, Outcome] = {}
    done = 0
    while done < len(tasks):
        done += _one_child(rs, tasks[done:], out, done, runner)
        crashed = out[done - 1]
        if crashed.error and crashed.error.startswith(_DEATH_PREFIXES):
            retry: dict[int, Outcome] = {}
            _one_child(rs, [tasks[done - 1]], retry, 0, runner)
            if retry[0].error is None:
                out[done - 1] = Outcome(result=retry[0].result,
                                        note=f"{crashed.error}; passed when run again")
    return [out[i] for i in range(len(tasks))]


def run_tasks_here(rs: RuleSet, tasks: list[Task], *, runner: Runner = run_task) -> list[Outcome]:
    """The same tasks in this process (no isolation: for a process that grades with the
    engine anyway)."""
    engines: dict = {}
    out = []
    for task in tasks:
        try:
            out.append(Outcome(result=runner(rs, task, engines)))
        except Exception as exc:
            out.append(Outcome(error=f"{type(exc).__name__}: {exc}"))
    return out
