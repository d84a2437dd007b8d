"""Cost against archive size: a chart of the figures bench/weekly_synth.py keeps.

    python bench/scale_chart.py --dir build/weekly [--label this] [--out bench/scale_cost.png]

Reads every ``<label>-<size>*.json`` in ``--dir`` (one per archive size) and writes a PNG with two log-log
panels, articles in the archive on x: wall seconds of the ingest, the full build and the weekly update
(the week added, the same articles at every size with ``--week-from``), and their peak RSS in MB. A dotted
line through the build of the second-smallest archive (the smallest's includes loading the model) grows in
proportion to the archive, to read the slopes against.
Needs plotly and kaleido (kaleido finds Chromium through ``BROWSER_PATH``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from plotly.subplots import make_subplots
import plotly.graph_objects as go

HERE = Path(__file__).resolve().parent
STEPS = (("ingest", "ingest", "#7f7f7f"), ("build", "full build", "#1f77b4"), ("update", "weekly update", "#d62728"))


def load(folder: Path, label: str) -> list[dict]:
    rows = [json.loads(p.read_text()) for p in sorted(folder.glob(f"{label}-*.json"))]
    return sorted((r for r in rows if r.get("label") == label), key=lambda r: r["articles"])


def chart(rows: list[dict]) -> go.Figure:
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.1,
                        subplot_titles=("wall time (s)", "peak RSS (MB)"))
    x = [r["articles"] for r in rows]
    for col, index in ((1, 0), (2, 1)):
        for step, name, colour in STEPS:
            fig.add_trace(go.Scatter(x=x, y=[r[step][index] for r in rows], name=name, mode="lines+markers",
                                     line={"color": colour}, legendgroup=step, showlegend=col == 1), row=1, col=col)
    first, anchor = rows[0], rows[min(1, len(rows) - 1)]
    t0, n0 = anchor["build"][0], anchor["articles"]
    fig.add_trace(go.Scatter(x=[x[0], x[-1]], y=[t0 * x[0] / n0, t0 * x[-1] / n0],
                             name="in proportion to the archive", mode="lines",
                             line={"color": "#999", "dash": "dot"}), row=1, col=1)
    week = f"{first['week_articles']} articles of the {first['week_of']:,}-article archive's week"
    fig.update_xaxes(type="log", title_text="articles in the archive")
    fig.update_yaxes(type="log")
    fig.update_layout(width=1100, height=480, template="plotly_white", margin={"t": 80, "l": 60, "r": 20, "b": 60},
                      title={"text": f"Narrative Tracker on the synthetic archive (fast tier); weekly update: {week}",
                             "font": {"size": 15}},
                      legend={"orientation": "h", "y": -0.2, "x": 0})
    return fig


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", type=Path, required=True, help="the output folder of bench/weekly_synth.py")
    ap.add_argument("--label", default="this")
    ap.add_argument("--out", type=Path, default=HERE / "scale_cost.png")
    args = ap.parse_args()
    rows = load(args.dir, args.label)
    if not rows:
        raise SystemExit(f"no {args.label}-*.json in {args.dir}")
    chart(rows).write_image(str(args.out), scale=1)
    sizes = ", ".join(f"{r['articles']:,}" for r in rows)
    print(f"wrote {args.out} ({sizes} articles)")


if __name__ == "__main__":
    main()
