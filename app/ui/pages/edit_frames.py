"""Frames: rename, merge, retire and restore frames; seed new ones. Every change is kept in the store
(or in the seeds file) and survives rebuilds."""

import streamlit as st

from app.frames.seeded import (STALE_GROWTH, Example, Seed, SeedError, add_reviewed, describe_rule, examples_file,
                               load_seeds, rule_outgrown, upsert_seed)
from app.store import StoreError
from app.ui import cache, keys
from app.ui.first_start import open_or_stop
from app.ui.text import md
from app.ui.writes import build_with_progress, edit_frame, show_build_notes

v = open_or_stop()
st.title("Manage frames")
if flash := st.session_state.pop(keys.FLASH, None):
    st.success(md(flash))
show_build_notes()  # a rebuild with reviewed examples reruns the page before its notes are shown


def apply(action: str, **kwargs) -> None:
    try:
        st.session_state[keys.FLASH] = edit_frame(fid, action, **kwargs) + \
            " (lineage and evidence follow at the next build)"
    except StoreError as exc:
        st.error(md(exc))
        return
    st.rerun()


s = cache.settings()
frames = cache.all_frames(v)
labels = dict(zip(frames["frame_id"].astype(int), frames["label"]))
status_of = dict(zip(frames["frame_id"].astype(int), frames["status"]))
st.caption(f"{(frames['status'] == 'active').sum()} active frames, {(frames['status'] == 'merged').sum()} merged, "
           f"{(frames['status'] == 'hidden').sum()} retired by hand · {md(s.db.name)}")
# What the table shows (the learned rules' sizes when fitted are for the review queue's warning below).
SHOWN = ["frame_id", "label", "kind", "status", "articles", "outlets", "merged_into", "rule", "est_precision"]
st.dataframe(frames, hide_index=True, width="stretch", key=keys.FRAMES_TABLE, placeholder="—", column_order=SHOWN,
             column_config={
    "frame_id": st.column_config.NumberColumn("frame", width=60, format="%d"),
    "label": st.column_config.TextColumn("label", width=300),
    "kind": st.column_config.TextColumn("kind", width=85),
    "status": st.column_config.TextColumn("status", width=70),
    "articles": st.column_config.NumberColumn("articles", width=70),
    "outlets": st.column_config.NumberColumn("outlets", width=65),
    "merged_into": st.column_config.NumberColumn("merged into", width=90, format="%d"),
    "rule": st.column_config.TextColumn("decides by", width=90, help="Seeded frames: phrases and paraphrase, "
                                        "or a rule learned from labelled examples"),
    "est_precision": st.column_config.NumberColumn("precision", width=80, format="%.2f",
                                                   help="A learned seeded frame's precision estimated on its "
                                                        "examples, out of fold (docs/seeded.md)")})

st.subheader("Edit a frame")
ids = list(labels)
if ids:
    fid = st.selectbox("Frame", ids, format_func=lambda f: f"#{f} · {labels[f]} ({status_of[f]})", key=keys.EDIT_FRAME)
    c1, c2 = st.columns(2)
    with c1:
        new_label = st.text_input("New label", value=labels[fid], key=keys.EDIT_LABEL)
        if st.button("Rename", key=keys.EDIT_RENAME):
            apply("rename", value=new_label)
    with c2:
        targets = [f for f in ids if f != fid and status_of[f] == "active"]
        # No target is chosen for the user, and merging waits for a confirmation naming both frames.
        into = st.selectbox("Merge into", targets, index=None, placeholder="Choose the frame to merge into",
                            format_func=lambda f: f"#{f} · {labels[f]}", key=keys.EDIT_INTO)
        confirmed = into is not None and st.checkbox(
            f"Merge #{fid} · {md(labels[fid])} into #{into} · {md(labels[into])}", value=False,
            key=f"{keys.EDIT_CONFIRM}_{fid}_{into}")
        if st.button("Merge", key=keys.EDIT_MERGE, disabled=not confirmed):
            apply("merge", into=into)
    c3, c4 = st.columns(2)
    if c3.button("Retire (hide)", key=keys.EDIT_RETIRE, disabled=status_of[fid] != "active"):
        apply("retire")
    if c4.button("Restore", key=keys.EDIT_RESTORE, disabled=status_of[fid] not in ("merged", "hidden")):
        apply("restore")
    with st.expander(f"History of frame #{fid}"):
        st.dataframe(cache.frame_history(cache.version(), fid), hide_index=True, width="stretch")

seeded = frames[(frames["kind"] == "seeded") & (frames["status"] == "active")]
if len(seeded):
    st.subheader("Review seeded matches")
    st.markdown("The articles nearest each seeded frame's decision boundary, each with the passage that decided "
                "it. Mark it in or out of the frame in one click: it becomes a labelled example, kept in "
                f"{md(examples_file(s.frames_file))} beside the seeds file, and the next build learns from it.")
    seeded_ids = seeded["frame_id"].astype(int).tolist()
    rid = st.selectbox("Seeded frame", seeded_ids, key=keys.REVIEW_FRAME, format_func=lambda f: (
        f"#{f} · {labels[f]} · " + describe_rule(seeded.set_index("frame_id").loc[f])))
    seed_name = labels[rid]
    chosen = seeded.set_index("frame_id").loc[rid]
    if chosen.get("rule") == "learned" and rule_outgrown(chosen.get("fitted_passages"), chosen.get("passages_now"),
                                                         STALE_GROWTH):
        st.warning(f"This frame's learned rule was fitted on {int(chosen['fitted_passages']):,} passages "
                   f"({str(chosen['fitted_at'])[:10]}); the archive now holds {int(chosen['passages_now']):,}. "
                   "It is kept so the frame's earlier articles stay where they are; `narratives build "
                   "--refit-seeds` fits it on the archive as it is now (its earlier articles may then move).")
    done = {e.text for x in (load_seeds(s.frames_file) if s.frames_file.exists() else [])
            if x.name.lower() == str(seed_name).lower() for e in x.labelled}
    queue = cache.seed_review(v, rid)
    queue = queue[~queue["text"].isin(done)]
    if queue.empty:
        st.info("Nothing to review for this frame: every article near its boundary is labelled (rebuild to "
                "refresh the queue).")
    for row in queue.head(8).itertuples():
        verdict = "in the frame" if row.matched else "not in the frame"
        st.markdown(f"**{md(row.outlet)}** · {md(row.title)} · score {row.score:.3f} "
                    f"(threshold {row.threshold:.3f}, {verdict})")
        st.text(row.text)
        b1, b2, _ = st.columns([1, 1, 6])
        for column, label, caption in ((b1, "in", "In the frame"), (b2, "out", "Not in it")):
            if column.button(caption, key=keys.review_button(label, row.article_id)):
                try:
                    path = add_reviewed(s.frames_file, seed_name, Example(label, text=row.text))
                except (OSError, SeedError) as exc:
                    st.error(md(exc))
                else:
                    st.session_state[keys.FLASH] = (f"Kept as an example {label} of “{seed_name}” in {path.name}; "
                                                    "rebuild to learn from it.")
                    st.rerun()
    if st.button("Rebuild with the reviewed examples", key=keys.REVIEW_REFIT):
        try:
            _, report = build_with_progress(None, "Matching the seeded frames…")
            st.session_state[keys.FLASH] = f"{report.seeded_frames} seeded frames matched again."
            st.rerun()
        except (SeedError, StoreError) as exc:
            st.error(md(exc))

st.subheader("Seed a frame")
st.markdown(f"Name a frame and give phrases (matched literally, any case and inflection) and example sentences "
            f"(matched by paraphrase at cosine ≥ the threshold). Seeds are kept in {md(s.frames_file)}, a file to "
            "keep under version control.")
with st.form(key=keys.SEED_FORM):
    name = st.text_input("Name", key=keys.SEED_NAME)
    phrases = st.text_area("Phrases, one per line", key=keys.SEED_PHRASES)
    examples = st.text_area("Example sentences, one per line", key=keys.SEED_EXAMPLES)
    threshold = st.slider("Paraphrase threshold", 0.3, 0.95, float(s.seed_threshold), 0.01, key=keys.SEED_THRESHOLD,
                          help="Calibrated default: see bench/RESULTS.md (seed threshold). Lower finds more, "
                               "with more false matches.")
    min_passages = st.number_input("Passages an article needs (paraphrase only)", 1, 20, int(s.seed_min_passages),
                                   key=keys.SEED_MIN_PASSAGES,
                                   help="An article joins through any literal phrase match; matched only by "
                                        "paraphrase, it needs this many matching passages. 2 or more keeps out "
                                        "articles that brush past the frame in one sentence.")
    submitted = st.form_submit_button("Save the seed and build")
if submitted:
    try:
        seed = Seed(name.strip(), tuple(p.strip() for p in phrases.splitlines() if p.strip()),
                    tuple(e.strip() for e in examples.splitlines() if e.strip()), threshold,
                    None if int(min_passages) == s.seed_min_passages else int(min_passages))
        upsert_seed(s.frames_file, seed)
        _, report = build_with_progress(None, "Matching the seeded frames…")
        st.success(f"Saved “{md(seed.name)}” to {md(s.frames_file)}; {report.seeded_frames} seeded frames matched.")
        show_build_notes()
    except (SeedError, StoreError) as exc:
        st.error(md(exc))
seeds = load_seeds(s.frames_file) if s.frames_file.exists() else []
if seeds:
    st.markdown("**Seeds in the file:** " + ", ".join(f"“{md(x.name)}”" for x in seeds))
