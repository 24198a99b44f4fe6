"""The one entry point: `nox -s tests`, `nox -s demo`, `nox -s lint`, `nox -s bench`, `nox -s lab`,
`nox -s fuzz`."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import nox

ROOT = Path(__file__).parent
PYTHON = "3.11"
nox.options.sessions = ["lint", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "venv"

_project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
NO_DEPS = _project["tool"]["workbench"]["no-deps"]
TORCH = next(d for d in _project["project"]["dependencies"] if d.startswith("torch"))

# Nothing downloads at run time: models come from registry packages.
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}


def install_project(session: nox.Session, extras: str = "test") -> None:
    # The pinned CPU torch first: an unpinned torch pulls a multi-GB CUDA build.
    session.install(TORCH)
    session.install("-e", f".[{extras}]")
    session.install("--no-deps", *NO_DEPS)


def register_kernel(session: nox.Session) -> None:
    session.run(
        "python", "-m", "ipykernel", "install", "--prefix", session.virtualenv.location,
        "--name", "workbench", "--display-name", "workbench (Python 3.11)", silent=True,
    )


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the test suite (notebooks included) on two workers, a test file to a worker
    (module fixtures such as the papermill case run are built once); `nox -s tests -- ARGS`
    passes ARGS to pytest instead (`-- -q -p no:xdist tests/test_x.py` for one file, serially)."""
    install_project(session)
    register_kernel(session)
    session.run("pytest", *(session.posargs or ["-q", "-n", "2", "--dist", "loadfile"]),
                env=OFFLINE)


@nox.session(python=PYTHON)
def fuzz(session: nox.Session) -> None:
    """The ingest fuzzers, longer: `nox -s fuzz -- 2000` examples per reader (default 1000);
    the totals (cases, rows read / accepted / quarantined, classes) go to out/fuzz-report.json."""
    install_project(session)
    examples = session.posargs[0] if session.posargs else "1000"
    (ROOT / "out").mkdir(exist_ok=True)
    env = {**OFFLINE, "WORKBENCH_FUZZ_EXAMPLES": examples,
           "WORKBENCH_FUZZ_REPORT": str(ROOT / "out" / "fuzz-report.json")}
    session.run("pytest", "-q", "-p", "no:cacheprovider", "tests/test_ingest_fuzz.py", env=env)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff over the package, tests, benchmarks and notebooks' scripts."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "src", "tests", "benchmarks", "noxfile.py")


@nox.session(python=PYTHON)
def demo(session: nox.Session) -> None:
    """The main job: the flagship case study on the embedded (simulated) default data."""
    install_project(session)
    register_kernel(session)
    session.run("python", "-m", "workbench.demo", *session.posargs, env=OFFLINE)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Benchmarks on ../shared/data; each prints its figures beside its baseline, as a ratio."""
    install_project(session)
    scripts = sorted((ROOT / "benchmarks").glob("bench_*.py"))
    wanted = session.posargs
    for script in scripts:
        if wanted and not any(w in script.stem for w in wanted):
            continue
        session.log(f"== {script.name}")
        session.run("python", str(script), env=OFFLINE)


@nox.session(python=PYTHON)
def lab(session: nox.Session) -> None:
    """JupyterLab on notebooks/ with the project's kernel registered."""
    install_project(session)
    register_kernel(session)
    args = ["--notebook-dir", str(ROOT / "notebooks")]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    session.run("jupyter", "lab", *args, *session.posargs, env=OFFLINE)


if __name__ == "__main__":
    sys.exit("run sessions with: nox -s <session>")
