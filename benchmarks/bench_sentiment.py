"""Sentiment on real labelled Chinese text: the workbench lexicon model vs baselines.

Data (read-only, ../shared/data/weibo-sentiment; see its PROVENANCE.md):
- weibo_senti_100k dev (11,999 posts, binary), emoticon tags stripped (the labels follow
  them); split into the half used to choose ``bias`` (even rows) and the other half
  (odd rows), reported separately so the choice is not graded on its own data.
- CLUEmotion2020 valid, positive (happiness, like) vs negative (sadness, anger, disgust,
  fear), surprise left out (3,866 posts).

Methods, all in this run: the majority class; the workbench model
(``findings.sentiment.LexiconSentiment``: pysenti's bundled lexicon + rules/lexicons,
vectorised); the same with only the YAML words (no pysenti); pysenti's own rule classifier
(jieba + the same bundled lexicon, one text at a time) when installed. Printed: accuracy,
macro-F1, posts/s, and the workbench's ratios to the majority class and to pysenti.

    python benchmarks/bench_sentiment.py [--quick]
"""

from __future__ import annotations

import argparse
import sys
import time

import polars as pl

from workbench.findings import sentiment_eval as se
from workbench.findings.sentiment import LexiconSentiment, bundled_lexicon_path


def _pysenti_predict():
    if bundled_lexicon_path() is None:
        return None
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    from pysenti import rule_classifier

    rule_classifier.classify("预热")  # load its dictionaries outside the timing

    def predict(texts):
        return [1 if rule_classifier.classify(t)["score"] >= 0 else 0 for t in texts]

    return predict


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 4th row only")
    args = parser.parse_args(argv)

    folder = se.default_dir()
    if not (folder / "weibo_senti_100k" / "dev.csv").is_file():
        print(f"bench_sentiment: {folder} is absent; nothing measured")
        return 0
    ws = se.load_weibo_senti(folder).with_row_index("row")
    clue = se.load_clue(folder)
    if args.quick:
        ws, clue = ws.gather_every(4), clue.gather_every(4)
    corpora = {
        "weibo_senti dev, bias-choice half": ws.filter(pl.col("row") % 2 == 0),
        "weibo_senti dev, other half": ws.filter(pl.col("row") % 2 == 1),
        "CLUEmotion valid pos/neg": clue,
    }

    t = time.perf_counter()
    model = LexiconSentiment().fit()
    load_s = time.perf_counter() - t
    yaml_only = LexiconSentiment(use_bundled=False).fit()
    methods = {"workbench lexicon": model.predict, "YAML words only": yaml_only.predict}
    pysenti = _pysenti_predict()
    if pysenti is not None:
        methods["pysenti rules (jieba)"] = pysenti
    print(f"workbench model: {model.lexicon_.height:,} lexicon words from {model.source_}; "
          f"loaded in {load_s:.1f} s; bias={model.bias}, scale={model.scale}")

    for name, frame in corpora.items():
        texts, y = frame["text"].to_list(), frame["label"].to_numpy()
        base = se.majority(y)
        print(f"\n## {name}: {len(texts):,} posts, {int(y.sum()):,} positive")
        print(f"{'method':<24} {'accuracy':>9} {'macro-F1':>9} {'posts/s':>9}")
        print(f"{'majority class':<24} {base['accuracy']:>9.3f} {base['macro_f1']:>9.3f} "
              f"{'-':>9}")
        results = {}
        for label, predict in methods.items():
            pred, rate = se.timed_predict(predict, texts)
            results[label] = (se.scores(y, pred), rate)
            got = results[label][0]
            print(f"{label:<24} {got['accuracy']:>9.3f} {got['macro_f1']:>9.3f} {rate:>9,.0f}")
        ours, our_rate = results["workbench lexicon"]
        line = (f"ratio workbench / majority: accuracy {ours['accuracy'] / base['accuracy']:.2f}, "
                f"macro-F1 {ours['macro_f1'] / base['macro_f1']:.2f}")
        if "pysenti rules (jieba)" in results:
            ps, ps_rate = results["pysenti rules (jieba)"]
            line += (f"; workbench / pysenti: accuracy {ours['accuracy'] / ps['accuracy']:.2f}, "
                     f"speed {our_rate / ps_rate:.1f}x")
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
