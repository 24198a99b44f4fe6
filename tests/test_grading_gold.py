"""The graded gold set (tests/gold): real findings + real rules against analysts' levels.

The issue's bars are exact-level accuracy >= 0.85, within-one 1.0 and no level-I false
positive (the CLI's defaults); the test holds exactly those, so a rule change that loses
ground fails here. Rules 2026.12.2 over the 116 incidents: exact 0.879, within-one 1.0, no
level-I false positive (2026.12.1: 0.802 / 0.991 / 0); volume alone: 0.690 / 0.871 / 4.
2026.12.2 was tuned with these incidents in view; the held-out set (tests/gold_holdout,
written blind to the rules) is the honest figure (test_grading_holdout.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.cli import main
from workbench.grading.evaluate import evaluate
from workbench.grading.gold import GoldError, load

GOLD = Path(__file__).parent / "gold"


@pytest.fixture(scope="module")
def result():
    return evaluate(GOLD)


def test_gold_set_covers_every_level_and_nature():
    incidents = load(GOLD)
    assert len(incidents) >= 60
    cells = {(i.level, i.nature) for i in incidents}
    for level in ("I", "II", "III", "IV"):
        for nature in ("political", "economic", "social", "cultural", "natural"):
            assert (level, nature) in cells, (level, nature)


def test_rules_grade_the_gold_set_as_analysts_do(result):
    assert result.ok(min_exact=0.85, min_within_one=1.0, max_level_i_fp=0), result.report()


def test_hard_cases_are_not_over_graded(result):
    rows = {r["id"]: r for r in result.rows.iter_rows(named=True)}
    # historical numbers and a foreign toll never make level I; spoofs are not a rumour crisis
    for iid in ("gold-en-flood-history-1900-iv", "gold-en-refinery-fire-1947-iv",
                "gold-cultural-tangshan-memorial-iv", "gold-rumour-bus-plunge-spoof-iv",
                "gold-rumour-celebrity-fake-death-iv", "gold-foreign-tourist-couple-iv"):
        r = rows[iid]
        assert r["graded_level"] not in ("I", "II"), r
        assert not {"casualties-i-mass", "casualties-ii-serious", "casualties-iii-several",
                    "rumour-ii-wide", "rumour-ii-casualty-rumour"} & set(r["fired_rules"]), r


def test_matrix_rows_sum_to_the_analysts_counts(result):
    m = result.matrix("level")
    total = sum(sum(r[1:]) for r in m.iter_rows())
    assert total == result.n


def test_cli_evaluate_prints_the_matrix_and_fails_below_the_bar(capsys):
    code = main(["rules", "evaluate", str(GOLD / "rumour.yaml"), "--min-exact", "1.01"])
    out = capsys.readouterr().out
    assert code == 1 and "level (rows: analyst, columns: graded)" in out and "FAIL" in out


def test_bad_gold_file_names_file_and_incident(tmp_path):
    (tmp_path / "x.yaml").write_text(
        "incidents:\n  - id: a-b\n    expect: {level: V, nature: social}\n    reason: r\n"
        "    posts: [{text: t}]\n", "utf-8")
    with pytest.raises(GoldError, match=r"x\.yaml: a-b: expect\.level"):
        load(tmp_path)
