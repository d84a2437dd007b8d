"""How a frame spread: the adoption order of its outlets, each outlet's lag behind the first article, who
counts as a first mover, and the attention curve (peak, half-life).

One home for these rules, used by the CLI, the dashboard pages and the weekly report. The store supplies
each outlet's first appearance in a frame (:meth:`Store.outlet_firsts`), counting only the articles a
claim may rest on (view ``frame_claim_articles``: the frame's core from its onset on, dates not flagged;
see :mod:`app.frames.onsets`); everything derived from it is computed here. The public view ``frame_spread`` states the same adoption order in SQL for analysts, and
a test holds the two to each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from app.frames.onsets import basis_line

ADOPTION_COLUMNS = ["adoption_rank", "outlet", "first_seen", "lag_hours", "articles", "independent_articles",
                    "first_article_id", "first_article_url"]


def adoption(firsts: pd.DataFrame, first_mover_hours: float | None = None) -> pd.DataFrame:
    """Outlets in order of adoption, per frame: ``firsts`` has one row per (frame_id, outlet) with its
    first_seen; adds adoption_rank (1 = the outlet that carried the frame first; ties by outlet name),
    lag_hours behind the frame's first article, and, given ``first_mover_hours``, is_first_mover and role
    ('first', 'first mover' within the hours, 'follower')."""
    df = firsts.sort_values(["frame_id", "first_seen", "outlet"]).reset_index(drop=True)
    start = df.groupby("frame_id")["first_seen"].transform("min")
    df["adoption_rank"] = df.groupby("frame_id").cumcount() + 1
    lag = (df["first_seen"] - start).dt.total_seconds() / 3600.0
    if first_mover_hours is not None:
        df["is_first_mover"] = lag <= first_mover_hours
        df["role"] = "follower"
        df.loc[df["is_first_mover"], "role"] = "first mover"
        df.loc[df["adoption_rank"] == 1, "role"] = "first"
    # Shown to one decimal; the first-mover rule reads the exact lag.
    df["lag_hours"] = lag.round(1)
    df["outlets"] = df.groupby("frame_id")["outlet"].transform("size")
    return df


def frame_adoption(firsts: pd.DataFrame) -> pd.DataFrame:
    """One frame's adoption table in the public column order (``firsts`` of one frame)."""
    if firsts.empty:
        return pd.DataFrame(columns=ADOPTION_COLUMNS)
    return adoption(firsts)[ADOPTION_COLUMNS]


def first_movers(firsts: pd.DataFrame, first_mover_hours: float) -> pd.DataFrame:
    """The outlets whose first article in a frame came within ``first_mover_hours`` of the frame's first
    article (the first outlet included), per frame, in order of adoption."""
    if firsts.empty:
        return firsts.assign(adoption_rank=pd.Series(dtype=int), lag_hours=pd.Series(dtype=float))
    df = adoption(firsts, first_mover_hours)
    return df[df["is_first_mover"]].drop(columns=["is_first_mover"]).reset_index(drop=True)


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


@dataclass
class FrameProfile:
    """What the CLI, the Frame page and the report say about one frame's spread."""

    frame_id: int
    info: dict
    adoption: pd.DataFrame          # ADOPTION_COLUMNS, one row per outlet
    first_movers: list[str]
    first_mover_hours: float
    attention: dict
    only_copies: list[str]          # outlets that carried the frame only through syndicated copies
    daily: pd.DataFrame = field(repr=False, default=None)
    onset: dict | None = None       # the frame's onset (frame_onsets row); None before the onsets stage ran
    basis: str = ""                 # the first-seen claim's basis in plain words
    precursors: pd.DataFrame = field(repr=False, default=None)   # earlier similar passages
    date_flags: pd.DataFrame = field(repr=False, default=None)   # flagged dates among the frame's articles

    @property
    def first(self) -> dict | None:
        """The frame's first article: outlet, first_seen, first_article_id, first_article_url."""
        return None if self.adoption.empty else self.adoption.iloc[0].to_dict()


def frame_profile(store, frame_id: int, first_mover_hours: float, filters=None) -> FrameProfile | None:
    """The spread of one frame within ``filters`` (None: every article); None when there is no such frame."""
    from app.store import Filters

    filters = filters or Filters()
    info = store.frame(frame_id)
    if info is None:
        return None
    firsts = store.outlet_firsts([frame_id], filters)
    table = frame_adoption(firsts)
    movers = first_movers(firsts, first_mover_hours)["outlet"].tolist() if len(firsts) else []
    daily = store.frame_daily(frame_id, filters)
    only_copies = table.loc[table["independent_articles"] == 0, "outlet"].tolist()
    onset = store.frame_onset(frame_id)
    return FrameProfile(frame_id, info, table, movers, first_mover_hours, attention(daily), only_copies, daily,
                        onset, basis_line(onset), store.frame_precursors(frame_id), store.frame_date_flags(frame_id))


def flag_marks(flags: pd.DataFrame) -> dict[str, str]:
    """article_id -> the mark shown next to a flagged date ('⚠ refers to a later date; apart in time')."""
    if flags is None or flags.empty:
        return {}
    return {aid: "⚠ " + "; ".join(dict.fromkeys(group["reason"])) for aid, group in flags.groupby("article_id")}


def outlet_roles(store, outlet: str, first_mover_hours: float, filters=None) -> pd.DataFrame:
    """The frames an outlet carried: when it joined each, its rank among the frame's outlets, its lag, and
    whether it led ('first'), moved first ('first mover') or followed."""
    from app.store import Filters

    firsts = store.outlet_firsts(None, filters or Filters())
    columns = ["frame_id", "label", "kind", "first_seen", "adoption_rank", "outlets", "lag_hours", "articles",
               "independent_articles", "role"]
    if firsts.empty:
        return pd.DataFrame(columns=columns)
    df = adoption(firsts, first_mover_hours)
    df = df[df["outlet"] == outlet].sort_values(["first_seen", "frame_id"])
    return df[columns].reset_index(drop=True)


def outlets_summary(store, first_mover_hours: float, filters=None) -> pd.DataFrame:
    """Every outlet with its attributes (kind, lean, country, groups) and what it did in the frames within
    the filters: frames carried, of them first ('first'), first movers and followed (the roles of
    :func:`outlet_roles`); ``led`` is first plus first mover. Outlets that carried none are listed with
    zeros. Busiest first."""
    from app.store import Filters

    attrs = store.outlet_table().rename(columns={"name": "outlet"})
    firsts = store.outlet_firsts(None, filters or Filters())
    roles = ["first", "first mover", "follower"]
    if firsts.empty:
        counts = pd.DataFrame(0, index=attrs["outlet"], columns=roles)
    else:
        counts = (adoption(firsts, first_mover_hours).groupby(["outlet", "role"]).size().unstack(fill_value=0)
                  .reindex(columns=roles, fill_value=0))
    df = attrs.merge(counts, left_on="outlet", right_index=True, how="left").fillna({r: 0 for r in roles})
    df = df.rename(columns={"first mover": "first_mover", "follower": "followed"})
    for c in ("first", "first_mover", "followed"):
        df[c] = df[c].astype(int)
    df["frames"] = df["first"] + df["first_mover"] + df["followed"]
    df["led"] = df["first"] + df["first_mover"]
    cols = ["outlet", "kind", "lean", "country", "language", "groups", "frames", "first", "first_mover", "followed",
            "led", "articles"]
    return df.sort_values(["frames", "outlet"], ascending=[False, True])[cols].reset_index(drop=True)


def period_first_movers(store, frame_ids: list[int], first_mover_hours: float) -> pd.DataFrame:
    """For each of ``frame_ids``: its first movers over all its articles, with the URL of each one's first
    article (the weekly report's table)."""
    columns = ["frame_id", "label", "outlet", "first_seen", "lag_hours", "url"]
    firsts = store.outlet_firsts(list(frame_ids)) if frame_ids else pd.DataFrame()
    if firsts.empty:
        return pd.DataFrame(columns=columns)
    movers = first_movers(firsts, first_mover_hours)
    return movers.rename(columns={"first_article_url": "url"})[columns]


def loosely_carried(timeline: pd.DataFrame, adopted: dict[str, pd.Timestamp]) -> str:
    """A line for under a timeline when some of its outlets never took the frame up: they carried it only in
    articles its claims do not count (their rows hold grey squares only), so the outlets a frame's figures
    and spread curve count (every outlet with an article that carries it) and its adopters differ. ``adopted``:
    :func:`adoption_days` of the frame's whole timeline. Empty when every outlet shown took it up."""
    carried = timeline.loc[timeline["articles"] > 0, "outlet"].unique()
    loose = sorted(o for o in carried if o not in adopted)
    if not loose:
        return ""
    names = ", ".join(loose[:5]) + (f" and {len(loose) - 5} more" if len(loose) > 5 else "")
    them = "it" if len(loose) == 1 else "them"
    return (f"{len(carried) - len(loose)} of the {len(carried)} outlets shown took the frame up; "
            f"{'the other' if len(loose) == 1 else f'the other {len(loose)}'} ({names}) carried it only in "
            "articles its claims do not count (grey squares: earlier similar passages, loosely related articles "
            f"or flagged dates). First movers, adoption and lineage leave {them} out; the outlets figure and the "
            f"spread curve include {them}.")


def adoption_days(timeline: pd.DataFrame) -> dict[str, pd.Timestamp]:
    """Outlet -> the day of its first article carrying the frame that its spread claims count (``counted``,
    when the timeline has it: not an earlier similar passage, a loosely related or a date-flagged article),
    from a frame's whole timeline (the day the diamond marks, whatever the period)."""
    carried = timeline[timeline["counted" if "counted" in timeline else "articles"] > 0]
    return {o: pd.Timestamp(d) for o, d in carried.groupby("outlet")["day"].min().items()}
