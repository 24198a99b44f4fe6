# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Case study
#
# A parameterised case study, end to end: **ingest → events → findings → grading →
# measures and deadlines → charts → briefing**. Run it with
# `workbench case run parameters/<case>.yaml`, which validates the parameters, executes this
# notebook with papermill into `reports/<case>/<run-id>/` and writes the offline HTML report
# and `manifest.json` beside it. All logic lives in the `workbench` package; this notebook
# only calls it.

# %% tags=["parameters"]
case: str = "demo"
title: str = ""
sources: list[str] = []
start: str = ""
end: str = ""
keywords: list[str] = []
platforms: list[str] = []
max_events: int = 0
rules: str = ""
model: str = ""
pseudonymise: bool = True
# salt empty: taken from $WORKBENCH_PSEUDONYMISE_SALT, which is how `workbench case run` passes it
salt: str = ""
now: str = ""
top_n: int = 5
tz: str = "Asia/Shanghai"
output_dir: str = "."

# %%
from IPython.display import Markdown, display  # noqa: E402

from workbench import charts  # noqa: E402
from workbench.cases import briefing, pipeline, report  # noqa: E402

charts.use_offline_renderer("svg")  # static SVG: the HTML report needs no CDN
if not sources:
    raise ValueError("no sources: pass parameters with `workbench case run parameters/<case>.yaml`")

# %% [markdown]
# ## 1. Ingest
# Every source goes through the project's readers; rejected rows are quarantined with a
# reason, never dropped. Authors are pseudonymised unless the case says otherwise.

# %%
salt = pipeline.resolve_salt(salt)
case_ = pipeline.ingest(sources, name=case, pseudonymise=pseudonymise, salt=salt, progress=True)
case_ = pipeline.select(case_, start=start, end=end, keywords=keywords, platforms=platforms,
                        max_events=max_events)
display(Markdown(report.ingest_summary(case_)))

# %% [markdown]
# ## 2. Events and findings

# %%
case_ = pipeline.detect(case_, model=model, progress=True)
display(Markdown(report.events_summary(case_)))

# %% [markdown]
# ## 3. Grading, measures and deadlines

# %%
case_ = pipeline.grade(case_, rules=rules, now=now)
display(Markdown(report.grading_summary(case_, top_n=top_n, tz=tz)))

# %%
charts.level_distribution(case_.gradings)

# %%
charts.event_map(case_.findings, case_.gradings)

# %% [markdown]
# ## 4. The most severe events

# %%
for event_id in report.top_events(case_, top_n):
    display(Markdown(report.event_header(case_, event_id, tz=tz)))
    display(report.event_charts(case_, event_id, tz=tz, salt=salt, pseudonymise=pseudonymise))

# %% [markdown]
# ## 5. Across the case

# %%
charts.channel_mix(case_.event_posts(), tz=tz)

# %%
charts.sentiment_over_time(report.scored_posts(case_), score="sentiment_score", tz=tz,
                           freq="6h")

# %% [markdown]
# ## 6. Briefing and saved tables

# %%
text = briefing.build_briefing(
    case_.findings, case_.gradings, case_.posts, case_.assignments,
    title=title or case, case=case, top_n=top_n, pseudonymise=pseudonymise, tz=tz,
    graded_at=case_.graded_at, rules_version=case_.rules_version, rules_hash=case_.rules_hash,
    model_id=case_.model_id,
)
briefing.write_briefing(output_dir, text, title=title or case,
                        charts=report.briefing_charts(case_, top_n=min(top_n, 3), tz=tz))
info = pipeline.save(case_, output_dir)
display(Markdown(text))
