"""Lineage: for each outlet's first article in a frame, its most likely source.

Evidence, strongest first; the first that applies makes the edge:

1. ``copy``: the article is a syndicated copy (table ``copies``) of an earlier article in the frame;
2. ``link``: it links to an earlier article of the frame: a hyperlink in its raw HTML (when the
   HTML was ingested), else a URL in its text, that canonicalises to a stored article;
3. ``attribution``: it credits another outlet by name ("according to X", "as first reported by X",
   "X reported", "citing X", "first published by X") that carried the frame earlier; the source is
   that outlet's latest earlier article in the frame;
4. ``similar passage``: otherwise, the earlier article of another outlet whose frame passage is most
   similar to one of this article's frame passages (cosine of their vectors).

The first article of a frame has no source. Every edge keeps the kind of evidence, a score (1 for
copy, link and attribution; the cosine for similarity) and the text that supports it.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from app.ingest.normalize import canonical_url

_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_CUES = (
    r"according to(?: the)? {o}",
    r"(?:as )?(?:first )?(?:reported|published|revealed) (?:first )?by(?: the)? {o}",
    r"citing(?: the)? {o}",
    r"(?:the )?{o} (?:first )?(?:reported|revealed)",
    r"(?:told|in an interview with)(?: the)? {o}",
)


class Attributions:
    """One regular expression for every attribution cue and every known outlet name."""

    def __init__(self, outlets: list[str]):
        names = sorted({o for o in outlets if o and o.strip()}, key=len, reverse=True)
        self.by_lower = {re.sub(r"\s+", " ", n.lower()): n for n in names}
        alternation = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) or r"(?!x)x"
        cues = [r"\b" + c.replace(" ", r"\s+").format(o=f"(?P<o{i}>{alternation})") + r"\b"
                for i, c in enumerate(_CUES)]
        self.pattern = re.compile("|".join(cues), re.IGNORECASE)

    def find(self, text: str) -> list[tuple[str, str]]:
        """(outlet name, matched words) for every attribution in ``text``, in order."""
        out = []
        for m in self.pattern.finditer(text or ""):
            said = next(v for k, v in m.groupdict().items() if v)
            out.append((self.by_lower[re.sub(r"\s+", " ", said.lower())], m.group(0)))
        return out


def frame_lineage(articles: pd.DataFrame, passages: pd.DataFrame, vectors: np.ndarray, copies: dict[str, str],
                  url_index: dict[str, str], attributions: Attributions,
                  links: dict[str, list[tuple[str, str]]] | None = None) -> pd.DataFrame:
    """Edges for one frame.

    ``articles``: article_id, outlet, published_at, text (the frame's articles);
    ``passages``: article_id, passage_id (the frame's passages), aligned with ``vectors`` (unit rows);
    ``copies``: copy article_id -> original article_id; ``url_index``: canonical URL -> article_id;
    ``links``: article_id -> [(canonical URL, URL)] of the hyperlinks in its HTML.
    """
    arts = articles.sort_values(["published_at", "article_id"]).reset_index(drop=True)
    when = dict(zip(arts["article_id"], arts["published_at"]))
    outlet_of = dict(zip(arts["article_id"], arts["outlet"]))
    firsts = arts.groupby("outlet", sort=False).head(1)
    pass_article = passages["article_id"].to_numpy()
    edges = []
    for row in firsts.itertuples(index=False):
        earlier = arts[(arts["published_at"] < row.published_at) |
                       ((arts["published_at"] == row.published_at) & (arts["article_id"] < row.article_id))]
        earlier = earlier[earlier["outlet"] != row.outlet]
        if earlier.empty:
            continue
        earlier_ids = set(earlier["article_id"])
        edge = None
        original = copies.get(row.article_id)
        if original in earlier_ids:
            edge = (original, "copy", 1.0, "shares most of its paragraphs")
        if edge is None:
            for canon, url in (links or {}).get(row.article_id, []):
                target = url_index.get(canon)
                if target in earlier_ids:
                    edge = (target, "link", 1.0, f"hyperlink {url}")
                    break
        if edge is None:
            for url in _URL.findall(row.text or ""):
                try:
                    target = url_index.get(canonical_url(url.rstrip(".,;")))
                except ValueError:
                    continue
                if target in earlier_ids:
                    edge = (target, "link", 1.0, url)
                    break
        if edge is None:
            for name, words in attributions.find(row.text):
                source = earlier[earlier["outlet"] == name] if name != row.outlet else earlier.iloc[0:0]
                if len(source):
                    edge = (source.iloc[-1]["article_id"], "attribution", 1.0, words)
                    break
        if edge is None:
            mine = np.flatnonzero(pass_article == row.article_id)
            theirs = np.flatnonzero(np.isin(pass_article, list(earlier_ids)))
            # Among equally similar passages the earliest article wins: the likelier original.
            theirs = np.array(sorted(theirs, key=lambda k: (when[pass_article[k]], pass_article[k])), dtype=np.int64)
            if len(mine) and len(theirs):
                sims = vectors[mine] @ vectors[theirs].T
                i, j = np.unravel_index(np.argmax(sims), sims.shape)
                source = pass_article[theirs[j]]
                edge = (source, "similar passage", float(sims[i, j]), passages["passage_id"].iloc[theirs[j]])
        if edge is not None:
            edges.append({"from_article": edge[0], "to_article": row.article_id, "kind": edge[1],
                          "score": edge[2], "evidence": edge[3], "from_outlet": outlet_of[edge[0]],
                          "to_outlet": row.outlet, "lag_hours": (row.published_at - when[edge[0]]).total_seconds() / 3600})
    return pd.DataFrame(edges, columns=["from_article", "to_article", "kind", "score", "evidence", "from_outlet",
                                        "to_outlet", "lag_hours"])


def attention(daily: pd.DataFrame) -> dict:
    """Peak day and half-life of a frame's attention, from its articles per day.

    The peak day is the day with the most articles (the earliest of ties). The half-life is the number
    of days from the peak until half of all the articles from the peak day on had appeared: small when
    attention burns out right after the peak, large when the frame keeps being told.
    """
    if daily.empty:
        return {"peak_day": None, "peak_articles": 0, "half_life_days": None}
    df = daily.sort_values("day").reset_index(drop=True)
    days = pd.to_datetime(df["day"])
    peak = int(df["articles"].to_numpy().argmax())
    after = df["articles"].iloc[peak:].cumsum().to_numpy()
    reached = int((after >= after[-1] / 2).argmax())
    half_life = (days.iloc[peak + reached] - days.iloc[peak]).days
    return {"peak_day": days.iloc[peak].date(), "peak_articles": int(df["articles"].iloc[peak]),
            "half_life_days": half_life}
