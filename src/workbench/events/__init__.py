"""Events: posts grouped by text, time and repost structure, with stable ids.

``detect(posts, *, embedder=None, config=None, ledger=None) -> Events`` with
``.assignments`` (``ASSIGNMENT_SCHEMA``), ``.topics`` (event_id, title, keywords,
representative_post_ids), ``.ledger`` (:class:`Ledger`: ids kept across re-runs and new
posts; merges and splits recorded) and ``.findings()`` (``FINDINGS_SCHEMA``).

Modules: ``text`` (cleaning), ``cascade`` (reposts follow their root), ``cluster``
(text+time agglomerative clustering), ``topics`` (BERTopic c-TF-IDF keywords with a jieba
tokenizer), ``identity`` (the ledger), ``detect`` (the pipeline), ``cli``.
"""

from workbench.events.detect import EventConfig, Events, detect
from workbench.events.identity import Ledger

__all__ = ["EventConfig", "Events", "Ledger", "detect"]
