"""Every rebuttal of a built database, for reading by hand: per (frame, article) the rule, the trigger
words, the sentence holding them, the frame's label and the article's title; with ``--compare`` the pairs
one database marks as rebuttals and the other does not (two versions of the rules on copies of one build).

    python bench/stance_rebuttals.py --db nk.duckdb [--compare nk_before.duckdb] [--rule fact-check]

The stance figures on the AllSides North Korea slice in bench/RESULTS.md were read from this listing
(`python bench/allsides_nk.py --db DB` builds the slice). Prints Markdown; the text is the corpus's own and
is not kept anywhere.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from app.frames.stance import sentence_spans  # noqa: E402
from app.store import Store  # noqa: E402

QUERY = """
SELECT s.frame_id, s.article_id, s.rule, s.cue_text, s.cue_start, p.text, f.label, a.title
FROM article_stance s JOIN passages p ON p.passage_id = s.cue_passage_id
JOIN frames f ON f.frame_id = s.frame_id JOIN articles a ON a.article_id = s.article_id
WHERE s.stance = 'rebuts' ORDER BY hash(s.frame_id || s.article_id || 'x')"""


def rebuttals(db: Path) -> dict[tuple[int, str], dict]:
    store = Store.open_read(db)
    try:
        rows = store.query(QUERY)
    finally:
        store.close()
    out = {}
    for frame_id, article_id, rule, cue, start, text, label, title in rows.itertuples(index=False):
        start = None if start != start else int(start)  # a missing place reads as NaN
        sentence = next((text[a:b] for a, b in sentence_spans(text) if start is not None and a <= start < b), "")
        out[(frame_id, article_id)] = {"rule": rule, "cue": cue, "sentence": sentence, "label": label,
                                       "title": title}
    return out


def _cell(text: str | None, n: int) -> str:
    text = " ".join((text or "").split()).replace("|", "/")
    return text if len(text) <= n else text[: n - 1] + "…"


def table(pairs: dict, keys, rule: str | None) -> None:
    print("| # | rule | frame label | trigger | sentence | title |\n|---|---|---|---|---|---|")
    for i, key in enumerate(k for k in keys if rule is None or pairs[k]["rule"] == rule):
        r = pairs[key]
        print(f"| {i} | {r['rule']} | {_cell(r['label'], 30)} | {_cell(r['cue'], 30)} | {_cell(r['sentence'], 160)} "
              f"| {_cell(r['title'], 70)} |")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--compare", type=Path, help="another build of the same articles")
    ap.add_argument("--rule", help="only this rule (fact-check, denial, denial before, distanced)")
    args = ap.parse_args()
    now = rebuttals(args.db)
    print(f"{args.db}: {len(now)} rebuttals; by rule {dict(Counter(r['rule'] for r in now.values()))}\n")
    if args.compare is None:
        table(now, list(now), args.rule)
        return
    other = rebuttals(args.compare)
    print(f"{args.compare}: {len(other)} rebuttals; by rule {dict(Counter(r['rule'] for r in other.values()))}\n")
    print(f"\n### only in {args.db.name} ({len(now.keys() - other.keys())})\n")
    table(now, [k for k in now if k not in other], args.rule)
    print(f"\n### only in {args.compare.name} ({len(other.keys() - now.keys())})\n")
    table(other, [k for k in other if k not in now], args.rule)


if __name__ == "__main__":
    main()
