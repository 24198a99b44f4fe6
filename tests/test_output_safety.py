"""Untrusted text stays inert in every output: the escaping helpers (property-tested), the
HTML pages, and a real case run whose posts and title are hostile; the pseudonymisation salt
of that run appears in none of its files."""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

import mistune
import nbformat
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from output_safety import HOSTILE, HOSTILE_TITLE, live_markup

from workbench.markup import markdown_to_html, md_code, md_text, page

ROOT = Path(__file__).parents[1]
SMALL = ROOT / "tests" / "fixtures" / "cases" / "small"
PERMISSIVE = mistune.create_markdown(escape=False, plugins=["strikethrough", "table"])  # as nbconvert


@pytest.mark.parametrize("text", HOSTILE + [HOSTILE_TITLE])
def test_hostile_text_renders_as_text(text):
    for render in (PERMISSIVE, markdown_to_html):
        html = render(f"> post: {md_text(text)}\n\n| a |\n|---|\n| {md_text(text)} |\n")
        assert live_markup(html) == [], html
        assert "<script" not in html and "<img" not in html and "<a " not in html


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&\"'`[]()!|*_\\:/#=- \nazjJ1爆炸")), max_size=40))
def test_md_text_renders_exactly_the_text(text):
    """Whatever the text, md_text's Markdown renders (even with raw HTML allowed) to one
    paragraph holding exactly that text, on one line."""
    from html import unescape

    html = PERMISSIVE(md_text(text)).strip()
    expected = re.sub(r"\n+", " ", text).strip()
    if not expected.strip():
        return
    assert html.startswith("<p>") and html.endswith("</p>"), html
    inner = html[3:-4]
    assert "<" not in inner.replace("<em>", "").replace("</em>", "").replace(
        "<strong>", "").replace("</strong>", "").replace("<del>", "").replace("</del>", ""), html
    plain = unescape(inner.replace("<em>", "").replace("</em>", "").replace("<strong>", "")
                     .replace("</strong>", "").replace("<del>", "").replace("</del>", ""))
    # emphasis markers (* _ ~) may be consumed; every other character comes out as written
    assert [c for c in plain if c not in "*_~"] == [c for c in expected if c not in "*_~"], \
        (text, html)


def test_md_code_cannot_break_out():
    html = PERMISSIVE(f"id {md_code('x` <img src=x onerror=alert(1)> `y')} end")
    assert live_markup(html) == [] and html.count("<code>") == 1


def test_links_only_http():
    html = markdown_to_html("[a](javascript:alert(1)) [b](https://example.org/x) "
                            "![c](data:text/html,alert(1)) <b>raw</b>")
    assert 'href="https://example.org/x"' in html
    assert "javascript:" not in html.split('href="')[1] and live_markup(html) == []
    assert "&lt;b&gt;raw&lt;/b&gt;" in html


def test_page_escapes_title_and_captions():
    html = page(HOSTILE_TITLE, "<p>ok</p>", figures=[(HOSTILE[0], "<svg></svg>")],
                figures_heading="<i>charts</i>")
    assert live_markup(html) == [] and "<p>ok</p>" in html and "<svg></svg>" in html
    assert "&lt;i&gt;charts&lt;/i&gt;" in html


def test_dataframe_html_reprs_escape_cells():
    """The notebooks show frames of posts: polars' and pandas' HTML reprs escape them."""
    frame = pl.DataFrame({"text": HOSTILE})
    assert live_markup(frame._repr_html_()) == []
    assert "<script>" not in frame._repr_html_()
    import pandas as pd

    assert live_markup(pd.DataFrame({"text": HOSTILE}).to_html()) == []


# --------------------------------------------------------------------------------------
# a real case run with hostile posts and title
# --------------------------------------------------------------------------------------
SALT = "s4lt-d0-not-leak-7f3a9c"


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory, kernel):
    from workbench.cases.run import run_case

    tmp = tmp_path_factory.mktemp("hostile")
    data = tmp / "data"
    data.mkdir()
    (data / "small.mapping.yaml").write_text((SMALL / "small.mapping.yaml").read_text("utf-8"),
                                             encoding="utf-8")
    lines = []
    for i, line in enumerate((SMALL / "posts.jsonl").read_text("utf-8").splitlines()):
        row = json.loads(line)
        row["content"] = f"{row['content']} {HOSTILE[i % len(HOSTILE)]}"
        row["user"]["name"] = HOSTILE[(i + 1) % len(HOSTILE)]
        lines.append(json.dumps(row, ensure_ascii=False))
    (data / "posts.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    params = tmp / "hostile.yaml"
    params.write_text(
        f"case: hostile\ntitle: {json.dumps(HOSTILE_TITLE)}\n"
        f"notebook: {ROOT / 'notebooks' / 'case_study.py'}\nreports: reports\n"
        f"sources: [{data}]\ntop_n: 3\nsalt: {SALT}\n", encoding="utf-8")
    return run_case(params, run_id="r1", kernel=kernel, progress=False)


def _notebook_outputs_html(path: Path) -> list[str]:
    nb = nbformat.read(path, as_version=4)
    out = []
    for cell in nb.cells:
        for o in cell.get("outputs", []):
            data = o.get("data", {})
            if "text/html" in data:
                out.append(data["text/html"])
            if "text/markdown" in data:
                out.append(PERMISSIVE(data["text/markdown"]))
    return out


@pytest.mark.slow
def test_case_outputs_hold_no_live_markup(hostile_run):
    d = hostile_run.run_dir
    md = (d / "briefing.md").read_text("utf-8")
    assert "<script" not in md and "<img" not in md and "<h1" not in md
    assert "alert(1)" in md  # the hostile posts are quoted, as text
    pages = {
        "report.html": (d / "report.html").read_text("utf-8"),
        "briefing.html": (d / "briefing.html").read_text("utf-8"),
        "briefing.md (rendered with raw HTML on)": PERMISSIVE(md),
    }
    pages.update({f"notebook output {i}": h
                  for i, h in enumerate(_notebook_outputs_html(hostile_run.notebook))})
    for name, html in pages.items():
        assert live_markup(html) == [], name
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["briefing.html"]
    assert "标题" in pages["report.html"] and "标题" in pages["briefing.html"]  # title shown, inert


@pytest.mark.slow
def test_salt_never_leaves_the_run(hostile_run):
    d = hostile_run.run_dir
    files = [p for p in d.rglob("*") if p.is_file()]
    assert {"manifest.json", "report.html", "case_study.ipynb", "briefing.md"} <= {p.name for p in files}
    for p in files:
        assert SALT.encode() not in p.read_bytes(), p.name
    m = json.loads((d / "manifest.json").read_text("utf-8"))
    assert m["parameters"]["values"]["salt_sha256"] == hashlib.sha256(SALT.encode()).hexdigest()
    from workbench.ingest.privacy import ENV_VAR

    assert os.environ.get(ENV_VAR) != SALT  # handed to the kernel only, then taken back
