"""Any name a browser can send for an upload: the file is written directly in a fresh private folder, under
a name made here, or refused with a message; never anywhere the name points to. (The Data page itself is
driven with hostile names in tests/test_ui_security.py.)"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from app.ui.uploads import SUFFIXES, UploadRejected, saved_upload

parts = st.one_of(st.sampled_from(["..", ".", "", "~", "/", "\\", "C:", "\x00", "%2e%2e", "..%2f", "/etc/passwd",
                                   "\u202e", "con", "nul", " "]),
                  st.text(max_size=12))
names = st.builds(lambda ps, suffix: "/".join(ps) + suffix, st.lists(parts, max_size=6),
                  st.sampled_from(list(SUFFIXES) + ["", ".exe", ".jsonl.exe", ".JSONL", ".csv\x00.sh"]))


@settings(max_examples=300, deadline=None)
@given(names)
def test_an_upload_is_written_only_inside_its_own_folder(sent):
    try:
        with saved_upload(sent, b"{}") as path:
            folder = path.parent
            assert folder.name.startswith("narratives-upload-")
            assert path.resolve().parent == folder.resolve()
            assert path.read_bytes() == b"{}"
            assert any(path.name.endswith(s) for s in SUFFIXES)
            assert list(folder.iterdir()) == [path]
        assert not folder.exists()
    except UploadRejected as exc:
        assert str(exc)
    assert not Path("/etc/passwd.jsonl").exists()
