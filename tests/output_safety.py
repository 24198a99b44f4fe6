"""Helpers of the output-safety tests: hostile texts, and a check that a page holds no live
markup from them (an HTML parser, not string matching: what a browser would run)."""

from __future__ import annotations

from html.parser import HTMLParser

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[点这里](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<javascript:alert(1)>",
    '<a href="javascript:alert(1)">链接</a>',
    "<svg onload=alert(1)>",
    "`code` | pipe ** && <b>bold</b>",
]
HOSTILE_TITLE = '<h1 onclick="alert(1)">标题</h1><script>alert(1)</script>'


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.lower().startswith("on") and "alert" in (value or ""):
                self.live.append(f"<{tag} {name}={value!r}>")
            if name.lower() in ("href", "src", "action", "formaction", "xlink:href"):
                if (value or "").strip().lower().startswith(("javascript:", "vbscript:", "data:text")):
                    self.live.append(f"<{tag} {name}={value!r}>")
        if tag == "script":
            self._in_script = True
        if tag == "h1" and any(n == "onclick" for n, _ in attrs):
            self.live.append("<h1 onclick>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(1)" in data:
            self.live.append(f"<script>{data[:60]}</script>")


def live_markup(html: str) -> list[str]:
    """Elements or attributes in ``html`` that would run the hostile texts' code."""
    c = _Collector()
    c.feed(html)
    c.close()
    return c.live
