"""What a weekly update pays to check passages against the vectors, and to find what is not done yet, on a
built database (read-only, warm, each pair of ways timed in turns so that both see the same machine noise).

    python bench/vector_checks.py BUILT.duckdb [--week-articles N] [--rounds R]

1. The fingerprint of the embedded passages (every passage joined with the model's vectors) against that of
   every passage, which a build takes anyway for the copies stage and which is the same once the embed stage
   has run (``app.pipeline.run_stages`` uses it for both).
2. The reads of the frames, lineage and evidence stages (the week's passages with their vectors, the two
   plans, the evidence stage's input passages) checked against the model's vectors, and told that every
   passage is embedded (``all_embedded``, what a build does after its embed stage).
3. The search for texts still to cue and to embed (an anti-join of every passage with the cued texts, with the
   model's vectors) against looking among the latest ``N`` articles' passages only, with the checks such a
   restriction needs to stay exact: the fingerprints of the cued texts, of the model's vectors and of those
   articles' passages. The restricted form is not what the product does; it is measured to say whether it
   would pay.
"""

from __future__ import annotations

import argparse
import statistics
import time

from app.store import Store

_AMONG = "AND article_id IN (SELECT unnest($1::VARCHAR[]))"
_TO_CUE = """WITH missing AS (SELECT DISTINCT text_hash FROM passages
                             WHERE text_hash NOT IN (SELECT text_hash FROM cued_texts) {among}
                             ORDER BY text_hash LIMIT 100000)
           SELECT p.text_hash, any_value(p.text) FROM passages p SEMI JOIN missing USING (text_hash)
           WHERE true {among} GROUP BY p.text_hash"""
_TO_EMBED = """WITH missing AS (SELECT DISTINCT text_hash FROM passages
                               WHERE text_hash NOT IN (SELECT text_hash FROM embeddings WHERE model = $2) {among}
                               ORDER BY text_hash LIMIT 100000)
             SELECT p.text_hash, any_value(p.text) FROM passages p SEMI JOIN missing USING (text_hash)
             WHERE true {among} GROUP BY p.text_hash"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--week-articles", type=int, default=96,
                        help="the latest articles taken as the week's (a synthetic week: 96)")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    store = Store.open_read(args.db)
    try:
        model = store.query_value("SELECT model FROM embeddings LIMIT 1")
        week = store.query("SELECT article_id FROM articles ORDER BY published_at DESC, article_id LIMIT ?",
                           [args.week_articles])["article_id"].tolist()
        passages = int(store.query_value("SELECT count(*) FROM passages"))

        def whole() -> None:  # what the product runs
            store.texts_to_cue(100_000)
            store.texts_to_embed(model, 100_000)

        def restricted() -> None:
            store.query("SELECT count(*), bit_xor(hash(text_hash)) FROM cued_texts")
            store.vector_fingerprint(model)
            store.passage_fingerprint(None, week)
            store.query(_TO_CUE.format(among=_AMONG), [week])
            store.query(_TO_EMBED.format(among=_AMONG), [week, model])

        frames = {int(f): None for f in store.evidence_plan(model, True)["frame_id"]}

        def evidence_rows(told: bool):
            def run() -> None:
                store.stage_evidence_rows(model, frames, told)
                store.unstage_evidence_rows()
            return run

        pairs = {"embedded passages' fingerprint": (lambda: store.passage_fingerprint(model),
                                                    lambda: store.passage_fingerprint(None)),
                 "the week's passages with their vectors": (
                     lambda: store.passage_vectors(model, articles=week),
                     lambda: store.passage_vectors(model, articles=week, all_embedded=True)),
                 "lineage plan": (lambda: store.lineage_plan(model), lambda: store.lineage_plan(model, True)),
                 "evidence plan": (lambda: store.evidence_plan(model), lambda: store.evidence_plan(model, True)),
                 f"evidence input passages of all {len(frames)} frames": (evidence_rows(False), evidence_rows(True)),
                 "texts to cue and to embed": (whole, restricted)}
        print(f"{args.db}: {passages:,} passages, model {model}, the latest {len(week):,} articles as the week's; "
              f"seconds, median (min-max) of {args.rounds} rounds, warm")
        print("| what | checked / every passage's / the whole anti-join | the other way |")
        print("|---|---|---|")
        for name, (a, b) in pairs.items():
            a(), b()  # warm
            times: dict[int, list[float]] = {0: [], 1: []}
            for _ in range(args.rounds):
                for i, f in enumerate((a, b)):
                    started = time.perf_counter()
                    f()
                    times[i].append(time.perf_counter() - started)
            cells = [f"{statistics.median(t):.3f} ({min(t):.3f}-{max(t):.3f})" for t in times.values()]
            print(f"| {name} | {cells[0]} | {cells[1]} |")
    finally:
        store.close()


if __name__ == "__main__":
    main()
