"""Text, title and hyperlinks from an article's raw HTML, read by the same extractor as collection
(:func:`app.collect.extract.extract`, trafilatura): the article body without the page's furniture (cookie
banners, navigation, bylines, share buttons, related links, newsletter boxes, comments), and only the links
inside that body, resolved against the article's URL, so related links never become lineage candidates.
"""

from __future__ import annotations

from app.collect.extract import Extracted, extract


def read_html(raw: str, base_url: str | None = None) -> Extracted:
    """The page's title, text (one paragraph per block, separated by blank lines) and body links."""
    return extract(raw, base_url)


def parse_html(raw: str, base_url: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """(text, [(absolute URL, anchor text)]) of the article body."""
    page = read_html(raw, base_url)
    return page.text, page.links
