"""The durable-rules adapter (see ../shared/notes/durable-rules.md for the measured pitfalls).

- One process-wide :class:`_Host` (a ``durable.engine.Host`` subclass) with its background
  dispatcher threads off, used under one lock: the C core has no locks.
- Rulesets are named by content hash, so re-running a notebook cell reuses the registered
  ruleset instead of failing with "already registered".
- One short session per graded event, always deleted (at most 1,024 live sessions; ~280 KB
  each); one fact per session, asserted alone.
- Actions take exactly one argument; the state's ``exception`` is checked after each fact;
  ``$or`` firings are de-duplicated; a fact nothing matched is a normal "fired nothing".
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import orjson

from workbench.grading.compile import ACTION_PREFIX, WARMUP_RULE, compile_ruleset
from workbench.grading.loader import RuleSet

LOCK = threading.RLock()
_HOST: Any = None
_SIDS = itertools.count(1)


def next_sid(prefix: str = "") -> str:
    """A session id never used before in this process."""
    return f"{prefix}{next(_SIDS)}"


class EngineError(RuntimeError):
    """durable-rules reported an error while evaluating a fact."""


def host() -> Any:
    """The process-wide durable-rules host (created on first use)."""
    global _HOST
    with LOCK:
        if _HOST is None:
            from durable.engine import Host

            class _Host(Host):
                """No background dispatcher (it leaks threads and races the C core)."""

                def __init__(self) -> None:
                    self.fired: list[tuple[str, Any]] = []
                    super().__init__()

                def _run(self) -> None:  # durable starts two timer threads here
                    pass

                def get_action(self, action_name: str):
                    name = action_name.split(":", 1)[1] if ":" in action_name else action_name
                    sink = self.fired
                    if action_name.startswith(ACTION_PREFIX):
                        def action(c):  # exactly one parameter: synchronous
                            sink.append((name, None))
                    else:
                        def action(c):
                            sink.append((name, {k: dict(v) for k, v in c._m.items()}))
                    return action

            _HOST = _Host()
        return _HOST


def register(name: str, body: dict, warmup_fact: dict | None = None) -> None:
    """Register a ruleset body under ``name`` unless it is already registered."""
    from durable.engine import MessageNotHandledException

    h = host()
    with LOCK:
        if name in h._ruleset_directory:
            return
        h.set_rulesets({name: body})
        if warmup_fact is not None:
            sid = f"warmup-{next(_SIDS)}"
            try:
                h.assert_fact(name, {**warmup_fact, "sid": sid})
            except MessageNotHandledException:
                pass
            finally:
                h.delete_state(name, sid)
                h.fired.clear()


class GradingEngine:
    """Evaluates findings facts against a rule set in durable-rules.

    ``evaluate(fact) -> [rule ids fired]`` (each once, in firing order).
    """

    name = "durable-rules"

    def __init__(self, ruleset: RuleSet, *, fast: bool = True):
        self.ruleset = ruleset
        self.fast = fast
        self.ruleset_name = f"wb_grading_{ruleset.hash}"
        register(self.ruleset_name, compile_ruleset(ruleset), {WARMUP_RULE: 1})
        self._handle = host().get_ruleset(self.ruleset_name)._handle

    def evaluate(self, fact: dict[str, Any]) -> list[str]:
        """Rule ids fired by one fact (each once, in firing order: ascending pri)."""
        return self._evaluate_fast(fact) if self.fast else self._evaluate_host(fact)

    def _evaluate_host(self, fact: dict[str, Any]) -> list[str]:
        """Through ``Host.assert_fact``: one Python action call per firing (the reference path
        of durable-rules' own API; ``fast=False``)."""
        from durable.engine import MessageNotHandledException

        h = host()
        with LOCK:
            sid = next_sid()
            h.fired.clear()
            state = None
            try:
                state = h.assert_fact(self.ruleset_name, {**fact, "sid": sid})
            except MessageNotHandledException:
                state = None
            except Exception as exc:
                raise EngineError(f"durable-rules rejected fact {fact!r}: {exc}") from exc
            finally:
                h.delete_state(self.ruleset_name, sid)
            if isinstance(state, dict) and state.get("exception"):
                raise EngineError(f"action failed on fact {fact!r}: {state['exception']}")
            fired = list(dict.fromkeys(name for name, _ in h.fired))
            h.fired.clear()
        return fired

    def _evaluate_fast(self, fact: dict[str, Any]) -> list[str]:
        """The same matching in durable's C core, draining the fired actions directly.

        ``Host`` runs every firing through a Python ``Closure`` + ``Promise`` and re-serialises
        the session state after each one; grading actions only record the rule id, so this
        loop takes the rule names from the action queue itself (start_action_for_state /
        complete_and_start_action, the calls ``Ruleset._flush_actions`` makes) and skips the
        rest. Equality with ``fast=False`` and with the reference is asserted in the tests.
        """
        import durable_rules_engine as dre

        with LOCK:
            sid = next_sid()
            payload = orjson.dumps({**fact, "sid": sid}).decode()
            fired: list[str] = []
            try:
                try:
                    result = dre.assert_fact(self._handle, payload)
                except Exception as exc:
                    raise EngineError(f"durable-rules rejected fact {fact!r}: {exc}") from exc
                if result[0] not in (1, 2):  # 1: nothing matched; else actions are queued
                    state_handle = result[1] if result[0] != 3 else 0
                    started = dre.start_action_for_state(self._handle, state_handle)
                    message = started[1] if started else None
                    while message:
                        fired.append(next(iter(orjson.loads(message))))
                        message = dre.complete_and_start_action(self._handle, state_handle)
                elif result[0] == 2:
                    raise EngineError(f"fact observed twice in one session: {fact!r}")
            finally:
                dre.delete_state(self._handle, sid)
        return list(dict.fromkeys(f for f in fired if f != WARMUP_RULE))

    def close(self) -> None:
        pass
