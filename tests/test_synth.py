"""The synthetic archive (bench/synth.py): deterministic by seed, exact in size, and a week written alone is
exactly that week of the whole archive."""

import datetime as dt
import io
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import synth  # noqa: E402


def _text(archive, week=None) -> str:
    out = io.StringIO()
    synth.write(archive, out, week, progress=None)
    return out.getvalue()


def test_same_seed_same_bytes_and_exact_size():
    a = _text(synth.Archive(1500, seed=3, years=0.5, outlets=60))
    b = _text(synth.Archive(1500, seed=3, years=0.5, outlets=60))
    c = _text(synth.Archive(1500, seed=4, years=0.5, outlets=60))
    assert a == b
    assert a != c
    rows = [json.loads(line) for line in a.splitlines()]
    assert len(rows) == 1500
    assert {"title", "text", "published_at", "outlet", "url"} <= set(rows[0])
    assert len({r["url"] for r in rows}) == 1500
    assert len({r["outlet"] for r in rows}) > 40
    dates = [r["published_at"] for r in rows]
    assert dates == sorted(dates)


def test_structure_copies_and_spreading_frames():
    rows = [json.loads(line) for line in _text(synth.Archive(3000, seed=1, years=0.5, outlets=80)).splitlines()]
    paras = [r["text"].split("\n\n") for r in rows]
    assert 8 <= sum(map(len, paras)) / len(paras) <= 20
    copies = [r for r in rows if "was first published by" in r["text"]]
    assert 0.05 < len(copies) / len(rows) < 0.4
    # A story's frame starts with one outlet and reaches others on later days.
    archive = synth.Archive(3000, seed=1, years=0.5, outlets=80)
    story = archive.story(5)
    lags = [archive.adopts(story, 0, o) for o in range(len(archive.outlets))]
    taken = sorted(x for x in lags if x is not None)
    assert taken[0] == story["frames"][0]["offset"] and len(taken) > 5 and taken[-1] > taken[0] + 1


def test_week_alone_is_that_week_of_the_archive():
    archive = synth.Archive(2000, seed=2, years=0.5, outlets=60)
    whole = _text(archive).splitlines()
    monday = dt.date(2018, 2, 5)
    week = _text(archive, monday).splitlines()
    expected = [line for line in whole if monday.isoformat() <= json.loads(line)["published_at"][:10]
                < (monday + dt.timedelta(days=7)).isoformat()]
    assert week and week == expected
    with pytest.raises(ValueError, match="Monday"):
        _text(archive, dt.date(2018, 2, 6))


def test_a_longer_archive_at_the_same_rate_begins_as_the_shorter_one_and_can_start_earlier():
    start = dt.date(2010, 1, 4)  # a Monday
    short = _text(synth.Archive(1000, seed=2, years=0.5, outlets=60, start=start)).splitlines()
    longer = _text(synth.Archive(2000, seed=2, years=1.0, outlets=60, start=start)).splitlines()  # 26 and 52 weeks
    assert json.loads(short[0])["published_at"][:10] >= start.isoformat()
    assert len(longer) == 2000 and longer[:len(short)] == short
    assert json.loads(longer[len(short)])["published_at"][:10] >= (start + dt.timedelta(weeks=26)).isoformat()
    with pytest.raises(ValueError, match="Monday"):
        synth.Archive(1000, start=dt.date(2010, 1, 5))
