"""JSON text to Python values without losing a record to its neighbours.

- orjson first (fast); integers beyond 64 bits, which orjson turns into floats, are parsed
  by the standard library instead, so ids of any length keep every digit;
- ``loads_items(text)``: a JSON document as a list of items (an array's items, or the one
  value). A document that does not parse but opens an array (truncated, one broken item) is
  salvaged item by item: the good items before the fault are kept and the rest becomes one
  :class:`Broken` item (the caller quarantines it), so only the broken part is lost;
- deep nesting (``RecursionError``) is a parse error like any other;
- a value the standard library parsed that holds a lone surrogate (``"\\ud800"`` escapes,
  bytes that were not text) is an error too (:func:`loads`) or a :class:`Broken` item
  (:func:`loads_items`): such text cannot be stored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import orjson

from workbench.ingest.encoding import DAMAGE

# a JSON number of 20+ digits (beyond int64/uint64): orjson would read it as a float
BIG_INT = re.compile(r"(?<![\w.\"])-?[0-9]{20,}(?![\w.])")
_DECODER = json.JSONDecoder(strict=False)
_WS = re.compile(r"[ \t\r\n]*")
SURROGATE = re.compile("[\ud800-\udfff]")
INVALID_UNICODE = "invalid Unicode (a lone surrogate escape or bytes that are not text)"
DAMAGED = "undecodable bytes or NUL in this item"


class JSONError(ValueError):
    """Text that is not JSON."""


@dataclass
class Broken:
    """The unparseable rest of a salvaged array: where it starts and why it failed."""

    position: int
    error: str
    text: str

    @property
    def reason(self) -> str:
        """The quarantine reason: bad_encoding for text that is not text, else bad_json."""
        damaged = self.error in (INVALID_UNICODE, DAMAGED) or DAMAGE.search(self.text) is not None
        return "bad_encoding" if damaged else "bad_json"


def loads(text: str | bytes, big_ints: bool | None = None):
    """One JSON value; :class:`JSONError` when it is not JSON."""
    if big_ints is None:
        big_ints = BIG_INT.search(text if isinstance(text, str) else text.decode("utf-8", "replace")) is not None
    if not big_ints:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass  # the standard library decides (it also takes raw control characters)
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        value = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        raise JSONError(str(exc)[:300]) from exc
    if _unstorable(value):
        raise JSONError(INVALID_UNICODE)
    return value


def _unstorable(value) -> bool:
    if isinstance(value, str):
        return SURROGATE.search(value) is not None
    if isinstance(value, dict | list):
        try:
            text = json.dumps(value, ensure_ascii=False, default=str)
        except (ValueError, RecursionError):
            return True
        return SURROGATE.search(text) is not None
    return False


def loads_items(text: str, damaged: bool = False) -> tuple[list, bool]:
    """(items, was_array). Items may end with one :class:`Broken`; raises :class:`JSONError`
    when the text is neither JSON nor the start of an array. In a ``damaged`` text (see
    :func:`workbench.ingest.encoding.decode_lenient`) an array is read item by item and each
    item whose text holds damage is a :class:`Broken` (:data:`DAMAGED`) on its own."""
    is_array = text.lstrip().startswith("[")
    if damaged and is_array:
        return _salvage(text, damaged=True), True
    if damaged and DAMAGE.search(text):
        raise JSONError(DAMAGED)
    try:
        value = loads(text)
    except JSONError:
        if not is_array:
            raise
        return _salvage(text), True
    return (value, True) if isinstance(value, list) else ([value], False)


def _item(value, pos: int):
    return Broken(pos, INVALID_UNICODE, json.dumps(value, default=str)) if _unstorable(value) else value


def _salvage(text: str, damaged: bool = False) -> list:
    items: list = []
    pos = _WS.match(text, 0).end() + 1  # past the '['
    while True:
        pos = _WS.match(text, pos).end()
        if text.startswith("]", pos) and not items:
            return items
        if pos >= len(text):  # the array was cut after an item: nothing more to read
            return items
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except (ValueError, RecursionError) as exc:
            items.append(Broken(pos, str(exc)[:300], text[pos:]))
            return items
        if damaged and DAMAGE.search(text, pos, end):
            items.append(Broken(pos, DAMAGED, text[pos:end]))
        else:
            items.append(_item(value, pos))
        pos = _WS.match(text, end).end()
        if text.startswith(",", pos):
            pos += 1
        elif text.startswith("]", pos) and not text[pos + 1:].strip():
            return items
        elif pos < len(text):
            items.append(Broken(pos, "expected ',' or ']' between array items", text[pos:]))
            return items
