"""Decode text files: UTF-8, UTF-8 with BOM, UTF-16 with BOM, GB18030 (a superset of GBK/GB2312).

``decode_lenient(raw, path)`` never fails on content: it returns ``(text, encoding, damaged)``
where bytes no candidate encoding could decode are kept as lone surrogates (Python's
``surrogateescape``) and NUL bytes stay NUL characters; ``damaged`` says whether any are
present. The readers then quarantine only the lines / records that hold such characters
(:func:`is_damaged`, reason ``bad_encoding``) and keep the rest of the file.

``decode(raw, path)`` is the strict form: ``(text, encoding)`` or :class:`DecodeError` naming
the file. Auto-detection tries UTF-8 (a BOM is stripped) and then GB18030; UTF-8 is tried first
because valid multi-byte UTF-8 is almost never valid-looking GB18030 text by accident, while
the reverse is common. A file that is not clean UTF-8 is read as GB18030 when more of its
non-ASCII lines decode only as GB18030 than decode as UTF-8; else as UTF-8, its broken lines
damaged.
"""

from __future__ import annotations

import codecs
import re

AUTO = ("utf-8", "gb18030")
# what decode_lenient leaves where the bytes were not text
DAMAGE = re.compile("[\x00\udc80-\udcff]")


class DecodeError(ValueError):
    """A file could not be decoded with any accepted encoding."""


def is_damaged(text: str) -> bool:
    """True when ``text`` holds an undecodable byte or a NUL (see :func:`decode_lenient`)."""
    return DAMAGE.search(text) is not None


def printable(text: str) -> str:
    """``text`` made safe to store: undecodable bytes as U+FFFD (NULs are kept)."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def decode_lenient(raw: bytes, path: str, encoding: str | None = None) -> tuple[str, str, bool]:
    """``(text, encoding, damaged)``; raises :class:`DecodeError` only for a BOM that
    contradicts the mapping's ``encoding``."""
    if raw.startswith(codecs.BOM_UTF8):
        if encoding not in (None, "utf-8", "utf-8-sig", "utf8"):
            raise DecodeError(f"{path}: has a UTF-8 byte-order mark but the mapping says {encoding!r}")
        text = raw[len(codecs.BOM_UTF8):].decode("utf-8", "surrogateescape")
        return text, "utf-8-sig", is_damaged(text)
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # (surrogateescape cannot decode UTF-16: a U+FFFD replacement marks the damage)
        text = raw.decode("utf-16", "replace").replace("\ufffd", "\udcbf")
        return text, "utf-16", is_damaged(text)
    if encoding:
        return _lenient(raw, encoding, path)
    try:
        return raw.decode("utf-8"), "utf-8", b"\x00" in raw
    except UnicodeDecodeError:
        pass
    # UTF-8 with some broken lines, or GB18030? Count the non-ASCII lines each decodes (only
    # for files that are not clean UTF-8): GB18030 only when more lines need it than UTF-8 reads.
    lines = [line for line in raw.split(b"\n") if not line.isascii()]
    utf8 = sum(1 for line in lines if _decodes(line, "utf-8"))
    gb_only = sum(1 for line in lines if not _decodes(line, "utf-8") and _decodes(line, "gb18030"))
    return _lenient(raw, "gb18030" if gb_only > utf8 else "utf-8", path)


def _decodes(raw: bytes, name: str) -> bool:
    try:
        raw.decode(name)
    except UnicodeDecodeError:
        return False
    return True


def _lenient(raw: bytes, name: str, path: str) -> tuple[str, str, bool]:
    try:
        text = raw.decode(name, "surrogateescape")
    except LookupError as exc:
        raise DecodeError(f"{path}: unknown encoding {name!r}") from exc
    return text, name, is_damaged(text)


def decode(raw: bytes, path: str, encoding: str | None = None) -> tuple[str, str]:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise DecodeError(f"{path}: UTF-16 text is not accepted here (re-save as UTF-8 or GB18030)")
    text, name, damaged = decode_lenient(raw, path, encoding)
    if damaged:
        what = "contains NUL characters (binary or UTF-16 data?)" if "\x00" in text else "undecodable bytes"
        tried = encoding or " or ".join(AUTO)
        raise DecodeError(f"{path}: not decodable as {tried} ({what})")
    return text, name
