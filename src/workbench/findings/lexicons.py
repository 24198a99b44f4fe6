"""Load the expert-edited word lists in ``rules/lexicons/*.yaml`` (one job: find, read, check).

Where the lexicons are looked up, first hit wins:

1. the ``lexicon_dir`` argument,
2. the ``WORKBENCH_LEXICONS`` environment variable,
3. ``rules/lexicons`` under the current directory,
4. ``rules/lexicons`` at the root of the source checkout this package was imported from.

Every file is validated on load; a malformed file raises :class:`LexiconError` naming the
file and the key that is wrong. Words are returned as plain strings, stripped, de-duplicated
in order of appearance.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

ENV_VAR = "WORKBENCH_LEXICONS"
_REPO_DEFAULT = Path(__file__).resolve().parents[3] / "rules" / "lexicons"


class LexiconError(ValueError):
    """A lexicon file is missing or malformed."""


def find_lexicon_dir(lexicon_dir: str | Path | None = None) -> Path:
    """Return the folder holding the lexicon YAML files (see module docs for the order)."""
    candidates: list[Path] = []
    if lexicon_dir is not None:
        candidates.append(Path(lexicon_dir))
    if os.environ.get(ENV_VAR):
        candidates.append(Path(os.environ[ENV_VAR]))
    candidates += [Path.cwd() / "rules" / "lexicons", _REPO_DEFAULT]
    for path in candidates:
        if (path / "nature.yaml").is_file():
            return path
    tried = ", ".join(str(p) for p in candidates)
    raise LexiconError(f"no lexicon folder with nature.yaml found; tried: {tried}")


def _read(path: Path) -> dict:
    if not path.is_file():
        raise LexiconError(f"{path}: lexicon file missing")
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: expected a mapping at the top level")
    return data


def _words(path: Path, where: str, value) -> list[str]:
    if not isinstance(value, list) or not value:
        raise LexiconError(f"{path}: {where} must be a non-empty list of words")
    out: list[str] = []
    for i, w in enumerate(value):
        if not isinstance(w, str | int) or not str(w).strip():
            raise LexiconError(f"{path}: {where}[{i}] is not a word: {w!r}")
        w = str(w).strip()
        if w not in out:
            out.append(w)
    return out


def _groups(path: Path, data: dict, key: str) -> dict[str, list[str]]:
    groups = data.get(key)
    if not isinstance(groups, dict) or not groups:
        raise LexiconError(f"{path}: '{key}' must map names to {{meaning, words}}")
    out = {}
    for name, body in groups.items():
        if not isinstance(body, dict) or "words" not in body:
            raise LexiconError(f"{path}: {key}.{name} needs a 'words' list")
        out[str(name)] = _words(path, f"{key}.{name}.words", body["words"])
    return out


@dataclass(frozen=True)
class Lexicons:
    """All word lists the findings use, as loaded from one folder."""

    folder: Path
    nature: dict[str, list[str]]
    subjects: dict[str, list[str]]
    rumour_signals: list[str]
    debunk: list[str]
    sensitive: dict[str, list[str]]
    death_words: list[str]
    injury_words: list[str]
    official_name_words: list[str]
    sentiment_weights: dict[str, float] = field(default_factory=dict)
    # context.yaml: when and where a count or a story belongs
    elsewhen: list[str] = field(default_factory=list)
    comparison: list[str] = field(default_factory=list)
    home_places: list[str] = field(default_factory=list)
    foreign_places: list[str] = field(default_factory=list)
    nationals: list[str] = field(default_factory=list)  # context.yaml nationals (optional)


def load(lexicon_dir: str | Path | None = None) -> Lexicons:
    """Read and validate every lexicon file (cached per folder and file mtimes)."""
    folder = find_lexicon_dir(lexicon_dir).resolve()
    stamp = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in folder.glob("*.yaml")))
    return _load(folder, stamp)


@lru_cache(maxsize=8)
def _load(folder: Path, _stamp: tuple) -> Lexicons:
    from workbench.schema import NATURES

    nature_path = folder / "nature.yaml"
    nature = _groups(nature_path, _read(nature_path), "categories")
    unknown = set(nature) - set(NATURES)
    missing = set(NATURES) - set(nature)
    if unknown or missing:
        raise LexiconError(
            f"{nature_path}: categories must be exactly {NATURES}; "
            f"unknown {sorted(unknown)}, missing {sorted(missing)}"
        )

    subjects_path = folder / "subjects.yaml"
    subjects = _groups(subjects_path, _read(subjects_path), "subjects")
    bad = set(subjects) - {"government", "enterprise", "individual"}
    if bad:
        raise LexiconError(f"{subjects_path}: unknown subjects {sorted(bad)}")

    rumour_path = folder / "rumour.yaml"
    rumour = _read(rumour_path)
    for key in ("signals", "debunk"):
        if not isinstance(rumour.get(key), dict):
            raise LexiconError(f"{rumour_path}: '{key}' must be {{meaning, words}}")

    sensitive_path = folder / "sensitive.yaml"
    sensitive = _read(sensitive_path)
    groups = _groups(sensitive_path, sensitive, "groups")
    for needed in ("casualties", "officials", "minors"):
        if needed not in groups:
            raise LexiconError(f"{sensitive_path}: groups.{needed} is required")
    cw = sensitive.get("casualty_words")
    if not isinstance(cw, dict):
        raise LexiconError(f"{sensitive_path}: 'casualty_words' must have deaths and injuries")

    officials_path = folder / "officials.yaml"
    officials = _read(officials_path)
    if not isinstance(officials.get("name_words"), dict):
        raise LexiconError(f"{officials_path}: 'name_words' must be {{meaning, words}}")

    sentiment_path = folder / "sentiment.yaml"
    weights: dict[str, float] = {}
    if sentiment_path.is_file():
        body = (_read(sentiment_path).get("words") or {}).get("weights") or {}
        if not isinstance(body, dict):
            raise LexiconError(f"{sentiment_path}: words.weights must map word -> weight")
        for word, weight in body.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool):
                raise LexiconError(f"{sentiment_path}: weight of {word!r} is not a number")
            weights[str(word).strip()] = float(weight)

    context_path = folder / "context.yaml"
    context = _read(context_path)
    for key in ("elsewhen", "comparison"):
        if not isinstance(context.get(key), dict):
            raise LexiconError(f"{context_path}: '{key}' must be {{meaning, words}}")
    places = _groups(context_path, context, "places")
    for needed in ("home", "foreign"):
        if needed not in places:
            raise LexiconError(f"{context_path}: places.{needed} is required")

    return Lexicons(
        folder=folder,
        elsewhen=_words(context_path, "elsewhen.words", context["elsewhen"].get("words")),
        comparison=_words(context_path, "comparison.words", context["comparison"].get("words")),
        home_places=places["home"],
        foreign_places=places["foreign"],
        nationals=(_words(context_path, "nationals.words", context["nationals"].get("words"))
                   if isinstance(context.get("nationals"), dict) else []),
        nature=nature,
        subjects=subjects,
        rumour_signals=_words(rumour_path, "signals.words", rumour["signals"].get("words")),
        debunk=_words(rumour_path, "debunk.words", rumour["debunk"].get("words")),
        sensitive=groups,
        death_words=_words(sensitive_path, "casualty_words.deaths", cw.get("deaths")),
        injury_words=_words(sensitive_path, "casualty_words.injuries", cw.get("injuries")),
        official_name_words=_words(
            officials_path, "name_words.words", officials["name_words"].get("words")
        ),
        sentiment_weights=weights,
    )
