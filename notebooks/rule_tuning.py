# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Rule tuning
#
# For the expert who tunes the grading rules: change thresholds, re-grade every archived
# case with the old and the new rules, and see which events change level and which rules
# made the difference. A lowered level is flagged as a breaking change. Adopt a change by
# editing `rules/` itself (and its fixtures), then `workbench rules check`.
#
# `changes` maps a rule id to the new values of its conditions, e.g.
# `{"volume-iv-noticeable": {"n_posts": 50}}` (flag events from 50 posts instead of 200).

# %% tags=["parameters"]
cases: list[str] = ["../reports"]
rules_old: str = ""
rules_new: str = ""
changes: dict = {"volume-iv-noticeable": {"n_posts": 50}}
output_dir: str = "rule-tuning-out"

# %%
from pathlib import Path  # noqa: E402

from IPython.display import Markdown, display  # noqa: E402

from workbench import charts  # noqa: E402
from workbench.cases import tuning  # noqa: E402
from workbench.cases.pipeline import DEFAULT_RULES  # noqa: E402

charts.use_offline_renderer("svg")
Path(output_dir).mkdir(parents=True, exist_ok=True)
old = rules_old or str(DEFAULT_RULES)
new = rules_new or str(tuning.with_thresholds(old, changes, Path(output_dir) / "rules-tuned"))
findings = tuning.archived_findings(cases)
display(Markdown(f"{findings.height} archived events from {findings['case'].n_unique()} case runs; "
                 f"old rules `{old}`, new rules `{new}`; changes: `{changes}`."))

# %% [markdown]
# ## Which events change level, and why

# %%
result = tuning.compare(findings, old, new)
display(Markdown(tuning.summary(result)))

# %% [markdown]
# ## Level distribution before and after

# %%
charts.level_distribution(result.levels, by="rules", grouped=True)

# %%
result.diff.write_parquet(Path(output_dir) / "diff.parquet")
