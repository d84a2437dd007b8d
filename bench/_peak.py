"""Run a Python module or script and report its wall time and peak RSS: python bench/_peak.py -m MODULE args...

As ``python -m``, a module is looked up from the current folder first (a checkout's own ``app``, not an
installed copy)."""

import os
import resource
import runpy
import sys
import time

if __name__ == "__main__":
    args = sys.argv[1:]
    t = time.perf_counter()
    code = 0
    try:
        if args[0] == "-m":
            sys.path.insert(0, os.getcwd())
            sys.argv = [args[1], *args[2:]]
            runpy.run_module(args[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = args
            runpy.run_path(args[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"PEAK wall_s={time.perf_counter() - t:.1f} peak_rss_mb={peak_mb:.0f}", file=sys.stderr)
    sys.exit(code)
