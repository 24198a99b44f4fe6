"""24-hour monitoring: pick up new posts, re-grade events incrementally, raise alerts.

Modules: ``sources`` (files landing in a folder), ``state`` (checkpoints that survive
``kill -9``), ``alerts`` (alert records, the JSONL feed, the webhook outbox), ``clock``
(real and simulated), ``pipeline`` (the interface to ingest/events/findings/grading),
``loop`` (the incremental loop), ``replay`` (a dataset streamed in timestamp order),
``cli`` (``workbench watch``).
"""

from workbench.watch.alerts import AlertFeed, Outbox, WebhookSender
from workbench.watch.clock import RealClock, SimulatedClock
from workbench.watch.loop import StepResult, WatchLoop
from workbench.watch.pipeline import Batch, Escalation, Pipeline
from workbench.watch.sources import FileStamp, SourceDir
from workbench.watch.state import StateDir, WatchState

__all__ = [
    "AlertFeed", "Batch", "Escalation", "FileStamp", "Outbox", "Pipeline", "RealClock",
    "SimulatedClock", "SourceDir", "StateDir", "StepResult", "WatchLoop", "WatchState",
    "WebhookSender",
]
