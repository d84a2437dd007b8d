"""When a frame starts, and which of its articles a claim about its spread may rest on.

A frame collects every passage close enough to its centre, so its earliest article is often an early,
loosely similar passage (a 2013 passage about nuclear arsenals in the frame of a 2018 "nuclear button"
exchange), or an article whose date cannot be right (a page dated July that quotes a speech of August).
Three rules separate what the frame says from what merely resembles it:

1. **Core.** An article is in the frame's *core* when its best passage there is close to the frame's
   centre: its score is at least the frame's own median score less ``CORE_MADS`` median absolute
   deviations (the loose tail of the frame's own score distribution is not core), or it matched a
   seeded frame literally. The threshold is relative, so it holds for any model's similarity scale.
2. **Onset.** The frame starts at its earliest core article that is followed, within ``ONSET_DAYS``,
   by at least ``ONSET_FOLLOWERS`` other core articles, from at least ``ONSET_OUTLETS`` outlets in all:
   the point from which the frame keeps being told; a *nearly* core article (``NEAR_MADS``) dated less than
   ``ONSET_DAYS`` before it that starts the same run is the onset instead (``_run_start``). Articles with a
   flagged date take no part. A frame
   where no article meets the rule starts at its first core article with a sound date (the basis says
   so). Everything the frame holds from before the onset is a *precursor*: an earlier similar passage,
   shown, never counted as the frame's first telling.
3. **Dates.** An article's date is flagged when it cannot be right or is not the publisher's
   (:func:`date_flags`: its text refers to a later date in the past tense, or the date is a crawl time),
   or, within one frame, when it is a core article standing alone more than ``OUTLIER_DAYS`` before the
   rest of the frame's core (:func:`time_outliers`). A corrected date is never flagged.

What counts for first seen, first outlet, first movers, adoption lag and lineage (``counts``): the core
articles from the onset on whose dates are not flagged; in a frame where every core date is flagged,
those flagged core articles (the basis says so). The store's view ``frame_claim_articles`` is the one
place that applies it.

Pure functions: the ``onsets`` stage reads the rows from the store and writes back what they return.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

CORE_MADS = 2.0          # core: score >= median - CORE_MADS * median absolute deviation of the frame's scores
NEAR_MADS = 3.5          # nearly core: may start the sustained run the onset is (``_run_start``)
ONSET_DAYS = 7           # the window after a candidate onset in which the frame must keep being told
ONSET_FOLLOWERS = 2      # other core articles needed in that window
ONSET_OUTLETS = 2        # outlets needed in the window, the candidate's own included
OUTLIER_DAYS = 30        # a leading core article this far before the next core article stands apart in time
LATER_DATE_DAYS = 2      # a date in the text more than this many days after publication flags the date
CRAWL_SOURCES = ("crawl",)  # date sources that are not the publisher's own date

ROLE_COLUMNS = ["frame_id", "article_id", "role", "score", "core", "date_flagged", "counts"]
ONSET_COLUMNS = ["frame_id", "onset_article_id", "onset_at", "onset_outlet", "basis", "core_threshold",
                 "core_articles", "precursors", "flagged"]
FLAG_COLUMNS = ["article_id", "frame_id", "reason", "detail"]

# How the onset was found, in plain words (the frame page and the report say it).
BASIS = {
    "sustained": "core onset",
    "first core": "first core article (the frame was never told by {o} outlets within {d} days)",
    "flagged": "first core article; every core date in this frame is flagged",
    "first article": "first article (no article is close to the frame's centre)",
}


def core_threshold(scores, mads: float = CORE_MADS) -> float:
    """The frame's core threshold: its median score less ``mads`` (``CORE_MADS``) median absolute deviations."""
    s = np.asarray(scores, dtype=float)
    if len(s) == 0:
        return float("nan")
    median = float(np.median(s))
    mad = float(np.median(np.abs(s - median)))
    return median - mads * mad


def sustained_onset(when, outlets, days: float = ONSET_DAYS, followers: int = ONSET_FOLLOWERS,
                    min_outlets: int = ONSET_OUTLETS) -> int | None:
    """Position (in the given order, which must be by date) of the first article followed within ``days``
    by at least ``followers`` other articles, with at least ``min_outlets`` outlets among them and it;
    None when no article is."""
    t = np.asarray(pd.to_datetime(pd.Series(when)).to_numpy())
    o = list(outlets)
    horizon = np.timedelta64(int(days * 86400), "s")
    ends = np.searchsorted(t, t + horizon, side="right")
    for i in range(len(t)):
        if ends[i] - i - 1 >= followers and len(set(o[i:ends[i]])) >= min_outlets:
            return i
    return None


def time_outliers(when, days: float = OUTLIER_DAYS) -> list[int]:
    """Positions (in date order) of the leading articles that stand far before everything else: each more
    than ``days`` before the next one, and further from it than the whole span of the articles after it
    (a 2013 article in a frame otherwise told within 2017). At least two articles must follow."""
    t = np.asarray(pd.to_datetime(pd.Series(when)).to_numpy())
    gap = np.timedelta64(int(days * 86400), "s")
    out = []
    for i in range(len(t) - 2):
        ahead = t[i + 1] - t[i]
        if ahead <= gap or ahead <= t[-1] - t[i + 1]:
            break
        out.append(i)
    return out


@dataclass
class FrameOnset:
    onset_article_id: str | None
    onset_at: pd.Timestamp | None
    onset_outlet: str | None
    basis: str
    core_threshold: float
    roles: pd.DataFrame      # article_id, role, score, core, date_flagged, counts
    outliers: list[str]      # core articles standing apart in time (their date is flagged in this frame)


def _onset(ids: np.ndarray, outlets: np.ndarray, when: np.ndarray, scores: np.ndarray, literal: np.ndarray,
           bad: np.ndarray) -> tuple:
    """One frame's onset from arrays in date order: (onset row or None, basis, threshold, core, bad, counts,
    outlier rows)."""
    threshold = core_threshold(scores)
    core = (scores >= threshold - 1e-6) | literal
    core_rows = np.flatnonzero(core & ~bad)
    outlier_rows = core_rows[time_outliers(when[core_rows])] if len(core_rows) > 2 else core_rows[:0]
    bad = bad.copy()
    bad[outlier_rows] = True
    sound = np.flatnonzero(core & ~bad)
    onset_row, basis = None, "first article"
    if len(sound):
        k = sustained_onset(when[sound], outlets[sound])
        onset_row, basis = (int(sound[k]), "sustained") if k is not None else (int(sound[0]), "first core")
        if k is not None:
            start = _run_start(onset_row, when, outlets, scores, core, bad, sound)
            if start != onset_row:
                core = core.copy()
                core[start] = True
                onset_row = start
    elif core.any():
        onset_row, basis = int(np.flatnonzero(core)[0]), "flagged"
    elif len(ids):
        onset_row = 0
    if onset_row is None:
        return None, basis, threshold, core, bad, np.zeros(len(ids), dtype=bool), outlier_rows
    after = when >= when[onset_row]
    if basis == "flagged":
        counts = after & core
    elif basis == "first article":
        counts = after & ~bad
    else:
        counts = after & core & ~bad
    return onset_row, basis, threshold, core, bad, counts, outlier_rows


def _run_start(onset_row: int, when: np.ndarray, outlets: np.ndarray, scores: np.ndarray, core: np.ndarray,
               bad: np.ndarray, sound: np.ndarray) -> int:
    """The article that starts the sustained run found at ``onset_row``: the earliest article dated less than
    ``ONSET_DAYS`` before it, nearly core (its score at least the frame's median less ``NEAR_MADS`` median
    absolute deviations), with a sound date, that is itself followed within ``ONSET_DAYS`` by
    ``ONSET_FOLLOWERS`` core articles and ``ONSET_OUTLETS`` outlets; else ``onset_row``.

    Where outlets repeat the same sentences word for word, a frame's scores bunch within a few hundredths and
    two deviations below the median is still the frame's own wording: the sample's first denial ("called the
    allegations a smear campaign", 0.756 in a frame of median 0.814 and deviation 0.025) fell just outside the
    core and the frame was dated from the second outlet two days later; so did the first blood tribute (0.753
    against 0.835 and 0.025, 3.3 deviations). The look back is bounded by the onset's own window, so no
    passage of months or years before becomes the first telling."""
    horizon = np.timedelta64(int(ONSET_DAYS * 86400), "s")
    near = scores >= core_threshold(scores, NEAR_MADS) - 1e-6
    candidates = np.flatnonzero(near & ~core & ~bad & (when < when[onset_row]) & (when > when[onset_row] - horizon))
    sound_when = when[sound]
    for row in candidates:
        inside = sound[(sound_when > when[row]) & (sound_when <= when[row] + horizon)]
        if len(inside) >= ONSET_FOLLOWERS and len(set(outlets[inside]) | {outlets[row]}) >= ONSET_OUTLETS:
            return int(row)
    return onset_row


def _roles(onset_row, when, core, scores) -> np.ndarray:
    if onset_row is None:
        return np.full(len(when), "loose", dtype=object)
    after = when >= when[onset_row]
    return np.where(~after, "precursor", np.where(core, "core", "loose")).astype(object)


def frame_onset(articles: pd.DataFrame, flagged: set[str] | frozenset = frozenset()) -> FrameOnset:
    """The onset and the role of each article of one frame.

    ``articles``: article_id, outlet, published_at, score (its best passage's), and optionally literal
    (it matched a seeded frame literally); ``flagged``: articles whose own date is flagged."""
    a = articles.sort_values(["published_at", "article_id"]).reset_index(drop=True)
    ids, outlets = a["article_id"].to_numpy(), a["outlet"].to_numpy()
    when = pd.to_datetime(a["published_at"]).to_numpy()
    scores = a["score"].to_numpy(dtype=float)
    literal = a["literal"].fillna(False).to_numpy(dtype=bool) if "literal" in a else np.zeros(len(a), dtype=bool)
    bad = a["article_id"].isin(flagged).to_numpy()
    row, basis, threshold, core, bad, counts, outlier_rows = _onset(ids, outlets, when, scores, literal, bad)
    roles = pd.DataFrame({"article_id": ids, "role": _roles(row, when, core, scores),
                          "score": scores.astype("float32"), "core": core, "date_flagged": bad, "counts": counts})
    if row is None:
        return FrameOnset(None, None, None, basis, threshold, roles, [])
    return FrameOnset(ids[row], pd.Timestamp(when[row]), outlets[row], basis, threshold, roles,
                      ids[outlier_rows].tolist())


def frame_onsets(articles: pd.DataFrame, flags: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Onsets, roles and in-frame date flags of every frame (the same rules as :func:`frame_onset`, on
    arrays sorted once).

    ``articles``: frame_id, article_id, outlet, published_at, score[, literal]; ``flags``: the article date
    flags (:func:`date_flags`). Returns (onsets: ONSET_COLUMNS, roles: ROLE_COLUMNS, outlier flags:
    FLAG_COLUMNS)."""
    if articles.empty:
        return (pd.DataFrame(columns=ONSET_COLUMNS), pd.DataFrame(columns=ROLE_COLUMNS),
                pd.DataFrame(columns=FLAG_COLUMNS))
    a = articles.sort_values(["frame_id", "published_at", "article_id"]).reset_index(drop=True)
    frames = a["frame_id"].to_numpy()
    ids, outlets = a["article_id"].to_numpy(), a["outlet"].to_numpy()
    when = pd.to_datetime(a["published_at"]).to_numpy()
    scores = a["score"].to_numpy(dtype=float)
    literal = a["literal"].fillna(False).to_numpy(dtype=bool) if "literal" in a else np.zeros(len(a), dtype=bool)
    flagged = a["article_id"].isin(frozenset(flags["article_id"]) if len(flags) else ()).to_numpy()
    starts = np.flatnonzero(np.r_[True, frames[1:] != frames[:-1]])
    stops = np.r_[starts[1:], len(a)]
    onsets, outliers = [], []
    role = np.empty(len(a), dtype=object)
    core_all, bad_all, counts_all = (np.zeros(len(a), dtype=bool) for _ in range(3))
    for lo, hi in zip(starts, stops):
        s = slice(lo, hi)
        row, basis, threshold, core, bad, counts, outlier_rows = _onset(
            ids[s], outlets[s], when[s], scores[s], literal[s], flagged[s])
        role[s] = _roles(row, when[s], core, scores[s])
        core_all[s], bad_all[s], counts_all[s] = core, bad, counts
        frame_id = int(frames[lo])
        onsets.append({"frame_id": frame_id, "onset_article_id": None if row is None else ids[lo + row],
                       "onset_at": None if row is None else pd.Timestamp(when[lo + row]),
                       "onset_outlet": None if row is None else outlets[lo + row], "basis": basis,
                       "core_threshold": threshold, "core_articles": int(core.sum()),
                       "precursors": int((role[s] == "precursor").sum()), "flagged": int(bad.sum())})
        for r in outlier_rows:
            outliers.append({"article_id": ids[lo + r], "frame_id": frame_id, "reason": "apart in time",
                             "detail": f"a close article more than {OUTLIER_DAYS} days before the rest of the "
                                       "frame's close articles, and further from them than they are spread"})
    roles = pd.DataFrame({"frame_id": frames, "article_id": ids, "role": role, "score": scores.astype("float32"),
                          "core": core_all, "date_flagged": bad_all, "counts": counts_all})
    return (pd.DataFrame(onsets, columns=ONSET_COLUMNS), roles[ROLE_COLUMNS],
            pd.DataFrame(outliers, columns=FLAG_COLUMNS))


def basis_line(onset: dict | None, first_mover_hours: float | None = None) -> str:
    """The first-seen claim's basis in plain words: 'First seen: core onset, 2017-08-09 by CBN; 3 earlier
    similar passages; 1 date flagged'. ``onset`` is a row of ``frame_onsets`` (or None: not traced yet)."""
    if not onset or onset.get("onset_at") is None or pd.isna(onset.get("onset_at")):
        return "First seen: the frame's earliest article (onsets not traced yet)."
    how = BASIS.get(onset["basis"], onset["basis"]).format(o=ONSET_OUTLETS, d=ONSET_DAYS)
    when = pd.Timestamp(onset["onset_at"]).date().isoformat()
    n, f = int(onset.get("precursors") or 0), int(onset.get("flagged") or 0)
    parts = [f"First seen: {how}, {when} by {onset['onset_outlet']}",
             f"{n} earlier similar passage{'s' if n != 1 else ''}",
             f"{f} date{'s' if f != 1 else ''} flagged"]
    return "; ".join(parts) + "."


# -- dates in the text ---------------------------------------------------------------------------------

_MONTHS = {m: i + 1 for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
     "november", "december"])}
_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10,
         "nov": 11, "dec": 12}
_DATE_TEXT = (r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December"
              r"|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b"
              r"(?:,?\s+(?P<year>(?:19|20)\d{2})\b)?")
# A verb in the past tense: a word ending in -ed that is not a plan ("scheduled", "expected"), or a common
# irregular past form.
_PAST = (r"(?<!\bis )(?<!\bare )(?<!\bbe )(?<!\bbeing )(?:(?!(?:scheduled|planned|expected|slated|proposed|postponed|intended|supposed|needed|wanted|"
         r"delayed|timed|billed|aimed|designed|hoped|anticipated)\b)[a-z]+ed|said|told|met|wrote|sent|made|took|"
         r"gave|began|spoke|held|fired|was|were|did|had|went|came|left|saw|led|won|lost|struck|shot|fell|rose|"
         r"broke|threw|drew|flew|hit|put|set off|tweeted|blew)")
# "On August 8, Trump said ..." / "Finally, on July 21, Spicer resigned."
_ON_DATE_DID = re.compile(r"(?:^|,\s*)[Oo]n\s+" + _DATE_TEXT + r",\s+(?:[\w’'.-]+\s+){0,6}?" + _PAST + r"\b")
# "It detonated its largest nuclear bomb yet on September 3." (no "to" or "for" between verb and date)
_DID_ON_DATE = re.compile(r"\b" + _PAST + r"\b(?:(?!\bto\b|\bfor\b)[^.;:!?])*?\bon\s+" + _DATE_TEXT + r"\s*[.;]")
# "Updated Sept. 13, 3:55 p.m." / "Update: On March 13, 2016 ..."
_UPDATED = re.compile(r"\b(?:Updated|Update|UPDATE|UPDATED):?\s+(?:[Oo]n\s+)?" + _DATE_TEXT)
# Words that make a date a plan, a forecast or a condition rather than something that happened: a sentence
# holding one of them is never read as referring to a later event.
_FUTURE = re.compile(
    r"\b(?:will|won't|shall|would|could|might|should|must|going to|plans?|planned|planning|scheduled|"
    r"expected|expects|set to|slated|due|deadline|upcoming|next|until|till|ahead of|intends?|proposed|if|"
    r"unless|tentatively|is to|are to|was to|were to|to be|expires?|impending|forthcoming|coming|starting|"
    r"beginning|before|ahead|annually|every|holds|ends|is on|are on|being)\b|'ll\b", re.I)
_MAY = re.compile(r"\bmay\b")  # the modal, not the month
_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*\s+(?=[A-Z\"“‘(])|\n")
# A date without a year is read as after publication only when it falls within this many days after it
# ("On August 8, Trump said" in an article dated July 6); otherwise as the last such day before it.
YEARLESS_AHEAD_DAYS = 30


def _sentences(text: str):
    lo = 0
    for m in _SENTENCE_END.finditer(text):
        yield text[lo:m.end()].strip()
        lo = m.end()
    if lo < len(text):
        yield text[lo:].strip()


def _resolve(m: re.Match, published: dt.date) -> dt.date | None:
    word = m.group("month").rstrip(".").lower()
    month = _MONTHS.get(word) or _ABBR.get(word)
    day = int(m.group("day"))
    try:
        if m.group("year"):
            return dt.date(int(m.group("year")), month, day)
        ahead = dt.date(published.year, month, day)
        if ahead < published:
            ahead = dt.date(published.year + 1, month, day)
        if (ahead - published).days <= YEARLESS_AHEAD_DAYS:
            return ahead
        return dt.date(ahead.year - 1, month, day)
    except (ValueError, TypeError):
        return None


def later_dates(text: str, published_at) -> list[tuple[dt.date, str]]:
    """Dates in ``text`` that fall more than ``LATER_DATE_DAYS`` after ``published_at`` and are told as having
    happened: (date, the sentence).

    Only three forms count, each in a sentence without a word of plan, forecast or condition ("will",
    "scheduled", "next", "until", "if", ...): "On <date>, <someone> <did>", "<did> ... on <date>." (no
    "to" or "for" between), and "Updated <date>". A date without a year is read as after publication only
    within ``YEARLESS_AHEAD_DAYS`` of it, else as the last such day before it. Plans in the present tense
    ("the June 12 summit") never match."""
    if not text:
        return []
    published = pd.Timestamp(published_at).date()
    found = []
    for sentence in _sentences(text):
        if not _DATE_START.search(sentence):
            continue
        planned = _FUTURE.search(sentence) or _MAY.search(sentence)
        for pattern in (_UPDATED,) if planned else (_UPDATED, _ON_DATE_DID, _DID_ON_DATE):
            for m in pattern.finditer(sentence):
                when = _resolve(m, published)
                if when is not None and (when - published).days > LATER_DATE_DAYS:
                    found.append((when, " ".join(sentence.split())[:300]))
    return found


_DATE_START = re.compile(r"\b(?:January|February|March|April|May|June|July|August|September|October|November|"
                         r"December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?\s+\d")


def date_flags(articles: pd.DataFrame) -> pd.DataFrame:
    """Flags on articles' own dates (FLAG_COLUMNS, frame_id empty).

    ``articles``: article_id, title, text, published_at, date_source. A date is flagged when it came from a
    crawl or "seen" time, or when the title or text refers, as something that happened, to a later date
    (:func:`later_dates`); a corrected date (date_source 'corrected') is never flagged."""
    rows = []
    for r in articles.itertuples(index=False):
        if r.date_source == "corrected":
            continue
        if r.date_source in CRAWL_SOURCES:
            rows.append({"article_id": r.article_id, "frame_id": None, "reason": "crawl date",
                         "detail": "the date is when the article was seen, not when it was published"})
            continue
        text = "\n".join(t for t in (r.title, r.text) if isinstance(t, str) and t)
        later = later_dates(text, r.published_at)
        if later:
            when, sentence = max(later, key=lambda x: x[0])
            rows.append({"article_id": r.article_id, "frame_id": None, "reason": "refers to a later date",
                         "detail": f"{when.isoformat()}: {sentence}"})
    return pd.DataFrame(rows, columns=FLAG_COLUMNS).astype({"frame_id": "Int32"})


# -- corrections -----------------------------------------------------------------------------------------

CORRECTION_COLUMNS = ["canonical_url", "url", "published_at", "note", "corrected_by", "corrected_at"]


class CorrectionProblem(ValueError):
    pass


def corrections(table: pd.DataFrame, by: str, when: dt.datetime) -> pd.DataFrame:
    """Date corrections from a user's table (columns url, published_at, optionally note): each URL in its
    canonical form (so it finds the article however the address was written), the date parsed as at
    ingest (to UTC), with who made the correction and when. Raises :class:`CorrectionProblem` naming every
    bad row."""
    from app.ingest.normalize import RecordProblem, canonical_url, parse_date

    missing = {"url", "published_at"} - set(table.columns)
    if missing:
        raise CorrectionProblem(f"needs the columns url and published_at; missing {', '.join(sorted(missing))}; "
                                f"found {', '.join(map(str, table.columns)) or '(none)'}")
    rows, problems = [], []
    for i, r in enumerate(table.to_dict("records"), start=2):  # row 1 is the header
        url = str(r.get("url") or "").strip()
        try:
            if not url:
                raise RecordProblem("no url")
            canon = canonical_url(url)
            published = parse_date(r.get("published_at"))
        except (RecordProblem, ValueError) as exc:
            problems.append(f"row {i}: {exc}")
            continue
        note = r.get("note")
        rows.append({"canonical_url": canon, "url": url, "published_at": published,
                     "note": None if note is None or (isinstance(note, float) and pd.isna(note)) or note == ""
                     else str(note), "corrected_by": by, "corrected_at": when})
    if problems:
        raise CorrectionProblem("; ".join(problems))
    return pd.DataFrame(rows, columns=CORRECTION_COLUMNS)
