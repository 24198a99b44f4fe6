"""Parameters files: validated against parameters/schema.json and the notebook's own
parameters cell; every problem names the file, the line and the key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from workbench.cases.params import ParameterError, load_params, notebook_parameters

ROOT = Path(__file__).parents[1]
SMALL = ROOT / "tests" / "fixtures" / "cases" / "small"


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def base(tmp_path: Path) -> str:
    return f"case: t1\nnotebook: {ROOT / 'notebooks' / 'case_study.py'}\nsources:\n  - {SMALL}\n"


def test_valid_file_resolves_paths(tmp_path):
    (tmp_path / "data").mkdir()
    p = write(tmp_path, f"case: t1\nnotebook: {ROOT / 'notebooks' / 'case_study.py'}\n"
                        "sources: [data]\nrules: myrules\nkeywords: [爆炸]\n"
                        "start: 2024-06-01T00:00:00Z\nmax_events: 3\n")
    cp = load_params(p)
    assert cp.case == "t1"
    assert cp.notebook_params["sources"] == [str((tmp_path / "data").resolve())]
    assert cp.notebook_params["rules"] == str((tmp_path / "myrules").resolve())
    assert cp.notebook_params["start"].startswith("2024-06-01T00:00:00")  # YAML time -> str
    assert cp.reports == (tmp_path.parent / "reports").resolve()
    assert "notebook" not in cp.notebook_params and len(cp.sha256) == 64


def test_unknown_key_names_file_line_and_key(tmp_path):
    p = write(tmp_path, base(tmp_path) + "top_n: 3\nkeywordz: [a]\n")
    with pytest.raises(ParameterError) as err:
        load_params(p)
    msg = str(err.value)
    assert f"{p}:6" in msg and "'keywordz'" in msg and "unknown parameter" in msg
    assert "keywords" in msg  # lists what is allowed


def test_mistyped_value_names_the_key(tmp_path):
    p = write(tmp_path, base(tmp_path) + "max_events: ten\npseudonymise: 'no'\n")
    with pytest.raises(ParameterError) as err:
        load_params(p)
    msg = str(err.value)
    assert f"{p}:5: key 'max_events'" in msg and "'ten' is not of type 'integer'" in msg
    assert f"{p}:6: key 'pseudonymise'" in msg


def test_bad_platform_and_missing_sources(tmp_path):
    p = write(tmp_path, "case: t1\nplatforms: [weibo, myspace]\n")
    with pytest.raises(ParameterError) as err:
        load_params(p)
    assert "'sources' is a required property" in str(err.value)
    assert "platforms/1" in str(err.value)
    p = write(tmp_path, "case: t1\nsources: [nowhere]\n")
    with pytest.raises(ParameterError, match="key 'sources': not found: nowhere"):
        load_params(p)


def test_runner_keys_cannot_be_set(tmp_path):
    p = write(tmp_path, base(tmp_path) + "output_dir: /tmp/x\n")
    with pytest.raises(ParameterError, match="'output_dir': set by the runner"):
        load_params(p)


def test_checked_against_the_notebooks_own_parameters(tmp_path):
    nb = tmp_path / "nb.py"
    nb.write_text('# %% tags=["parameters"]\ncase: str = "x"\nsources: list[str] = []\n'
                  'top_n: str = "5"\noutput_dir: str = "."\n\n# %%\nprint(case)\n',
                  encoding="utf-8")
    p = write(tmp_path, f"case: t1\nnotebook: nb.py\nsources: [{SMALL}]\ntop_n: 3\n"
                        "keywords: [a]\n")
    with pytest.raises(ParameterError) as err:
        load_params(p)
    msg = str(err.value)
    assert f"{p}:4: key 'top_n': nb.py expects str, got int 3" in msg
    assert f"{p}:5: key 'keywords': not a parameter of nb.py" in msg


def test_case_study_notebook_declares_typed_parameters():
    declared = notebook_parameters(ROOT / "notebooks" / "case_study.py")
    assert declared["sources"]["inferred_type_name"] == "list[str]"
    assert declared["max_events"]["inferred_type_name"] == "int"
    untyped = [k for k, v in declared.items() if v["inferred_type_name"] == "None"]
    assert not untyped, f"parameters without a type annotation: {untyped}"


@pytest.mark.parametrize("name", ["demo.yaml", "ced.yaml"])
def test_project_parameter_files_are_valid(name):
    cp = load_params(ROOT / "parameters" / name, check_sources=False)
    assert cp.case == name.removesuffix(".yaml")
    assert cp.notebook.name == "case_study.py"


def test_cli_check_reports_errors(tmp_path):
    bad = write(tmp_path, base(tmp_path) + "colour: red\n")
    good = write(tmp_path, base(tmp_path), name="good.yaml")
    out = subprocess.run([sys.executable, "-m", "workbench", "case", "check", str(good), str(bad)],
                         capture_output=True, text=True)
    assert out.returncode == 1
    assert "ok: " in out.stdout and "'colour': unknown parameter" in out.stderr
