"""Case studies: parameters, papermill runs, manifests, offline HTML reports, briefings.

- ``params.load_params(path)``: validate ``parameters/<case>.yaml`` (schema + notebook).
- ``run.run_case(path, run_id=None)``: execute the case notebook into
  ``reports/<case>/<run-id>/`` with report.html, briefing and manifest.json.
- ``pipeline``: the steps the notebooks call (ingest, select, detect, grade, save).
- ``briefing``: the per-case briefing (Markdown + HTML).
"""

from workbench.cases.params import CaseParams, ParameterError, load_params

__all__ = ["CaseParams", "ParameterError", "load_params"]
