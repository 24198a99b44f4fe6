"""Decode text files: UTF-8, UTF-8 with BOM, GB18030 (a superset of GBK/GB2312), or reject.

``decode(raw, path)`` returns ``(text, encoding)`` or raises :class:`DecodeError` naming the
file. Auto-detection tries UTF-8 (a BOM is stripped) and then GB18030; UTF-8 is tried first
because valid multi-byte UTF-8 is almost never valid-looking GB18030 text by accident, while
the reverse is common.
"""

from __future__ import annotations

import codecs

AUTO = ("utf-8", "gb18030")


class DecodeError(ValueError):
    """A file could not be decoded with any accepted encoding."""


def decode(raw: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    if raw.startswith(codecs.BOM_UTF8):
        if encoding not in (None, "utf-8", "utf-8-sig", "utf8"):
            raise DecodeError(f"{path}: has a UTF-8 byte-order mark but the mapping says {encoding!r}")
        raw, bom = raw[len(codecs.BOM_UTF8):], True
    else:
        bom = False
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DecodeError(f"{path}: UTF-16 text is not accepted (re-save as UTF-8 or GB18030)")
    candidates = (encoding,) if encoding else AUTO
    errors = []
    for name in candidates:
        try:
            text = raw.decode(name)
        except (UnicodeDecodeError, LookupError) as exc:
            errors.append(f"{name}: {exc}")
            continue
        if "\x00" in text:
            errors.append(f"{name}: contains NUL characters (binary or UTF-16 data?)")
            continue
        return text, ("utf-8-sig" if bom and name.startswith("utf") else name)
    raise DecodeError(f"{path}: not decodable as {' or '.join(candidates)} ({'; '.join(errors)[:300]})")
