"""The weekly report as one zip, for the Overview page's download button.

Not UI work: nothing here imports streamlit. It lives in app/ui/ until the report module
(app/report.py) can offer it.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path
from typing import Callable, Iterable


def zip_files(files: Iterable[Path], folder: str) -> bytes:
    """The files, by name, inside one folder of a zip."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, f"{folder}/{Path(path).name}")
    return buffer.getvalue()


def build_report_zip(store, start: dt.date, end: dt.date, first_mover_hours: float, note: str = "",
                     progress: Callable[[str, int, "int | None"], None] | None = None) -> bytes:
    """The report of ``start``..``end`` (report.html, a PNG per chart, the CSVs) as a zip whose files
    sit in ``report-YYYY-MM-DD/``."""
    from app.report import build_report

    with tempfile.TemporaryDirectory() as tmp:
        rep = build_report(store, start, end, Path(tmp), first_mover_hours, note, progress=progress)
        return zip_files(rep.files, f"report-{start:%Y-%m-%d}")
