"""Frame: how one frame spread across outlets, and the passages behind every mark."""

import html

import pandas as pd
import streamlit as st

from app.charts import evidence_figure, lineage_figure, spread_figure, timeline_figure
from app.evidence import highlight
from app.evidence.measures import echo_summary, weekly
from app.spread import flag_marks
from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import chart_text, md, md_list, web_url, web_urls

v = open_or_stop()
filters = state.sidebar_filters(v)
caption = state.caption(v, filters)
summary, ids, labels = state.frames_or_stop(v, filters)
wanted = st.query_params.get(keys.FRAME)
default = int(wanted) if wanted and wanted.isdigit() and int(wanted) in labels else ids[0]
frame_id = st.selectbox("Frame", ids, index=ids.index(default), format_func=lambda f: f"#{f} · {labels[f]}",
                        key=keys.FRAME)
st.query_params[keys.FRAME] = str(frame_id)

info = cache.frame(v, frame_id)
row = summary[summary["frame_id"] == frame_id].iloc[0]
chart_label = chart_text(info["label"])  # in chart titles (Plotly reads HTML there)
st.header(f"#{frame_id} · {md(info['label'])}")
if info.get("exemplar_sentence"):  # the label in use: the most representative sentence that holds it
    st.markdown(f"> {md(info['exemplar_sentence'])}")
st.caption(md(caption))
c1, c2, c3 = st.columns(3)
c1.metric("articles", int(row["articles"]))
c2.metric("outlets", int(row["outlets"]))
profile = cache.frame_profile(v, frame_id, filters)
marks = flag_marks(profile.date_flags)
rebuttals = (f" Counts, first movers and lineage leave out the **{int(row['rebuttals'])} articles that rebut "
             "it** (listed below)." if row.get("rebuttals", 0) else "")
if pd.notna(row["first_seen"]):
    c3.metric("first seen", f"{row['first_seen']:%d %b %Y}")
    st.markdown(f"First told by **{md(row['first_outlet'])}** on {row['first_seen']:%d %b %Y, %H:%M} UTC; "
                f"last seen {row['last_seen']:%d %b %Y}." + rebuttals)
else:
    c3.metric("first seen", "none in range")
    st.markdown(f"No article of the frame's core from its onset on is in the chosen range; last seen "
                f"{row['last_seen']:%d %b %Y}." + rebuttals)
# The basis of the first-seen claim, in plain words: how the onset was found, what came before it.
st.markdown(md(profile.basis))
precursors = profile.precursors
if precursors is not None and not precursors.empty:
    with st.expander(f"Earlier similar passages ({len(precursors)}): before the frame's onset, not counted as "
                     "its first telling"):
        shown_precursors = web_urls(precursors.assign(
            date=[marks.get(a, "") for a in precursors["article_id"]]), "url")
        st.dataframe(shown_precursors[["published_at", "date", "outlet", "passage", "score", "days_before_onset",
                                       "url"]],
                     hide_index=True, width="stretch", key="precursors", column_config={
                         "published_at": st.column_config.DatetimeColumn("published", format="YYYY-MM-DD"),
                         "date": st.column_config.TextColumn("date flag"),
                         "passage": st.column_config.TextColumn("passage", width="large"),
                         "score": st.column_config.NumberColumn("similarity", format="%.2f"),
                         "days_before_onset": st.column_config.NumberColumn("days before onset"),
                         "url": st.column_config.LinkColumn("article")})
if marks:
    st.caption(f"⚠ marks a flagged date ({len(marks)} in this frame): the text refers to a later date, the date "
               "is a crawl time, or the article stands far before the rest of the frame. Flagged dates are left "
               "out of first seen and first movers; correct them with `narratives dates --load FILE`.")
if info.get("exemplar"):
    st.markdown(f"**Most representative passage** ({md(info['exemplar_outlet'])}):" if info.get("exemplar_outlet")
                else "**Most representative passage:**")
    st.text(info["exemplar"])
    if url := web_url(info.get("exemplar_url")):
        st.link_button("Open the article", url)

timeline = cache.frame_timeline(v, frame_id, filters)
ledger = cache.frame_ledger(v, frame_id, filters)
evidence_items = ledger[ledger["strength"] == "evidence"]
fig = timeline_figure(timeline, f"How “{chart_label}” spread, outlet by outlet",
                      chart_text(caption) + " · all articles, copies included · ★ new evidence · × rebuts the frame",
                      events=evidence_items)
event = st.plotly_chart(fig, width="stretch", key="timeline", on_select="rerun", selection_mode="points")
# Traceability: a clicked mark (or the two boxes below) lists the articles behind it.
points = event.selection.points if event is not None and event.selection else []
clicked = html.unescape(str(points[0].get("y"))) if points else None  # the chart shows names escaped
if clicked in set(timeline["outlet"]):
    st.session_state[keys.MARK_OUTLET] = clicked
    st.session_state[keys.MARK_DAY] = pd.Timestamp(points[0]["x"]).date()
if not timeline.empty:
    with st.expander("The articles behind a mark (click a mark, or choose)", expanded=bool(points)):
        m1, m2 = st.columns(2)
        outlets_order = timeline.groupby("outlet")["day"].min().sort_values().index.tolist()
        mark_outlet = m1.selectbox("Outlet", outlets_order, key=keys.MARK_OUTLET)
        days = sorted(pd.to_datetime(timeline.loc[timeline["outlet"] == mark_outlet, "day"]).dt.date)
        if st.session_state.get(keys.MARK_DAY) not in days:
            st.session_state[keys.MARK_DAY] = days[0]
        mark_day = m2.selectbox("Day", days, key=keys.MARK_DAY, format_func=lambda d: f"{d:%d %b %Y}")
        behind = web_urls(cache.frame_articles_at(v, frame_id, mark_outlet, mark_day), "url", "copy_of")
        behind["date"] = [marks.get(a, "") for a in behind["article_id"]]
        st.dataframe(behind[["published_at", "date", "title", "url", "passages", "independent", "copy_of", "stance"]],
                     hide_index=True, width="stretch", key=keys.MARK_TABLE, column_config={
                         "published_at": st.column_config.DatetimeColumn("published", format="YYYY-MM-DD HH:mm"),
                         "date": st.column_config.TextColumn("date flag"),
                         "url": st.column_config.LinkColumn("article"),
                         "passages": st.column_config.NumberColumn("passages in the frame"),
                         "independent": st.column_config.CheckboxColumn("independent"),
                         "copy_of": st.column_config.LinkColumn("copy of"),
                         "stance": st.column_config.TextColumn(
                             "stance", help="uses or reports the frame, or rebuts it (docs/stance.md)")})

daily, att, repeaters = profile.daily, profile.attention, len(profile.only_copies)
st.markdown(f"Peak: **{att['peak_day']:%d %b %Y}** ({att['peak_articles']} articles). Half-life of attention: "
            f"**{att['half_life_days']} days** (from the peak until half of the articles since the peak had "
            f"appeared). Outlets that only repeated it through syndicated copies: **{repeaters}**.")
st.plotly_chart(spread_figure(daily, f"Spread curve of “{chart_label}”", chart_text(caption)),
                width="stretch", key="spread")

st.subheader("Evidence: new, or repeated?")
daily_evidence = cache.frame_evidence(v, frame_id, filters)
echo = echo_summary(daily_evidence)
e1, e2, e3, e4 = st.columns(4)
e1.metric("new evidence items", echo["new_evidence"])
e2.metric("repetitions of earlier items", echo["repeated_evidence"])
e3.metric("unnamed sources only", f"{echo['anonymous_share']:.0%}",
          help="Share of the frame's articles whose only support is unnamed sources (no named source, outlet "
               "credit or material anywhere in the article).")
e4.metric("echo weeks", echo["echo_weeks"],
          help="Weeks in which the frame had more articles than the week before and no new evidence item.")
if echo["echo"]:
    st.warning(f"Echo: {echo['echo_articles']} of {echo['articles']} articles appeared in weeks when the frame grew "
               "without any new evidence.")
st.plotly_chart(evidence_figure(weekly(daily_evidence), f"Articles vs new evidence for “{chart_label}”",
                                chart_text(caption)), width="stretch", key="evidence")
st.markdown("**Evidence ledger**: each item the first time it appeared in the frame, and how often later "
            "articles repeated it (same text, syndicated copy, or the same kind of evidence in similar words). "
            "How items are found: docs/evidence.md.")
show_weak = st.toggle("Also list named comments and claims from unnamed sources", key=keys.EVIDENCE_ALL)
shown = web_urls(ledger if show_weak else evidence_items, "url")
st.dataframe(
    shown[["published_at", "outlet", "strength", "description", "scope", "repeats", "repeat_outlets", "last_repeated",
           "url"]],
    hide_index=True, width="stretch",
    column_config={
        "published_at": st.column_config.DatetimeColumn("first appeared", format="YYYY-MM-DD HH:mm"),
        "description": st.column_config.TextColumn("what", width="large"),
        "scope": st.column_config.TextColumn("why here", help="own: a passage of the frame; after / before: right "
                                             "after or before one; about: close to what the frame says"),
        "repeats": st.column_config.NumberColumn("repeated", help="later passages repeating it"),
        "repeat_outlets": st.column_config.NumberColumn("by outlets"),
        "last_repeated": st.column_config.DatetimeColumn("last repeated", format="YYYY-MM-DD"),
        "url": st.column_config.LinkColumn("article"),
    },
)
with st.expander(f"Passages behind the ledger, cues highlighted ({min(len(shown), 50)} of {len(shown)})"):
    first = shown.head(50)
    cues = cache.passage_cues(v, tuple(first["passage_id"]))
    texts = cache.passage_texts(v, tuple(first["passage_id"]))
    by_passage = {pid: group.to_dict("records") for pid, group in cues.groupby("passage_id")}
    for row in first.itertuples():
        st.markdown(f"**{row.published_at:%d %b %Y}** · {md(row.outlet)}")
        st.html(f"<p style='margin:0 0 0.8em 0'>{highlight(texts.get(row.passage_id, ''), by_passage.get(row.passage_id, []))}</p>")

adoption = web_urls(profile.adoption, "first_article_url")
hours, movers = profile.first_mover_hours, profile.first_movers
st.subheader("Adoption")
st.markdown(f"**First movers** (within {hours:g} hours of the first article): {md_list(movers)}. "
            f"Independent articles exclude syndicated copies.")
st.dataframe(adoption.drop(columns=["first_article_id"]), hide_index=True, width="stretch",
             column_config={"first_seen": st.column_config.DatetimeColumn("first seen", format="YYYY-MM-DD HH:mm"),
                            "first_article_url": st.column_config.LinkColumn("first article"),
                            "lag_hours": st.column_config.NumberColumn("lag (hours)", format="%.1f")})

rebuttals = web_urls(cache.frame_rebuttals(v, frame_id, filters), "url")
st.subheader(f"Articles that rebut it ({len(rebuttals)})")
st.markdown("A denial, a dispute or fact-check language next to the frame's first passage in the article; "
            "these articles are not counted as spreading the frame. The words that decided it are shown; "
            "how it is decided: docs/stance.md.")
if len(rebuttals):
    st.dataframe(rebuttals[["published_at", "outlet", "cue_text", "speaker", "rule", "passage", "url"]],
                 hide_index=True, width="stretch", key=keys.REBUTTALS, column_config={
                     "published_at": st.column_config.DatetimeColumn("published", format="YYYY-MM-DD HH:mm"),
                     "cue_text": st.column_config.TextColumn("trigger words"),
                     "speaker": st.column_config.TextColumn("said by"),
                     "rule": st.column_config.TextColumn("rule"),
                     "passage": st.column_config.TextColumn("in the passage", width="large"),
                     "url": st.column_config.LinkColumn("article")})

edges = cache.frame_edges(v, frame_id)
st.subheader("Who picked it up from whom")
st.plotly_chart(lineage_figure(adoption, edges, f"Lineage of “{chart_label}”",
                               "each outlet's first article, linked to its most likely source"),
                width="stretch", key="lineage")
st.dataframe(edges[["to_outlet", "from_outlet", "kind", "score", "evidence", "to_published_at"]], hide_index=True,
             width="stretch", column_config={
                 "to_outlet": "outlet", "from_outlet": "most likely source", "kind": "evidence kind",
                 "score": st.column_config.NumberColumn("score", format="%.2f"),
                 "to_published_at": st.column_config.DatetimeColumn("first article", format="YYYY-MM-DD HH:mm")})

passages = web_urls(cache.frame_passages(v, frame_id, filters), "url")
passages["date"] = [marks.get(a, "") for a in passages["article_id"]]
st.subheader(f"Passages in this frame ({len(passages)})")
st.dataframe(
    passages[["published_at", "date", "outlet", "text", "score", "match", "url", "title"]], hide_index=True,
    width="stretch",
    column_config={
        "published_at": st.column_config.DatetimeColumn("published", format="YYYY-MM-DD HH:mm"),
        "date": st.column_config.TextColumn("date flag", help="⚠: a flagged date (see above)"),
        "text": st.column_config.TextColumn("passage", width="large"),
        "score": st.column_config.NumberColumn("similarity", format="%.2f"),
        "match": st.column_config.TextColumn("matched by", help="cluster, or for seeded frames literal or paraphrase"),
        "url": st.column_config.LinkColumn("article"),
    },
)
