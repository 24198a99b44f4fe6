"""Load and validate ``rules/``: YAML (``yaml.safe_load`` only) -> a checked :class:`RuleSet`.

Every file is validated against its JSON Schema in ``rules/schema/``; then the grading rules
are checked against the findings table (fields exist, values have the field's type, ids are
unique, owners and measures exist). Problems are collected, not raised one by one: a
:class:`RulesError` lists each as ``file:line: [rule id] message`` (line numbers come from the
YAML node marks).
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from workbench.schema import FINDINGS_SCHEMA, LEVELS, WATCH

RANKS = {"I": 1, "II": 2, "III": 3, "IV": 4, WATCH: 5}
OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "in", "not_in", "contains")
ORDER_OPS = ("gt", "gte", "lt", "lte")
# Files that make up a rule set (their bytes make the content hash). rules/lexicons/ and
# rules/schema/ are not part of the grading and are left out of the hash.
CORE_FILES = ("ruleset.yaml", "levels.yaml", "natures.yaml", "roles.yaml", "measures.yaml")
ESCALATION_FILE = "escalation.yaml"
GRADING_DIR = "grading"
MAX_FLOAT = 1e15  # durable-rules' JSON parser rejects exponent notation (1e+16, 1e-05)
# A rule file nests: document > rules > rule > when > (all/any > condition)*. Deeper input
# would exhaust Python's recursion (YAML composer, JSON Schema, evaluators) and the engine's
# C stack: it is refused with the file, line and rule id before anything recurses.
MAX_WHEN_DEPTH = 20
MAX_YAML_DEPTH = 4 + 2 * MAX_WHEN_DEPTH


# ----------------------------------------------------------------------------- field kinds
def _kind(dtype: pl.DataType) -> str | None:
    if dtype in (pl.Int64, pl.Int32):
        return "int"
    if dtype == pl.Float64:
        return "float"
    if dtype == pl.Utf8:
        return "str"
    if dtype == pl.Boolean:
        return "bool"
    if dtype == pl.List(pl.Utf8):
        return "list"
    return None  # datetimes and numeric lists are not graded on


#: Findings columns the rules may use, and their kind (int / float / str / bool / list).
FIELD_KINDS: dict[str, str] = {
    name: k for name, dt in FINDINGS_SCHEMA.items() if (k := _kind(dt)) and name != "event_id"
}


def normalise_number(value: float | int) -> float | int | None:
    """The number as facts carry it: ints as is, floats rounded to 4 decimals and bounded.

    durable-rules cannot parse JSON numbers in exponent notation, which Python writes for
    floats below 1e-4 or from 1e16; rounding to 4 decimals and clamping to +-1e15 keeps every
    float in plain notation. Both evaluators see the same normalised fact, so they agree.
    Non-finite floats become ``None`` (a missing value).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return max(-(2**62), min(2**62, value))
    if not math.isfinite(value):
        return None
    value = round(float(value), 4)
    value = max(-MAX_FLOAT, min(MAX_FLOAT, value))
    return 0.0 if value == 0 else value


def value_ok(kind: str, value: Any) -> bool:
    """Whether ``value`` is of the field kind (bools are not numbers here)."""
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return False


# ----------------------------------------------------------------------------- errors
@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        rid = f" [{self.rule_id}]" if self.rule_id else ""
        return f"{where}:{rid} {self.message}"


class RulesError(ValueError):
    """The rule files have problems; ``.problems`` lists each with file, line and rule id."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(
            f"{len(problems)} problem(s) in the rule files:\n" + "\n".join(f"  {p}" for p in problems)
        )


# ----------------------------------------------------------------------------- data model
@dataclass(frozen=True)
class Rule:
    id: str
    level: str
    because: str
    when: dict
    status: str
    fixtures_fire: tuple[dict, ...]
    fixtures_not: tuple[dict, ...]
    file: str
    line: int
    source: str = "default"
    fields: tuple[str, ...] = ()

    @property
    def rank(self) -> int:
        return RANKS[self.level]


@dataclass(frozen=True)
class EscalationRule:
    id: str
    status: str
    levels: tuple[str, ...]
    because: str
    notify: tuple[str, ...]
    escalate_to: str | None
    measure: str | None
    within_hours: float | None
    fixtures_escalate: tuple[tuple[dict, ...], ...]
    fixtures_not: tuple[tuple[dict, ...], ...]
    file: str
    line: int


@dataclass
class RuleSet:
    """A loaded, validated rule set. ``version`` is the human version, ``hash`` the content hash."""

    name: str
    version: str
    hash: str
    path: Path
    levels: dict[str, dict]
    natures: dict[str, dict]
    default_nature: str
    roles: dict[str, dict]
    measures: dict[str, Any]
    rules: tuple[Rule, ...]
    escalation: tuple[EscalationRule, ...] = ()
    files: tuple[str, ...] = ()
    _measure_cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def active_rules(self) -> tuple[Rule, ...]:
        """Rules that grade (stable and experimental; deprecated ones are kept but not run)."""
        return tuple(r for r in self.rules if r.status != "deprecated")

    @property
    def fields(self) -> tuple[str, ...]:
        """Findings columns the active rules read."""
        return tuple(sorted({f for r in self.active_rules for f in r.fields}))

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    def measures_for(self, level: str, nature: str | None) -> list[dict]:
        """Measures for a level and nature: the level's list, with the nature's entries
        replacing same-named measures or added; each as measure/title/owner/deadline/source."""
        key = (level, nature)
        if key not in self._measure_cache:
            nat = nature if nature in self.natures else self.default_nature
            entries = {e["measure"]: e for e in self.measures["levels"].get(level, [])}
            for e in self.measures.get("natures", {}).get(nat, {}).get(level, []):
                entries[e["measure"]] = e
            sources = self.measures["sources"]
            out = []
            for e in sorted(entries.values(), key=lambda e: (e["deadline_hours"], e["measure"])):
                src = sources[e["source"]]
                cite = src["citation"]
                out.append(
                    {
                        "measure": e["measure"],
                        "title": self.measures["catalogue"][e["measure"]]["title"],
                        "owner": e["owner"],
                        "deadline_hours": float(e["deadline_hours"]),
                        "source": cite,
                    }
                )
            self._measure_cache[key] = out
        return self._measure_cache[key]

    def deadline_hours(self, level: str, measure: str, nature: str | None = None) -> float | None:
        for m in self.measures_for(level, nature):
            if m["measure"] == measure:
                return m["deadline_hours"]
        return None


# ----------------------------------------------------------------------------- yaml + lines
def _too_deep(text: str, rel: str) -> Problem | None:
    """A problem if the YAML nests deeper than ``MAX_YAML_DEPTH``, found from the parser's
    event stream (iterative: any depth is safe here) with the line and the enclosing rule's
    id; None otherwise (or when the YAML is invalid: the loader reports that)."""
    stack: list[list] = []  # per open collection: [is_mapping, items seen]
    rule_id: str | None = None
    id_next = False
    deep_at: int | None = None
    try:
        for ev in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(ev, yaml.NodeEvent) and stack:
                top = stack[-1]
                is_key = top[0] and top[1] % 2 == 0
                if len(stack) == 3 and isinstance(ev, yaml.ScalarEvent):
                    if id_next and not is_key:
                        rule_id = ev.value
                    id_next = is_key and ev.value == "id"
                top[1] += 1
            if isinstance(ev, yaml.MappingStartEvent | yaml.SequenceStartEvent):
                stack.append([isinstance(ev, yaml.MappingStartEvent), 0])
                if len(stack) == 3:
                    rule_id, id_next = None, False
                if len(stack) > MAX_YAML_DEPTH and deep_at is None:
                    deep_at = ev.start_mark.line + 1
            elif isinstance(ev, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                if deep_at is not None and len(stack) < 3:
                    break
    except yaml.YAMLError:
        return None
    if deep_at is None:
        return None
    return Problem(rel, deep_at, rule_id,
                   f"nested more than {MAX_YAML_DEPTH} levels deep: a `when` may nest all/any "
                   f"at most {MAX_WHEN_DEPTH} levels")


def _read_yaml(path: Path, rel: str, problems: list[Problem]) -> tuple[Any, Any]:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(Problem(rel, None, None, f"cannot read: {exc}"))
        return None, None
    deep = _too_deep(text, rel)
    if deep is not None:
        problems.append(deep)
        return None, None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problems.append(Problem(rel, line, None, f"invalid YAML: {getattr(exc, 'problem', exc)}"))
        return None, None
    return data, node


def _node_at(node: Any, path: list) -> Any:
    """The YAML node at a JSON path (keys and list indexes); the deepest one found."""
    for step in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if k.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            nxt = node.value[step]
        else:
            nxt = None
        if nxt is None:
            break
        node = nxt
    return node


def _line(node: Any, path: list) -> int | None:
    if node is None:
        return None
    return _node_at(node, path).start_mark.line + 1


def _schema_check(data: Any, node: Any, schema_name: str, schema_dir: Path, rel: str,
                  problems: list[Problem], id_of=None) -> bool:
    import json

    import jsonschema

    schema = json.loads((schema_dir / schema_name).read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    for err in errors:
        path = list(err.absolute_path)
        rid = id_of(data, path) if id_of else None
        where = "/".join(map(str, path)) or "(top)"
        problems.append(Problem(rel, _line(node, path), rid, f"schema: at {where}: {_short(err)}"))
    return not errors


def _short(err: Any) -> str:
    msg = err.message
    if err.validator == "oneOf" and err.context:
        best = min(err.context, key=lambda e: len(e.message))
        msg = f"{best.message} (no alternative of the rule grammar fits)"
    return msg if len(msg) < 300 else msg[:300] + "..."


def _rule_id_of(data: Any, path: list) -> str | None:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        try:
            rid = data["rules"][path[1]].get("id")
            return rid if isinstance(rid, str) else None
        except (KeyError, IndexError, TypeError, AttributeError):
            return None
    return None


# ----------------------------------------------------------------------------- conditions
def condition_fields(cond: dict) -> list[str]:
    if "all" in cond:
        return [f for c in cond["all"] for f in condition_fields(c)]
    if "any" in cond:
        return [f for c in cond["any"] for f in condition_fields(c)]
    return [cond["field"]]


def _check_condition(cond: dict, path: list, node: Any, rel: str, rid: str,
                     problems: list[Problem]) -> None:
    for key in ("all", "any"):
        if key in cond:
            for i, sub in enumerate(cond[key]):
                _check_condition(sub, [*path, key, i], node, rel, rid, problems)
            return
    fld, op, value = cond["field"], cond["op"], cond["value"]
    line = _line(node, path)

    def bad(msg: str) -> None:
        problems.append(Problem(rel, line, rid, msg))

    kind = FIELD_KINDS.get(fld)
    if kind is None:
        known = ", ".join(sorted(FIELD_KINDS))
        return bad(f"unknown findings field {fld!r}; known: {known}")
    if kind == "list":
        if op != "contains" or not isinstance(value, str):
            return bad(f"{fld} is a list: use op 'contains' with one string value")
        return
    if op == "contains":
        return bad(f"op 'contains' needs a list field; {fld} is {kind}")
    values = value if op in ("in", "not_in") else [value]
    if op in ("in", "not_in") and not isinstance(value, list):
        return bad(f"op {op!r} needs a list of values")
    if op not in ("in", "not_in") and isinstance(value, list):
        return bad(f"op {op!r} needs one value, not a list")
    if op in ORDER_OPS and kind in ("str", "bool"):
        return bad(f"op {op!r} compares numbers; {fld} is {kind}")
    for v in values:
        if not value_ok(kind, v):
            return bad(f"value {v!r} is not of {fld}'s type ({kind})")
        if kind in ("int", "float") and normalise_number(v) != v:
            return bad(f"value {v!r}: use at most 4 decimals and |value| <= 1e15")


def check_fixture(snippet: Any, path: list, node: Any, rel: str, rid: str | None,
                  problems: list[Problem]) -> None:
    """A fixture / findings snippet: known fields, values of the field's type."""
    if not isinstance(snippet, dict):
        problems.append(Problem(rel, _line(node, path), rid, "a fixture must be a mapping"))
        return
    for k, v in snippet.items():
        kind = FIELD_KINDS.get(k)
        if kind is None:
            problems.append(Problem(rel, _line(node, [*path, k]), rid,
                                    f"fixture: unknown findings field {k!r}"))
        elif v is not None and not value_ok(kind, v):
            problems.append(Problem(rel, _line(node, [*path, k]), rid,
                                    f"fixture: {k}={v!r} is not of the field's type ({kind})"))


# ----------------------------------------------------------------------------- load
def _content_hash(root: Path, files: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(files, key=lambda p: p.relative_to(root).as_posix()):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]


def default_rules_dir() -> Path:
    """``rules/`` of the repository (or of the working directory)."""
    here = Path(__file__).resolve().parents[3] / "rules"
    return here if here.is_dir() else Path("rules")


def load_ruleset(path: str | Path | None = None) -> RuleSet:
    """Load and validate the rule set in ``path`` (default: the repository's ``rules/``).

    Raises :class:`RulesError` listing every problem (file, line, rule id).
    """
    root = Path(path) if path is not None else default_rules_dir()
    if not root.is_dir():
        raise RulesError([Problem(str(root), None, None, "not a directory of rule files")])
    schema_dir = root / "schema"
    if not schema_dir.is_dir():
        schema_dir = default_rules_dir() / "schema"
    problems: list[Problem] = []
    docs: dict[str, Any] = {}
    nodes: dict[str, Any] = {}
    files: list[Path] = []
    for name in CORE_FILES:
        p = root / name
        if not p.is_file():
            problems.append(Problem(name, None, None, "missing file"))
            continue
        files.append(p)
        data, node = _read_yaml(p, name, problems)
        if data is None and node is None:
            continue
        if _schema_check(data, node, name.replace(".yaml", ".schema.json"), schema_dir, name, problems):
            docs[name], nodes[name] = data, node
    grading_files = sorted((root / GRADING_DIR).glob("*.yaml")) + sorted(
        (root / GRADING_DIR).glob("*.yml"))
    if not grading_files:
        problems.append(Problem(f"{GRADING_DIR}/", None, None, "no grading rule files"))
    esc_path = root / ESCALATION_FILE
    files += grading_files + ([esc_path] if esc_path.is_file() else [])

    roles = (docs.get("roles.yaml") or {}).get("roles", {})
    measures = docs.get("measures.yaml") or {}
    natures = (docs.get("natures.yaml") or {}).get("natures", {})
    _check_measures(measures, nodes.get("measures.yaml"), roles, natures, problems)

    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for gp in grading_files:
        rel = gp.relative_to(root).as_posix()
        data, node = _read_yaml(gp, rel, problems)
        if data is None:
            if not any(p.file == rel for p in problems):  # blank, or only `null`
                problems.append(Problem(rel, None, None, "empty file (no rules)"))
            continue
        if not _schema_check(data, node, "grading.schema.json", schema_dir, rel, problems,
                             id_of=_rule_id_of):
            continue
        for i, r in enumerate(data["rules"]):
            rid = r["id"]
            line = _line(node, ["rules", i]) or 0
            if rid in seen:
                problems.append(Problem(rel, line, rid, f"duplicate rule id (first in {seen[rid]})"))
                continue
            seen[rid] = f"{rel}:{line}"
            _check_condition(r["when"], ["rules", i, "when"], node, rel, rid, problems)
            for key in ("fires", "does_not_fire"):
                for j, snip in enumerate(r["fixtures"][key]):
                    check_fixture(snip, ["rules", i, "fixtures", key, j], node, rel, rid, problems)
            rules.append(
                Rule(
                    id=rid, level=r["level"], because=r["because"].strip(), when=r["when"],
                    status=r["status"], fixtures_fire=tuple(r["fixtures"]["fires"]),
                    fixtures_not=tuple(r["fixtures"]["does_not_fire"]), file=rel, line=line,
                    source=r.get("source", "default"),
                    fields=tuple(dict.fromkeys(condition_fields(r["when"]))),
                )
            )

    escalation: list[EscalationRule] = []
    if esc_path.is_file():
        escalation = _load_escalation(esc_path, schema_dir, roles, measures, problems)

    if problems:
        raise RulesError(problems)
    meta = docs["ruleset.yaml"]
    nat_doc = docs["natures.yaml"]
    levels = docs["levels.yaml"]["levels"]
    for lv in (*LEVELS, WATCH):
        if levels[lv]["rank"] != RANKS[lv]:
            problems.append(Problem("levels.yaml", _line(nodes["levels.yaml"], ["levels", lv]),
                                    None, f"level {lv} must have rank {RANKS[lv]}"))
    if problems:
        raise RulesError(problems)
    return RuleSet(
        name=meta["name"], version=str(meta["version"]), hash=_content_hash(root, files),
        path=root, levels=levels, natures=natures,
        default_nature=nat_doc.get("default_nature", "social"), roles=roles, measures=measures,
        rules=tuple(sorted(rules, key=lambda r: (r.rank, r.id))), escalation=tuple(escalation),
        files=tuple(p.relative_to(root).as_posix() for p in files),
    )


def _check_measures(measures: dict, node: Any, roles: dict, natures: dict,
                    problems: list[Problem]) -> None:
    if not measures:
        return
    rel = "measures.yaml"
    cat, sources = measures.get("catalogue", {}), measures.get("sources", {})
    blocks = [(["levels", lv], es) for lv, es in measures.get("levels", {}).items()]
    for nat, per in (measures.get("natures") or {}).items():
        if nat not in natures:
            problems.append(Problem(rel, _line(node, ["natures", nat]), None,
                                    f"unknown nature {nat!r} (natures.yaml)"))
        blocks += [(["natures", nat, lv], es) for lv, es in per.items()]
    for path, entries in blocks:
        for i, e in enumerate(entries):
            line = _line(node, [*path, i])
            if e["measure"] not in cat:
                problems.append(Problem(rel, line, None, f"unknown measure {e['measure']!r} (catalogue)"))
            if e["owner"] not in roles:
                problems.append(Problem(rel, line, None, f"unknown owner role {e['owner']!r} (roles.yaml)"))
            if e["source"] not in sources:
                problems.append(Problem(rel, line, None, f"unknown source {e['source']!r} (sources)"))


def _load_escalation(path: Path, schema_dir: Path, roles: dict, measures: dict,
                     problems: list[Problem]) -> list[EscalationRule]:
    rel = path.name
    data, node = _read_yaml(path, rel, problems)
    if data is None or not _schema_check(data, node, "escalation.schema.json", schema_dir, rel,
                                         problems, id_of=_rule_id_of):
        return []
    out, seen = [], set()
    cat = measures.get("catalogue", {})
    for i, r in enumerate(data["rules"]):
        rid, line = r["id"], _line(node, ["rules", i]) or 0
        if rid in seen:
            problems.append(Problem(rel, line, rid, "duplicate escalation rule id"))
            continue
        seen.add(rid)
        for role in r["notify"]:
            if role not in roles:
                problems.append(Problem(rel, line, rid, f"unknown role {role!r} in notify (roles.yaml)"))
        if r.get("measure") is not None and r["measure"] not in cat:
            problems.append(Problem(rel, line, rid, f"unknown measure {r['measure']!r}"))
        out.append(
            EscalationRule(
                id=rid, status=r["status"], levels=tuple(r["levels"]), because=r["because"].strip(),
                notify=tuple(r["notify"]), escalate_to=r.get("escalate_to"),
                measure=r.get("measure"),
                within_hours=float(r["within_hours"]) if r.get("within_hours") is not None else None,
                fixtures_escalate=tuple(tuple(s) for s in r["fixtures"]["escalates"]),
                fixtures_not=tuple(tuple(s) for s in r["fixtures"]["does_not_escalate"]),
                file=rel, line=line,
            )
        )
    return out
