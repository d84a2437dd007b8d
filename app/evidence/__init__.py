"""Evidence: cues in passages (cues), which cued passages count for a frame (scope), the per-frame ledger
of new and repeated items (ledger), echo measures (measures), and safe highlighting of cue spans for
display."""

from __future__ import annotations

import html

CUE_COLOURS = {"attribution": "#cfe3f5", "material": "#c8ecd9", "stance": "#f9dcc4"}


def highlight(text: str, cues) -> str:
    """HTML of ``text`` with each cue's span in a <mark>; everything from the text is escaped.

    ``cues``: rows with kind, subtype, start_char, end_char (overlapping spans: the earlier one wins)."""
    out, pos = [], 0
    for c in sorted(cues, key=lambda c: (c["start_char"], -c["end_char"])):
        start, end = int(c["start_char"]), int(c["end_char"])
        if start < pos or end <= start or end > len(text):
            continue
        label = html.escape(f"{c['kind']}: {c['subtype']}", quote=True)
        colour = CUE_COLOURS.get(c["kind"], "#eeeeee")
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark title="{label}" style="background:{colour};padding:0 2px">'
                   f"{html.escape(text[start:end])}</mark>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)
