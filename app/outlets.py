"""How an outlet's name is found in text: one rule for the cue stage, lineage's attributions, and the
store's search for the articles that name a new outlet (incremental rebuilds are right only while these
agree)."""

from __future__ import annotations

import re


def names_pattern(names) -> str:
    """A regular expression for any of ``names``: each escaped, any spacing between its words, longest
    first so that "The Times of Korea" wins over "The Times". Use it case-insensitively. An empty string
    when there is no name."""
    unique = sorted({n.strip() for n in names if n and n.strip()}, key=lambda n: (-len(n), n))
    return "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in unique)
