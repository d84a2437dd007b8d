"""Page widgets scraped into article text (app.widgets): found by their shape, blanked keeping every offset, and
read as blank by the cue finder, the stance rules, the labels and lineage's attributions."""

from __future__ import annotations

import pytest

from app.evidence.cues import CueFinder
from app.widgets import blank_widgets, widget_spans

# Fictional text in the shape of a related-links box: a display name, the full name glued to headlines, "MORE".
LINKS = ("Marshal Orlev Kaspar Ivo OrlevVelka denies shelling the Harrow hospital 'Fake news,' says ministry "
         "Five things to know about the Dorsk ceasefire MORE said on Tuesday that the Orsovan conscripts were "
         "sent forward as cannon fodder.")
VIDEO = ("JUST WATCHED Velka denies everything Replay More Videos ... MUST WATCH Velka denies everything 01:03\n\n"
         "Orsovan conscripts are dying as cannon fodder near Dorsk.")


def test_a_related_links_box_is_blanked_from_the_display_name_to_more():
    blanked = blank_widgets(LINKS)
    assert len(blanked) == len(LINKS)
    assert " ".join(blanked.split()) == ("Marshal Orlev said on Tuesday that the Orsovan conscripts were sent "
                                         "forward as cannon fodder.")
    (a, b), = widget_spans(LINKS)
    assert LINKS[a:b].startswith(" Kaspar Ivo OrlevVelka") and LINKS[a:b].endswith("MORE")
    # every character outside the box is where it was
    assert all(blanked[i] == LINKS[i] for i in range(len(LINKS)) if not a <= i < b)


def test_a_video_box_is_blanked_and_line_breaks_kept():
    blanked = blank_widgets(VIDEO)
    assert blanked.strip().startswith("Orsovan conscripts") and blanked.count("\n") == VIDEO.count("\n")
    assert len(blanked) == len(VIDEO)


@pytest.mark.parametrize("text", [
    "The McDonald family sold the YouTube channel to an iPhone maker; READ MORE below.",
    "Marshal Orlev spoke. Kaspar OrlevVelka is a made-up glued word with no MORE after it.",
    "MORE troops arrived, said Ilse Varga.",
    "",
])
def test_text_without_a_widget_is_left_as_it_is(text):
    assert blank_widgets(text) == text and widget_spans(text) == []


def test_the_cue_finder_and_the_stance_rules_do_not_read_another_story_s_headline():
    from app.frames.stance import Passage, Wording, article_stance

    finder = CueFinder()
    cues = finder.find(LINKS)
    # the box's "denies" and "Fake news" are another story's: no denial, no verdict; the named speaker remains
    assert not [c for c in cues if c.kind == "stance"]
    assert [c.source for c in cues if c.subtype == "named"] == ["Marshal Orlev"]
    blanked = blank_widgets(LINKS)
    for c in cues:
        assert blanked[c.start:c.end] == c.span  # offsets point into the text, read with the box blank
    wording = Wording.of_frame("cannon fodder", [])
    stance = article_stance([Passage("a:1", 1, blanked, True, tuple(cues))], wording)
    assert stance.stance == "reports"  # Marshal Orlev said it; before, the box's "denies" could rebut it


def test_lineage_does_not_credit_an_outlet_named_in_a_widget():
    from app.lineage import Attributions

    text = ("President Vell Arno Tomas VellThe Northern Ledger reported that talks stalled Five things to know "
            "MORE said the convoy left.")
    assert Attributions(["The Northern Ledger"]).find(text) == []
    assert Attributions(["The Northern Ledger"]).find("The Northern Ledger reported that talks stalled.")


def test_labels_are_not_taken_from_a_widget(tmp_path):
    from app.frames.labels import label_clusters
    import numpy as np

    texts = [blank_widgets(LINKS.replace("Tuesday", day)) for day in ("Monday", "Tuesday", "Friday")]
    found = label_clusters(texts, np.zeros(3, dtype=int), 3)
    label = found[0].label.lower()
    assert "velka" not in label and "ceasefire" not in label and "five things" not in label, label
    assert "  " not in found[0].sentence  # the box's blank shown as one space


def _widget_corpus(path):
    """Six articles from three outlets telling one claim in their own voice in one paragraph, a related-links box
    inside it whose headlines deny another story ("Velka denies ...", "'Fake news,' says ministry"), each with its
    own last words (not one sentence with other fillers, which would be a template), and a headline of their own."""
    import json

    box = LINKS[: LINKS.index(" MORE") + len(" MORE")]
    places = ("village", "valley", "harbour", "market", "orchard", "quarry")
    heads = ("Letters from the river", "A long winter ahead", "Bread prices climb", "The quiet border",
             "Rail strike ends", "Schools reopen early")
    rows = []
    for i, place in enumerate(places):
        text = f"{box} ordered the Orsovan conscripts forward as cannon fodder near the {place}."
        rows.append({"url": f"https://outlet{i % 3}.example/news/{i}", "outlet": f"Outlet {i % 3}", "title": heads[i],
                     "text": text, "published_at": f"2026-03-0{i + 2}T10:00:00Z"})
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_the_stance_and_frames_stages_read_passages_with_their_widgets_blank(tmp_path, settings, encoder,
                                                                          monkeypatch):
    """The build itself blanks widgets where it reads passages (the stance stage, the frames stage's labels): the
    box's "denies" is not read as the articles' attribution, and its headlines give no label nor runner-up
    phrase. The same build with each stage's blanking turned off shows what the blanking keeps out."""
    import app.pipeline as pipeline
    import app.stages.frames as frames_stage
    import app.stages.stance as stance_stage
    from app.ingest import ingest_files
    from app.store import Store

    corpus = _widget_corpus(tmp_path / "widgets.jsonl")

    def built(db):
        with Store.write(db) as store:
            ingest_files(store, [corpus], settings.max_article_chars)
        pipeline.build(db, settings, encoder)
        r = Store.open_read(db)
        try:
            frames = r.query("""SELECT f.frame_id, f.label, f.phrases FROM frames f WHERE f.kind = 'discovered'
                                AND f.status = 'active' AND f.frame_id IN (SELECT frame_id FROM passage_frames pf
                                JOIN passages p USING (passage_id) WHERE p.text LIKE '%MORE ordered%')""")
            stances = r.query("SELECT stance, rule FROM article_stance WHERE frame_id IN (SELECT unnest(?))",
                              [frames["frame_id"].tolist()])
        finally:
            r.close()
        return frames, stances

    frames, stances = built(tmp_path / "on.duckdb")
    assert len(frames) == 1 and len(stances) == 6, (frames, stances)
    # Marshal Orlev's order, told in the outlets' own voice; the box's "denies" would make it a report of a denial
    assert (stances["stance"] == "uses").all() and (stances["rule"] == "own voice").all(), stances
    box_words = ("velka", "harrow", "hospital", "ministry", "ceasefire", "five things", "fake news")

    def from_the_box(frames):
        phrases = " | ".join([frames["label"].iloc[0], *frames["phrases"].iloc[0]]).lower()
        return [w for w in box_words if w in phrases]

    assert not from_the_box(frames), frames
    # Without the stages' blanking the box's words are read as the articles' own.
    monkeypatch.setattr(stance_stage, "blank_widgets", lambda text: text)
    monkeypatch.setattr(frames_stage, "blank_widgets", lambda text: text)
    unblanked_frames, unblanked = built(tmp_path / "off.duckdb")
    assert len(unblanked) == 6 and (unblanked["stance"] != "uses").all(), unblanked
    assert from_the_box(unblanked_frames), unblanked_frames
