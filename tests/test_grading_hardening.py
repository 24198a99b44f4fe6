"""Rules hardening: an engine crash or hang in `rules check` is a failed check naming the
rule; a `when` nested 400 deep is a clear error naming file and rule; grading refuses a rule
set that fails its check unless --allow-failing (recorded); batched grading equals one pass
and `rules grade` writes every format batch by batch; random rule files through `check`."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import engine_faults
import polars as pl
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from workbench.cli import main
from workbench.grading import RulesError, isolated, load_ruleset
from workbench.grading import check as check_mod
from workbench.grading.check import FAILING_MARK, RulesCheckError, check
from workbench.grading.grade import grade, grade_batches
from workbench.grading.loader import FIELD_KINDS, MAX_WHEN_DEPTH, OPS
from workbench.grading.reference import holds
from workbench.schema import FINDINGS_SCHEMA, GRADING_SCHEMA, NATURES, conform

ROOT = Path(__file__).parents[1]
RULES = ROOT / "rules"
FIXTURE = ROOT / "tests" / "fixtures" / "grading" / "findings_small.json"


@pytest.fixture
def findings_file(tmp_path: Path) -> Path:
    rows = json.loads(FIXTURE.read_text("utf-8"))
    frame = pl.DataFrame(rows, infer_schema_length=None).with_columns(
        pl.col("first_seen").str.to_datetime(time_zone="UTC"))
    path = tmp_path / "findings.parquet"
    conform(frame, FINDINGS_SCHEMA).write_parquet(path)
    return path


# ---- the engine in a child process ----------------------------------------------------
@pytest.mark.parametrize(("runner", "once", "timeout", "words"), [
    (engine_faults.segfault, False, None, "SIGSEGV"),
    (engine_faults.segfault, True, None, "SIGSEGV"),
    (engine_faults.hang, False, 2.0, "no answer within 2 s"),
])
def test_engine_fault_is_a_failed_check_naming_the_rule(monkeypatch, tmp_path, runner, once,
                                                        timeout, words):
    """A fault that comes back on a retry fails the check, naming the rule; one that does not
    is a note; every other fixture is still checked."""
    rs = load_ruleset(RULES)
    victim = rs.rules[len(rs.rules) // 2]
    monkeypatch.setenv(engine_faults.FAULT_VAR, engine_faults.fault_env(victim.id, victim.fixtures_fire[0]))
    if once:
        monkeypatch.setenv(engine_faults.MARKER_VAR, str(tmp_path / "fault-happened"))
    if timeout:
        monkeypatch.setattr(isolated, "TASK_TIMEOUT_S", timeout)
    monkeypatch.setattr(check_mod, "run_engine_tasks",
                        functools.partial(isolated.run_engine_tasks, runner=runner))
    report = check(rs)
    assert report.fixtures_run >= len(rs.rules)
    (p,) = report.notes if once else report.problems
    assert report.ok == once, report.summary()
    assert p.rule_id == victim.id and p.file == victim.file and words in p.message, p
    assert "fires[0]" in p.message
    if once:
        assert (tmp_path / "fault-happened").exists() and "passed when run again" in p.message


def test_check_runs_the_engine_out_of_process(rules_copy):
    """A failing fixture is found by both evaluators, the engine's verdict coming back from
    the child."""
    f = rules_copy / "grading" / "volume.yaml"
    f.write_text(f.read_text("utf-8").replace("{field: n_posts, op: gte, value: 300}",
                                            "{field: n_posts, op: gte, value: 301}"), "utf-8")
    msgs = [str(p) for p in check(rules_copy).problems]
    assert any("fails in the engine" in m for m in msgs) and any("reference" in m for m in msgs)


# ---- nesting ----------------------------------------------------------------------------
def _deep_rule_file(depth: int, *, id_last: bool = False) -> str:
    when = "{all: [" * depth + "{field: n_posts, op: gte, value: 10}" + "]}" * depth
    rid = "    id: deep-rule\n"
    return ("rules:\n  - level: IV\n" + ("" if id_last else rid) + "    status: stable\n"
            "    because: deep\n    when: " + when + "\n    fixtures:\n"
            "      fires: [{n_posts: 20}]\n      does_not_fire: [{n_posts: 1}]\n"
            + (rid if id_last else ""))


@pytest.mark.parametrize("id_last", [False, True])
def test_when_nested_400_deep_names_file_line_and_rule(rules_copy, id_last, capsys):
    (rules_copy / "grading" / "deep.yaml").write_text(_deep_rule_file(400, id_last=id_last), "utf-8")
    with pytest.raises(RulesError) as err:
        load_ruleset(rules_copy)
    (p,) = err.value.problems
    assert (p.file, p.line, p.rule_id) == ("grading/deep.yaml", 6 if not id_last else 5, "deep-rule")
    assert f"at most {MAX_WHEN_DEPTH} levels" in p.message
    assert main(["rules", "check", str(rules_copy)]) == 1
    assert "grading/deep.yaml:" in capsys.readouterr().out


def test_when_at_the_depth_limit_still_grades(rules_copy):
    (rules_copy / "grading" / "deep.yaml").write_text(_deep_rule_file(MAX_WHEN_DEPTH - 1), "utf-8")
    assert check(rules_copy).ok


# ---- the gate ---------------------------------------------------------------------------
def _failing(rules_copy: Path) -> Path:
    f = rules_copy / "grading" / "volume.yaml"
    f.write_text(f.read_text("utf-8").replace("{field: n_posts, op: gte, value: 300}",
                                            "{field: n_posts, op: gte, value: 301}"), "utf-8")
    return rules_copy


def test_grade_refuses_a_rule_set_that_fails_its_check(rules_copy, findings_file, tmp_path, capsys):
    rs = load_ruleset(_failing(rules_copy))
    frame = pl.read_parquet(findings_file)
    with pytest.raises(RulesCheckError, match=r"volume-iv-noticeable.*fires\[0\]"):
        grade(frame, rs)
    g = grade(frame, rs, allow_failing=True)
    assert set(g["rules_version"]) == {rs.version + FAILING_MARK}
    out = tmp_path / "g.parquet"
    assert main(["rules", "grade", str(findings_file), "--rules", str(rules_copy),
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "fails `workbench rules check`" in err and "[volume-iv-noticeable]" in err
    assert not out.exists()
    assert main(["rules", "grade", str(findings_file), "--rules", str(rules_copy),
                 "--out", str(out), "--allow-failing"]) == 0
    assert "--allow-failing" in capsys.readouterr().err
    assert set(pl.read_parquet(out)["rules_version"]) == {rs.version + FAILING_MARK}


def test_passing_rule_set_is_recorded_as_is(findings_file):
    rs = load_ruleset(RULES)
    assert set(grade(pl.read_parquet(findings_file), rs)["rules_version"]) == {rs.version}


# ---- batches ----------------------------------------------------------------------------
def test_batches_equal_one_pass_and_every_format(findings_file, tmp_path):
    frame = pl.read_parquet(findings_file)
    frame = pl.concat([frame.with_columns(pl.col("event_id") + f"-{i}") for i in range(5)])
    whole = grade(frame, RULES)
    parts = list(grade_batches(frame, RULES, batch_rows=4, now=None))
    assert [p.height for p in parts] == [4] * (frame.height // 4) + ([frame.height % 4] if frame.height % 4 else [])
    assert pl.concat(parts).drop("measures").equals(whole.drop("measures"))
    src = tmp_path / "many.parquet"
    frame.write_parquet(src)
    for suffix in (".parquet", ".csv", ".json"):
        out = tmp_path / f"g{suffix}"
        assert main(["rules", "grade", str(src), "--out", str(out)]) == 0
        if suffix == ".parquet":
            got = pl.read_parquet(out)
            assert got.schema == GRADING_SCHEMA
            assert got.drop("measures").equals(whole.drop("measures"))
        elif suffix == ".csv":
            assert pl.read_csv(out)["event_id"].to_list() == whole["event_id"].to_list()
        else:
            rows = json.loads(out.read_text("utf-8"))
            assert [r["event_id"] for r in rows] == whole["event_id"].to_list()
    assert not list(tmp_path.glob(".g.parquet.*"))  # part files cleaned up


def test_empty_findings_write_an_empty_file(tmp_path):
    src = tmp_path / "empty.parquet"
    pl.DataFrame(schema=FINDINGS_SCHEMA).write_parquet(src)
    out = tmp_path / "g.parquet"
    assert main(["rules", "grade", str(src), "--out", str(out)]) == 0
    assert pl.read_parquet(out).schema == GRADING_SCHEMA


# ---- fuzz: random rule files through `check` ------------------------------------------
# a few fields, shared by the conditions and the fixtures, so that fixtures often decide them
NUMERIC = ["n_posts", "reach", "negative_share", "mentions_casualties"]
assert all(FIELD_KINDS[f] in ("int", "float") for f in NUMERIC)


def _value(field: str):
    kind = FIELD_KINDS[field]
    if kind == "int":
        return st.integers(min_value=-3, max_value=40)
    if kind == "float":
        return st.integers(min_value=0, max_value=40).map(lambda v: v / 4)
    if kind == "bool":
        return st.booleans()
    if kind == "list":
        return st.sampled_from(["火灾", "爆炸"])
    return st.sampled_from([*NATURES, "x"])


valid_leaf = st.one_of(
    st.sampled_from(NUMERIC).flatmap(lambda f: st.builds(
        lambda op, v: {"field": f, "op": op, "value": v},
        st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte"]), _value(f))),
    st.builds(lambda op, v: {"field": "nature", "op": op, "value": [v] if op.endswith("in") else v},
              st.sampled_from(["eq", "neq", "in", "not_in"]), st.sampled_from(NATURES)),
    st.builds(lambda v: {"field": "debunked", "op": "eq", "value": v}, st.booleans()),
)
valid_when = st.recursive(valid_leaf, lambda kids: st.builds(
    lambda k, xs: {k: xs}, st.sampled_from(["all", "any"]), st.lists(kids, min_size=1, max_size=3)),
    max_leaves=5)
fixture = st.fixed_dictionaries({}, optional={f: _value(f) for f in [*NUMERIC, "debunked", "nature"]})
def _satisfying(when: dict) -> dict:
    """A fixture meant to make ``when`` hold (best effort: an ``all`` may contradict itself)."""
    if "all" in when:
        out: dict = {}
        for c in when["all"]:
            out.update(_satisfying(c))
        return out
    if "any" in when:
        return _satisfying(when["any"][0])
    f, op, v = when["field"], when["op"], when["value"]
    if op in ("in", "not_in"):
        return {f: v[0] if op == "in" else next(n for n in NATURES if n != v[0])}
    if op == "neq":
        return {f: (not v) if isinstance(v, bool) else next(n for n in NATURES if n != v)
                if isinstance(v, str) else v + 1}
    if isinstance(v, bool | str) or op not in ("gt", "lt"):
        return {f: v}
    return {f: v + 1 if op == "gt" else v - 1}


def _rule(i: int, level: str, when: dict, fixtures: list[dict], consistent: bool) -> dict:
    """A schema-valid rule; ``consistent``: its fixtures sorted by what the reference says
    (so it passes, when both lists get one), else split at random (it may fail)."""
    fires, nots = fixtures[: len(fixtures) // 2], fixtures[len(fixtures) // 2:]
    if consistent:
        candidates = [_satisfying(when), {}, *fixtures]
        yes = [f for f in candidates if holds(when, f)]
        no = [f for f in candidates if not holds(when, f)]
        if yes and no:
            fires, nots = yes, no
    return {"id": f"fuzz-{i}", "level": level, "status": "experimental", "because": "fuzz",
            "when": when, "fixtures": {"fires": fires, "does_not_fire": nots}}


valid_rule = st.builds(_rule, st.integers(0, 9), st.sampled_from(["I", "II", "III", "IV"]),
                       valid_when, st.lists(fixture, min_size=2, max_size=6), st.booleans())
junk = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6)
                    | st.sampled_from(["all", "any", "field", "op", "value", *OPS, *FIELD_KINDS]),
                    lambda kids: st.lists(kids, max_size=3)
                    | st.dictionaries(st.sampled_from(["id", "when", "all", "any", "field", "op",
                                                       "value", "level", "fixtures"]), kids, max_size=4),
                    max_leaves=8)


def _mutate(rule: dict, how: int, value) -> dict:
    rule = json.loads(json.dumps(rule))
    keys = ["id", "level", "when", "fixtures", "status", "because"]
    if how == 0:
        rule.pop(keys[hash(str(value)) % len(keys)], None)
    elif how == 1:
        rule[keys[len(str(value)) % len(keys)]] = value
    elif how == 2:
        rule["when"] = {"all": [rule["when"], value]}
    else:
        rule["fixtures"]["fires"] = [value]
    return rule


broken_file = st.one_of(
    st.lists(valid_rule, min_size=2, max_size=2).map(  # the same id twice
        lambda rs: ("duplicate", {"rules": [rs[0], dict(rs[1], id=rs[0]["id"])]})),
    st.builds(lambda r, how, v: ("mutated", {"rules": [_mutate(r, how, v)]}),
              valid_rule, st.integers(0, 3), junk),
    junk.map(lambda j: ("junk", j)),
    st.sampled_from(["rules: [", "rules:\n  - id: x\n\tlevel: I", "\x00\xff", "[]", "rules: 5",
                     "- - - -", "{all: " * 300, ""]).map(lambda t: ("text", t)),
)
def _fuzz(n: int):
    """Few examples, fixed: each valid rule set costs an engine child process (~1-2 s);
    ``nox -s fuzz`` can raise them with HYPOTHESIS_PROFILE."""
    return settings(max_examples=n, derandomize=True, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def _check_file(tmp_path_factory, kind: str, content) -> object:
    rules = tmp_path_factory.mktemp("fuzz") / "rules"
    shutil.copytree(RULES, rules, ignore=shutil.ignore_patterns("lexicons", "grading"))
    (rules / "grading").mkdir()
    text = content if kind == "text" else yaml.safe_dump(content, allow_unicode=True)
    (rules / "grading" / "fuzz.yaml").write_text(text, "utf-8")
    report = check(rules)  # never raises, whatever the file holds
    event(f"{kind}: {'loaded' if report.ruleset else 'refused'}, {'ok' if report.ok else 'problems'}")
    for p in report.problems:
        assert p.file and p.message
    if report.ruleset is not None:
        # a rule has problems exactly when one of its fixtures fails in the reference: the
        # engine, in its child process, agreed with the reference on every fixture
        rules_in = content["rules"]
        failing = {r["id"] for r in rules_in
                   if not all(holds(r["when"], f) for f in r["fixtures"]["fires"])
                   or any(holds(r["when"], f) for f in r["fixtures"]["does_not_fire"])}
        assert {p.rule_id for p in report.problems} == failing, report.summary()
    return report


@_fuzz(8)
@given(st.lists(valid_rule, min_size=1, max_size=3, unique_by=lambda r: r["id"]))
def test_fuzz_valid_rule_files_through_check(tmp_path_factory, rules):
    report = _check_file(tmp_path_factory, "valid", {"rules": rules})
    assert report.ruleset is not None, report.summary()


@_fuzz(14)
@given(broken_file)
def test_fuzz_broken_rule_files_through_check(tmp_path_factory, case):
    kind, content = case
    report = _check_file(tmp_path_factory, kind, content)
    if kind in ("duplicate", "junk", "text"):
        assert report.ruleset is None and not report.ok
    if kind == "duplicate":
        assert any("duplicate rule id" in p.message and p.rule_id for p in report.problems)
