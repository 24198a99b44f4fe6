"""Text cleaning for clustering and keywords: strips Weibo/Twitter noise, keeps the words.

Removed: URLs, ``//@name:`` repost-chain markers (the quoted words stay: they are what the
cascade is about), ``@name`` mentions, ``回复@name:`` reply prefixes, ``转发微博`` /
``Repost`` / ``RT @name:`` boilerplate, ``[emoji]`` codes, and repeated whitespace.
A bare repost (empty text or only a chain of names) cleans to ``""``.
"""

from __future__ import annotations

import re

import polars as pl

_PATTERNS: list[tuple[str, str]] = [
    (r"https?://\S+|www\.\S+|t\.cn/\S+", " "),
    (r"回复\s*@[^\s:：]+\s*[:：]?", " "),
    (r"//\s*@[^\s:：]+\s*[:：]?", " "),
    (r"\bRT\s+@\w+\s*:?", " "),
    (r"@[^\s:：,，。!！?？@/]+\s*[:：]?", " "),
    (r"转发微博|轉發微博|\bRepost\b", " "),
    (r"\[[^\[\]\s]{1,8}\]", " "),
    (r"[\s\u3000]+", " "),
]
_COMPILED = [(re.compile(p, flags=re.IGNORECASE), r) for p, r in _PATTERNS]


def clean_text(text: str | None) -> str:
    """Clean one text (see module doc)."""
    if not text:
        return ""
    for pattern, repl in _COMPILED:
        text = pattern.sub(repl, text)
    text = text.strip(" /:：")
    return text.strip()


def clean_expr(column: str = "text") -> pl.Expr:
    """The same cleaning as a Polars expression (vectorised, no Python per row)."""
    expr = pl.col(column).fill_null("")
    for pattern, repl in _PATTERNS:
        expr = expr.str.replace_all(f"(?i){pattern}", repl.replace("\\", "\\\\"))
    return expr.str.strip_chars(" /:：").str.strip_chars()
