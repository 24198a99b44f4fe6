"""Case parameters: ``parameters/<case>.yaml``, validated twice before anything runs.

1. Against ``parameters/schema.json`` (JSON Schema): unknown keys, wrong types, bad values.
2. Against the notebook's own parameters cell (``papermill.inspect_notebook``): every key
   passed to the notebook must be a parameter of it, of the annotated type.

Either failure is a :class:`ParameterError` naming the file, the line and the key. Paths in
the file (``sources``, ``rules``, ``notebook``, ``reports``) are relative to the file's
folder and are resolved to absolute paths before the notebook sees them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PACKAGE_ROOT = Path(__file__).resolve().parents[3]  # the repository (src layout)
SCHEMA_PATH = PACKAGE_ROOT / "parameters" / "schema.json"
DEFAULT_NOTEBOOK = "../notebooks/case_study.py"
DEFAULT_REPORTS = "../reports"

#: keys the runner consumes; they are not passed to the notebook
RUNNER_ONLY = ("description", "notebook", "reports")
#: keys holding paths relative to the parameters file
PATH_KEYS = ("rules",)
#: injected by the runner, never written in a parameters file
INJECTED = ("output_dir",)


class ParameterError(ValueError):
    """A parameters file is invalid: the message names the file, line and key."""


@dataclass
class CaseParams:
    path: Path
    case: str
    notebook: Path
    reports: Path
    raw: dict[str, Any]
    notebook_params: dict[str, Any] = field(default_factory=dict)
    sha256: str = ""

    @property
    def title(self) -> str:
        return str(self.raw.get("title") or self.case)

    @property
    def description(self) -> str:
        return str(self.raw.get("description") or "")


def _key_lines(text: str) -> dict[str, int]:
    """Top-level key -> 1-based line in the YAML text (best effort)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {k.value: k.start_mark.line + 1 for k, _ in node.value if hasattr(k, "value")}


def _where(path: Path, lines: dict[str, int], key: str | None) -> str:
    line = lines.get(key or "")
    return f"{path}:{line}" if line else str(path)


def _plain(value: Any) -> Any:
    """YAML timestamps -> ISO strings (the schema and notebooks take times as strings)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@lru_cache(maxsize=1)
def load_schema(path: str | None = None) -> dict[str, Any]:
    return json.loads(Path(path or SCHEMA_PATH).read_text(encoding="utf-8"))


def _schema_errors(data: dict[str, Any], path: Path, lines: dict[str, int]) -> list[str]:
    import jsonschema

    schema = load_schema()
    validator = jsonschema.Draft202012Validator(schema)
    allowed = sorted(schema["properties"])
    messages = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        key = str(err.path[0]) if err.path else None
        if err.validator == "additionalProperties":
            extra = sorted(set(data) - set(schema["properties"]))
            for k in extra:
                messages.append(
                    f"{_where(path, lines, k)}: key '{k}': unknown parameter "
                    f"(allowed: {', '.join(allowed)})"
                )
            continue
        if err.validator == "required":
            messages.append(f"{path}: {err.message}")
            continue
        where = "/".join(map(str, err.path))
        messages.append(f"{_where(path, lines, key)}: key '{where}': {err.message}")
    return messages


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
    "list": (list,), "dict": (dict,),
}


def _type_ok(value: Any, type_name: str) -> bool:
    base, _, inner = type_name.partition("[")
    base = base.strip()
    if base not in _TYPES:
        return True  # unannotated ('None') or a type we do not check
    if isinstance(value, bool) and base in ("int", "float"):
        return False
    if not isinstance(value, _TYPES[base]):
        return False
    inner = inner.rstrip("]").strip()
    if base == "list" and inner in _TYPES:
        return all(_type_ok(v, inner) for v in value)
    return True


def notebook_parameters(notebook: str | Path) -> dict[str, dict[str, Any]]:
    """The notebook's parameters cell, as papermill sees it (name -> inferred type, default)."""
    import papermill

    from workbench.cases.notebooks import to_ipynb

    with to_ipynb(notebook) as ipynb:
        return papermill.inspect_notebook(str(ipynb))


def check_against_notebook(
    values: dict[str, Any], notebook: Path, *, path: Path, lines: dict[str, int] | None = None
) -> None:
    """Every key must be a parameter of ``notebook``, with a value of its annotated type."""
    lines = lines or {}
    declared = notebook_parameters(notebook)
    problems = []
    for key, value in values.items():
        if key not in declared:
            problems.append(
                f"{_where(path, lines, key)}: key '{key}': not a parameter of {notebook.name} "
                f"(its parameters: {', '.join(sorted(declared))})"
            )
            continue
        type_name = declared[key]["inferred_type_name"]
        if not _type_ok(value, type_name):
            problems.append(
                f"{_where(path, lines, key)}: key '{key}': {notebook.name} expects {type_name}, "
                f"got {type(value).__name__} {value!r}"
            )
    if problems:
        raise ParameterError("\n".join(problems))


def load_params(
    path: str | Path, *, check_notebook: bool = True, check_sources: bool = True
) -> CaseParams:
    """Read and validate a parameters file; return the resolved :class:`CaseParams`.

    ``check_sources=False`` skips the check that every source exists (e.g. the demo's
    simulated data before it is generated)."""
    path = Path(path)
    if not path.is_file():
        raise ParameterError(f"{path}: no such parameters file")
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping of parameters, got {type(data).__name__}")
    data = _plain(data)
    lines = _key_lines(text)
    for key in INJECTED:
        if key in data:
            raise ParameterError(
                f"{_where(path, lines, key)}: key '{key}': set by the runner, not by the file"
            )
    errors = _schema_errors(data, path, lines)
    if errors:
        raise ParameterError("\n".join(errors))

    base = path.resolve().parent
    if "notebook" in data:
        notebook = (base / data["notebook"]).resolve()
    else:  # beside parameters/, else the project's own notebook
        notebook = (base / DEFAULT_NOTEBOOK).resolve()
        if not notebook.is_file():
            notebook = PACKAGE_ROOT / "notebooks" / "case_study.py"
    if not notebook.is_file():
        raise ParameterError(f"{_where(path, lines, 'notebook')}: key 'notebook': {notebook} not found")
    reports = (base / data.get("reports", DEFAULT_REPORTS)).resolve()

    nb_params = {k: v for k, v in data.items() if k not in RUNNER_ONLY}
    nb_params["sources"] = [str((base / s).resolve()) for s in data["sources"]]
    missing = [s for s, r in zip(data["sources"], nb_params["sources"], strict=True)
               if not Path(r).exists()]
    if missing and check_sources:
        raise ParameterError(
            f"{_where(path, lines, 'sources')}: key 'sources': not found: "
            + ", ".join(f"{s} (-> {(base / s).resolve()})" for s in missing)
        )
    for key in PATH_KEYS:
        if key in nb_params:
            nb_params[key] = str((base / nb_params[key]).resolve())
    if check_notebook:
        check_against_notebook(nb_params, notebook, path=path, lines=lines)
    return CaseParams(
        path=path.resolve(),
        case=data["case"],
        notebook=notebook,
        reports=reports,
        raw=data,
        notebook_params=nb_params,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
