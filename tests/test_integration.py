"""The real packaged model on the bundled sample."""

import numpy as np
import pytest

from app.store import Store
from embeddings import load_encoder
from tests.conftest import frame_telling

pytestmark = pytest.mark.integration


def test_packaged_model_loads_offline_and_encodes():
    enc = load_encoder("default")
    v = enc.encode(["Troops were sent as cannon fodder.", "Soldiers were used as expendable manpower.",
                    "The central bank raised interest rates."])
    assert v.shape == (3, 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2  # paraphrase closer than an unrelated sentence


def test_sample_build_finds_the_written_frames(sample_db):
    r = Store.open_read(sample_db)
    try:
        summary = r.frame_summary()
        counts = r.counts()
        vectors = r.query_value("SELECT count(*) FROM embeddings")
        distinct = r.query_value("SELECT count(DISTINCT text_hash) FROM passages")
        embed_run = r.last_run("embed")
        # the frame that tells of the satellite images: the one most of whose passages name them
        cannon_id = frame_telling(r, "cannon fodder")
        satellite = int(r.query_value("""SELECT frame_id FROM frame_passages WHERE text ILIKE '%satellite im%'
                                         GROUP BY frame_id ORDER BY count(*) DESC, frame_id LIMIT 1"""))
    finally:
        r.close()
    assert counts["articles"] > 300 and counts["outlets"] == 20
    assert vectors == distinct
    # the vectors' provenance: which form of the model made them, with which runtime
    assert embed_run["parameters"]["model"].endswith("@256+int8v2")
    assert embed_run["parameters"]["runtime"].startswith("onnxruntime ")
    # The sample's seeded frame holds the name "cannon fodder" (no discovered label repeats it: every label's
    # rules, tests/test_labels.py); the discovered frame written around it starts where it was written.
    assert set(summary.loc[summary["kind"] == "seeded", "label"]) == {"cannon fodder", "blood offering"}
    assert "cannon fodder" not in set(summary.loc[summary["kind"] == "discovered", "label"].str.lower())
    cannon = summary.set_index("frame_id").loc[cannon_id]
    assert cannon["first_outlet"] == "The Lessen Herald"
    assert cannon["outlets"] >= 10
    sat = summary.set_index("frame_id").loc[satellite]
    assert str(sat["first_seen"]) >= "2026-03-16"  # the satellite images appear on day 14
