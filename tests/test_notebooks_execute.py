"""Every notebook executes on small data via papermill (jupytext scripts converted on the
fly), with a kernel that runs this same Python. ``case_study.py`` is executed by
``test_cases_run.py`` (once through ``workbench case run``, once in process)."""

from __future__ import annotations

from pathlib import Path

import frames  # tests/fixtures/cases, put on sys.path by conftest.py
import nbformat
import pytest

from workbench.cases.notebooks import NOTEBOOKS_DIR, execute
from workbench.cases.params import notebook_parameters

pytestmark = pytest.mark.slow  # executes notebooks in a Jupyter kernel with the model

ROOT = Path(__file__).parents[1]
SMALL = ROOT / "tests" / "fixtures" / "cases" / "small"


def _outputs(nb, kind: str) -> list:
    return [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == kind]


def _text(nb) -> str:
    parts = []
    for c in nb.cells:
        for o in c.get("outputs", []):
            data = o.get("data", {})
            parts.append(str(data.get("text/markdown", "")) + str(data.get("text/plain", ""))
                         + str(o.get("text", "")))
    return "\n".join(parts)


@pytest.mark.parametrize("name", ["investigate.py", "case_study.py", "rule_tuning.py", "drill.py"])
def test_parameters_cell_holds_typed_defaults_only(name):
    declared = notebook_parameters(NOTEBOOKS_DIR / name)
    assert declared, f"{name} has no parameters cell"
    assert not [k for k, v in declared.items() if v["inferred_type_name"] == "None"]
    import jupytext

    cell = next(c for c in jupytext.read(NOTEBOOKS_DIR / name).cells
                if "parameters" in c.metadata.get("tags", []))
    assert "(" not in cell.source, "parameters cell must hold literals, nothing derived"


def test_investigate_executes(kernel, tmp_path):
    out = tmp_path / "investigate.ipynb"
    nb = execute(NOTEBOOKS_DIR / "investigate.py", out,
                 {"sources": [str(SMALL)], "keywords": ["爆炸", "暴雨"], "salt": "t"},
                 kernel=kernel, cwd=tmp_path)
    assert not _outputs(nb, "error")
    text = _text(nb)
    assert "Selection: keywords=" in text and "| measure | owner | deadline |" in text
    charts = [o for kind in ("display_data", "execute_result") for o in _outputs(nb, kind)
              if "image/svg+xml" in o.get("data", {})]
    assert len(charts) >= 4  # channel mix, map, event panel, sentiment: static SVG


def test_rule_tuning_executes_on_archived_cases(kernel, tmp_path):
    # an archive of two case runs (findings written as `workbench case run` writes them)
    import polars as pl

    # calm events of 120 posts: on watch under the project's rules (IV needs 200 posts);
    # officials are named, a sign of trouble the volume rules ask for
    calm = frames.findings().with_columns(negative_share=pl.lit(0.1), mentions_officials=pl.lit(6))
    for run in ("a/r1", "b/r1"):
        d = tmp_path / "archive" / run
        d.mkdir(parents=True)
        calm.write_parquet(d / "findings.parquet")
    out = tmp_path / "rule_tuning.ipynb"
    nb = execute(NOTEBOOKS_DIR / "rule_tuning.py", out,
                 {"cases": [str(tmp_path / "archive")],
                  "changes": {"volume-iv-noticeable": {"n_posts": 50}},
                  "output_dir": str(tmp_path / "tuning")},
                 kernel=kernel, cwd=tmp_path)
    assert not _outputs(nb, "error")
    text = _text(nb)
    # from 50 posts on, volume-iv fires: all 6 archived events go from watch to IV
    assert "**6 of 6 archived events change level** (2 cases;" in text
    assert "| a/r1 | E000001 |" in text and "| watch | IV | raised | volume-iv-noticeable | — |" in text
    diff = pl.read_parquet(tmp_path / "tuning" / "diff.parquet")
    assert diff["new_level"].to_list() == ["IV"] * 6 and not diff["breaking"].any()
    assert nbformat.validate(nb) is None


def test_drill_executes(kernel, tmp_path):
    out = tmp_path / "drill.ipynb"
    nb = execute(NOTEBOOKS_DIR / "drill.py", out,
                 {"scenario": str(ROOT / "scenarios" / "flagship.yaml"), "scale": 0.1,
                  "every_hours": 12.0, "until_hours": 24.0, "output_dir": str(tmp_path / "d")},
                 kernel=kernel, cwd=tmp_path)
    assert not _outputs(nb, "error")
    assert "total score" in _text(nb)
    assert (tmp_path / "d" / "drill.md").exists()
