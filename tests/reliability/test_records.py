"""Property-based: any record, any date, any URL. Nothing but a clear per-record problem may come out of
the rules, and no record is lost: every record written is ingested, already present, or a reject with
its raw text and reason."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.ingest import ingest_files
from app.ingest.normalize import RecordProblem, canonical_url, parse_date
from app.store import Store

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                          HealthCheck.too_slow])

date_like = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-/:.TZ +,", max_size=30),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.datetimes(min_value=dt.datetime(1, 1, 1)),
    st.builds(lambda d, m, y: f"{d}/{m}/{y}", st.integers(0, 40), st.integers(0, 40), st.integers(0, 3000)),
    st.none(),
    st.lists(st.integers(), max_size=3),
)


@SETTINGS
@given(date_like, st.booleans())
def test_a_date_is_read_or_is_a_problem_of_its_record(value, dayfirst):
    try:
        got = parse_date(value, dayfirst)
    except RecordProblem as exc:
        assert str(exc)
        return
    assert dt.datetime(1900, 1, 1) <= got <= dt.datetime.utcnow() + dt.timedelta(days=2)


@SETTINGS
@given(st.text(max_size=60))
def test_a_url_is_canonical_or_refused_as_a_value_error(text):
    try:
        out = canonical_url(text)
    except ValueError:
        return
    assert out.startswith("https://")


scalar = st.one_of(st.text(max_size=80), st.integers(), st.floats(), st.booleans(), st.none())
value = st.one_of(scalar, st.lists(scalar, max_size=3), st.dictionaries(st.text(max_size=5), scalar, max_size=2))
KEYS = ["url", "title", "text", "outlet", "date", "published_at", "html", "language", "source", "link"]
record = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), value, max_size=8)
plausible = st.fixed_dictionaries({
    "url": st.one_of(st.none(), st.builds(lambda s: f"https://r.example/{s}", st.text("abc/?=&%", max_size=12)),
                     st.text(max_size=20)),
    "title": st.one_of(st.text(max_size=60), st.none()),
    "text": st.one_of(st.text(max_size=200), st.lists(st.text(max_size=40), max_size=3)),
    "outlet": st.one_of(st.text(max_size=30), st.none()),
    "date": date_like.map(lambda d: d if isinstance(d, (str, int, float, type(None))) else str(d)),
})


@SETTINGS
@given(st.lists(st.one_of(record, plausible), min_size=1, max_size=25), st.sampled_from(["jsonl", "json"]))
def test_no_record_is_lost(tmp_path_factory, records, fmt):
    folder = tmp_path_factory.mktemp("records")
    path = folder / f"r.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    else:
        path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    store = Store.memory()
    try:
        report = ingest_files(store, [path], 200_000)
        f = report.files[0]
        if f.error:  # only a file that holds no record at all may be refused whole
            assert "no records" in f.error, f.error
            assert not any(records) or fmt == "json"
            return
        assert f.ingested + f.already_present + f.rejected == len(records)
        rejects = store.rejects()
        assert len(rejects) == f.rejected
        assert rejects["raw"].str.len().gt(0).all() and rejects["reason"].str.len().gt(0).all()
        assert store.query_value("SELECT count(*) FROM articles") == f.ingested
        stored = store.query("SELECT title, text, outlet_id FROM articles")
        reprs = {str(v) for r in records for v in r.values() if isinstance(v, (list, dict))} - {"[]"}
        for column in ("title", "text"):
            assert not set(stored[column].dropna()) & reprs  # a list or object is text or a reject, never its repr
    finally:
        store.close()
