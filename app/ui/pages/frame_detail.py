"""Frame: how one frame spread across outlets, and the passages behind every mark."""

import dataclasses
import html

import pandas as pd
import streamlit as st

from app.charts import evidence_figure, lineage_figure, spread_figure, timeline_figure
from app.evidence import highlight
from app.evidence.measures import echo_summary, weekly
from app.frames.labels import support_line
from app.spread import adoption_days, flag_marks, loosely_carried
from app.ui import cache, keys, state
from app.ui.first_start import open_or_stop
from app.ui.text import chart_text, fit, md, md_list, project_doc, web_url, web_urls
from app.weeks import partial_note, partial_weeks

v = open_or_stop()
filters = state.sidebar_filters(v)
caption = state.caption(v, filters)
chart_caption = chart_text(state.caption(v, filters, source=False))  # chart subtitles: no file name
partial = partial_weeks(*state.period(v, filters))
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
support = cache.label_support(v, frame_id)  # how far the label rests on the frame's own passages
if support and (line := support_line(support["label_passages"], int(support["passages"]), support["core"],
                                     support["core_passages"])):
    st.caption(line)
st.caption(md(caption))
c1, c2, c3 = st.columns(3)
c1.metric("articles", int(row["articles"]))
c2.metric("outlets", int(row["outlets"]),
          help="Outlets with an article that carries the frame, loosely related articles and earlier similar "
               "passages included (as the spread curve counts them); the timeline says how many of them took it "
               "up, the articles its claims count.")
profile = cache.frame_profile(v, frame_id, filters)
marks = flag_marks(profile.date_flags)
n_rebut = int(row.get("rebuttals", 0) or 0)
rebuttals = (f" Counts, first movers and lineage leave out the **{n_rebut} "
             f"{'article that rebuts' if n_rebut == 1 else 'articles that rebut'} it** (listed below)."
             if n_rebut else "")
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
                     "its first telling, nor in its evidence"):
        shown_precursors = web_urls(precursors.assign(
            date=[marks.get(a, "") for a in precursors["article_id"]],
            passage=[fit(x, 320, 3) for x in precursors["passage"]]), "url")
        st.dataframe(shown_precursors[["published_at", "date", "outlet", "passage", "score", "days_before_onset",
                                       "url"]],
                     hide_index=True, width="stretch", key="precursors", row_height=66, placeholder="", column_config={
                         "published_at": st.column_config.DatetimeColumn("published", format="D MMM YYYY", width=100),
                         "date": st.column_config.TextColumn("date flag", width=100),
                         "outlet": st.column_config.TextColumn("outlet", width=130),
                         "passage": st.column_config.TextColumn("passage", width=320),
                         "score": st.column_config.NumberColumn("similarity", format="%.2f", width=80),
                         "days_before_onset": st.column_config.NumberColumn("days before onset", width=120),
                         "url": st.column_config.LinkColumn("article", display_text="open", width=60)})
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
# A diamond marks an outlet's first article in the frame ever, not its first in the dates shown: adoption days
# come from the frame's whole timeline, whatever the date filter.
adopted = adoption_days(cache.frame_timeline(v, frame_id, dataclasses.replace(filters, start=None, end=None)))
earlier = filters.start is not None and any(d < pd.Timestamp(filters.start) for d in adopted.values())
fig = timeline_figure(timeline, f"How “{chart_label}” spread, outlet by outlet",
                      chart_caption + " · all articles, copies included · ☆ around a mark: new evidence that day "
                      "· × rebuts the frame" + (" · no ◆: the outlet took the frame up before these dates"
                                                if earlier else ""),
                      events=evidence_items, adopted=adopted)
event = st.plotly_chart(fig, width="stretch", key="timeline", on_select="rerun", selection_mode="points")
if loose_line := loosely_carried(timeline, adopted):
    st.caption(md(loose_line))
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
                     hide_index=True, width="stretch", key=keys.MARK_TABLE, row_height=66, placeholder="",
                     column_config={
                         "published_at": st.column_config.DatetimeColumn("published", format="D MMM YYYY HH:mm",
                                                                         width=130),
                         "date": st.column_config.TextColumn("date flag", width=90),
                         "title": st.column_config.TextColumn("title", width=260),
                         "url": st.column_config.LinkColumn("article", display_text="open", width=60),
                         "passages": st.column_config.NumberColumn("passages in the frame", width=140),
                         "independent": st.column_config.CheckboxColumn(
                             "independent", width=90, help="not a syndicated copy of another article"),
                         "copy_of": st.column_config.LinkColumn("copy of", display_text="original", width=70,
                                                                help="blank: not a copy"),
                         "stance": st.column_config.TextColumn(
                             "stance", width=90, help="uses or reports the frame, or rebuts it (docs/stance.md)")})

daily, att, repeaters = profile.daily, profile.attention, len(profile.only_copies)
st.markdown(f"Peak: **{att['peak_day']:%d %b %Y}** ({att['peak_articles']} articles). Half-life of attention: "
            f"**{att['half_life_days']} days** (from the peak until half of the articles since the peak had "
            f"appeared). Outlets that only repeated it through syndicated copies: **{repeaters}**.")
st.plotly_chart(spread_figure(daily, f"Spread curve of “{chart_label}”", chart_caption),
                width="stretch", key="spread")

st.subheader("Evidence: new, or repeated?")
daily_evidence = cache.frame_evidence(v, frame_id, filters)
echo = echo_summary(daily_evidence)
e1, e2, e3, e4 = st.columns(4)
e1.metric("new evidence items", echo["new_evidence"])
e2.metric("repeated mentions", echo["repeated_evidence"],
          help="Times a later passage repeated an evidence item already in the ledger (same text, a syndicated "
               "copy, or the same kind of evidence in similar words). Mentions, not articles: one article can "
               "repeat several items, so this can exceed the frame's articles.")
e3.metric("unnamed sources only", f"{echo['anonymous_share']:.0%}",
          help="Share of the frame's articles whose only support is unnamed sources (no named source, outlet "
               "credit or material anywhere in the article).")
e4.metric("echo weeks", echo["echo_weeks"],
          help="Weeks in which the frame had more articles than the week before and no new evidence item.")
st.caption(f"Evidence is counted in mentions, not articles: {echo['new_evidence']} items appeared for the first "
           f"time, and later passages mentioned earlier items again {echo['repeated_evidence']} times across the "
           f"frame's {echo['articles']} articles (one article can mention several).")
if echo["echo"]:
    st.warning(f"Echo: {echo['echo_articles']} of {echo['articles']} articles appeared in weeks when the frame grew "
               "without any new evidence.")
evidence_weeks = weekly(daily_evidence)
shown_partial = {w: d for w, d in partial.items() if w in set(pd.to_datetime(evidence_weeks["week"]))}
st.plotly_chart(evidence_figure(evidence_weeks, f"Articles vs new evidence for “{chart_label}”",
                                chart_caption + (" · " + partial_note(shown_partial) if shown_partial else ""),
                                partial=shown_partial), width="stretch", key="evidence")
st.markdown("**Evidence ledger**: each item the first time it appeared in the frame, and how often later "
            "passages repeated it (same text, syndicated copy, or the same kind of evidence in similar words). "
            "The ledger starts at the frame's onset: earlier similar passages take no part.")
if doc := project_doc("evidence.md"):
    with st.expander("How evidence items are found and counted (docs/evidence.md)"):
        st.markdown(doc)
show_weak = st.toggle("Also list named comments and claims from unnamed sources", key=keys.EVIDENCE_ALL)
shown = web_urls(ledger if show_weak else evidence_items, "url")
st.dataframe(
    shown[["published_at", "outlet", "strength", "description", "scope", "repeats", "repeat_outlets", "last_repeated",
           "url"]],
    hide_index=True, width="stretch", row_height=66, placeholder="—",
    column_config={
        "published_at": st.column_config.DatetimeColumn("first appeared", format="D MMM YYYY HH:mm", width=115),
        "outlet": st.column_config.TextColumn("outlet", width=120),
        "strength": st.column_config.TextColumn("kind", width=75, help="evidence (on the record or material), "
                                                "or, when listed, a named comment or a claim from unnamed sources"),
        "description": st.column_config.TextColumn("what", width=240),
        "scope": st.column_config.TextColumn("why here", width=70, help="own: a passage of the frame; after / "
                                             "before: right after or before one; about: close to what the frame says"),
        "repeats": st.column_config.NumberColumn("repeated", width=72, help="later passages repeating it"),
        "repeat_outlets": st.column_config.NumberColumn("by outlets", width=75, help="outlets of those passages"),
        "last_repeated": st.column_config.DatetimeColumn("last repeated", format="D MMM YYYY", width=98,
                                                         help="—: never repeated"),
        "url": st.column_config.LinkColumn("article", display_text="open", width=60),
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
st.dataframe(adoption.drop(columns=["first_article_id"]), hide_index=True, width="stretch", placeholder="—",
             column_config={"adoption_rank": st.column_config.NumberColumn("order", format="%d", width=60,
                                                                           help="place in the order of adoption"),
                            "outlet": st.column_config.TextColumn("outlet", width=180),
                            "first_seen": st.column_config.DatetimeColumn("first seen", format="D MMM YYYY HH:mm",
                                                                          width=140),
                            "lag_hours": st.column_config.NumberColumn(
                                "lag (hours)", format="%.1f", width=100,
                                help="hours after the frame's first article"),
                            "articles": st.column_config.NumberColumn("articles", width=80),
                            "independent_articles": st.column_config.NumberColumn(
                                "independent articles", width=150, help="articles that are not syndicated copies"),
                            "first_article_url": st.column_config.LinkColumn("first article", display_text="open",
                                                                             width=100)})

rebuttals = web_urls(cache.frame_rebuttals(v, frame_id, filters), "url")
st.subheader(f"Articles that rebut it ({len(rebuttals)})")
st.markdown("A denial, a dispute or fact-check language next to the frame's first passage in the article; "
            "these articles are not counted as spreading the frame. The words that decided it are shown.")
if doc := project_doc("stance.md"):
    with st.expander("How the stance is decided (docs/stance.md)"):
        st.markdown(doc)
if len(rebuttals):
    st.dataframe(rebuttals.assign(passage=[fit(x, 260, 3) for x in rebuttals["passage"]])[
                     ["published_at", "outlet", "cue_text", "speaker", "rule", "passage", "url"]],
                 hide_index=True, width="stretch", key=keys.REBUTTALS, row_height=66, placeholder="—",
                 column_config={
                     "published_at": st.column_config.DatetimeColumn("published", format="D MMM YYYY HH:mm", width=110),
                     "outlet": st.column_config.TextColumn("outlet", width=120),
                     "cue_text": st.column_config.TextColumn("trigger words", width=150),
                     "speaker": st.column_config.TextColumn("said by", width=120, help="—: no speaker named"),
                     "rule": st.column_config.TextColumn("rule", width=90),
                     "passage": st.column_config.TextColumn("in the passage", width=260),
                     "url": st.column_config.LinkColumn("article", display_text="open", width=60)})

edges = cache.frame_edges(v, frame_id)
st.subheader("Who picked it up from whom")
st.plotly_chart(lineage_figure(adoption, edges, f"Lineage of “{chart_label}”",
                               "each outlet's first article, linked to its most likely source"),
                width="stretch", key="lineage")
lineage_table = edges.assign(
    source=[fit(f"{t.day} {t:%b %H:%M} · {title}", 210, 3) for t, title in zip(edges["from_published_at"], edges["from_title"])],
    found=[f"{k} · {s:.2f}" if k == "similar passage" else k for k, s in zip(edges["kind"], edges["score"])],
    evidence_text=[fit(x, 230, 3) for x in edges["evidence_text"]])
st.dataframe(lineage_table[["to_outlet", "to_published_at", "from_outlet", "source", "found", "evidence_text"]],
             hide_index=True, width="stretch", row_height=66, placeholder="—", key="lineage_table", column_config={
                 "to_outlet": st.column_config.TextColumn("outlet", width=125),
                 "to_published_at": st.column_config.DatetimeColumn("its first article", format="D MMM HH:mm",
                                                                    width=110),
                 "from_outlet": st.column_config.TextColumn("most likely source", width=130),
                 "source": st.column_config.TextColumn("the source's article", width=210),
                 "found": st.column_config.TextColumn(
                     "found by", width=110, help="copy, link or attribution (certain), else the most similar "
                     "passage of an earlier outlet, with its similarity (0 to 1)"),
                 "evidence_text": st.column_config.TextColumn(
                     "evidence", width=230, help="the shared paragraphs, the link, the credit, or the similar "
                     "passage of the source")})

passages = web_urls(cache.frame_passages(v, frame_id, filters), "url")
passages["date"] = [marks.get(a, "") for a in passages["article_id"]]
passages["passage"] = [fit(x, 370, 3) for x in passages["text"]]
st.subheader(f"Passages in this frame ({len(passages)})")
st.dataframe(
    passages[["published_at", "date", "outlet", "passage", "score", "match", "url", "title", "text"]], hide_index=True,
    width="stretch", row_height=66, placeholder="",
    column_order=["published_at", "date", "outlet", "passage", "score", "match", "url"],
    column_config={
        "published_at": st.column_config.DatetimeColumn("published", format="D MMM YYYY HH:mm", width=110),
        "date": st.column_config.TextColumn("date flag", width=80, help="⚠: a flagged date (see above)"),
        "outlet": st.column_config.TextColumn("outlet", width=130),
        "passage": st.column_config.TextColumn("passage", width=370),
        "score": st.column_config.NumberColumn("similarity", format="%.2f", width=80),
        "match": st.column_config.TextColumn("matched by", width=90,
                                             help="cluster, or for seeded frames literal or paraphrase"),
        "url": st.column_config.LinkColumn("article", display_text="open", width=60),
    },
)
