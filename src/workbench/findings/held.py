"""``HeldTables``: the findings' partial tables of every event held, picked by event.

``findings.incremental`` appends each feed's new tables and, for the events a feed touched,
reads their rows back. A filter of every held table for those events costs what the tables
hold (one row per event and timestamp, per author...: about one per post), at every feed.
Here each table is kept in two parts:

- ``base``: merged per key (``partial.merge_table``) and sorted by event, with each event's
  span of rows (start, length): an event's rows are a slice, found without a scan;
- ``recent``: the tables appended since ``base`` was last built (small: a few feeds' rows),
  probed by event.

``compact()`` folds ``recent`` into ``base`` (the merge the held tables had before, plus a
sort). Dropping an event forgets its spans and its recent rows; its base rows are left
until the next ``compact``, which skips them. Per event, the rows picked are the rows a
filter of base + recent would give, in the same order.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from workbench.findings import partial


def _is_in(ids: list[str]) -> pl.Expr:
    return pl.col("event_id").is_in(pl.Series(ids, dtype=pl.Utf8).implode())


class HeldTables:
    def __init__(self) -> None:
        self.base: dict[str, pl.DataFrame] = {}
        self.spans: dict[str, dict[str, tuple[int, int]]] = {}
        self.recent: dict[str, pl.DataFrame] = {}
        self.void: set[str] = set()  # events dropped since the base was built
        self.appended = 0  # appends since the base was built

    @property
    def empty(self) -> bool:
        return not self.base and not self.recent

    def append(self, fresh: dict[str, pl.DataFrame]) -> None:
        if not self.recent:
            self.recent = dict(fresh)
        else:
            self.recent = {name: pl.concat([t, fresh[name]], how="vertical_relaxed", rechunk=False)
                           for name, t in self.recent.items()}
        self.appended += 1

    def drop(self, ids: Iterable[str]) -> None:
        ids = sorted(set(ids))
        if not ids:
            return
        for spans in self.spans.values():
            for e in ids:
                spans.pop(e, None)
        self.void.update(ids)
        away = _is_in(ids)
        self.recent = {name: t.filter(~away) for name, t in self.recent.items()}

    def pick(self, ids: list[str], names: Iterable[str] | None = None) -> dict[str, pl.DataFrame]:
        """The rows of the events ``ids`` in each table (``names``: those tables only),
        unmerged: base slices, then recent rows."""
        ids = sorted(set(ids))
        want = _is_in(ids)
        if names is None:
            names = self.recent.keys() if self.recent else self.base.keys()
        out = {}
        for name in names:
            parts = []
            base, spans = self.base.get(name), self.spans.get(name, {})
            if base is not None:
                parts = [base.slice(*spans[e]) for e in ids if e in spans]
            if name in self.recent:
                parts.append(self.recent[name].filter(want))
            parts = [p for p in parts if p.height] or [(base if base is not None
                                                          else self.recent[name]).clear()]
            out[name] = pl.concat(parts, how="vertical_relaxed") if len(parts) > 1 else parts[0]
        return out

    def compact(self) -> None:
        """Merge base (less its void events) and recent per key into a new sorted base."""
        names = list(self.recent or self.base)
        plans = {}
        for name in names:
            copies = []
            base = self.base.get(name)
            if base is not None and base.height:
                copies.append((base.filter(~_is_in(sorted(self.void))) if self.void else base).lazy())
            if name in self.recent:
                copies.append(self.recent[name].lazy())
            if not copies:
                copies.append(base.lazy())
            plans[name] = partial.merge_table(name, copies).sort("event_id", maintain_order=True)
        self.base = partial.collect(plans)
        self.spans = {name: _spans(t) for name, t in self.base.items()}
        self.recent, self.void, self.appended = {}, set(), 0


def _spans(table: pl.DataFrame) -> dict[str, tuple[int, int]]:
    """{event: (first row, rows)} of a table sorted by event."""
    if not table.height:
        return {}
    runs = table.get_column("event_id").rle()
    ids = runs.struct.field("value").to_list()
    lengths = runs.struct.field("len").to_list()
    out, start = {}, 0
    for e, n in zip(ids, lengths, strict=True):
        out[e] = (start, n)
        start += n
    return out
