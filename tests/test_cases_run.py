"""A small case run end to end with papermill: report folder, manifest, offline HTML,
briefing; the same case run again in another process gives identical findings and grades."""

from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import nbformat
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from workbench.cases.params import notebook_parameters
from workbench.cases.run import CaseRunError, external_references, run_case

pytestmark = pytest.mark.slow  # executes notebooks in a Jupyter kernel with the model

ROOT = Path(__file__).parents[1]
SMALL = ROOT / "tests" / "fixtures" / "cases" / "small"


@pytest.fixture(scope="module")
def runs(tmp_path_factory, kernel):
    """The small case (180 posts, 3 incidents) run once through papermill, and the same case
    again through the package in this process, as the notebook's cells call it (the second
    run is what a reviewer re-running the case gets; one papermill run keeps the suite quick)."""
    tmp = tmp_path_factory.mktemp("cases")
    params = tmp / "small.yaml"
    params.write_text(
        f"case: small\ntitle: 小型测试案例\nnotebook: {ROOT / 'notebooks' / 'case_study.py'}\n"
        f"reports: reports\nsources: [{SMALL}]\ntop_n: 2\nsalt: t\n", encoding="utf-8")
    first = run_case(params, run_id="r1", kernel=kernel, progress=False)
    return first, _in_process(first, tmp / "again")


def _in_process(run, out: Path) -> dict:
    """The case notebook's calls, in this process, with the values the run was given (the
    salt from the parameters file, as `workbench case run` passes it to the kernel)."""
    from workbench.cases import briefing, pipeline

    declared = notebook_parameters(run.params.notebook)
    v = {k: ast.literal_eval(d["default"]) for k, d in declared.items()}
    v.update(run.manifest["parameters"]["notebook_values"])
    salt = pipeline.resolve_salt(run.params.raw["salt"])
    case = pipeline.ingest(v["sources"], name=v["case"], pseudonymise=v["pseudonymise"],
                           salt=salt, progress=False)
    case = pipeline.select(case, start=v["start"], end=v["end"], keywords=v["keywords"],
                           platforms=v["platforms"], max_events=v["max_events"])
    case = pipeline.detect(case, model=v["model"], progress=False)
    case = pipeline.grade(case, rules=v["rules"], now=v["now"])
    text = briefing.build_briefing(
        case.findings, case.gradings, case.posts, case.assignments,
        title=v["title"] or v["case"], case=v["case"], top_n=v["top_n"],
        pseudonymise=v["pseudonymise"], tz=v["tz"], graded_at=case.graded_at,
        rules_version=case.rules_version, rules_hash=case.rules_hash, model_id=case.model_id)
    info = pipeline.save(case, out)
    return {"dir": out, "digests": info["digests"], "briefing": text}


def test_run_folder_holds_notebook_report_briefing_manifest(runs):
    first, _ = runs
    d = first.run_dir
    assert d == (first.params.path.parent / "reports" / "small" / "r1")
    for name in ("case_study.ipynb", "report.html", "briefing.md", "briefing.html",
                 "manifest.json", "findings.parquet", "gradings.parquet", "assignments.parquet"):
        assert (d / name).is_file(), name
    nb = nbformat.read(d / "case_study.ipynb", as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert injected and "output_dir" in injected[0].source
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_manifest_records_inputs_rows_rules_model_versions_timings(runs):
    first, _ = runs
    m = json.loads((first.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "ok" and m["case"] == "small" and m["run_id"] == "r1"
    files = {Path(f["path"]).name: f for f in m["inputs"]["files"]}
    assert set(files) == {"posts.jsonl", "small.mapping.yaml"}
    assert all(len(f["sha256"]) == 64 for f in files.values())
    rows = m["rows"]
    assert rows["ingest_read"] == 180 == rows["ingest_accepted"] + rows["ingest_quarantined"] \
        + rows["ingest_duplicates"]
    assert rows["events"] == pl.read_parquet(first.run_dir / "findings.parquet").height >= 1
    assert m["rules"]["version"] and len(m["rules"]["hash"]) >= 8
    assert m["model"]["id"]
    assert m["package"]["workbench"] and m["package"]["polars"]
    assert "salt" not in m["parameters"]["values"] and "salt" not in m["parameters"]["notebook_values"]
    assert m["parameters"]["values"]["salt_sha256"] == hashlib.sha256(b"t").hexdigest()
    assert len(m["parameters"]["sha256"]) == 64
    assert m["timings"]["total_s"] > 0 and m["timings"]["steps"]["grading"] >= 0
    assert m["timings"]["cells"] and m["notebook"]["kernel"]
    assert m["outputs"]["findings.parquet"] and m["digests"]["gradings"]


def test_html_report_hides_inputs_and_renders_offline(runs):
    first, _ = runs
    html = first.report.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "pipeline.ingest(" not in html  # code inputs hidden
    assert "data:image/svg+xml" in html  # charts embedded as static SVG
    assert "舆情简报" in html  # the briefing is shown
    assert "Loading weights" not in html  # stderr (progress bars) left out


def test_same_case_twice_gives_identical_findings_and_grades(runs):
    """The notebook's kernel and this process, two processes, give the same tables, digests
    and briefing."""
    first, second = runs
    for name in ("findings", "gradings", "assignments"):
        a = pl.read_parquet(first.run_dir / f"{name}.parquet")
        b = pl.read_parquet(second["dir"] / f"{name}.parquet")
        # exact, except the last bit of parallel float sums (rtol 1e-12)
        assert_frame_equal(a, b, check_exact=False, rel_tol=1e-12, abs_tol=0.0)
        assert first.manifest["digests"][name] == second["digests"][name]
    ga = pl.read_parquet(first.run_dir / "gradings.parquet")
    assert ga.equals(pl.read_parquet(second["dir"] / "gradings.parquet"))  # grades: exact
    assert (first.run_dir / "briefing.md").read_text(encoding="utf-8") == second["briefing"]


def test_briefing_pseudonymises_authors(runs):
    first, _ = runs
    md = (first.run_dir / "briefing.md").read_text(encoding="utf-8")
    assert "网友u" not in md  # author names from the fixture never appear
    assert "Level" in md and "| measure | owner | deadline |" in md


def test_failing_notebook_keeps_the_run_folder(tmp_path, kernel):
    nb = tmp_path / "bad.py"
    nb.write_text('# %% tags=["parameters"]\ncase: str = "x"\nsources: list[str] = []\n'
                  'output_dir: str = "."\n\n# %%\nraise RuntimeError("boom")\n', encoding="utf-8")
    params = tmp_path / "bad.yaml"
    params.write_text(f"case: bad\nnotebook: bad.py\nreports: out\nsources: [{SMALL}]\n",
                      encoding="utf-8")
    with pytest.raises(CaseRunError, match="RuntimeError: boom") as err:
        run_case(params, run_id="x", kernel=kernel, progress=False)
    m = json.loads((err.value.run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert m["status"] == "failed" and "boom" in m["error"]
    assert (err.value.run_dir / "bad.ipynb").exists() and (err.value.run_dir / "report.html").exists()
