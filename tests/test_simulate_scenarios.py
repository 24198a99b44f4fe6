"""The drill scenarios: every file loads, and together they cover every level x nature."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import pytest

from workbench import simulate
from workbench.schema import LEVELS, NATURES

ROOT = Path(__file__).parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_scenario_loads_and_names_its_file(path):
    sc = simulate.load(path)
    assert sc.intended_level in LEVELS
    assert sc.nature in NATURES
    # new-style names: <nature>_<level>_<short>.yaml match the scenario's own nature and level
    parts = path.stem.split("_")
    if len(parts) >= 3 and parts[0] in NATURES:
        assert (parts[0], parts[1].upper()) == (sc.nature, sc.intended_level), path.name


def test_every_level_nature_cell_has_a_scenario():
    cells = {(s.intended_level, s.nature) for s in map(simulate.load, SCENARIOS)}
    missing = sorted(set(product(LEVELS, NATURES)) - cells)
    assert not missing, f"no scenario for (level, nature): {missing}"


def test_scenario_names_are_unique():
    names = [simulate.load(p).name for p in SCENARIOS]
    assert len(names) == len(set(names))
