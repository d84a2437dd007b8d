"""URL lists for `collect --urls` (text, Media Cloud CSV, GDELT DOC JSON, GDELT GKG and Events tables,
zipped), ingest's clear refusal of GDELT tables, canonical URLs and one outlet per site."""

from __future__ import annotations

import gzip
import json
import zipfile

from app.collect.urls import read_url_list
from app.ingest import ingest_files
from app.ingest.normalize import canonical_url, site_of


def gkg_row(url: str, date: str = "20260303081500", source: str = "dailyexample.test") -> str:
    fields = [""] * 27
    fields[0], fields[1], fields[2], fields[3], fields[4] = f"{date}-1", date, "1", source, url
    fields[7] = "ENV_FLOOD;"
    return "\t".join(fields)


def events_row(url: str, added: str = "20260303081500") -> str:
    fields = ["1"] * 61
    fields[1], fields[59], fields[60] = "20260303", added, url
    return "\t".join(fields)


def test_a_text_list_keeps_urls_and_names_bad_lines(tmp_path):
    f = tmp_path / "urls.txt"
    f.write_text("# storm coverage\nhttps://a.example/1\n\nftp://b.example/2\nhttp://c.example/3  trailing note\n")
    urls, problems = read_url_list(f)
    assert [(u.url, u.line) for u in urls] == [("https://a.example/1", 2), ("http://c.example/3", 5)]
    assert problems == [(4, "ftp://b.example/2", "not an http(s) address")]


def test_media_cloud_csv_and_gdelt_doc_json_give_urls_with_their_dates_and_outlets(tmp_path):
    mc = tmp_path / "mediacloud.csv"
    mc.write_text("id,publish_date,title,url,language,media_name,media_url,indexed_date\n"
                  "1,2026-03-03 08:15:00,Storm floods towns,https://dailyexample.test/storm,en,The Daily Example,"
                  "dailyexample.test,2026-03-03 09:00:00\n"
                  "2,2026-03-04,No address,,en,Evening Post,eveningpost.test,2026-03-04\n")
    urls, problems = read_url_list(mc)
    assert [(u.url, u.outlet, u.title, str(u.published_at), u.date_source) for u in urls] == [
        ("https://dailyexample.test/storm", "The Daily Example", "Storm floods towns", "2026-03-03 08:15:00",
         "publisher")]
    assert problems[0][0] == 2 and "no URL" in problems[0][2]
    doc = tmp_path / "artlist.json"
    doc.write_text(json.dumps({"articles": [{"url": "https://eveningpost.test/budget", "url_mobile": "",
                                             "title": "Council approves budget", "seendate": "20260305T183000Z",
                                             "domain": "eveningpost.test", "language": "English"}]}))
    urls, _ = read_url_list(doc)
    assert [(u.url, u.outlet, str(u.published_at), u.date_source) for u in urls] == [
        ("https://eveningpost.test/budget", "eveningpost.test", "2026-03-05 18:30:00", "crawl")]


def test_gdelt_gkg_and_events_tables_zipped_or_not_give_their_urls(tmp_path):
    gkg = tmp_path / "20260303081500.gkg.csv.zip"
    with zipfile.ZipFile(gkg, "w") as zf:
        zf.writestr("20260303081500.gkg.csv", gkg_row("https://dailyexample.test/storm") + "\n"
                    + gkg_row("https://eveningpost.test/budget", source="eveningpost.test") + "\n")
    urls, problems = read_url_list(gkg)
    assert [(u.url, u.outlet, str(u.published_at), u.date_source) for u in urls] == [
        ("https://dailyexample.test/storm", "dailyexample.test", "2026-03-03 08:15:00", "crawl"),
        ("https://eveningpost.test/budget", "eveningpost.test", "2026-03-03 08:15:00", "crawl")]
    assert problems == []
    events = tmp_path / "20260303081500.export.CSV.gz"
    events.write_bytes(gzip.compress((events_row("https://a.example/x") + "\nbroken line\n").encode()))
    urls, problems = read_url_list(events)
    assert [u.url for u in urls] == ["https://a.example/x"]
    assert problems[0][0] == 2 and "not a GDELT" in problems[0][2]


def test_ingest_says_gdelt_tables_carry_urls_and_points_to_collect(tmp_path, memory_store):
    gkg = tmp_path / "20260303081500.gkg.csv.zip"
    with zipfile.ZipFile(gkg, "w") as zf:
        zf.writestr("20260303081500.gkg.csv", gkg_row("https://dailyexample.test/storm") + "\n")
    rep = ingest_files(memory_store, [gkg], 200_000)
    error = rep.files[0].error
    assert "GDELT GKG 2.1" in error and "no article text" in error and "narratives collect --urls" in error
    assert "column" not in error


def test_zipped_article_files_are_ingested(tmp_path, memory_store):
    z = tmp_path / "articles.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.jsonl", json.dumps({"url": "https://a.example/1", "title": "One", "text": "First story.",
                                           "published_at": "2026-03-01T10:00:00Z"}) + "\n")
        zf.writestr("b.csv", "url,title,text,published_at\nhttps://b.example/2,Two,Second story.,2026-03-02\n")
    rep = ingest_files(memory_store, [z], 200_000)
    assert (rep.ingested, rep.rejected, rep.files[0].error) == (2, 0, None)


def test_canonical_urls_and_one_outlet_per_site():
    assert canonical_url("https://m.dailyexample.co.uk/news/storm/amp?utm_source=tw&id=4&outputType=amp") == \
        "https://dailyexample.co.uk/news/storm?id=4"
    assert canonical_url("https://amp.eveningpost.test/a/b/?fbclid=x&gclid=y#c") == "https://eveningpost.test/a/b"
    assert canonical_url("https://www.m.example/x") == "https://m.example/x"  # 'example' is no public suffix
    assert site_of("https://news.bbc.co.uk/world") == site_of("https://www.bbc.co.uk/") == "bbc.co.uk"
    assert site_of("http://127.0.0.1:8123/a") == "127.0.0.1:8123"


def test_ingest_of_a_file_without_text_says_collect_fetches_it(tmp_path, memory_store):
    mc = tmp_path / "mediacloud.csv"
    mc.write_text("id,publish_date,title,url,media_name\n"
                  "1,2026-03-03 08:15:00,Storm floods towns,https://dailyexample.test/storm,The Daily Example\n")
    rep = ingest_files(memory_store, [mc], 200_000)
    assert rep.ingested == 1
    assert "no article text" in rep.files[0].note and f"narratives collect --urls {mc}" in rep.files[0].note
