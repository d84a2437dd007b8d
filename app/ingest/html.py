"""Text and hyperlinks from an article's raw HTML (standard library only).

Text: the contents of paragraphs, headings, list items and block quotes, one
paragraph per block; scripts, styles, navigation, headers, footers, asides,
forms and figure captions are skipped. Links: every ``<a href>`` inside the
article body, resolved against the article's URL, with its anchor text.
"""

from __future__ import annotations

import html as html_lib
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "dd", "dt"}
SKIP = {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "figcaption", "svg", "button",
        "iframe", "template"}
VOID = {"br", "img", "hr", "input", "meta", "link", "source", "wbr", "area", "base", "col", "embed", "param",
        "track"}


class _Parser(HTMLParser):
    def __init__(self, base_url: str | None):
        super().__init__(convert_charrefs=True)
        self.base = base_url
        self.skip_depth = 0
        self.block_depth = 0
        self.buffer: list[str] = []
        self.paragraphs: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._anchor: list[str] | None = None
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            if tag == "br" and self.block_depth:
                self.buffer.append(" ")
            return
        if tag in SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in BLOCKS:
            if self.block_depth == 0:
                self._flush()
            self.block_depth += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href and not href.startswith(("#", "mailto:", "javascript:", "tel:")):
                try:  # a broken href (http://[oops/) is not a link; the article is still read
                    self._href = urljoin(self.base, href.strip()) if self.base else href.strip()
                    urlsplit(self._href)
                except ValueError:
                    self._href = None
                    return
                self._anchor = []

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if tag in SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "a" and self._href is not None:
            if re.match(r"^https?://", self._href, re.I):
                self.links.append((self._href, " ".join("".join(self._anchor or []).split())))
            self._href, self._anchor = None, None
        if tag in BLOCKS and self.block_depth:
            self.block_depth -= 1
            if self.block_depth == 0:
                self._flush()

    def handle_data(self, data):
        if self.skip_depth:
            return
        if self.block_depth:
            self.buffer.append(data)
        if self._anchor is not None:
            self._anchor.append(data)

    def _flush(self):
        text = " ".join("".join(self.buffer).split())
        if text:
            self.paragraphs.append(text)
        self.buffer = []


def parse_html(raw: str, base_url: str | None = None) -> tuple[str, list[tuple[str, str]]]:
    """(text with one paragraph per block separated by blank lines, [(absolute URL, anchor text)])."""
    parser = _Parser(base_url)
    parser.feed(raw)
    parser.close()
    parser._flush()
    text = "\n\n".join(parser.paragraphs)
    if not text:  # no block elements at all: the visible text as one paragraph
        stripped = re.sub(r"(?is)<(script|style)[^>]*>.*?</\1>", " ", raw)
        text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", stripped)).split())
    return text, list(dict.fromkeys(parser.links))
