"""What a post says beyond its sentence vector: the keys that tie posts of one incident.

When many incidents run at once, time no longer separates them and two posts about two
different floods embed alike. What does separate them is what they name. Each post's raw
text (before cleaning: links and mentions are signals here) yields *keys*:

====================  ==========================================  ======
kind                  taken from                                  weight
====================  ==========================================  ======
``tag``               ``#话题#`` (Weibo), ``#tag`` (Twitter)        1.0
``url``               a shared link (``http(s)://``, ``t.cn/``)    1.0
``at``                an ``@account`` mentioned or reposted from   0.5
``ent``               a place / person / organisation / proper      1.0
                      name: jieba POS ``ns nr nt nz nrt`` (Chinese),
                      a capitalised word (Latin script)
``num``               a number of 2+ digits (dates, tolls, phone)  0.5
====================  ==========================================  ======

A unit's signature is the TF-IDF of its keys over the units being clustered (each key
counted once per unit, ``idf = log(n / df)``, times the kind's weight), L2-normalised.
Keys found in a single unit link nothing and keys in more than ``max_df`` of the units
(``RT``, the year) say nothing: both are dropped. The cosine of two signatures is added to
the cosine of their sentence vectors (``EventConfig.signal_weight``, measured in
BENCHMARKS.md ``## events``). Weights were set by hand (mentions and numbers are noisier:
friends are tagged, numbers repeat) and checked on the concurrent benchmark.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

KIND_WEIGHTS = {"tag": 1.0, "url": 1.0, "at": 0.5, "ent": 1.0, "num": 0.5}
ENTITY_FLAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg"})

_WEIBO_TAG = re.compile(r"#([^#\n]{1,40})#")
_TWITTER_TAG = re.compile(r"(?<![\w&])#(\w{2,60})", re.UNICODE)
_URL = re.compile(r"(?:https?://|www\.|t\.cn/)[^\s\u3000，。！？、,\"'<>()（）\[\]]+", re.I)
_MENTION = re.compile(r"@([\w\u4e00-\u9fff\-]{2,30})")
_NUMBER = re.compile(r"(?<![A-Za-z0-9.])\d[\d.,:]*\d(?![A-Za-z0-9])")
_CAPITAL = re.compile(r"(?<![\w@#])[A-Z][a-zA-Z]{2,}(?:\s+[A-Z][a-zA-Z]{2,})*")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _latin_stop() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS | {"rt", "via", "http", "https", "amp", "breaking",
                                           "news", "update", "please", "pray", "just"})


def keys(text: str | None) -> tuple[str, ...]:
    """The sorted, distinct keys of one raw post text (see the module doc)."""
    return _keys(text or "")


@lru_cache(maxsize=200_000)
def _keys(text: str) -> tuple[str, ...]:
    out: set[str] = set()
    for m in _URL.finditer(text):
        out.add("url:" + m.group(0).rstrip(".:;!?").lower().removeprefix("https://")
                .removeprefix("http://"))
    body = _URL.sub(" ", text)
    weibo_tags = _WEIBO_TAG.findall(body) if _CJK.search(body) else []
    for t in weibo_tags:
        if t.strip():
            out.add("tag:" + t.strip().lower())
    rest = _WEIBO_TAG.sub(" ", body) if weibo_tags else body
    for t in _TWITTER_TAG.findall(rest):
        out.add("tag:" + t.lower())
    for m in _MENTION.findall(rest):
        out.add("at:" + m.lower())
    plain = _MENTION.sub(" ", rest)
    for n in _NUMBER.findall(plain):
        digits = re.sub(r"\D", "", n)
        if len(digits) >= 2:
            out.add("num:" + n)
    stop = _latin_stop()
    for m in _CAPITAL.findall(plain):
        name = m.lower()
        if name not in stop:
            out.add("ent:" + name)
    if _CJK.search(plain):
        out.update("ent:" + w for w in _entities(plain))
    return tuple(sorted(out))


def _entities(text: str) -> list[str]:
    import jieba.posseg as pseg

    from workbench.events.topics import _quiet_jieba

    _quiet_jieba()
    return [w.word.lower() for w in pseg.lcut(text)
            if w.flag in ENTITY_FLAGS and len(w.word) >= 2 and _CJK.search(w.word)]


def signature_matrix(unit_keys: list[list[str] | tuple[str, ...]], *, max_df: float = 0.05,
                     weights: dict[str, float] | None = None):
    """Units x keys TF-IDF (scipy CSR, rows L2-normalised; all-zero rows for units with no
    kept key). ``unit_keys``: the keys of each unit (any repeats count once)."""
    from scipy.sparse import csr_matrix

    weights = weights or KIND_WEIGHTS
    n = len(unit_keys)
    sets = [set(k) for k in unit_keys]
    df: dict[str, int] = {}
    for s in sets:
        for k in s:
            df[k] = df.get(k, 0) + 1
    limit = max(2, int(max_df * n))
    vocab = {k: i for i, k in enumerate(sorted(k for k, c in df.items() if 2 <= c <= limit))}
    rows, cols, vals = [], [], []
    for r, s in enumerate(sets):
        for k in s:
            c = vocab.get(k)
            if c is not None:
                rows.append(r)
                cols.append(c)
                vals.append(weights.get(k.split(":", 1)[0], 1.0) * np.log(n / df[k]))
    m = csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)),
                   shape=(n, max(1, len(vocab))))
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    from scipy.sparse import diags

    return (diags(1.0 / norms) @ m).tocsr().astype(np.float32)
