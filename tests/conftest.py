"""Fixtures shared by the suite: the Jupyter kernel, the lexicons, a copy of the rules, an
embedder with its own cache per module, and the case fixtures' import path.

The suite runs on two workers (``pytest -n 2``, pytest-xdist, see the noxfile); a fixture
here is built once per worker process, not once per suite."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
RULES = ROOT / "rules"
CASES = ROOT / "tests" / "fixtures" / "cases"

# ``frames`` (the small hand-written posts / findings / gradings tables) lives beside the cases
if str(CASES) not in sys.path:
    sys.path.insert(0, str(CASES))


@pytest.fixture(scope="session")
def kernel() -> str:
    """The project's registered Jupyter kernel (registered into the venv when missing)."""
    from workbench.cases.notebooks import ensure_kernel, kernel_name

    try:
        return kernel_name()
    except RuntimeError:
        return ensure_kernel()


@pytest.fixture(scope="session")
def lex():
    """The bundled lexicons (read-only: tests that change words build their own)."""
    from workbench.findings import lexicons

    return lexicons.load()


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the repository's rules (without the lexicons) to break or edit."""
    dst = tmp_path / "rules"
    shutil.copytree(RULES, dst, ignore=shutil.ignore_patterns("lexicons"))
    return dst


@pytest.fixture(scope="module")
def embedder(tmp_path_factory):
    """The default model (m3e-small) with an empty on-disk cache of the module's own."""
    from workbench.embed import get_embedder

    return get_embedder(cache_dir=tmp_path_factory.mktemp("embcache"))
