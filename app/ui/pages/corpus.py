"""Data: add articles from a file through the browser, see what was rejected and why, and what the
corpus holds."""

import pandas as pd
import streamlit as st

from app.charts import weekly_bars_figure
from app.ingest import ingest_files
from app.store import StoreError
from app.ui import cache, keys
from app.ui.collect_health import render_collect_health
from app.ui.first_start import open_or_stop
from app.ui.text import counted, md
from app.ui.uploads import UPLOAD_TYPES, UploadRejected, display_name, saved_upload
from app.ui.writes import build_with_progress, show_build_notes
from app.weeks import partial_note, partial_weeks

v = open_or_stop(needs_frames=False)
st.title("Data")
s = cache.settings()
c = cache.counts(v)
m1, m2, m3, m4 = st.columns(4)
m1.metric("articles", f"{c['articles']:,}")
m2.metric("outlets", f"{c['outlets']:,}")
m3.metric("passages", f"{c['passages']:,}")
m4.metric("rejected records", f"{c['rejects']:,}")

st.subheader("Add articles")
st.markdown("CSV/TSV, JSONL (also .gz), JSON or Parquet with a date, a text or title (or raw HTML), and an outlet "
            "or URL per article. Records that cannot be used are kept with the reason; nothing is dropped silently.")
upload = st.file_uploader("Article file", type=UPLOAD_TYPES, key=keys.UPLOAD)
if upload is not None and st.button("Ingest and build", key=keys.UPLOAD_GO):
    # The name the browser sent is a label only: the file is saved under a name made from it (app/ui/uploads.py).
    sent = display_name(upload.name)
    try:
        with saved_upload(upload.name, upload.getvalue()) as path:
            ingest, _ = build_with_progress(lambda store: ingest_files(store, [path], s.max_article_chars),
                                            f"Reading {md(sent)}…", purpose=f"upload {sent}")
    except (UploadRejected, StoreError) as exc:
        st.error(md(exc))
        st.stop()
    st.session_state[keys.UPLOAD_REPORT] = [
        {"file": sent, "ingested": f.ingested, "already present": f.already_present, "rejected": f.rejected,
         "not read": (f.error or "").replace(f.path, sent),
         "reasons": "; ".join(f"{n} × {r}" for r, n in f.reasons.items())}
        for f in ingest.files]
    # Read the page again from the published build: the counts above were read before it.
    st.rerun()
if st.session_state.get(keys.UPLOAD_REPORT):
    st.success("Ingested and built.")
    show_build_notes()
    st.dataframe(pd.DataFrame(st.session_state[keys.UPLOAD_REPORT]), hide_index=True, width="stretch")

stats = cache.corpus_stats(cache.version())
st.subheader("Articles per week")
partial = partial_weeks(*cache.date_bounds(cache.version()))
st.plotly_chart(weekly_bars_figure(stats["per_week"], "Every article, by the week it was published",
                                   "all outlets" + (" · " + partial_note(partial) if partial else ""), partial),
                width="stretch", key="per_week")
st.subheader("Outlets")
st.dataframe(stats["per_outlet"], hide_index=True, width="stretch", placeholder="—",
             column_config={"outlet": st.column_config.TextColumn("outlet", width=220),
                            "kind": st.column_config.TextColumn("kind", width=120),
                            "lean": st.column_config.TextColumn("lean", width=100, help="—: not set"),
                            "articles": st.column_config.NumberColumn("articles", width=90),
                            "first": st.column_config.DatetimeColumn("first article", format="D MMM YYYY", width=120),
                            "last": st.column_config.DatetimeColumn("last article", format="D MMM YYYY", width=120)})
run = stats["frames_run"]
if run.get("passages"):
    st.subheader("Frames: the last build")
    unassigned = run["passages"] - run.get("assigned", 0)
    st.markdown(
        f"{counted(run.get('frames', 0), 'discovered frame')} ({run.get('mode', 'full')} run); "
        f"{run.get('assigned', 0):,} of {run['passages']:,} passages are in a frame and {unassigned:,} "
        f"({unassigned / run['passages']:.0%}) in none. Set aside before clustering as templates (the same "
        f"sentence with other names or numbers, across outlets): {counted(run.get('templates', 0), 'template')} "
        f"({run.get('furniture_shapes', 0):,} of them short page furniture that outlets repeat: copyright lines, "
        f"bylines, wire credits; {counted(run.get('quote_shapes', 0), 'stock quote')}: a quotation told again "
        f"with other names or numbers in it), {counted(run.get('template_passages', 0), 'passage')}. "
        f"Set aside as publisher boilerplate (sign-up lines, "
        f"credits, bylines): {counted(run.get('boilerplate', 0), 'cluster')}, "
        f"{counted(run.get('boilerplate_passages', 0), 'passage')}; merged as fragments of one framing (their centres coincide, or they repeat the same "
        f"supporting sentences word for word): {counted(run.get('merged', 0), 'cluster')}, "
        f"{run.get('merged_by_sentences', 0):,} of them by shared sentences; headline texts placed in the frame "
        f"of their articles' lead paragraph: {run.get('headlines_with_leads', 0):,}; too narrow (too few articles or outlets): "
        f"{counted(run.get('narrow', 0), 'cluster')}. Stories (the events or topics the frames belong to): {run.get('stories', 0):,}."
        + (f" {counted(run.get('joined_existing', 0), 'passage')} joined existing frames and "
           f"{counted(run.get('new_frames', 0), 'new frame')} {'was' if run.get('new_frames', 0) == 1 else 'were'} "
           "made." if run.get("mode") == "incremental" else ""))
render_collect_health(cache.version())
st.subheader("Rejected records, by reason")
if stats["rejects"].empty:
    st.markdown("None.")
else:
    st.dataframe(stats["rejects"], hide_index=True, width="stretch", column_config={
        "reason": st.column_config.TextColumn("reason", width=420), "records": st.column_config.NumberColumn(
            "records", width=90), "example_file": st.column_config.TextColumn("example file", width=300)})
    st.caption("Every rejected record is kept with its raw content: `narratives export rejects`.")
