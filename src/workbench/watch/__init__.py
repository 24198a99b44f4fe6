"""24-hour monitoring: pick up new posts, re-grade events incrementally, raise alerts.

Modules: ``sources`` (files landing in a folder), ``state`` (checkpoints that survive
``kill -9``), ``alerts`` (alert records, the JSONL feed, the webhook outbox), ``clock``
(real and simulated), ``pipeline`` (the interfaces: reader, ``workbench.pipeline``,
escalations), ``reader`` (files via ``workbench.ingest``), ``escalate`` (deadline heap),
``loop`` (the incremental loop), ``replay`` (a dataset streamed in timestamp order),
``cli`` (``workbench watch``).
"""

from workbench.watch.alerts import AlertFeed, Outbox, WebhookSender
from workbench.watch.clock import RealClock, SimulatedClock
from workbench.watch.loop import StepResult, WatchLoop
from workbench.watch.pipeline import Batch, Escalation, Reader
from workbench.watch.sources import FileStamp, SourceDir
from workbench.watch.state import StateDir, WatchState

__all__ = [
    "AlertFeed", "Batch", "Escalation", "FileStamp", "Outbox", "Reader", "RealClock",
    "SimulatedClock", "SourceDir", "StateDir", "StepResult", "WatchLoop", "WatchState",
    "WebhookSender",
]
