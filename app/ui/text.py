"""Text from articles and users, made safe to show.

Streamlit renders the text of ``st.markdown``, headers, captions, metrics' labels, alerts, spinners and
progress bars as Markdown (GitHub-flavoured: autolinks too). Whatever comes from articles, outlets,
labels, file names or error messages goes through :func:`md` first, so an outlet named
``[log in here](https://evil.example)`` reads as exactly that and is never a link. Links to articles are
shown only in tables (``column_config.LinkColumn``), and only for http(s) addresses: :func:`web_urls`.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from app.charts import BIDI_CONTROLS, plotly_text

# The ASCII punctuation that Markdown (CommonMark + GFM), Streamlit's directives (:red[...]), LaTeX ($)
# or HTML give a meaning to; CommonMark lets any of them be backslash-escaped ('/', '.' and '@' stop the
# parser's own autolinks; ':' is left as it is: without '[' or '/' it starts nothing).
_MARKDOWN_SPECIAL = frozenset("\\`*_{}[]()<>#+-.!|~$&=/@")


# Streamlit's Markdown (remark-gfm) also turns addresses into links *after* parsing, in the text that
# escapes leave behind: an invisible word joiner inside "://", "www." and before "@" stops that.
_WORD_JOINER = "\u2060"
_AUTOLINK_STARTS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)", re.IGNORECASE)


def md(text: object) -> str:
    """``text`` for a Markdown context, every character with a meaning escaped and no address left to
    autolink; it reads exactly as written.

    Line breaks become spaces: the value sits inside a sentence or a heading."""
    flat = _AUTOLINK_STARTS.sub(_WORD_JOINER, " ".join(str(text).translate(BIDI_CONTROLS).splitlines()))
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in flat)


def md_list(items) -> str:
    """Escaped items joined by commas ('none' when there are none)."""
    return ", ".join(md(x) for x in items) or "none"


def chart_text(text: object) -> str:
    """``text`` for a Plotly title or label: Plotly reads a subset of HTML there (``<a href>`` included),
    so the characters that start it are written as entities, which Plotly shows as the characters."""
    return plotly_text(text)


def web_url(url: object) -> str | None:
    """``url`` when it is an absolute http(s) address, otherwise None (no javascript:, data:, file:...)."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def web_urls(table: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``table`` with every address in ``columns`` that is not http(s) blanked, for a LinkColumn."""
    present = [c for c in columns if c in table.columns]
    if not present:
        return table
    return table.assign(**{c: table[c].map(web_url) for c in present})


_DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
_DOC_LINK = re.compile(r"\[([^\]]+)\]\((?![a-z]+:)[^)]*\)")


def project_doc(name: str) -> str | None:
    """One of the project's own documents (``docs/NAME``, trusted Markdown written with the code) for an
    in-app expander, its links to other documents left as their words; None when the docs are not
    installed alongside the code."""
    try:
        text = (_DOCS / name).read_text(encoding="utf-8")
    except OSError:
        return None
    # Headings two levels down: the document sits inside a page, under the page's own headings.
    return re.sub(r"^(#+) ", r"\1## ", _DOC_LINK.sub(r"\1", text), flags=re.M)


def fit(text: object, width_px: int, lines: int = 3) -> str:
    """``text`` short enough to wrap into ``lines`` lines of a table column ``width_px`` wide, cut at a word
    and ended with "…" when it is longer, so no line is clipped mid-height (the article link, or a wider
    table, has it in full). Blank for a missing value."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    text = " ".join(str(text).split())
    room = int((width_px - 16) / 6.0 * lines * 0.88)  # characters of the tables' text that wrap into the lines
    if len(text) <= room:
        return text
    return text[:room].rsplit(" ", 1)[0].rstrip(",;:.") + " …"
