# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Investigate an unfolding event
#
# For the analyst on duty: load posts, filter by time / keyword / platform, see the events,
# then drill into one — its timeline, posts, spreaders, sentiment, its grade and why, the
# measures, owners and deadlines. Change the parameters below (or the `event_id` cell) and
# re-run; everything here calls the `workbench` package.

# %% tags=["parameters"]
sources: list[str] = ["../tests/fixtures/cases/small"]
start: str = ""
end: str = ""
keywords: list[str] = []
platforms: list[str] = []
max_events: int = 0
model: str = ""
rules: str = ""
pseudonymise: bool = True
salt: str = "workbench"
event_id: str = ""
tz: str = "Asia/Shanghai"
static_charts: bool = True

# %%
import polars as pl  # noqa: E402
from IPython.display import Markdown, display  # noqa: E402

from workbench import charts  # noqa: E402
from workbench.cases import pipeline, report  # noqa: E402

if static_charts:
    charts.use_offline_renderer("svg")

# %% [markdown]
# ## Load and filter

# %%
case = pipeline.ingest(sources, name="investigate", pseudonymise=pseudonymise, salt=salt)
case = pipeline.select(case, start=start, end=end, keywords=keywords, platforms=platforms,
                       max_events=max_events)
display(Markdown(report.ingest_summary(case)))
charts.channel_mix(case.posts, tz=tz)

# %% [markdown]
# ## The events

# %%
case = pipeline.detect(case, model=model)
case = pipeline.grade(case, rules=rules)
display(Markdown(report.grading_summary(case, top_n=10, tz=tz)))
charts.event_map(case.findings, case.gradings)

# %% [markdown]
# ## Drill into one event
# The most severe event unless `event_id` names one.

# %%
chosen = event_id or report.top_events(case, 1)[0]
display(Markdown(report.event_header(case, chosen, tz=tz)))
report.event_charts(case, chosen, tz=tz, salt=salt, pseudonymise=pseudonymise)

# %% [markdown]
# ### Its posts (earliest first)

# %%
posts = case.posts_of(chosen).sort("created_at")
posts.select("post_id", "created_at", "platform", "kind", "author_type", "text").head(20)

# %% [markdown]
# ### Sentiment

# %%
scored = report.scored_posts(case).filter(pl.col("event_id") == chosen)
charts.sentiment_over_time(scored, score="sentiment_score", tz=tz)

# %% [markdown]
# ### Grade, trace, measures, owners and deadlines

# %%
display(Markdown(report.event_detail(case, chosen, tz=tz)))
