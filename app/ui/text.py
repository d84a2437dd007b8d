"""Text from articles and users, made safe to show."""

from __future__ import annotations


def md(text: object) -> str:
    """Text from articles shown as Markdown: every Markdown and HTML character escaped."""
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>~$" else ch for ch in str(text))
