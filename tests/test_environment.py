"""The project's setup files agree with each other, so the README's commands stay true."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].strip().lower().replace("_", "-")


def test_environment_yml_installs_the_package_and_the_same_torch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text("utf-8"))
    deps = env["dependencies"]
    assert "python=3.11" in deps
    pip_section = next(d["pip"] for d in deps if isinstance(d, dict) and "pip" in d)
    # The package itself (and so every dependency declared in pyproject.toml) is installed.
    assert any(line.startswith("-e .") for line in pip_section)
    torch = next(d for d in PYPROJECT["project"]["dependencies"] if _name(d) == "torch")
    assert torch in pip_section, "environment.yml must pin the same torch as pyproject.toml"
    # Nothing else is declared twice (a second list would drift).
    others = [p for p in pip_section if not p.startswith("-e") and _name(p) != "torch"]
    assert others == [], f"declare dependencies in pyproject.toml only, not {others}"


def test_no_deps_packages_are_named_in_environment_yml():
    text = (ROOT / "environment.yml").read_text("utf-8")
    for requirement in PYPROJECT["tool"]["workbench"]["no-deps"]:
        assert f"pip install --no-deps {requirement}" in text


def test_python_pinned_to_311():
    assert PYPROJECT["project"]["requires-python"] == ">=3.11,<3.12"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text("utf-8")
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "nox -s tests" in readme and "nox -s demo" in readme
    assert re.search(r"^nox -s tests\b", ci, re.M), ".ci/run must call the README's test command"


def test_noxfile_has_the_documented_sessions():
    noxfile = (ROOT / "noxfile.py").read_text("utf-8")
    for session in ("tests", "lint", "demo", "bench", "lab"):
        assert re.search(rf"^def {session}\(session", noxfile, re.M), session
