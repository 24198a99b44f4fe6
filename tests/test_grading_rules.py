"""rules/ loads, validates and passes its own fixtures; broken rule files are reported with
file, line and rule id; `workbench rules check` runs here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from workbench.cli import main
from workbench.grading import RulesError, load_ruleset
from workbench.grading.check import check

RULES = Path(__file__).parents[1] / "rules"


def test_repository_rules_pass_check():
    report = check(RULES)
    assert report.ok, report.summary()
    assert report.fixtures_run >= 2 * len(report.ruleset.rules)
    levels = {r.level for r in report.ruleset.rules}
    assert levels == {"I", "II", "III", "IV"}


def test_cli_rules_check_exit_codes(rules_copy: Path, capsys):
    assert main(["rules", "check", str(RULES)]) == 0
    assert "OK" in capsys.readouterr().out
    f = rules_copy / "grading" / "volume.yaml"
    f.write_text(f.read_text("utf-8").replace("{field: n_posts, op: gte, value: 300}",
                                            "{field: n_posts, op: gte, value: 301}"), "utf-8")
    assert main(["rules", "check", str(rules_copy)]) == 1
    out = capsys.readouterr().out
    assert "grading/volume.yaml:" in out and "[volume-iv-noticeable]" in out
    assert "fires[0]" in out


def test_every_rule_has_a_because_status_and_fixtures():
    rs = load_ruleset(RULES)
    for r in rs.rules:
        assert r.because and r.status in {"stable", "experimental", "deprecated"}
        assert r.fixtures_fire and r.fixtures_not


def _problems(path: Path) -> list:
    with pytest.raises(RulesError) as exc:
        load_ruleset(path)
    return exc.value.problems


def test_duplicate_id_is_reported_with_file_and_line(rules_copy: Path):
    f = rules_copy / "grading" / "volume.yaml"
    text = f.read_text("utf-8").replace("id: volume-iv-noticeable", "id: spread-iv-growing")
    f.write_text(text, "utf-8")
    [p] = _problems(rules_copy)
    assert p.file == "grading/volume.yaml" and p.rule_id == "spread-iv-growing"
    assert "duplicate" in p.message and "grading/spread.yaml" in p.message
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "id: spread-iv-growing" in t)
    assert p.line == line


def test_unknown_field_and_wrong_type_name_the_rule(rules_copy: Path):
    f = rules_copy / "grading" / "rumour.yaml"
    text = f.read_text("utf-8")
    text = text.replace("{field: rumour_signals, op: gte, value: 8}",
                        "{field: rumour_count, op: gte, value: 8}")
    text = text.replace("{field: rumour_share, op: gte, value: 0.05}",
                        "{field: rumour_share, op: gte, value: \"0.05\"}")
    f.write_text(text, "utf-8")
    problems = _problems(rules_copy)
    by_rule = {p.rule_id: p for p in problems}
    assert "unknown findings field 'rumour_count'" in by_rule["rumour-iv-signals"].message
    assert "not of rumour_share's type" in by_rule["rumour-iii-spreading"].message
    for p in problems:
        assert p.file == "grading/rumour.yaml" and p.line and p.line > 1
        assert f"{p.file}:{p.line}: [{p.rule_id}]" in str(p)


def test_schema_violation_missing_fixtures(rules_copy: Path):
    f = rules_copy / "grading" / "sentiment.yaml"
    text = f.read_text("utf-8")
    start = text.index("    fixtures:", text.index("id: sentiment-iv-negative"))
    f.write_text(text[:start], "utf-8")
    problems = _problems(rules_copy)
    assert any(p.rule_id == "sentiment-iv-negative" and "fixtures" in p.message for p in problems)


def test_yaml_syntax_error_has_a_line(rules_copy: Path):
    f = rules_copy / "grading" / "volume.yaml"
    lines = f.read_text("utf-8").splitlines()
    lines[12] = lines[12] + " : : ["
    f.write_text("\n".join(lines), "utf-8")
    [p] = [p for p in _problems(rules_copy) if p.file == "grading/volume.yaml"]
    assert "invalid YAML" in p.message and p.line is not None


def test_unknown_owner_role_in_measures(rules_copy: Path):
    f = rules_copy / "measures.yaml"
    f.write_text(f.read_text("utf-8").replace("owner: spokesperson", "owner: press_officer", 1),
                 "utf-8")
    [p] = _problems(rules_copy)
    assert p.file == "measures.yaml" and "press_officer" in p.message and p.line


def test_safe_load_only(rules_copy: Path):
    f = rules_copy / "grading" / "volume.yaml"
    f.write_text("!!python/object/apply:os.system ['echo pwned']\n", "utf-8")
    problems = _problems(rules_copy)
    assert any(p.file == "grading/volume.yaml" for p in problems)


def test_hash_changes_with_content_and_version_is_recorded(rules_copy: Path):
    a = load_ruleset(RULES)
    b = load_ruleset(rules_copy)
    assert a.hash == b.hash and len(a.hash) == 12
    f = rules_copy / "grading" / "volume.yaml"
    f.write_text(f.read_text("utf-8") + "\n# a comment\n", "utf-8")
    assert load_ruleset(rules_copy).hash != a.hash
    assert a.version == "2026.12.2"


def test_measures_cite_their_source():
    rs = load_ruleset(RULES)
    m = {x["measure"]: x for x in rs.measures_for("II", "social")}
    assert m["publish_info"]["deadline_hours"] == 5
    assert "国办发〔2016〕61号" in m["publish_info"]["source"]
    assert m["press_conference"]["deadline_hours"] == 24
    assert m["start_response"]["source"].startswith("workbench default")
    nat = {x["measure"]: x for x in rs.measures_for("II", "political")}
    assert nat["legal_review"]["owner"] == "legal_counsel"
    assert "legal_review" not in m


def test_json_schemas_are_generated_from_workbench_schema():
    from workbench.grading import schemas
    from workbench.schema import FINDINGS_COLUMNS

    assert schemas.stale(RULES) == [], "run `workbench rules schema`"
    data = json.loads((RULES / "schema" / "findings.schema.json").read_text("utf-8"))
    assert list(data["properties"]) == [c.name for c in FINDINGS_COLUMNS]
    assert all(p["description"] for p in data["properties"].values())
