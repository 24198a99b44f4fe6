"""One incremental pipeline for the case study, the drill and the watch.

``IncrementalPipeline(embedder=..., rules=..., event_config=..., findings_config=...)``
holds every post it was fed, their event assignments, the event ledger, and the latest
findings and grading of every event. ``feed(posts, now) -> Delta`` takes new posts only
(posts already held are skipped by ``post_id``), assigns them (``pipeline.assign``:
followers of held cascades, ``events.detect`` with the ledger for the rest), updates the
findings of the events they touched and re-grades those at ``now``. The findings are
incremental (``findings.incremental``: per-event tables merged with the new posts only,
cascade depths kept per post in ``pipeline.depths``); ``incremental=False`` recomputes the
touched events from all their posts (``findings.compute``, the reference they equal). The ``Delta`` says what
changed: new posts, duplicates, assignments added or moved, events touched / opened /
merged / emptied, their findings and gradings.

- The case study is one ``feed`` of every selected post (``cases.pipeline.detect``; the
  grading cell grades the held events at the case's ``now``).
- The drill feeds each clock step the posts published since the previous step
  (``drill.replay``).
- The watch feeds each batch, then raises alerts and escalates (``watch.loop``).

``save(dir)`` / ``IncrementalPipeline.load(dir, ...)``: the state in a documented,
versioned folder (Parquet tables, the ledger's own folder, ``pipeline.json``; see
``workbench.pipeline.state``). The watch checkpoints the same tables in its own state
folder (``watch.state``), appending posts and assignments batch by batch.
"""

from workbench.pipeline.incremental import Delta, IncrementalPipeline, latest_assignments, upsert
from workbench.pipeline.state import FORMAT, PipelineState

__all__ = ["FORMAT", "Delta", "IncrementalPipeline", "PipelineState", "latest_assignments",
           "upsert"]
