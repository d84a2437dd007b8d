"""Text from articles and users, made safe to show.

Streamlit renders the text of ``st.markdown``, headers, captions, metrics' labels, alerts, spinners and
progress bars as Markdown (GitHub-flavoured: autolinks too). Whatever comes from articles, outlets,
labels, file names or error messages goes through :func:`md` first, so an outlet named
``[log in here](https://evil.example)`` reads as exactly that and is never a link. Links to articles are
shown only in tables (``column_config.LinkColumn``), and only for http(s) addresses: :func:`web_urls`.
"""

from __future__ import annotations

import re
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
