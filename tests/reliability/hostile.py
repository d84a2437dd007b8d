"""Hostile and broken inputs, made here (nothing is stored): the reliability suite and
``bench/reliability.py`` read them from this one place."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass

EVIL_LINK = "[log in here](https://evil.example/login)"
EVIL_HTML = "<img src=x onerror=alert(1)><script>alert(2)</script>"

# Text that must always come out as the same text: never a link, markup, a dialog or a request.
HOSTILE_TEXTS = [
    EVIL_LINK,
    EVIL_HTML,
    "javascript:alert(3)",
    "<a href='javascript:alert(4)'>click</a>",
    "**bold** _it_ `code` # heading\n- item\n> quote",
    ":red[alarm] $x^2$ ~~gone~~ | a | b |",
    "www.evil.example and mail@evil.example",
    "\u202eetirw ot thgir\u202c (right-to-left override)",
    "zero\u200bwidth\u200djoin\ufeff",
    "NUL\x00inside",
    "line\u2028separator\u0085next\u2029para",
    "e\u0301\u0301\u0301\u0301 combining " * 20,
    "🙂" * 500,
    "x" * 10_000,
    "according to " + "y" * 10_000,
    "according to " * 2_000,
    "said " * 5_000,
    "(((((((((((((((((((((((((((((((((((((((((((" * 50,
    "<b>" * 2_000,
    "Голос Америки, 조선일보 and الجزيرة said",
]

HOSTILE_OUTLETS = [EVIL_LINK, EVIL_HTML, "javascript:alert(5)", "Outlet\u202eevil", "Голос Америки", "조선일보"]


@dataclass
class FileCase:
    name: str          # file name (its suffix decides the reader)
    content: bytes
    good: int          # records in it that must be ingested
    bad: int           # records that must be rejects, each with its raw text and reason (-1: at least one)
    refused: bool = False  # the file as a whole cannot be read: a message, no traceback


def _jsonl(records) -> bytes:
    return ("\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\n").encode("utf-8")


def _record(n: int, **extra) -> dict:
    return {"url": f"https://files.example/{n}", "title": f"Title {n}", "text": f"Text of article {n}.",
            "outlet": "Files Daily", "date": "2024-05-01T10:00:00Z", **extra}


CSV_HEADER = b"url,title,text,outlet,date\n"


def file_cases() -> list[FileCase]:
    """About sixty broken, hostile or odd files, each with what must come of it."""
    cases = [
        FileCase("empty.jsonl", b"", 0, 0, refused=True),
        FileCase("blank-lines.jsonl", b"\n\n\n", 0, 0, refused=True),
        FileCase("header-only.csv", CSV_HEADER, 0, 0, refused=True),
        FileCase("no-extension", _jsonl([_record(1)]), 0, 0, refused=True),
        FileCase("wrong.txt", _jsonl([_record(1)]), 0, 0, refused=True),
        FileCase("binary.jsonl", bytes(range(256)) * 40, 0, -1),
        FileCase("not-gzip.jsonl.gz", b"plain text", 0, 0, refused=True),
        FileCase("truncated.jsonl.gz", gzip.compress(_jsonl([_record(i) for i in range(50)]))[:-40], 0, 0,
                 refused=True),
        FileCase("good.jsonl.gz", gzip.compress(_jsonl([_record(i) for i in range(5)])), 5, 0),
        FileCase("broken.parquet", b"PAR1garbagePAR1", 0, 0, refused=True),
        FileCase("json-scalar.json", b"42", 0, 0, refused=True),
        FileCase("json-invalid.json", b"[{\"url\": ", 0, 0, refused=True),
        FileCase("json-mixed.json", json.dumps([_record(1), 7, "x", None, [1], _record(2)]).encode(), 2, 4),
        FileCase("json-object.json", json.dumps({"articles": [_record(1), _record(2)]}).encode(), 2, 0),
        FileCase("json-bad-utf8.json", b"[" + json.dumps(_record(1)).encode() + b","
                 + json.dumps(_record(2, title="bad XX")).encode().replace(b"XX", b"\xff") + b"]", 1, 1),
        FileCase("jsonl-not-objects.jsonl", b"[1,2]\n\"str\"\n42\nnull\n" + _jsonl([_record(1)]), 1, 4),
        FileCase("jsonl-bad-line.jsonl", _jsonl([_record(1)]) + b"{not json\n" + _jsonl([_record(2)]), 2, 1),
        FileCase("jsonl-bad-utf8.jsonl", _jsonl([_record(1)]) + b'{"title": "\xff\xfe"}\n', 1, 1),
        FileCase("jsonl-separators.jsonl", _jsonl([_record(1, text="a\u2028b\u0085c\u2029d"), _record(2)]), 2, 0),
        FileCase("jsonl-crlf.jsonl", _jsonl([_record(1), _record(2)]).replace(b"\n", b"\r\n"), 2, 0),
        FileCase("jsonl-bom.jsonl", b"\xef\xbb\xbf" + _jsonl([_record(1)]), 1, 0),
        FileCase("first-lacks-date.jsonl", _jsonl([{k: v for k, v in _record(1).items() if k != "date"},
                                                   _record(2), _record(3)]), 2, 1),
        FileCase("no-text-anywhere.jsonl", _jsonl([{"url": "https://x.example/1", "date": "2024-01-01"}]), 0, 1),
        FileCase("lists-and-objects.jsonl", _jsonl([_record(1, text=["p1", "p2"]), _record(2, title={"a": 1}),
                                                    _record(3, text=[1, 2]), _record(4, outlet=["A", "B"])]), 1, 3),
        FileCase("numbers-as-text.jsonl", _jsonl([_record(1, title=12345, text=3.5)]), 1, 0),
        FileCase("utf16-bom.csv", (CSV_HEADER + b"https://u.example/1,T,Text,O,2024-01-01\n").decode().encode("utf-16"),
                 1, 0),
        FileCase("utf16-no-bom.csv", (CSV_HEADER + b"https://u.example/2,T,Text,O,2024-01-01\n").decode()
                 .encode("utf-16-le"), 0, 0, refused=True),
        FileCase("latin1.csv", CSV_HEADER + "https://l.example/1,Caf\u00e9,Text,O,2024-01-01\n".encode("latin-1")
                 + b"https://l.example/2,Ok,Text,O,2024-01-01\n", 1, 1),
        FileCase("dup-header.csv", b"url,title,title,text,outlet,date\nhttps://d.example/1,a,b,T,O,2024-01-01\n", 0, 0,
                 refused=True),
        FileCase("unclosed-quote.csv", CSV_HEADER + b'https://q.example/1,T,Text,O,2024-01-01\n'
                 b'https://q.example/2,T,"never closed,O,2024-01-01\nhttps://q.example/3,T,Text,O,2024-01-01\n', 1, 1),
        FileCase("short-row.csv", CSV_HEADER + b"https://s.example/1,T,Text,O\nhttps://s.example/2,T,Text,O,2024-01-01\n",
                 1, 1),
        FileCase("long-row.csv", CSV_HEADER + b"https://s.example/3,T,Text,O,2024-01-01,extra\n", 0, 1),
        FileCase("no-columns.csv", b"foo,bar\n1,2\n", 0, 0, refused=True),
        FileCase("tsv-good.tsv", b"url\ttitle\ttext\toutlet\tdate\nhttps://t.example/1\tT\tText\tO\t2024-01-01\n", 1, 0),
        FileCase("mixed-date-orders.csv", CSV_HEADER + b"https://m.example/1,T,Text one,O,13/03/2026\n"
                 b"https://m.example/2,T,Text two,O,03/13/2026\n", 1, 1),
        FileCase("dup-url-other-content.jsonl", _jsonl([_record(1), _record(1, text="Other text.")]), 1, 1),
        FileCase("dup-url-same-content.jsonl", _jsonl([_record(7), _record(7)]), 1, 0),
        FileCase("huge-article.jsonl", _jsonl([_record(1, text="word " * 400_000), _record(2)]), 1, 1),
        FileCase("huge-html.jsonl", _jsonl([_record(1, text=None, html="<p>x</p>" * 3_000_000)]), 0, 1),
    ]
    dates = ["-1000", "-0", "0", "1e400", "99999999999999999999", "0000-00-00", "2024-02-30", "9999-12-31",
             "24:61", "yesterday", "\x00", "NaN", "inf", "2024-01-01T00:00:00+25:00", "Tue, 99 Foo 2024", "[1, 2]",
             "1800-01-01", "2999-01-01", "", "   "]
    for i, d in enumerate(dates):
        cases.append(FileCase(f"date-{i}.jsonl", _jsonl([_record(1, date=d), _record(2)]), 1, 1))
    urls = ["javascript://x.example/%0aalert(1)", "vbscript://x.example/", "file://host/etc/passwd", "data:text/html,x",
            "http://[oops/", "https://", "http:///nohost", "ftp://x.example/file"]
    for i, u in enumerate(urls):
        cases.append(FileCase(f"url-{i}.jsonl", _jsonl([_record(1, url=u), _record(2)]), 1, 1))
    hostile = [_record(100 + i, title=t[:500], text=t, outlet=HOSTILE_OUTLETS[i % len(HOSTILE_OUTLETS)])
               for i, t in enumerate(HOSTILE_TEXTS) if "\x00" not in t or True]
    cases.append(FileCase("hostile-text.jsonl", _jsonl(hostile), len(hostile), 0))
    cases.append(FileCase("broken-hrefs.jsonl", _jsonl([_record(1, text=None, html='<p><a href="http://[oops/">a</a> '
                                                                                   '<a href="vbscript:x">b</a> text</p>')]),
                          1, 0))
    return cases
