"""Untrusted text into Markdown and HTML, inert.

Post text, titles, keywords and anything else read from the outside world reach the
briefings, the case report and the drill report. Three tools keep it from becoming markup:

- :func:`md_text` / :func:`md_code`: a value as Markdown that renders as exactly that text
  (``< > &`` as entities, link brackets, backticks and table pipes backslash-escaped, one
  line). Used wherever a value is interpolated into Markdown, so the ``.md`` files and the
  Markdown that notebooks display (rendered by nbconvert with raw HTML on) stay inert too.
- :func:`markdown_to_html`: Markdown -> HTML with raw HTML escaped and links and images
  limited to http(s) (or relative) URLs.
- :func:`page`: a self-contained HTML page from a jinja2 template with autoescape on: the
  title and captions are escaped; only the body and the figures, already safe HTML, are
  marked as such.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

_HTML_CHARS = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
# link / image brackets, code spans, table cells, and the backslash itself
_MD_PUNCT = re.compile(r"([\\`\[\]|])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\u0085\v\f]+")


# what makes a line a heading, list item, rule or quote when it starts it
_BLOCK_START = re.compile(r"^(?:([#=+*_~-])|(\d+)([.)]))")


def md_text(value: Any) -> str:
    """``value`` as Markdown text that renders literally, on one line (stripped): no HTML,
    no links, no code spans, no table cells, no block of its own. ``None`` -> ''."""
    if value is None:
        return ""
    text = _LINE_BREAKS.sub(" ", str(value)).strip()
    text = _MD_PUNCT.sub(r"\\\1", text.translate(_HTML_CHARS))
    return _BLOCK_START.sub(lambda m: f"\\{m[1]}" if m[1] else f"{m[2]}\\{m[3]}", text)


def md_code(value: Any) -> str:
    """``value`` as an inline code span (backticks inside replaced, one line)."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value)).replace("`", "'")
    return f"`{text.replace('|', '｜')}`"


def md_join(values: Iterable[Any], sep: str = ", ") -> str:
    """Several values, each through :func:`md_text`."""
    return sep.join(md_text(v) for v in values)


@lru_cache(maxsize=1)
def _markdown():
    import mistune
    from mistune.renderers.html import HTMLRenderer

    class SafeRenderer(HTMLRenderer):
        """Raw HTML escaped; links and images only to http(s) (or relative) URLs."""

        SAFE_PROTOCOLS = ("http:", "https:")
        GOOD_DATA_PROTOCOLS = ()

    return mistune.create_markdown(renderer=SafeRenderer(escape=True),
                                   plugins=["strikethrough", "table"])


def markdown_to_html(markdown: str) -> str:
    """Markdown -> HTML fragment; raw HTML in the source comes out as text."""
    return _markdown()(markdown)


_PAGE = """<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>{{ css }}</style></head>
<body>{{ body }}
{%- if figures_heading %}<h2>{{ figures_heading }}</h2>{% endif %}
{%- for caption, svg in figures %}<figure>
{%- if caption %}<figcaption>{{ caption }}</figcaption>{% endif %}{{ svg }}</figure>
{%- endfor %}</body></html>
"""


@lru_cache(maxsize=1)
def _template():
    from jinja2 import Environment

    return Environment(autoescape=True, keep_trailing_newline=True).from_string(_PAGE)


def page(title: str, body_html: str, *, css: str = "",
         figures: Sequence[tuple[str, str]] = (), figures_heading: str = "") -> str:
    """A self-contained HTML page. ``body_html`` must come from :func:`markdown_to_html`
    and each figure's SVG from the chart renderer; ``title``, ``css`` text, captions and the
    heading are escaped."""
    from markupsafe import Markup

    return _template().render(
        title=title, css=Markup(css), body=Markup(body_html),
        figures=[(caption, Markup(svg)) for caption, svg in figures],
        figures_heading=figures_heading,
    )
