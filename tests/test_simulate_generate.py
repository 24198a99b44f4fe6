"""The simulator: scenario validation, determinism per seed, text variety, time shape, truth."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import orjson
import polars as pl
import pytest
import yaml

from workbench import simulate
from workbench.schema import LEVELS, NATURES
from workbench.simulate.scenario import ScenarioError, parse

ROOT = Path(__file__).parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
TINY = ROOT / "tests" / "fixtures" / "simulate" / "tiny.yaml"


def _digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_scenarios_cover_every_nature_and_level():
    scs = [simulate.load(p) for p in SCENARIOS]
    assert len(scs) >= 5
    assert {s.nature for s in scs} == set(NATURES)
    assert {s.intended_level for s in scs} == set(LEVELS)
    assert "flagship" in {s.name for s in scs}


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_every_scenario_generates(path):
    sc = simulate.load(path)
    sim = simulate.simulate(sc.scaled(0.3))
    inc = [p for p in sim.posts if p.truth_event == sc.incident_id]
    assert len(inc) >= 0.8 * sc.scaled(0.3).incident_posts
    assert {p.channel for p in sim.posts} <= set(sc.channels)
    times = [p.hours for p in sim.posts]
    assert times == sorted(times)
    assert min(p.hours for p in inc) >= 0  # nothing about the incident before its onset
    assert not re.search(r"\{[a-z_]+\}", "".join(p.text for p in sim.posts)), "unfilled slot"


def test_same_seed_same_bytes_other_seed_differs(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    simulate.run(TINY, a, seed=4)
    simulate.run(TINY, b, seed=4)
    simulate.run(TINY, c, seed=5)
    assert _digest(a) == _digest(b)
    assert _digest(a)["weibo.jsonl"] != _digest(c)["weibo.jsonl"]


def test_text_is_varied():
    sim = simulate.simulate(simulate.load(ROOT / "scenarios" / "flagship.yaml"), seed=7)
    originals = [p.text for p in sim.posts if p.kind == "original"]
    assert len(originals) > 500
    assert len(set(originals)) / len(originals) > 0.9
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    vocabulary = {w for t in originals for w in jieba.lcut(t) if w.strip()}
    assert len(vocabulary) > 700  # distinct words (jieba segmentation)
    bigrams = {t[i : i + 2] for t in originals for i in range(len(t) - 1)}
    assert len(bigrams) > 3000
    joined = "\n".join(p.text for p in sim.posts)
    assert re.search(r"#[^#\s]{2,30}#", joined)  # hashtags
    assert re.search(r"\[[\u4e00-\u9fff]{1,3}\]", joined)  # Weibo emoticons like [怒]
    assert "//@" in joined  # repost chains
    assert re.search(r"@\S+", joined)
    assert any(t.startswith("【") for t in originals)  # news / official style
    # the most common original is rare
    assert Counter(originals).most_common(1)[0][1] <= 5


def test_authors_heavy_tailed_with_officials():
    sim = simulate.simulate(simulate.load(ROOT / "scenarios" / "flagship.yaml"), seed=7)
    people = {p.author.id: p.author for p in sim.posts}
    followers = np.array([a.followers for a in people.values() if a.type == "individual"])
    assert np.median(followers) < 2_000
    assert followers.max() > 100 * np.median(followers)  # heavy tail
    types = Counter(a.type for a in people.values())
    assert types["government"] >= 2 and types["media"] >= 2
    assert any(a.verified for a in people.values() if a.type == "individual")


def test_time_shape_peaks_after_onset_and_decays():
    sc = simulate.load(ROOT / "scenarios" / "flagship.yaml")
    sim = simulate.simulate(sc)
    hours = np.array([p.hours for p in sim.posts if p.truth_event == sc.incident_id])
    counts = np.bincount(np.floor(hours).astype(int))
    peak = int(np.argmax(counts))
    assert 1 <= peak <= 12
    assert counts[peak] > 5 * max(1, counts[-12:].mean())  # decayed by the end
    assert counts[0] > 0  # the first report within the first hour


def test_rumour_then_debunk_and_official_response():
    sc = simulate.load(ROOT / "scenarios" / "flagship.yaml")
    sim = simulate.simulate(sc)
    rumours = [p.hours for p in sim.posts if p.phase == "rumour" and p.kind == "original"]
    debunks = [p for p in sim.posts if p.debunk]
    officials = [p for p in sim.posts if p.official and p.kind == "original"]
    assert min(rumours) >= sc.rumour.at_hours
    assert min(p.hours for p in debunks) == pytest.approx(sc.rumour.debunk_at_hours)
    assert all(p.author.type == "government" for p in debunks)
    assert min(p.hours for p in officials) == pytest.approx(sc.official_response_hours)
    assert any("辟谣" in p.text or "不实" in p.text for p in debunks)


def test_truth_files(tmp_path):
    truth = simulate.run(TINY, tmp_path)
    saved = orjson.loads((tmp_path / "truth.json").read_bytes())
    assert saved == orjson.loads(orjson.dumps(truth))
    assert saved["intended_level"] == "III" and saved["incident_event"] == "SIM-tiny"
    whats = [row["what"] for row in saved["timeline"]]
    assert {"onset", "first_post", "peak_hour", "rumour", "debunk", "official_response"} <= set(whats)
    tp = pl.read_parquet(tmp_path / "truth_posts.parquet")
    assert tp.height == saved["posts"] and tp["post_id"].is_unique().all()
    assert tp["created_at"].dtype == pl.Datetime("us", "UTC")
    te = pl.read_parquet(tmp_path / "truth_events.parquet")
    assert te.filter(pl.col("kind") == "incident")["n_posts"].item() == saved["incident_posts"]
    for ch in saved["files"]:
        mapping = yaml.safe_load((tmp_path / f"{ch}.mapping.yaml").read_text("utf-8"))
        assert mapping["timezone"] == "Asia/Shanghai"
        assert mapping["columns"]["event_label"] == "truth_event"


def test_repost_parents_exist_and_precede():
    sim = simulate.simulate(simulate.load(TINY))
    for i, p in enumerate(sim.posts):
        if p.parent is not None:
            parent = sim.posts[p.parent]
            assert parent.hours <= p.hours and parent.channel == p.channel and p.parent < i
            assert sim.posts[p.root].kind == "original"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"nature": "religious"}, "nature"),
        ({"intended_level": "V"}, "intended_level"),
        ({"type": "alien_invasion"}, "type"),
        ({"size": {"incident_posts": "many"}}, "size.incident_posts"),
        ({"channels": {"tv": 1}}, "channels.tv"),
        ({"time_shape": {"branching": 2}}, "time_shape.branching"),
        ({"rumour": {"claim": "x", "at_hours": 5, "debunk_at_hours": 2}}, "rumour.debunk_at_hours"),
        ({"responders": {"start_response": "soon"}}, "responders.start_response"),
        ({"colour": "red"}, "colour"),
        ({"start": "yesterday"}, "start"),
    ],
)
def test_bad_scenarios_name_file_and_key(change, key):
    raw = yaml.safe_load(TINY.read_text("utf-8"))
    raw.update(change)
    with pytest.raises(ScenarioError) as err:
        parse(raw, "bad.yaml")
    assert "bad.yaml" in str(err.value) and f"'{key}'" in str(err.value)


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(ScenarioError, match="no such scenario"):
        simulate.load(tmp_path / "nope.yaml")


def test_cli_simulate(tmp_path, capsys):
    from workbench.cli import main

    assert main(["simulate", str(TINY), "--seed", "3", "--out", str(tmp_path / "o")]) == 0
    assert "tiny (seed 3)" in capsys.readouterr().out
    assert (tmp_path / "o" / "weibo.jsonl").exists()
    assert main(["simulate", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "x")]) == 2


def test_same_bytes_across_processes(tmp_path):
    """String hashing differs between processes; the output must not depend on it."""
    import os
    import subprocess
    import sys

    outs = []
    for hashseed in ("1", "4242"):
        out = tmp_path / hashseed
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        code = f"from workbench import simulate; simulate.run({str(TINY)!r}, {str(out)!r}, seed=9)"
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        outs.append(_digest(out))
    assert outs[0] == outs[1]
