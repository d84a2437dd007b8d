"""Fingerprints of each frame's inputs, so the per-frame stages (stance, lineage, evidence) redo only the
frames whose inputs changed, and extend those that only gained later articles.

A stage writes, next to its rows, one 64-bit fingerprint per frame of the rows it read for that frame
(articles, dates, outlets, passages, copy relations, cues: whatever its result depends on), and its
*mark*: the frame's latest article then (date, then id). The store sums the rows' hashes per frame in the
database (``Store.frame_plan``), over all of them and over those up to the stored mark, so deciding costs
no row loaded. On the next run a frame whose fingerprint is unchanged keeps its rows; one whose rows up to
its mark give the stored fingerprint only gained articles after everything it held, and is extended from
its stored rows; any other is redone. A weekly update then costs what the week adds to the frames it
touches. What the rows cannot show (the model, the cue rules, the version of the stage's own logic) goes
into the stage's *context*; a changed context redoes every frame.

Pure functions: the stage reads the sums and the written fingerprints from the store.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# floor(2**64 / golden ratio), the multiplier of Fibonacci hashing: odd, with its bits spread evenly, so
# frames whose row hashes happen to sum alike but whose row counts differ get fingerprints far apart.
_COUNT_MIX = 0x9E3779B97F4A7C15
# A prime base for chaining several fingerprints of one frame into one (a polynomial hash).
_CHAIN_BASE = 1_000_003
_WORD = 2**64  # fingerprints are unsigned 64-bit, as the store keeps them


def frame_fingerprints(rows: pd.DataFrame, columns: list[str]) -> dict[int, int]:
    """An order-independent fingerprint of each frame's input rows (``frame_id`` plus ``columns``).

    Each row is hashed, and a frame's row hashes are summed (modulo 2**64): a sum does not depend on the
    order the store returns rows in, so the same inputs always give the same fingerprint, and it is one
    vectorised pass over millions of rows. The number of rows is mixed in as well."""
    if rows.empty:
        return {}
    hashed = pd.util.hash_pandas_object(rows[columns], index=False).to_numpy(dtype=np.uint64)
    frames = rows["frame_id"].to_numpy()
    order = np.argsort(frames, kind="stable")
    frames, hashed = frames[order], hashed[order]
    starts = np.flatnonzero(np.r_[True, frames[1:] != frames[:-1]])
    sums = np.add.reduceat(hashed, starts)  # wraps modulo 2**64
    sizes = np.diff(np.r_[starts, len(frames)])
    return {int(f): (int(h) ^ (int(n) * _COUNT_MIX)) % _WORD for f, h, n in zip(frames[starts], sums, sizes)}


def combine(*parts: dict[int, int]) -> dict[int, int]:
    """One fingerprint per frame from several (say, of its articles and of its passages).

    The parts are chained in order, each also adding its position, so the same fingerprint coming from
    another part (articles hashing like passages) does not give the same result; a frame missing from a
    part simply has one link fewer."""
    out: dict[int, int] = {}
    for position, part in enumerate(parts):
        for frame_id, fingerprint in part.items():
            out[frame_id] = (out.get(frame_id, 0) * _CHAIN_BASE + fingerprint + position) % _WORD
    return out


def redo_every_frame(last_run: dict | None, context: dict, force: bool) -> bool:
    """Whether a per-frame stage must redo every frame: on its first run, when forced, or when the context
    its fingerprints were taken in changed (another model, other rules, a new version of the stage's
    logic), which the fingerprints of the rows cannot show."""
    return force or last_run is None or last_run["parameters"].get("context") != context


def frames_to_do(plan: pd.DataFrame, everything: bool) -> pd.DataFrame:
    """The frames a per-frame stage must write, from its plan (``Store.frame_plan``: per frame the number
    and sum of its input rows' hashes, the same up to the mark its rows were last written at, the stored
    fingerprint and mark, its mark now, its centre's hash), with ``fingerprint`` and ``mark`` to record and
    ``after``: the stored mark when the frame is *extended* (its rows up to the mark are exactly those it
    was written from, so only rows after it are new), None when it is redone over all its inputs; ``load``,
    the input rows to read. A frame whose fingerprint is unchanged is left out; ``everything`` redoes every
    frame (another context, ``force``)."""
    plan = plan.copy()
    # Unsigned 64-bit whatever the values: a column pandas inferred as int64 (every value below 2**63) joined to
    # one of uint64 becomes float64, which rounds the fingerprints, so every frame of a stage run that joins
    # two plans (lineage, when an outlet is new) would be redone again on the next run.
    fingerprints = (_fingerprint(s, n, c) for s, n, c in zip(plan["sum"], plan["rows"], plan["centre"]))
    plan["fingerprint"] = np.fromiter(fingerprints, dtype=np.uint64, count=len(plan))
    early = [_fingerprint(s, n, c) for s, n, c in zip(plan["early_sum"], plan["early"], plan["centre"])]
    stored = [int(x) for x in plan["stored"]]
    written = plan["stored_mark"].notna().to_numpy() & (not everything)
    keep = written & np.array([int(f) == s for f, s in zip(plan["fingerprint"], stored)], dtype=bool)
    extend = (written & ~keep & np.array([e == s for e, s in zip(early, stored)], dtype=bool)
              & (plan["early"] < plan["rows"]).to_numpy())
    plan["after"] = [m if x else None for m, x in zip(plan["stored_mark"], extend)]
    plan["load"] = np.where(extend, plan["rows"] - plan["early"], plan["rows"])
    return plan[~keep].reset_index(drop=True)


def _fingerprint(total: int, rows: int, centre: int) -> int:
    """A frame's fingerprint from the sum of its input rows' hashes, their number and its centre's hash."""
    return combine({0: (int(total) ^ (int(rows) * _COUNT_MIX)) % _WORD}, {0: int(centre)})[0]


def chunks(todo: pd.DataFrame, rows: int, by: str = "load"):
    """``todo`` cut, in order, where the rows counted in column ``by`` (``load``: the input rows to read;
    ``rows``: all the frame's input rows, for a stage that holds as much of an extended frame) pass ``rows``
    (a larger frame is a chunk alone)."""
    start, total = 0, 0
    for i, n in enumerate(todo[by].tolist()):
        if total and total + n > rows:
            yield todo.iloc[start:i]
            start, total = i, 0
        total += n
    if start < len(todo):
        yield todo.iloc[start:]


def marks(todo: pd.DataFrame) -> dict[int, str | None]:
    """frame id -> the mark a frame of ``todo`` is extended after, or None when it is redone whole."""
    return {int(f): (m if isinstance(m, str) else None) for f, m in zip(todo["frame_id"], todo["after"])}


def passages_add_up(before: str | None, added: str, now: str) -> bool:
    """Whether a set of passages now is the set of before plus the passages added, by their ``count:xor``
    fingerprints (``Store.passage_fingerprint``): the counts add up and the hashes XOR to the same. False
    without a fingerprint of before."""
    if before is None:
        return False
    (n0, x0), (n1, x1), (n2, x2) = (tuple(int(v) for v in f.split(":")) for f in (before, added, now))
    return n0 + n1 == n2 and (x0 ^ x1) == x2
