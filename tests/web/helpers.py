"""Reading numbers back from rendered pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser


class _Tables(HTMLParser):
    """Rows of the table inside the element with a given id: [{data-key: text}]."""

    def __init__(self, wrapper_id: str) -> None:
        super().__init__()
        self.wrapper_id = wrapper_id
        self.depth = 0  # >0 while inside the wrapper
        self.rows: list[dict[str, str]] = []
        self.cell_key: str | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if self.depth:
            if tag == "div":
                self.depth += 1
            if tag == "tr":
                self.rows.append({})
            if tag in ("td", "th") and a.get("data-key"):
                self.cell_key, self.text = a["data-key"], ""
        elif tag == "div" and a.get("id") == self.wrapper_id:
            self.depth = 1

    def handle_endtag(self, tag: str) -> None:
        if not self.depth:
            return
        if tag in ("td", "th") and self.cell_key:
            self.rows[-1][self.cell_key] = " ".join(self.text.split())
            self.cell_key = None
        if tag == "div":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.cell_key:
            self.text += data


def table_rows(html: str, wrapper_id: str) -> list[dict[str, str]]:
    p = _Tables(wrapper_id)
    p.feed(html)
    return [r for r in p.rows if r]


def number(text: str) -> float | str | None:
    """A locale-formatted cell back to a number ("1 234,5 %" → 1234.5); "–" → None."""
    t = text.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").rstrip("%")
    if t in ("–", ""):
        return None
    if t == "<5":
        return "<5"
    t = t.replace("−", "-")
    if re.fullmatch(r"-?[\d.,]+", t):
        if "," in t:  # fi / sv decimal comma
            t = t.replace(".", "").replace(",", ".")
        else:
            t = t.replace(",", "")
        return float(t)
    return text


def visible_text(html: str) -> list[str]:
    """Text nodes a reader sees (no script/style), stripped."""

    class P(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.skip = 0
            self.out: list[str] = []

        def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
            if tag in ("script", "style", "code"):
                self.skip += 1

        def handle_endtag(self, tag: str) -> None:
            if tag in ("script", "style", "code"):
                self.skip -= 1

        def handle_data(self, data: str) -> None:
            if not self.skip and data.strip():
                self.out.append(" ".join(data.split()))

    p = P()
    p.feed(html)
    return p.out
