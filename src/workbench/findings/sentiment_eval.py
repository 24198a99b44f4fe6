"""Readers and scores for the labelled Chinese sentiment corpora in ``../shared/data``
(used by benchmarks/bench_sentiment.py and the shared-data test; never shipped).

* ``weibo_senti_100k/dev.csv``: tab-separated ``label`` (1 positive, 0 negative) and
  ``x_valid``, no quoting. Its labels follow the emoticon tags, so they are stripped
  (``\\[[^\\[\\]]{1,8}\\]``) to measure what the text itself carries.
* ``clue_emotion2020/valid.txt``: JSON lines; happiness and like are positive, sadness,
  anger, disgust and fear negative; surprise is left out.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import polars as pl

EMOTICON = r"\[[^\[\]]{1,8}\]"
CLUE_POSITIVE = ("happiness", "like")
CLUE_NEGATIVE = ("sadness", "anger", "disgust", "fear")


def default_dir() -> Path:
    return Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "weibo-sentiment"


def load_weibo_senti(folder: Path, *, strip_emoticons: bool = True) -> pl.DataFrame:
    """(text, label) with label 1 = positive, 0 = negative."""
    path = folder / "weibo_senti_100k" / "dev.csv"
    frame = pl.read_csv(
        path, separator="\t", quote_char=None,
        schema={"label": pl.Int64, "x_valid": pl.Utf8},
    ).rename({"x_valid": "text"})
    if strip_emoticons:
        frame = frame.with_columns(pl.col("text").str.replace_all(EMOTICON, ""))
    return frame.select(pl.col("text").fill_null(""), "label")


def load_clue(folder: Path) -> pl.DataFrame:
    """(text, label) for the positive and negative CLUEmotion rows (surprise left out)."""
    path = folder / "clue_emotion2020" / "valid.txt"
    frame = pl.read_ndjson(path, schema={"id": pl.Int64, "content": pl.Utf8, "label": pl.Utf8})
    return frame.filter(pl.col("label").is_in(CLUE_POSITIVE + CLUE_NEGATIVE)).select(
        pl.col("content").fill_null("").alias("text"),
        pl.col("label").is_in(CLUE_POSITIVE).cast(pl.Int64).alias("label"),
    )


def scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 (mean of the F1 of both classes)."""
    y_true = np.asarray(y_true)
    y_pred = np.asarray(y_pred)
    f1s = []
    for cls in (0, 1):
        tp = np.sum((y_pred == cls) & (y_true == cls))
        fp = np.sum((y_pred == cls) & (y_true != cls))
        fn = np.sum((y_pred != cls) & (y_true == cls))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return {"accuracy": float(np.mean(y_true == y_pred)), "macro_f1": float(np.mean(f1s))}


def majority(y_true: np.ndarray) -> dict[str, float]:
    """Scores of always predicting the most frequent class."""
    y_true = np.asarray(y_true)
    top = int(np.bincount(y_true).argmax())
    return scores(y_true, np.full_like(y_true, top))


def timed_predict(predict, texts: list[str]) -> tuple[np.ndarray, float]:
    """Predictions and posts/s of ``predict(texts)``."""
    start = time.perf_counter()
    pred = np.asarray(predict(texts))
    return pred, len(texts) / max(time.perf_counter() - start, 1e-9)
