"""Lineage on articles written for the purpose: a copy, a URL in the text, a hyperlink in raw HTML,
an attribution, a paraphrase."""

import json
import re

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st

import app.pipeline as pipeline
from app.frames.seeded import Seed, save_seeds
from app.ingest import ingest_files
from app.lineage import _AFTER, _BEFORE, _CUES, _TRIGGER_WORDS, Attributions
from app.outlets import names_pattern
from app.textcase import search_lower
from app.store import Store

ORIGINAL = ("The marshal's decision is a blood offering to the president, paid in the lives of young conscripts.\n\n"
            "Officials in the capital said the first trains left on Monday night, carrying several thousand men east.\n\n"
            "Families were not told where the soldiers were going, according to relatives who spoke by phone.")
ARTICLES = [
    # (outlet, day, url, text)
    ("Origin Daily", 1, "https://origin.example/a1", ORIGINAL),
    ("Copy Courier", 2, "https://copy.example/c1", ORIGINAL + "\n\nThis story first appeared in Origin Daily."),
    ("Credit Times", 3, "https://credit.example/t1",
     "A blood offering to the president: that is how the deployment was described, according to Origin Daily.\n\n"
     "The Credit Times could not verify the number of soldiers independently, and the ministry did not respond."),
    ("Link Post", 3, "https://link.example/p1",
     "Critics call it a blood offering to the president. The report (https://www.origin.example/a1/?utm_source=x) "
     "has been widely shared.\n\nNo government has confirmed the figures given in the original story so far."),
    ("Anchor Journal", 4, "https://anchor.example/j1",
     "<html><body><nav><a href='https://credit.example/t1'>Credit Times</a></nav><article>"
     "<p>What the marshal did amounts to <a href='https://origin.example/a1?utm_medium=social'>a blood offering to "
     "the president</a>, a charge repeated across the region.</p>"
     "<p>Our own reporters have not been able to confirm how many soldiers left.</p></article>"
     "<script>var t = 'according to Credit Times';</script></body></html>"),
    ("Echo Weekly", 5, "https://echo.example/e1",
     "A blood offering to the president, observers say: that is how the whole deployment is being described "
     "this week.\n\nThe ministry again did not respond to questions on Friday."),
]


@pytest.fixture
def lineage_db(tmp_path, settings, encoder):
    src = tmp_path / "lineage.jsonl"
    src.write_text("\n".join(json.dumps({"outlet": o, "url": u, "title": "",
                                         ("html" if t.startswith("<html>") else "text"): t,
                                         "published_at": f"2026-02-0{d}T09:00:00Z"}) for o, d, u, t in ARTICLES))
    seeds = tmp_path / "frames.toml"
    save_seeds(seeds, [Seed("Blood offering", ("blood offering",), threshold=0.99)])
    s = settings.replace(frames_file=seeds)
    with Store.write(s.db) as store:
        ingest_files(store, [src], s.max_article_chars)
    pipeline.build(s.db, s, encoder)
    r = Store.open_read(s.db)
    fid = int(r.frame_summary().query("kind == 'seeded'").iloc[0]["frame_id"])
    edges = r.frame_edges(fid).set_index("to_outlet")
    r.close()
    return edges


def test_each_kind_of_evidence(lineage_db):
    e = lineage_db
    assert "Origin Daily" not in e.index  # the first article has no source
    assert (e.loc["Copy Courier", "kind"], e.loc["Copy Courier", "from_outlet"]) == ("copy", "Origin Daily")
    assert (e.loc["Link Post", "kind"], e.loc["Link Post", "from_outlet"]) == ("link", "Origin Daily")
    assert "origin.example/a1" in e.loc["Link Post", "evidence"]
    assert (e.loc["Credit Times", "kind"], e.loc["Credit Times", "from_outlet"]) == ("attribution", "Origin Daily")
    assert e.loc["Credit Times", "evidence"].lower() == "according to origin daily"
    # The hyperlink in the article body (not the navigation's link, not the script's words) names the source.
    assert (e.loc["Anchor Journal", "kind"], e.loc["Anchor Journal", "from_outlet"]) == ("link", "Origin Daily")
    assert e.loc["Anchor Journal", "evidence"].startswith("hyperlink https://origin.example/a1")
    # Echo Weekly names no outlet we know as a source: its closest earlier passage is Credit Times'.
    assert (e.loc["Echo Weekly", "kind"], e.loc["Echo Weekly", "from_outlet"]) == ("similar passage", "Credit Times")
    assert 0 < e.loc["Echo Weekly", "score"] <= 1


def test_attribution_cues():
    a = Attributions(["Yonhap", "The Times", "Times of Korea"])
    for text in ["according to Yonhap", "as first reported by Yonhap", "Yonhap reported", "citing Yonhap",
                 "first published by  Yonhap"]:
        assert [n for n, _ in a.find(text)] == ["Yonhap"], text
    for text in ["Yonhap is a news agency", "Yonhapster reported", "according to Yonhapster"]:
        assert a.find(text) == [], text
    assert [n for n, _ in a.find("according to the Times of Korea, and citing The Times")] == ["Times of Korea", "The Times"]


def _every_name_at_once(outlets: list[str], text: str) -> list[tuple[str, str]]:
    """The rule written plainly: one expression of every cue with every outlet name, run on the window around
    each cue word."""
    names = sorted({o for o in outlets if o and o.strip()}, key=len, reverse=True)
    alternation = names_pattern(names) or r"(?!x)x"
    pattern = re.compile("|".join(r"\b" + c.replace(" ", r"\s+").format(o=f"(?P<o{i}>{alternation})") + r"\b"
                                  for i, c in enumerate(_CUES)), re.IGNORECASE)
    found = {}
    for t in re.finditer("|".join(_TRIGGER_WORDS), text, re.IGNORECASE):
        for m in pattern.finditer(text, max(0, t.start() - _BEFORE), min(len(text), t.end() + _AFTER)):
            said = next(v for v in m.groupdict().values() if v)
            name = next(n for n in names if re.fullmatch(names_pattern([n]), said, re.IGNORECASE))
            found.setdefault(m.start(), (name, m.group(0)))
    return [found[k] for k in sorted(found)]


OUTLETS = ["Yonhap", "The Times", "Times of Korea", "NK  News", "Le Monde", "Süddeutsche Zeitung", "Reuters",
           "ABC", "ABC News", "@Wire", "İnan Post"]
PIECES = ["according to", "According  to the", "as first reported by", "citing", "reported", "REPORTED",
          "told", "in an interview with", "published by", "revealed", "Yonhap", "yonhap", "The Times", "times of korea",
          "Times of\nKorea", "NK News", "nk   news", "Le Monde", "Süddeutsche Zeitung", "SÜDDEUTSCHE ZEITUNG",
          "Reuterſ", "reuterſ reported", "ABC", "ABC's", "abc news", "@Wire", "İnan Post", "inan post", "ınan post",
          "REVEALED", "Reutersville", "the", "a", ",", ".", "\u00a0", " ", "  ", "\n", "x" * 170, "İ", "and"]


@hsettings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40))
def test_attributions_match_the_rule_written_plainly(pieces):
    # The matcher tries only the names a window holds, finds cue words without an expression and reads a run of
    # overlapping windows once: what it finds is what one expression of every name finds, whatever the case,
    # spacing, letters other than ASCII ("ſ", "ı", "İ") and names inside names.
    text = " ".join(pieces)
    assert Attributions(OUTLETS).find(text) == _every_name_at_once(OUTLETS, text)


def test_text_in_lower_case_for_a_search_keeps_every_place():
    # "İ" is the one letter whose lower case is two characters; read as "i", places stay places.
    every = "".join(chr(c) for c in range(0xD800)) + "\u212a"
    assert len(search_lower(every)) == len(every)
    assert search_lower("İSTANBUL ınan Reuterſ \u212a") == "istanbul inan reuters k"


def test_attributions_in_a_long_text_with_letters_other_than_ascii():
    text = ("İstanbul bureau. " + "Filler words here. " * 30 + "According to Reuterſ, the troops moved. "
            + "More filler. " * 20 + "Citing ınan post and Le Monde, critics said. " + "z" * 400
            + " ABC News reported")
    found = Attributions(OUTLETS).find(text)
    assert found == _every_name_at_once(OUTLETS, text)
    assert [n for n, _ in found] == ["Reuters", "İnan Post", "ABC News"]


def test_lineage_view_is_public(lineage_db, settings):
    r = Store.open_read(settings.db)
    view = r.export("frame_edges").to_pandas()
    r.close()
    assert set(view.columns) >= {"frame_id", "from_article", "to_article", "kind", "score"}
    assert len(view) >= 4
