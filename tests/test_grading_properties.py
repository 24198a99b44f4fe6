"""Property tests (hypothesis): durable-rules and the reference evaluator agree on random
findings, on the repository's rules and on randomly generated conditions."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.grading import load_ruleset
from workbench.grading.compile import fact_from_row
from workbench.grading.engine import GradingEngine
from workbench.grading.loader import FIELD_KINDS
from workbench.grading.reference import ReferenceEvaluator, holds
from workbench.schema import NATURES, SUBJECTS

ROOT = Path(__file__).parents[1]
RS = load_ruleset(ROOT / "rules")
ENGINE = GradingEngine(RS)
REF = ReferenceEvaluator(RS)

def _leaves(cond):
    if "all" in cond or "any" in cond:
        for c in cond.get("all", cond.get("any", [])):
            yield from _leaves(c)
    else:
        yield cond


# Values around the thresholds the rules use, plus anything in range.
NUMS: dict[str, list] = {}
for r in RS.rules:
    for leaf in _leaves(r.when):
        v = leaf["value"]
        if isinstance(v, int | float) and not isinstance(v, bool):
            NUMS.setdefault(leaf["field"], []).extend([v, v - 1 if isinstance(v, int) else v - 0.01,
                                                       v + 1 if isinstance(v, int) else v + 0.01])

TERMS = ["爆炸", "坍塌", "疫情", "群体性", "火灾", "谣言", "a\"b", "back\\slash"]


def value_for(field: str):
    kind = FIELD_KINDS[field]
    near = NUMS.get(field, [])
    if kind == "int":
        base = st.integers(min_value=-5, max_value=10**9)
        return st.sampled_from(near) | base if near else base
    if kind == "float":
        base = st.floats(min_value=-1e6, max_value=1e6) | st.sampled_from(
            [float("nan"), float("inf"), float("-inf"), 1e-7, -3e-5, 1e17])
        return st.sampled_from(near) | base if near else base
    if kind == "bool":
        return st.booleans()
    if kind == "list":
        return st.lists(st.sampled_from(TERMS), max_size=4)
    if field == "nature":
        return st.sampled_from([*NATURES, "unknown"])
    if field == "affected_subject":
        return st.sampled_from(SUBJECTS)
    return st.text(max_size=8)


findings_rows = st.fixed_dictionaries(
    {}, optional={f: st.none() | value_for(f) for f in RS.fields})


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(findings_rows)
def test_engine_equals_reference_on_random_findings(row):
    row = {k: (int(v) if FIELD_KINDS[k] == "int" and isinstance(v, float) else v)
           for k, v in row.items()}
    fact = fact_from_row(row, RS.fields, event="random")
    assert sorted(ENGINE.evaluate(fact)) == sorted(REF.evaluate(fact))


# ---- random conditions -----------------------------------------------------------------
NUM_FIELDS = [f for f, k in FIELD_KINDS.items() if k in ("int", "float")][:8]


def leaf():
    num = st.builds(
        lambda f, op, v: {"field": f, "op": op, "value": v},
        st.sampled_from(NUM_FIELDS), st.sampled_from(["eq", "neq", "gt", "gte", "lt", "lte"]),
        st.integers(min_value=0, max_value=20))
    nat = st.builds(
        lambda op, v: {"field": "nature", "op": op, "value": v if op in ("eq", "neq") else [v]},
        st.sampled_from(["eq", "neq", "in", "not_in"]), st.sampled_from(NATURES))
    lst = st.builds(lambda v: {"field": "sensitive_terms", "op": "contains", "value": v},
                    st.sampled_from(TERMS[:4]))
    flag = st.builds(lambda op, v: {"field": "debunked", "op": op, "value": v},
                     st.sampled_from(["eq", "neq"]), st.booleans())
    return num | nat | lst | flag


conditions = st.recursive(
    leaf(), lambda kids: st.builds(lambda k, xs: {k: xs}, st.sampled_from(["all", "any"]),
                                   st.lists(kids, min_size=1, max_size=3)), max_leaves=6)
facts = st.fixed_dictionaries({}, optional={
    **{f: st.integers(min_value=0, max_value=20) for f in NUM_FIELDS},
    "nature": st.sampled_from(NATURES), "debunked": st.booleans(),
    "sensitive_terms": st.lists(st.sampled_from(TERMS[:4]), max_size=3)})


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.lists(conditions, min_size=1, max_size=4), st.lists(facts, min_size=5, max_size=25))
def test_engine_equals_reference_on_random_rules(tmp_path_factory, conds, fact_list):
    tmp = tmp_path_factory.mktemp("rules")
    shutil.copytree(ROOT / "rules", tmp / "rules", ignore=shutil.ignore_patterns("lexicons"))
    for f in (tmp / "rules" / "grading").glob("*.yaml"):
        f.unlink()
    rules = []
    for i, c in enumerate(conds):
        rules.append({"id": f"random-{i}", "level": ["I", "II", "III", "IV"][i % 4],
                      "because": "random", "status": "experimental", "when": copy.deepcopy(c),
                      "fixtures": {"fires": [{}], "does_not_fire": [{}]}})
    (tmp / "rules" / "grading" / "random.yaml").write_text(
        yaml.safe_dump({"rules": rules}, allow_unicode=True), "utf-8")
    rs = load_ruleset(tmp / "rules")
    engine, ref = GradingEngine(rs), ReferenceEvaluator(rs)
    for raw in fact_list:
        fact = fact_from_row(raw, rs.fields)
        want = sorted(r["id"] for r in rules if holds(r["when"], fact))
        assert sorted(ref.evaluate(fact)) == want
        assert sorted(engine.evaluate(fact)) == want, (fact, conds)
