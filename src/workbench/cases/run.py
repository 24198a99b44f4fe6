"""Run a case: ``parameters/<case>.yaml`` -> ``reports/<case>/<run-id>/``.

The run folder holds the executed notebook, ``report.html`` (inputs hidden, no CDN: charts
are inline SVG), the tables the notebook saved (findings, gradings, assignments), the
briefing, and ``manifest.json``: input file hashes, row counts, rule set version and hash,
model id, package versions, parameters and timings.

The pseudonymisation salt never leaves the run: it reaches the notebook's kernel through
``$WORKBENCH_PSEUDONYMISE_SALT``, not as a notebook parameter (papermill writes parameters
into the executed notebook and so into ``report.html``), and the manifest records only its
sha256 (``salt_sha256``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from workbench.cases.params import CaseParams, load_params
from workbench.digest import file_sha256

MANIFEST_VERSION = 1


class CaseRunError(RuntimeError):
    """The notebook failed; ``run_dir`` holds the executed notebook with the error."""

    def __init__(self, message: str, run_dir: Path):
        super().__init__(message)
        self.run_dir = run_dir


@dataclass
class CaseRun:
    params: CaseParams
    run_id: str
    run_dir: Path
    manifest: dict[str, Any]

    @property
    def report(self) -> Path:
        return self.run_dir / "report.html"

    @property
    def notebook(self) -> Path:
        return self.run_dir / f"{self.params.notebook.stem}.ipynb"


# --------------------------------------------------------------------------------------
# hashes and versions
# --------------------------------------------------------------------------------------
def input_files(sources: list[str]) -> dict[str, Any]:
    """Every file under the sources (hidden files skipped), with size and sha256, and one
    digest over all of them."""
    files = []
    for src in sources:
        root = Path(src)
        paths = [root] if root.is_file() else sorted(
            p for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        for p in paths:
            files.append({"path": str(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)})
    overall = hashlib.sha256(
        "\n".join(f"{f['sha256']}  {f['path']}" for f in files).encode("utf-8")
    ).hexdigest()
    return {"n_files": len(files), "bytes": sum(f["bytes"] for f in files),
            "sha256": overall, "files": files}


def package_versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("workbench", "polars", "altair", "vl-convert-python", "papermill",
                 "nbconvert", "jupytext", "bertopic", "sentence-transformers", "torch",
                 "durable-rules", "jieba", "numpy", "scikit-learn"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def git_state(root: Path) -> dict[str, Any]:
    try:
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src",
                                "notebooks", "rules", "parameters"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    if commit.returncode != 0:
        return {"commit": None, "dirty": None}
    return {"commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def new_run_id(case_dir: Path) -> str:
    base = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id, n = base, 1
    while (case_dir / run_id).exists():
        n += 1
        run_id = f"{base}-{n}"
    return run_id


# --------------------------------------------------------------------------------------
# HTML export
# --------------------------------------------------------------------------------------
_EXTERNAL_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.I)
_EXTERNAL_LINK = re.compile(r"<link[^>]*\bhref=[\"']https?://[^>]*>", re.I)
# inline scripts that import from the network (nbconvert's lab template loads mermaid so)
_NETWORK_SCRIPT = re.compile(r"<script[^>]*>(?:(?!</script>).)*?https?://(?:(?!</script>).)*?</script>",
                             re.I | re.S)


def notebook_to_html(notebook: Path, html: Path, *, title: str | None = None) -> Path:
    """HTML of an executed notebook with code inputs and stderr (progress bars) hidden, and
    nothing loaded from the network: the page renders fully offline."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell["outputs"] = [
                o for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    if title:
        nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="lab")
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    body = _EXTERNAL_SCRIPT.sub("", body)
    body = _EXTERNAL_LINK.sub("", body)
    body = _NETWORK_SCRIPT.sub("", body)
    html.write_text(body, encoding="utf-8")
    return html


def external_references(html: str) -> list[str]:
    """Network references left in an HTML page (scripts, stylesheets, images, script
    imports, CSS urls): [] = it renders offline."""
    patterns = [
        r"<(?:script|link|img|iframe|source|video|audio)[^>]*\b(?:src|href)=[\"'](?:https?:)?//[^\"']+",
        r"\bimport\s*\(?\s*[\"']https?://[^\"']+",
        r"\bfrom\s+[\"']https?://[^\"']+",
        r"url\(\s*[\"']?https?://[^)]+",
        r"[\"']https?://[^\"']+\.m?js[\"']",
    ]
    return [m.group(0) for p in patterns for m in re.finditer(p, html, re.I)]


# --------------------------------------------------------------------------------------
# the salt
# --------------------------------------------------------------------------------------
def salt_digest(salt: str) -> str:
    return hashlib.sha256(salt.encode("utf-8")).hexdigest()


def without_salt(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with ``salt`` replaced by ``salt_sha256``: what a manifest may record."""
    out = {k: v for k, v in values.items() if k != "salt"}
    if isinstance(values.get("salt"), str):
        out["salt_sha256"] = salt_digest(values["salt"])
    return out


@contextlib.contextmanager
def salt_in_environment(salt: str | None) -> Iterator[None]:
    """The salt in ``$WORKBENCH_PSEUDONYMISE_SALT`` while the kernel starts (it inherits
    this process's environment), the previous value back afterwards."""
    from workbench.ingest.privacy import ENV_VAR

    if salt is None:
        yield
        return
    before = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = salt
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = before


# --------------------------------------------------------------------------------------
# run
# --------------------------------------------------------------------------------------
def _cell_timings(nb) -> list[dict[str, Any]]:
    out = []
    for i, cell in enumerate(nb.cells):
        meta = cell.get("metadata", {}).get("papermill", {})
        if cell.get("cell_type") == "code" and meta.get("duration") is not None:
            first = (cell.get("source") or "").strip().splitlines()
            out.append({"cell": i, "first_line": first[0][:80] if first else "",
                        "seconds": round(float(meta["duration"]), 3)})
    return out


def run_case(
    params: str | Path | CaseParams,
    *,
    run_id: str | None = None,
    reports: str | Path | None = None,
    kernel: str | None = None,
    progress: bool = True,
) -> CaseRun:
    """Validate ``params``, execute the case notebook with papermill, export HTML, write the
    manifest. Raises :class:`ParameterError` before running anything if the parameters are
    wrong, :class:`CaseRunError` if the notebook fails (its run folder is kept)."""
    import nbformat
    from papermill.exceptions import PapermillExecutionError

    from workbench.cases.notebooks import execute, kernel_name

    t_start = time.perf_counter()
    started = datetime.now(UTC)
    cp = params if isinstance(params, CaseParams) else load_params(params)
    root = Path(reports) if reports else cp.reports
    case_dir = root / cp.case
    rid = run_id or new_run_id(case_dir)
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", rid):
        raise ValueError(f"run id {rid!r}: use letters, digits, '_', '-', '.'")
    run_dir = case_dir / rid
    run_dir.mkdir(parents=True, exist_ok=True)
    kname = kernel or kernel_name()
    nb_params = dict(cp.notebook_params, output_dir=str(run_dir.resolve()))
    salt = nb_params.pop("salt", None)  # to the kernel by environment, never as a parameter
    out_nb = run_dir / f"{cp.notebook.stem}.ipynb"

    t_inputs = time.perf_counter()
    inputs = input_files(nb_params["sources"])
    hash_s = time.perf_counter() - t_inputs

    status, error = "ok", None
    t_nb = time.perf_counter()
    try:
        with salt_in_environment(salt):
            execute(cp.notebook, out_nb, nb_params, kernel=kname, cwd=run_dir, progress=progress)
    except PapermillExecutionError as exc:
        status = "failed"
        error = f"cell {exc.exec_count}: {exc.ename}: {exc.evalue}"
    nb_s = time.perf_counter() - t_nb

    t_html = time.perf_counter()
    if out_nb.exists():
        notebook_to_html(out_nb, run_dir / "report.html", title=cp.title)
    html_s = time.perf_counter() - t_html

    info_path = run_dir / "run_info.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.exists() else {}
    cells = _cell_timings(nbformat.read(out_nb, as_version=4)) if out_nb.exists() else []
    outputs = {
        p.name: file_sha256(p) for p in sorted(run_dir.iterdir())
        if p.is_file() and p.name != "manifest.json"
    }
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "case": cp.case,
        "title": cp.title,
        "description": cp.description,
        "run_id": rid,
        "status": status,
        "error": error,
        "started_at": started.isoformat(),
        "parameters": {"file": str(cp.path), "sha256": cp.sha256, "values": without_salt(cp.raw),
                       "notebook_values": nb_params},
        "notebook": {"source": str(cp.notebook), "sha256": file_sha256(cp.notebook),
                     "executed": out_nb.name, "kernel": kname},
        "inputs": inputs,
        "rows": info.get("counts", {}),
        "ingest_report": info.get("ingest_report", {}),
        "levels": dict(info.get("levels", [])),
        "rules": info.get("rules", {}),
        "model": {"id": info.get("model_id")},
        "graded_at": info.get("graded_at"),
        "digests": info.get("digests", {}),
        "package": package_versions(),
        "git": git_state(Path(__file__).resolve().parents[3]),
        "platform": {"system": platform.platform(), "executable": sys.executable},
        "timings": {
            "total_s": round(time.perf_counter() - t_start, 3),
            "hash_inputs_s": round(hash_s, 3),
            "notebook_s": round(nb_s, 3),
            "html_s": round(html_s, 3),
            "steps": info.get("timings", {}),
            "cells": cells,
        },
        "outputs": outputs,
    }
    (run_dir / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    if status != "ok":
        raise CaseRunError(
            f"case {cp.case}: notebook {cp.notebook.name} failed at {error}; "
            f"see {out_nb}", run_dir
        )
    return CaseRun(params=cp, run_id=rid, run_dir=run_dir, manifest=manifest)
