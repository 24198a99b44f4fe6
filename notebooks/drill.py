# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Drill
#
# Runs a simulated incident through the pipeline on a simulated clock and scores the
# response against the plan: detection delay, grading accuracy over time, and whether the
# prescribed measures meet their deadlines (section 6 of the plan). The work is done by
# `workbench.drill`; this notebook shows its scores and report.

# %% tags=["parameters"]
scenario: str = "../scenarios/flagship.yaml"
seed: int = 7
scale: float = 1.0
every_hours: float = 1.0
until_hours: float = 0.0
rules: str = ""
output_dir: str = "drill-out"

# %%
from pathlib import Path  # noqa: E402

import polars as pl  # noqa: E402
from IPython.display import HTML, Markdown, display  # noqa: E402

from workbench import charts, drill  # noqa: E402
from workbench.cases.pipeline import DEFAULT_RULES  # noqa: E402

charts.use_offline_renderer("svg")
result = drill.run(
    scenario, output_dir, seed=seed, scale=scale, every_hours=every_hours,
    until_hours=until_hours or None, rules=rules or str(DEFAULT_RULES), charts=True,
    progress=True,
)
score = result.score

# %% [markdown]
# ## Scores

# %%
display(Markdown(
    f"**{score.scenario}** — intended level **{score.intended_level}**, nature "
    f"{score.nature}; total score **{score.total:.0f}/100**."
))
pl.DataFrame(score.criteria)

# %% [markdown]
# ## Measures against their deadlines

# %%
pl.DataFrame(score.measures) if score.measures else Markdown("No measures prescribed.")

# %% [markdown]
# ## The drill report (problems, lessons, suggested changes)

# %%
display(Markdown(Path(result.files["md"]).read_text(encoding="utf-8")))
for svg in sorted(Path(output_dir).glob("*.svg")):
    display(HTML(svg.read_text(encoding="utf-8")))
