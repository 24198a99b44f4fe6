"""Notebooks as jupytext percent scripts: conversion to .ipynb and the kernel to run them.

The notebooks in ``notebooks/`` are ``.py`` files with ``# %%`` cells (reviewable diffs, no
outputs in git). papermill needs ``.ipynb``: :func:`to_ipynb` converts one, and stamps the
kernel chosen by :func:`kernel_name` into its metadata.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

KERNEL = "workbench"
NOTEBOOKS_DIR = Path(__file__).resolve().parents[3] / "notebooks"


def _same_python(argv0: str) -> bool:
    if argv0 in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"}:
        return True  # jupyter_client substitutes sys.executable for these
    # compare without resolving symlinks: every venv's python links to the same base
    # interpreter, but a kernel must run *this* environment (same bin/ folder)
    here = Path(os.path.abspath(sys.executable))
    there = Path(os.path.abspath(argv0))
    return there == here or there.parent == here.parent


def kernel_name(preferred: str = KERNEL) -> str:
    """The kernel that runs this same environment: ``workbench`` (registered by nox) when it
    points at this interpreter, else ``python3`` (which jupyter maps to ``sys.executable``),
    else the first kernelspec that uses this interpreter."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    ksm = KernelSpecManager()
    for name in (preferred, "python3"):
        try:
            spec = ksm.get_kernel_spec(name)
        except NoSuchKernel:
            continue
        if spec.argv and _same_python(spec.argv[0]):
            return name
    for name in ksm.find_kernel_specs():
        spec = ksm.get_kernel_spec(name)
        if spec.argv and _same_python(spec.argv[0]):
            return name
    raise RuntimeError(
        "no Jupyter kernel runs this Python "
        f"({sys.executable}); register one with: {sys.executable} -m ipykernel install "
        f"--prefix {sys.prefix} --name {preferred}"
    )


def ensure_kernel(name: str = KERNEL) -> str:
    """Register ``name`` for this interpreter under ``sys.prefix`` if it is missing."""
    import subprocess

    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        if spec.argv and _same_python(spec.argv[0]):
            return name
    except NoSuchKernel:
        pass
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", sys.prefix, "--name", name,
         "--display-name", f"{name} (Python {sys.version_info[0]}.{sys.version_info[1]})"],
        check=True, capture_output=True,
    )
    return name


def read_notebook(path: str | Path, *, kernel: str | None = None):
    """Read a jupytext script (or .ipynb) as a notebook node with a kernelspec set."""
    import jupytext

    nb = jupytext.read(str(path))
    name = kernel or kernel_name()
    nb.metadata["kernelspec"] = {"name": name, "language": "python", "display_name": name}
    nb.metadata.setdefault("language_info", {"name": "python"})
    return nb


@contextlib.contextmanager
def to_ipynb(path: str | Path, *, kernel: str | None = None, out: Path | None = None) -> Iterator[Path]:
    """Convert ``path`` to an .ipynb (in ``out`` or a temp folder) and yield its path."""
    import nbformat

    path = Path(path)
    nb = read_notebook(path, kernel=kernel)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, out)
        yield out
        return
    with tempfile.TemporaryDirectory(prefix="workbench-nb-") as tmp:
        target = Path(tmp) / (path.stem + ".ipynb")
        nbformat.write(nb, target)
        yield target


def execute(
    notebook: str | Path,
    output: str | Path,
    parameters: dict | None = None,
    *,
    kernel: str | None = None,
    cwd: str | Path | None = None,
    progress: bool = False,
    timeout: int | None = 1800,
):
    """Execute a notebook script with papermill into ``output`` (.ipynb); returns the node.

    Raises papermill's ``PapermillExecutionError`` on a failing cell (the output notebook is
    still written, with the error in it).
    """
    import papermill

    name = kernel or kernel_name()
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with to_ipynb(notebook, kernel=name) as ipynb:
        return papermill.execute_notebook(
            str(ipynb), str(output), parameters=parameters or {}, kernel_name=name,
            cwd=str(cwd) if cwd else None, progress_bar=progress, execution_timeout=timeout,
        )
