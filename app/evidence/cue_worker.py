"""A process that reads evidence cues for the cue stage (``app.stages.provenance``), one a core.

    python -m app.evidence.cue_worker

Reads pickles from standard input: first the outlet names, then lists of texts; answers each list with the
list of each text's cues as (kind, subtype, start, end, span, source) tuples, pickled to standard output.
Ends at the end of its input. A process of its own, started by command rather than by multiprocessing, so
that nothing of the caller's main script runs in it and none of the build's threads are forked.
"""

from __future__ import annotations

import pickle
import sys

from app.evidence.cues import CueFinder


def cue_tuples(finder: CueFinder, texts: list[str]) -> list[list[tuple]]:
    return [[(c.kind, c.subtype, c.start, c.end, c.span, c.source) for c in finder.find(t)] for t in texts]


def main() -> None:
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    finder = CueFinder(pickle.load(source))
    while True:
        try:
            texts = pickle.load(source)
        except EOFError:
            return
        pickle.dump(cue_tuples(finder, texts), sink, protocol=pickle.HIGHEST_PROTOCOL)
        sink.flush()


if __name__ == "__main__":
    main()
