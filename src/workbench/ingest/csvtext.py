"""CSV text to rows, one bad row at a time (shared by the mapped and CrisisLex readers).

``CsvRows(name, text, rejects, damaged)`` reads the header (``header`` is None when there is
none: the file is then one quarantined row) and iterates ``(row, fields, line)`` over the
well-formed data rows. Fields may be of any size; a row with the wrong number of fields
(``bad_csv_row``), a parser error (``bad_csv``, the parser resumes at the next line) or, in a
damaged file, undecodable bytes / NUL (``bad_encoding``) costs only that row. Blank lines are
not rows. ``count`` (after iterating) is the number of rows read.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from workbench.ingest.encoding import is_damaged
from workbench.ingest.result import Rejects


@contextmanager
def any_field_size():
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def csv_line(fields: list[str]) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(fields)
    return out.getvalue().rstrip("\r\n")


class CsvRows:
    def __init__(self, name: str, text: str, rejects: Rejects, damaged: bool) -> None:
        self.name, self.rejects, self.damaged = name, rejects, damaged
        self.reader = csv.reader(io.StringIO(text, newline=""))
        self.count = 1
        self.header: list[str] | None = None
        with any_field_size():
            try:
                header = next(self.reader, None)
            except csv.Error as exc:
                rejects.add(name, -1, "bad_csv", f"{name}: unreadable CSV header: {exc}", text[:200])
                return
        if not header or not any(h.strip() for h in header):
            rejects.add(name, -1, "empty_file", f"{name}: no CSV header", text)
            return
        self.header = [h.strip().removeprefix("\ufeff") for h in header]

    def __iter__(self) -> Iterator[tuple[int, list[str], str]]:
        if self.header is None:
            return
        name, rejects, width = self.name, self.rejects, len(self.header)
        n = -1
        with any_field_size():
            while True:
                try:
                    fields = next(self.reader)
                except StopIteration:
                    break
                except csv.Error as exc:  # the parser resumes at the next line
                    n += 1
                    rejects.add(name, n, "bad_csv", f"{name}:{n}: CSV error near line {self.reader.line_num}: {exc}", None)
                    continue
                if not fields:
                    continue
                n += 1
                line = csv_line(fields)
                if len(fields) != width:
                    rejects.add(name, n, "bad_csv_row", f"{name}:{n}: {len(fields)} fields, header has {width}", line)
                elif self.damaged and is_damaged(line):
                    rejects.add(name, n, "bad_encoding", f"{name}:{n}: undecodable bytes or NUL in this row", line)
                else:
                    yield n, fields, line
        self.count = n + 1
