import gzip
import json

import pandas as pd
import pytest

from app.ingest import ingest_files
from app.ingest.normalize import canonical_url, parse_date, RecordProblem

MAX = 200_000


def _ingest(store, *paths):
    return ingest_files(store, paths, MAX)


def _write_csv(path, rows, header="url,title,text,outlet,date"):
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_csv_recognises_columns_and_normalises(memory_store, tmp_path):
    f = _write_csv(tmp_path / "a.csv", [
        'https://www.Example.com/a/?utm_source=x&id=3#top,Title A,"Body of A, long enough to be a passage.",Example News,2024-03-01T10:00:00+02:00',
        'http://other.example/b,Title B,Body B,,1 March 2024',
    ])
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected, rep.already_present) == (2, 0, 0)
    arts = memory_store.query("SELECT a.*, o.name AS outlet_name, o.domain FROM articles a JOIN outlets o USING (outlet_id) ORDER BY title")
    assert arts.loc[0, "canonical_url"] == "https://example.com/a?id=3"
    assert str(arts.loc[0, "published_at"]) == "2024-03-01 08:00:00"  # UTC
    assert arts.loc[0, "outlet_name"] == "Example News"
    assert arts.loc[1, "outlet_name"] == "other.example"  # derived from the domain


def test_column_aliases_jsonl_gz_and_json_and_parquet(memory_store, tmp_path):
    rows = [{"link": f"https://s{i}.example/x", "headline": f"H{i}", "content": "Some text here.",
             "media_name": "M", "seendate": "20240105T101500Z"} for i in range(3)]
    gz = tmp_path / "a.jsonl.gz"
    gz.write_bytes(gzip.compress("\n".join(json.dumps(r) for r in rows).encode()))
    js = tmp_path / "b.json"
    js.write_text(json.dumps({"articles": [{**rows[0], "link": "https://j.example/1"}]}))
    pq = tmp_path / "c.parquet"
    pd.DataFrame([{"url": "https://p.example/1", "title": "P", "body": "B", "publish_date": pd.Timestamp("2024-01-02")}]).to_parquet(pq)
    rep = _ingest(memory_store, gz, js, pq)
    assert rep.ingested == 5 and rep.rejected == 0
    day = memory_store.query_value("SELECT published_at FROM articles WHERE canonical_url = 'https://s0.example/x'")
    assert str(day) == "2024-01-05 10:15:00"


def test_reingest_adds_nothing(memory_store, tmp_path):
    f = _write_csv(tmp_path / "a.csv", ["https://a.example/1,T,Text one,O,2024-01-01", "https://a.example/2,T2,Text two,O,2024-01-02"])
    first = _ingest(memory_store, f)
    second = _ingest(memory_store, f)
    assert first.ingested == 2
    assert (second.ingested, second.already_present, second.rejected) == (0, 2, 0)
    assert memory_store.query_value("SELECT count(*) FROM articles") == 2


def test_bad_dates_empty_text_and_duplicates_are_rejected_with_reasons(memory_store, tmp_path):
    f = _write_csv(tmp_path / "bad.csv", [
        "https://a.example/1,T,Fine text,O,2024-01-01",
        "https://a.example/2,T,Fine text,O,not a date",
        "https://a.example/3,T,Fine text,O,0001-11-30",
        "https://a.example/4,,,O,2024-01-01",
        "https://a.example/5,T,Fine text,O,",
        "https://a.example/1,T,Fine text,O,2024-01-01",          # exact duplicate
        "https://www.a.example/1/,T,Other text,O,2024-01-01",   # same URL, other content
    ])
    rep = _ingest(memory_store, f)
    assert rep.ingested == 1 and rep.already_present == 1 and rep.rejected == 5
    rejects = memory_store.rejects().set_index("record_no")
    assert "unparseable date 'not a date'" in rejects.loc[2, "reason"]
    assert "implausible date" in rejects.loc[3, "reason"]
    assert rejects.loc[4, "reason"] == "no text and no title"
    assert rejects.loc[5, "reason"] == "no publication date"
    assert "duplicate URL" in rejects.loc[7, "reason"] and "record 1" in rejects.loc[7, "reason"]
    assert "not a date" in rejects.loc[2, "raw"]  # the raw record is kept
    assert set(rejects["source_file"]) == {str(f)}


def test_title_only_article_is_kept(memory_store, tmp_path):
    f = _write_csv(tmp_path / "t.csv", ["https://a.example/1,Only a headline,,O,2024-01-01"])
    assert _ingest(memory_store, f).ingested == 1


def test_malformed_csv_rows(memory_store, tmp_path):
    f = tmp_path / "m.csv"
    f.write_text('url,title,text,outlet,date\nhttps://a.example/1,T,Text,O,2024-01-01\nhttps://a.example/2,T,"Text, with, commas,O,2024-01-01\n'
                 "https://a.example/3,T,Text,O\n")
    rep = _ingest(memory_store, f)
    assert rep.ingested == 1
    assert rep.rejected >= 1
    reasons = " | ".join(memory_store.rejects()["reason"])
    assert "fields but the header has 5" in reasons or "is never closed" in reasons


def test_missing_columns_names_what_was_found(memory_store, tmp_path):
    f = _write_csv(tmp_path / "cols.csv", ["1,2"], header="foo,bar")
    rep = _ingest(memory_store, f)
    assert rep.nothing_read
    assert "no text, title or html column; found: foo, bar" in rep.files[0].error
    f2 = _write_csv(tmp_path / "nodate.csv", ["https://a.example/1,T,x"], header="url,title,text")
    rep2 = _ingest(memory_store, f2)
    assert "no date column" in rep2.files[0].error


def test_invalid_utf8_rejects_only_that_record(memory_store, tmp_path):
    good = b'{"url": "https://a.example/1", "title": "ok", "text": "fine", "outlet": "O", "date": "2024-01-01"}'
    bad = b'{"url": "https://a.example/2", "title": "bad \xff\xfe bytes", "text": "x", "outlet": "O", "date": "2024-01-01"}'
    f = tmp_path / "u.jsonl"
    f.write_bytes(good + b"\n" + bad + b"\n")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (1, 1)
    rej = memory_store.rejects().iloc[0]
    assert "invalid UTF-8" in rej["reason"] and rej["record_no"] == 2
    assert "bad" in rej["raw"]
    csv = tmp_path / "u.csv"
    csv.write_bytes(b"url,title,text,outlet,date\nhttps://c.example/1,ok,fine,O,2024-01-01\nhttps://c.example/2,b\xffd,x,O,2024-01-01\n")
    rep = _ingest(memory_store, csv)
    assert (rep.ingested, rep.rejected) == (1, 1)


def test_five_megabyte_article_is_rejected_with_the_limit_named(memory_store, tmp_path):
    f = tmp_path / "big.jsonl"
    big = "word " * (1024 * 1024)  # 5 MB
    f.write_text(json.dumps({"url": "https://a.example/big", "title": "Big", "text": big, "outlet": "O", "date": "2024-01-01"}) + "\n")
    rep = _ingest(memory_store, f)
    assert rep.rejected == 1
    reason = memory_store.rejects().iloc[0]["reason"]
    assert "5,242,879 characters" in reason and "max_article_chars" in reason
    # The limit is a setting: raise it and the same article goes in.
    assert ingest_files(memory_store, [f], 6_000_000).ingested == 1


def test_unknown_and_missing_files(memory_store, tmp_path):
    (tmp_path / "x.docx").write_text("?")
    rep = _ingest(memory_store, tmp_path / "x.docx", tmp_path / "nope.csv")
    assert rep.nothing_read
    assert "unknown file type .docx" in rep.files[0].error
    assert "no such file" in rep.files[1].error


def test_json_lines_that_are_not_objects(memory_store, tmp_path):
    f = tmp_path / "l.jsonl"
    f.write_text('[1,2]\n{"broken": \n{"url": "https://a.example/1", "title": "t", "date": "2024-01-01"}\n')
    rep = _ingest(memory_store, f)
    assert rep.ingested == 1 and rep.rejected == 2


@pytest.mark.parametrize("raw,expected", [
    ("2024-03-01", "2024-03-01 00:00:00"),
    ("2024-03-01T12:00:00-05:00", "2024-03-01 17:00:00"),
    ("Fri, 01 Mar 2024 12:00:00 +0100", "2024-03-01 11:00:00"),
    ("20240301T120000Z", "2024-03-01 12:00:00"),
    ("1709294400", "2024-03-01 12:00:00"),
    ("3/1/24", "2024-03-01 00:00:00"),
])
def test_date_forms(raw, expected):
    assert str(parse_date(raw)) == expected


def test_date_problems():
    for raw in ["", "soon", "2099-01-01"]:
        with pytest.raises(RecordProblem):
            parse_date(raw)


def test_canonical_url():
    assert canonical_url("HTTP://WWW.Site.example//path//to/?b=2&a=1&utm_medium=x#frag") == "https://site.example/path/to?a=1&b=2"
    assert canonical_url("site.example/x/") == "https://site.example/x"


def test_raw_html_gives_text_and_hyperlinks(tmp_path, memory_store):
    """The body's paragraphs and links (not the header's), the headline as the title; a short line made
    mostly of links is furniture to the extractor and is left out."""
    from app.ingest.html import parse_html

    raw = ("<html><head><style>p{}</style><script>alert('x')</script></head><body>"
           "<header><a href='/home'>Home</a></header><article><h1>Troops &amp; trains</h1>"
           "<p>The <a href='/2024/03/orig'>first report</a> came from officials.<br>More later.</p>"
           "<p>See <a href='https://other.example/x'>this</a> and <a href='#top'>top</a>.</p></article>"
           "<footer>© Example</footer></body></html>")
    text, links = parse_html(raw, "https://news.example/2024/03/story")
    assert text == "The first report came from officials. More later."
    assert links == [("https://news.example/2024/03/orig", "first report")]
    src = tmp_path / "h.jsonl"
    src.write_text(json.dumps({"url": "https://news.example/2024/03/story", "html": raw,
                               "published_at": "2024-03-01T10:00:00Z"}) + "\n")
    ingest_files(memory_store, [src], 200_000)
    stored = memory_store.query("SELECT title, text FROM articles")
    assert stored.values.tolist() == [["Troops & trains", text]]
    assert memory_store.article_links() == {
        memory_store.query_value("SELECT article_id FROM articles"): [
            ("https://news.example/2024/03/orig", "https://news.example/2024/03/orig")]}


def test_outlets_named_in_other_scripts_stay_apart(memory_store, tmp_path):
    """Cyrillic, Hangul, Arabic and CJK outlet names each make their own outlet, and the same URL-less
    article from two of them is two articles; a Latin name keeps the id it always had."""
    names = ["Голос Америки", "Новая газета", "조선일보", "연합뉴스", "الجزيرة", "朝日新聞", "BBC Русская служба",
             "BBC", "Süddeutsche Zeitung"]
    f = tmp_path / "scripts.jsonl"
    f.write_text("".join(json.dumps({"outlet": n, "title": "Same title", "text": "Same text.",
                                     "published_at": "2024-03-01T10:00:00Z"}, ensure_ascii=False) + "\n"
                         for n in names), encoding="utf-8")
    rep = ingest_files(memory_store, [f], 1_000_000)
    assert rep.ingested == len(names) and rep.rejected == 0
    outlets = memory_store.outlet_table()
    assert sorted(outlets["name"]) == sorted(names)
    ids = dict(zip(outlets["name"], outlets["outlet_id"]))
    assert len(set(ids.values())) == len(names)
    assert ids["Süddeutsche Zeitung"] == "suddeutsche-zeitung" and ids["Голос Америки"] == "голос-америки"


def _jsonl_record(n: int, **extra) -> dict:
    return {"url": f"https://a.example/{n}", "title": f"Title {n}", "text": f"Text {n}.", "outlet": "O",
            "date": "2024-01-01", **extra}


def test_a_first_record_without_a_date_does_not_refuse_the_file(memory_store, tmp_path):
    first = _jsonl_record(1)
    del first["date"]
    f = tmp_path / "first.jsonl"
    f.write_text("\n".join(json.dumps(r) for r in [first, _jsonl_record(2), _jsonl_record(3)]) + "\n")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (2, 1)
    rej = memory_store.rejects().iloc[0]
    assert rej["record_no"] == 1 and "no date column" in rej["reason"] and "Title 1" in rej["raw"]


def test_line_separators_inside_json_strings_do_not_split_records(memory_store, tmp_path):
    f = tmp_path / "sep.jsonl"
    recs = [_jsonl_record(1, text="One\u2028two\u0085three\u2029four."), _jsonl_record(2)]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in recs) + "\r\n", encoding="utf-8")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (2, 0)
    texts = memory_store.query("SELECT text FROM articles ORDER BY url")["text"].tolist()
    assert texts[0].startswith("One") and "four." in texts[0]


def test_invalid_utf8_in_one_item_of_a_json_array_rejects_only_that_item(memory_store, tmp_path):
    good = json.dumps(_jsonl_record(1)).encode()
    bad = json.dumps(_jsonl_record(2, title="bad XX bytes")).encode().replace(b"XX", b"\xff\xfe")
    f = tmp_path / "arr.json"
    f.write_bytes(b"[" + good + b",\n" + bad + b"]")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (1, 1)
    rej = memory_store.rejects().iloc[0]
    assert rej["record_no"] == 2 and "invalid UTF-8" in rej["reason"] and "bad" in rej["raw"]


def test_utf16_with_a_mark_is_read_and_without_one_is_refused_with_the_way_out(memory_store, tmp_path):
    csv_text = "url,title,text,outlet,date\nhttps://a.example/1,Заголовок,Текст,O,2024-01-01\n"
    marked = tmp_path / "marked.csv"
    marked.write_bytes(csv_text.encode("utf-16"))
    rep = _ingest(memory_store, marked)
    assert (rep.ingested, rep.rejected) == (1, 0)
    bare = tmp_path / "bare.csv"
    bare.write_bytes(csv_text.replace("/1", "/2").encode("utf-16-le"))
    rep = _ingest(memory_store, bare)
    assert rep.nothing_read and "UTF-16" in rep.files[0].error and "save it as UTF-8" in rep.files[0].error


def test_a_duplicated_header_is_refused_naming_the_columns(memory_store, tmp_path):
    f = _write_csv(tmp_path / "dup.csv", ["https://a.example/1,Real,Other,Text,O,2024-01-01"],
                   header="url,title,Title,text,outlet,date")
    rep = _ingest(memory_store, f)
    assert rep.nothing_read and "columns 2 and 3 are both called 'Title'" in rep.files[0].error


def test_an_unclosed_quote_keeps_the_raw_lines(memory_store, tmp_path):
    f = tmp_path / "q.csv"
    f.write_text('url,title,text,outlet,date\nhttps://a.example/1,T,Text,O,2024-01-01\n'
                 'https://a.example/2,T,"Never closed,O,2024-01-01\nhttps://a.example/3,T,Text,O,2024-01-01\n')
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (1, 1)
    rej = memory_store.rejects().iloc[0]
    assert "never closed" in rej["reason"] and "lines 3-4" in rej["reason"]
    assert "Never closed" in rej["raw"] and "https://a.example/3" in rej["raw"]


def test_slashed_dates_are_read_in_one_order_per_file(memory_store, tmp_path):
    rows = ["https://d.example/1,T,Text one,O,01/02/2026", "https://d.example/2,T,Text two,O,13/03/2026"]
    f = _write_csv(tmp_path / "eu.csv", rows)
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (2, 0)
    assert "read day first" in rep.files[0].dates
    got = memory_store.query("SELECT url, published_at FROM articles ORDER BY url")
    assert [d.date().isoformat() for d in got["published_at"]] == ["2026-02-01", "2026-03-13"]
    us = _write_csv(tmp_path / "us.csv", ["https://e.example/1,T,Text three,O,01/02/2026",
                                          "https://e.example/2,T,Text four,O,03/13/2026"])
    rep = _ingest(memory_store, us)
    assert (rep.ingested, rep.rejected) == (2, 0) and "read month first" in rep.files[0].dates
    mixed = _write_csv(tmp_path / "mixed.csv", ["https://f.example/1,T,Text five,O,13/03/2026",
                                                "https://f.example/2,T,Text six,O,03/13/2026"])
    rep = _ingest(memory_store, mixed)
    assert (rep.ingested, rep.rejected) == (1, 1) and "mixes both orders" in rep.files[0].dates
    assert "cannot be read month first" in memory_store.rejects()["reason"].iloc[-1]


@pytest.mark.parametrize("date", ["-1000", "-0", "-5", "0000-00-00", "9999-12-31", "[1, 2]"])
def test_impossible_dates_are_rejects_not_crashes(memory_store, tmp_path, date):
    f = tmp_path / "d.jsonl"
    f.write_text(json.dumps(_jsonl_record(1, date=date)) + "\n" + json.dumps(_jsonl_record(2)) + "\n")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (1, 1)
    assert "date" in memory_store.rejects()["reason"].iloc[0]


def test_urls_that_are_not_web_addresses_are_rejected(memory_store, tmp_path):
    bad = ["javascript://a.example/%0aalert(1)", "vbscript://a.example/x", "file://host/etc/passwd", "data:text/html,hi",
           "http://[oops/"]
    f = tmp_path / "u.jsonl"
    f.write_text("".join(json.dumps(_jsonl_record(i, url=u)) + "\n" for i, u in enumerate(bad))
                 + json.dumps(_jsonl_record(9, url="a.example:8080/ok")) + "\n")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (1, len(bad))
    reasons = memory_store.rejects()["reason"].tolist()
    assert all("URL" in r for r in reasons)


def test_lists_and_bytes_in_text_fields_are_text_or_a_reject_never_a_repr(memory_store, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    f = tmp_path / "p.jsonl"
    f.write_text(json.dumps(_jsonl_record(1, text=["First paragraph.", "Second paragraph."])) + "\n"
                 + json.dumps(_jsonl_record(2, title={"nested": 1})) + "\n"
                 + json.dumps(_jsonl_record(3, text=["ok", 5])) + "\n")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (1, 2)
    assert memory_store.query("SELECT text FROM articles")["text"][0] == "First paragraph.\n\nSecond paragraph."
    reasons = " | ".join(memory_store.rejects()["reason"])
    assert "title is a JSON object, not text" in reasons and "text is a list holding int, str" in reasons
    pf = tmp_path / "b.parquet"
    pq.write_table(pa.table({"url": ["https://b.example/1", "https://b.example/2"], "title": [b"Bytes title", b"\xff\xfe"],
                             "text": ["T", "T"], "outlet": ["O", "O"], "date": ["2024-01-01", "2024-01-01"]}), pf)
    rep = _ingest(memory_store, pf)
    assert (rep.ingested, rep.rejected) == (1, 1)
    assert "Bytes title" in memory_store.query("SELECT title FROM articles")["title"].tolist()
    assert "title is bytes that are not UTF-8" in memory_store.rejects()["reason"].iloc[-1]


def test_a_broken_href_is_not_a_link_and_the_article_is_kept(memory_store, tmp_path):
    html = ('<p>Read <a href="http://[oops/">this</a>, <a href="vbscript:x">that</a> and '
            '<a href="https://ok.example/a">the source</a>.</p>')
    f = tmp_path / "h.jsonl"
    f.write_text(json.dumps(_jsonl_record(1, text=None, html=html)) + "\n")
    rep = _ingest(memory_store, f)
    assert (rep.ingested, rep.rejected) == (1, 0)
    links = memory_store.query("SELECT url FROM article_links")["url"].tolist()
    assert links == ["https://ok.example/a"]
