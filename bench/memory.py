"""Peak memory of each stage of a build, each stage in a process of its own, for one or more checkouts side by side.

    python bench/memory.py --input build/mem/s10k.jsonl --model fast --code main=/work/main --code branch=.
    python bench/memory.py --synth 2000 --synth 10000 --model fast --code before=/work/main --code after=.
    python bench/memory.py --allsides-nk --code before=/work/main --code after=.

For every input and every checkout (``NAME=DIR``; the checkout's own ``app`` is imported, the interpreter
is this one) a fresh database is made under ``--dir``: the input is ingested, then each stage of the build
runs in a child process of its own, in the build's order, on the database the previous one published.
Each child reports its wall time, its RSS just before the stage (interpreter, imports, the open store)
and its peak RSS (the kernel's high-water mark, VmHWM, read after the write is published), so a stage's
figure is its own and not what an earlier stage left behind in the heap. ``--whole`` also runs the whole
build in one process (``python -m app.cli build`` under ``bench/_peak.py``) on a fresh copy of the
ingested database, the figure a user sees.

``--budget MB`` is passed as the ``memory_budget`` setting to checkouts that know it. The tables each
checkout's build wrote are compared at the end (row counts and an order-independent hash per table), so
a change meant to save memory is checked to change nothing else. Prints Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ["segment", "copies", "embed", "frames", "seeded", "cues", "stance", "onsets", "lineage", "evidence"]
# Tables compared between checkouts: what the build writes, without run records and times.
TABLES = {
    "passages": "passage_id, article_id, seq, part, start_char, end_char, text_hash",
    "copies": "article_id, original_id, round(similarity, 5), method",
    "embeddings": "model, text_hash, vector",
    "frames": "frame_id, kind, status, label, phrases, exemplar_passage_id, centroid",
    "passage_frames": "passage_id, frame_id, round(score, 5)",
    "article_frames": "*",
    "stories": "story_id, status",
    "story_frames": "*",
    "article_stance": "*",
    "lineage": "*",
    "evidence_items": "*",
}

# Runs inside the checkout (``python -c``, cwd first on sys.path): one stage on the published database.
CHILD = r'''
import dataclasses, inspect, json, os, sys, time
from pathlib import Path

def status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) // 1024

stage, db, src, overrides = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
from app.config import Settings, load_settings
from app.store import Store
import app.pipeline as P
known = {f.name for f in dataclasses.fields(Settings)}
settings = load_settings(env={}, db=db, **{k: v for k, v in overrides.items() if k in known})
write_kw = {}
if "memory_budget" in inspect.signature(Store.write).parameters:
    write_kw["memory_budget"] = settings.memory_budget
key = P.model_key(settings.model, settings.max_seq_length, settings.backend, settings.device)

def get_encoder():
    return P.load_encoder(settings.model, settings.device, settings.max_seq_length, settings.batch_size,
                          settings.backend, None)

before = status("VmRSS")
started = time.perf_counter()
if stage == "ingest":
    from app.ingest import ingest_files
    with Store.write(db, "ingest " + src, **write_kw) as store:
        ingest_files(store, [Path(src)], settings.max_article_chars)
else:
    with Store.write(db, "build", **write_kw) as store:
        if stage == "segment": P.segment_stage(store, settings)
        elif stage == "copies": P.copies_stage(store, settings)
        elif stage == "embed":
            sized = {"chunk": P.chunk_sizes(settings).embed} if hasattr(P, "chunk_sizes") else {}
            P.embed_stage(store, key, get_encoder, settings.batch_size, **sized)
        elif stage == "frames": P.frames_stage(store, key, settings)
        elif stage == "seeded": P.seeded_stage(store, key, get_encoder, settings)
        elif stage == "cues": P.cues_stage(store)
        elif stage == "stance": P.stance_stage(store)
        elif stage == "onsets": P.onsets_stage(store)
        elif stage == "lineage": P.lineage_stage(store, key)
        elif stage == "evidence": P.evidence_stage(store, key, settings)
        else: raise SystemExit(f"unknown stage {stage}")
print("STAGE " + json.dumps({"stage": stage, "seconds": round(time.perf_counter() - started, 1),
                             "before_mb": before, "peak_mb": status("VmHWM")}))
'''

COMPARE = r'''
import json, sys
from app.store import Store
tables = json.loads(sys.argv[2])
store = Store.open_read(sys.argv[1])
out = {}
for table, cols in tables.items():
    try:
        out[table] = [int(x) for x in store.query(
            f"SELECT count(*), coalesce(bit_xor(hash(t)), 0)::UBIGINT FROM (SELECT {cols} FROM {table}) t"
        ).iloc[0]]
    except Exception as exc:
        out[table] = str(exc).splitlines()[0]
store.close()
print("TABLES " + json.dumps(out))
'''


def child(code: str, checkout: Path, args: list[str], env: dict) -> str:
    """Run ``code`` in ``checkout``; its stdout."""
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=checkout, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args[:2])} in {checkout} failed:\n{out}\n{err[-4000:]}")
    return out


def run_stage(stage: str, checkout: Path, db: Path, src: Path, overrides: dict, env: dict) -> dict:
    out = child(CHILD, checkout, [stage, str(db), str(src), json.dumps(overrides)], env)
    line = next(x for x in out.splitlines() if x.startswith("STAGE "))
    return json.loads(line[len("STAGE "):])


def whole_build(checkout: Path, db: Path, overrides: dict, env: dict) -> tuple[float, int]:
    env = dict(env, **{"NARRATIVES_" + k.upper(): str(v) for k, v in overrides.items()
                       if k != "memory_budget" or _knows_budget(checkout)})
    proc = subprocess.run([sys.executable, str(HERE / "_peak.py"), "-m", "app.cli", "build", "--db", str(db)],
                          cwd=checkout, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"whole build in {checkout} failed:\n{proc.stdout}\n{proc.stderr[-4000:]}")
    line = next(x for x in proc.stderr.splitlines() if x.startswith("PEAK "))
    parts = dict(p.split("=") for p in line.split()[1:])
    return float(parts["wall_s"]), int(float(parts["peak_rss_mb"]))


def copy_database(src: Path, dst: Path) -> None:
    """The database file and its vector segments' folder (``<db>.vectors``, where the code keeps one)."""
    shutil.copyfile(src, dst)
    vectors = src.with_name(src.name + ".vectors")
    if vectors.is_dir():
        shutil.copytree(vectors, dst.with_name(dst.name + ".vectors"), dirs_exist_ok=True)


def remove(path: Path) -> None:
    shutil.rmtree(path) if path.is_dir() else path.unlink()


def _knows_budget(checkout: Path) -> bool:
    return "memory_budget" in (checkout / "app" / "config.py").read_text()


def table_hashes(checkout: Path, db: Path, env: dict) -> dict:
    out = child(COMPARE, checkout, [str(db), json.dumps(TABLES)], env)
    line = next(x for x in out.splitlines() if x.startswith("TABLES "))
    return json.loads(line[len("TABLES "):])


def make_inputs(args, folder: Path) -> list[tuple[str, Path]]:
    inputs = [(Path(p).name, Path(p).resolve()) for p in args.input]
    for n in args.synth:
        path = folder / f"synth-{n}.jsonl"
        if not path.exists():
            subprocess.run([sys.executable, str(HERE / "synth.py"), "--articles", str(n), "--out", str(path)],
                           check=True, capture_output=True)
        inputs.append((f"synthetic, {n:,} articles", path))
    if args.allsides_nk:
        sys.path.insert(0, str(HERE))
        from corpora import allsides_rows, write_jsonl

        path = folder / "allsides-nk.jsonl"
        if not path.exists():
            write_jsonl(allsides_rows("north korea", None), path)
        inputs.append(("AllSides North Korea slice", path))
    return inputs


HALF = r'''
import json, sys
import numpy as np
from app.config import load_settings
import app.pipeline as P
from app.store import Store
try:
    from app.store import copy_database
except ImportError:  # code from before the vectors left the file
    from shutil import copyfile as copy_database
src, db, model = sys.argv[1], sys.argv[2], sys.argv[3]
copy_database(src, db)
settings = load_settings(env={}, db=db, model=model)
key = P.model_key(settings.model, settings.max_seq_length, settings.backend, settings.device)
read = Store.open_read(src)
before = read.query("SELECT passage_id, frame_id FROM passage_frames pf JOIN frames USING (frame_id) "
                    "WHERE kind = 'discovered' ORDER BY ALL")
read.close()
with Store.write(db) as store:
    chunks = [(h, v.astype(np.float16).astype(np.float32)) for h, v in store.vector_chunks(key)]
    store.drop_vectors(key)
    for h, v in chunks:
        store.add_embeddings(key, h, v)
    P.frames_stage(store, key, settings, recluster=True)
after = Store.open_read(db)
half = after.query("SELECT passage_id, frame_id FROM passage_frames pf JOIN frames USING (frame_id) "
                   "WHERE kind = 'discovered' ORDER BY ALL")
after.close()
a, b = set(map(tuple, before.values)), set(map(tuple, half.values))
print("HALF " + json.dumps({"passages_in_frames": len(a), "half_in_frames": len(b), "same": len(a & b),
                            "frames": int(before["frame_id"].nunique()), "half_frames": int(half["frame_id"].nunique())}))
'''


def half_check(checkout: Path, db: Path, model: str, env: dict) -> dict:
    """The frames of ``db`` made again from its vectors rounded to float16 (in a copy): how many passages keep
    their frame."""
    out = child(HALF, checkout, [str(db), str(db.with_name(db.stem + "-half.duckdb")), model], env)
    return json.loads(next(x for x in out.splitlines() if x.startswith("HALF "))[len("HALF "):])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", action="append", default=[], help="a file of articles (repeatable)")
    ap.add_argument("--synth", action="append", type=int, default=[], help="a synthetic archive of N articles")
    ap.add_argument("--allsides-nk", action="store_true", help="the AllSides North Korea slice")
    ap.add_argument("--code", action="append", default=[], help="NAME=CHECKOUT (repeatable; default: this one)")
    ap.add_argument("--model", default=None, help="model setting (fast, default...)")
    ap.add_argument("--budget", type=int, default=None, help="memory_budget setting, MB (checkouts that know it)")
    ap.add_argument("--stages", default=",".join(STAGES), help="stages measured one by one (the rest are not run)")
    ap.add_argument("--whole", action="store_true", help="also the whole build in one process")
    ap.add_argument("--dir", type=Path, default=Path("build/memory"), help="databases and inputs go here")
    ap.add_argument("--half", type=Path, default=None, metavar="DB",
                    help="only this: the frames of a built database made again from its vectors rounded to float16 "
                         "(in a copy), with the first --code checkout")
    args = ap.parse_args(argv)
    args.dir = args.dir.resolve()
    args.dir.mkdir(parents=True, exist_ok=True)
    codes = [tuple(c.split("=", 1)) for c in args.code] or [("this", ".")]
    codes = [(name, Path(path).resolve()) for name, path in codes]
    overrides = {k: v for k, v in {"model": args.model, "memory_budget": args.budget}.items() if v is not None}
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    stages = args.stages.split(",")
    if args.half:
        h = half_check(codes[0][1], args.half.resolve(), args.model or "default", env)
        print(f"- command: `python bench/memory.py {' '.join(sys.argv[1:] if argv is None else argv)}`")
        print(f"- vectors rounded to float16, frames made again: {h['same']:,} of {h['passages_in_frames']:,} "
              f"passage memberships unchanged ({h['frames']:,} frames from float32; {h['half_frames']:,} from "
              f"float16, holding {h['half_in_frames']:,} passages)")
        return
    print(f"- date: {dt.date.today()}; machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; load average at start {os.getloadavg()[0]:.2f}")
    print(f"- command: `python bench/memory.py {' '.join(sys.argv[1:] if argv is None else argv)}`")
    for title, src in make_inputs(args, args.dir):
        results: dict[str, dict[str, dict]] = {}
        hashes, whole = {}, {}
        for name, checkout in codes:
            base = args.dir / f"{src.stem}-{name}"
            db = base.with_suffix(".duckdb")
            for p in args.dir.glob(base.name + ".duckdb*"):
                remove(p)
            rows = {"ingest": run_stage("ingest", checkout, db, src, overrides, env)}
            if args.whole:
                copy = args.dir / f"{base.name}-whole.duckdb"
                for p in args.dir.glob(copy.name + "*"):
                    remove(p)
                copy_database(db, copy)
                whole[name] = whole_build(checkout, copy, overrides, env)
            for stage in stages:
                rows[stage] = run_stage(stage, checkout, db, src, overrides, env)
                print(f"  {title} / {name} / {stage}: {rows[stage]}", file=sys.stderr, flush=True)
            results[name] = rows
            hashes[name] = table_hashes(checkout, db, env)
        passages = _count(codes[0][1], args.dir / f"{src.stem}-{codes[0][0]}.duckdb", env)
        print(f"\n### {title} ({passages})\n")
        names = [n for n, _ in codes]
        print("| stage | " + " | ".join(f"{n}: s | {n}: before MB | {n}: peak MB" for n in names) + " |")
        print("|---|" + "---|---|---|" * len(names))
        for stage in ["ingest", *stages]:
            cells = []
            for n in names:
                r = results[n][stage]
                cells += [f"{r['seconds']:.1f}", f"{r['before_mb']:,}", f"{r['peak_mb']:,}"]
            print(f"| {stage} | " + " | ".join(cells) + " |")
        if whole:
            print("| whole build, one process | " + " | ".join(
                f"{whole[n][0]:.1f} | | {whole[n][1]:,}" for n in names) + " |")
        if len(names) > 1:
            first = hashes[names[0]]
            for n in names[1:]:
                diff = [t for t in TABLES if hashes[n].get(t) != first.get(t)]
                print(f"\nTables written by {n} against {names[0]}: "
                      + ("every table equal (" + ", ".join(f"{t} {first[t][0]:,}" for t in TABLES
                                                        if isinstance(first[t], list)) + " rows)"
                         if not diff else "DIFFERENT: " + ", ".join(f"{t} ({first.get(t)} vs {hashes[n].get(t)})"
                                                                   for t in diff)))


def _count(checkout: Path, db: Path, env: dict) -> str:
    code = ("import sys; from app.store import Store; s = Store.open_read(sys.argv[1]); "
            "print(s.query_value('SELECT count(*) FROM articles'), s.query_value('SELECT count(*) FROM passages'))")
    out = child(code, checkout, [str(db)], env)
    a, p = out.split()
    return f"{int(a):,} articles, {int(p):,} passages"


if __name__ == "__main__":
    main()
