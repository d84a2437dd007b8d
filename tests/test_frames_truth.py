"""Discovered frames on the bundled sample, built with the real packaged model, against the frames the
sample was written with (the generator's truth; scoring defined in bench/sample_frames.py)."""

import sys
from pathlib import Path

import pytest

from app.store import Store

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from sample_frames import frame_scores  # noqa: E402

pytestmark = pytest.mark.integration

# Measured with the default settings (bench/RESULTS.md, 2026-12-02): ARI 0.559, purity 0.98, coverage 0.98,
# 31 frames (12 of them the written frames' passages); before templates, fragment merging and stories: ARI 0.51,
# 34 frames. (A looser fragment merge reaches ARI 0.79 here but breaks onset checks on real news.)
MEASURED_ARI = 0.559


@pytest.fixture(scope="module")
def scores(sample_db):
    r = Store.open_read(sample_db)
    try:
        return frame_scores(r), r.last_run("frames")["counts"]
    finally:
        r.close()


def test_the_analyst_template_is_set_aside_and_makes_no_frame(scores):
    found, counts = scores
    assert counts["templates"] == 1 and counts["template_passages"] == 182  # six analysts, one sentence
    assert found["template_passages_in_frames"] == 0


def test_discovered_frames_match_the_written_frames(scores):
    found, _ = scores
    assert found["ARI"] >= MEASURED_ARI - 0.05, found
    assert found["purity"] >= 0.95 and found["coverage"] >= 0.95, found
    # Not yet one frame per written frame: "blood tribute" and "human waves" come in two pieces, "cannon
    # fodder" three, "payment" four, "denial" five (its headlines gather with the admission's evidence).
    assert found["fragments"]["tribute"] <= 2 and found["fragments"]["waves"] <= 2, found["fragments"]
    assert max(found["fragments"].values()) <= 5, found["fragments"]
    assert found["frames_of_written"] <= 13, found


def test_stories_group_the_frames(scores, sample_db):
    found, counts = scores
    r = Store.open_read(sample_db)
    try:
        stories = r.story_summary()
        members = r.frame_stories().dropna()
    finally:
        r.close()
    assert 1 < len(stories) == counts["stories"] < found["frames"]
    assert stories["frames"].sum() == len(members) == found["frames"]
