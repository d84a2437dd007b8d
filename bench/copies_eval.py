"""Precision and recall of copy (syndication) detection on a labelled sample built from AllSides.

    python bench/copies_eval.py [--n 200] [--seed 0]

Labelled pairs are made at run time from real articles (nothing is written into
the repository):

* positives: re-publications of an article, at four strengths of editing:
  ``wire copy`` (new headline and a credit line added), ``trimmed`` (last
  paragraph cut, credit added), ``lightly edited`` (one word changed in a
  third of the paragraphs), ``edited throughout`` (one word changed in every
  paragraph);
* negatives: pairs of different AllSides articles on the same topic published
  within three days of each other by different outlets (the hard case: the same
  story told twice). A few of these may be real copies in the corpus; they
  count against precision, so the figure is a lower bound; and pairs of
  different articles from one outlet that both end in the same three
  paragraphs of publisher boilerplate (newsletter sign-up, copyright, comments
  policy), which must not make them copies.

Everything is ingested into a fresh database and the build's copies stage is
run with the default settings; a pair counts as detected when both articles
end up in the same copy group.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))
from corpora import allsides_rows, write_jsonl  # noqa: E402

from app.config import load_settings  # noqa: E402
from app.ingest import ingest_files  # noqa: E402
from app.pipeline import copies_stage, segment_stage  # noqa: E402
from app.store import Store  # noqa: E402

BOILERPLATE = [
    "Sign up for our morning newsletter to get the day's most important stories delivered to your inbox before "
    "breakfast, with analysis from our reporters around the world.",
    "Copyright 2024 Example Media Group. All rights reserved. This material may not be published, broadcast, "
    "rewritten or redistributed without the written permission of the publisher.",
    "Comments on this article are moderated. Please keep the discussion civil and on topic; comments that break "
    "our community guidelines will be removed without notice.",
]
SWAPS = {"said": "stated", "says": "states", "the": "this", "a": "one", "and": "as well as", "but": "yet",
         "also": "too", "about": "around", "more": "further", "after": "following"}


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n") if len(p.strip()) >= 40]


def _swap_one(paragraph: str, rng: random.Random) -> str:
    words = paragraph.split(" ")
    spots = [i for i, w in enumerate(words) if w.lower() in SWAPS]
    if not spots:
        return paragraph + " (Updated.)"
    i = rng.choice(spots)
    words[i] = SWAPS[words[i].lower()]
    return " ".join(words)


def variants(row: dict, rng: random.Random) -> dict[str, str]:
    paras = _paragraphs(row["text"])
    credit = "This story was first published by a partner news service."
    out = {"wire copy": "\n\n".join(paras + [credit]),
           "trimmed": "\n\n".join(paras[:-1] + [credit])}
    edited = list(paras)
    for i in rng.sample(range(len(paras)), max(1, len(paras) // 3)):
        edited[i] = _swap_one(edited[i], rng)
    out["lightly edited"] = "\n\n".join(edited)
    out["edited throughout"] = "\n\n".join(_swap_one(p, rng) for p in paras)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200, help="originals (each gives four copies) and negative pairs")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    rows = [r for r in allsides_rows() if r.get("date") and len(_paragraphs(r.get("text") or "")) >= 6]
    rng.shuffle(rows)
    originals = rows[: args.n]
    used = {r["ID"] for r in originals}

    # Negatives: same topic, different outlets, within three days.
    by_topic = defaultdict(list)
    for r in rows[args.n:]:
        by_topic[r.get("topic") or ""].append(r)
    negatives = []
    for topic, group in by_topic.items():
        group.sort(key=lambda r: r["date"])
        for a, b in zip(group, group[1:]):
            if len(negatives) >= args.n:
                break
            if a["source"] != b["source"] and a["ID"] not in used and b["ID"] not in used and (
                    dt.date.fromisoformat(b["date"]) - dt.date.fromisoformat(a["date"])).days <= 3:
                negatives.append((a, b))
                used |= {a["ID"], b["ID"]}

    records, positives = [], []
    for r in originals:
        base = {"published_at": r["date"] + "T08:00:00Z", "title": r["title"]}
        records.append({**base, "url": f"https://origin.example/{r['ID']}", "outlet": r["source"], "text": r["text"]})
        for k, (kind, text) in enumerate(variants(r, rng).items()):
            url = f"https://copy{k}.example/{r['ID']}"
            records.append({"published_at": r["date"] + f"T1{k}:00:00Z", "title": "Syndicated: " + r["title"],
                            "url": url, "outlet": f"Copy outlet {k}", "text": text})
            positives.append((f"https://origin.example/{r['ID']}", url, kind))
    negative_pairs, boiler_pairs = [], []
    spare = [r for r in rows[args.n:] if r["ID"] not in used][: 2 * (args.n // 2)]
    for k in range(0, len(spare) - 1, 2):
        a, b = spare[k], spare[k + 1]
        for r in (a, b):
            records.append({"published_at": r["date"] + "T07:00:00Z", "title": r["title"], "outlet": "Boilerplate Daily",
                            "url": f"https://boiler.example/{r['ID']}",
                            "text": "\n\n".join(_paragraphs(r["text"]) + BOILERPLATE)})
        boiler_pairs.append((f"https://boiler.example/{a['ID']}", f"https://boiler.example/{b['ID']}"))
    for a, b in negatives:
        for r in (a, b):
            records.append({"published_at": r["date"] + "T09:00:00Z", "title": r["title"], "outlet": r["source"],
                            "url": f"https://neg.example/{r['ID']}", "text": r["text"]})
        negative_pairs.append((f"https://neg.example/{a['ID']}", f"https://neg.example/{b['ID']}"))

    tmp = Path(tempfile.mkdtemp(prefix="nt-copies-"))
    src = write_jsonl(records, tmp / "labelled.jsonl")
    settings = load_settings(db=tmp / "copies.duckdb")
    with Store.write(settings.db) as store:
        ingest_files(store, [src], settings.max_article_chars)
        segment_stage(store, settings)
        copies_stage(store, settings)
        ids = dict(store.query("SELECT url, article_id FROM articles").itertuples(index=False))
        group = dict(store.query("SELECT article_id, original_id FROM copies").itertuples(index=False))

    def root(url):
        aid = ids[url]
        return group.get(aid, aid)

    found = defaultdict(lambda: [0, 0])
    for a, b, kind in positives:
        found[kind][0] += root(a) == root(b)
        found[kind][1] += 1
    tp = sum(v[0] for v in found.values())
    fp_story = sum(root(a) == root(b) for a, b in negative_pairs)
    fp_boiler = sum(root(a) == root(b) for a, b in boiler_pairs)
    fp = fp_story + fp_boiler
    print(f"## {dt.date.today()}: copy detection on a labelled sample from AllSides\n")
    print(f"- command: `python bench/copies_eval.py --n {args.n} --seed {args.seed}`; settings: copy_threshold "
          f"{settings.copy_threshold}, copy_max_group {settings.copy_max_group}")
    print(f"- {len(originals)} originals with four re-publications each ({len(positives)} positive pairs); "
          f"{len(negative_pairs)} negative pairs (same topic, different outlets, within 3 days) and "
          f"{len(boiler_pairs)} (same outlet, same boilerplate)\n")
    print("| pairs | detected | of | share |\n|---|---|---|---|")
    for kind, (hit, n) in found.items():
        print(f"| copies: {kind} | {hit} | {n} | {hit / n:.2f} |")
    print(f"| negatives (same topic, other outlet, within 3 days) flagged as copies | {fp_story} | "
          f"{len(negative_pairs)} | {fp_story / max(1, len(negative_pairs)):.3f} |")
    print(f"| negatives (different articles, same boilerplate) flagged as copies | {fp_boiler} | "
          f"{len(boiler_pairs)} | {fp_boiler / max(1, len(boiler_pairs)):.3f} |")
    print(f"\nPrecision over all flagged labelled pairs: {tp / max(1, tp + fp):.3f}; recall over all copies: "
          f"{tp / len(positives):.3f}.")


if __name__ == "__main__":
    main()
