"""Frame edits by hand (rename, merge, retire, restore) and every frame's history."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from app.frames.edits import ACTIVE, DONE, EDITABLE, STATUS_AFTER, EditRefused, check_edit
from app.store.base import StoreBase
from app.store.db import StoreError


class EditStore(StoreBase):
    def record_history(self, frame_ids, run_id: int | None, event: str, other: list | None = None,
                       detail: str | None = None) -> None:
        if len(frame_ids) == 0:
            return
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        self._insert("frame_history", pd.DataFrame({
            "frame_id": pd.array(list(frame_ids), dtype="int32"), "happened_at": now,
            "run_id": pd.array([run_id] * len(frame_ids), dtype="Int64"), "event": event,
            "other_frame_id": pd.array(other if other is not None else [None] * len(frame_ids), dtype="Int32"),
            "detail": detail}))

    def _apply_edits(self) -> None:
        """Give merged and user-retired frames their status again after a build re-activated them."""
        self._exec(
            """UPDATE frames SET status = CASE e.action WHEN 'merge' THEN ? WHEN 'retire' THEN ? ELSE frames.status END
               FROM (SELECT frame_id, action FROM (
                         SELECT frame_id, action, row_number() OVER (PARTITION BY frame_id ORDER BY edit_id DESC) AS rn
                         FROM frame_edits WHERE action IN ('merge', 'retire', 'restore')) WHERE rn = 1) e
               WHERE frames.frame_id = e.frame_id AND frames.status IN (SELECT unnest(?::VARCHAR[]))""",
            [STATUS_AFTER["merge"], STATUS_AFTER["retire"], list(EDITABLE)])

    def edit_frame(self, frame_id: int, action: str, value: str | None = None, into: int | None = None) -> str:
        """Rename, merge into another frame, retire or restore a frame (the rules: :mod:`app.frames.edits`);
        kept across rebuilds. Returns what was done."""
        row = self._row("SELECT status, coalesce(user_label, label) FROM frames WHERE frame_id = ?", [frame_id])
        if row is None:
            raise StoreError(f"no frame {frame_id}")
        status, label = row
        into_exists = into is not None and self._row("SELECT 1 FROM frames WHERE frame_id = ?", [into]) is not None
        final = self._scalar("SELECT into_frame FROM frame_merges WHERE frame_id = ?", [into]) if into_exists else None
        try:
            check_edit(frame_id, status, action, value, into, into_exists, final)
        except EditRefused as exc:
            raise StoreError(str(exc)) from exc
        final = final or into
        now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        other, detail = None, label
        with self.transaction():
            if action == "rename":
                self._exec("UPDATE frames SET user_label = ? WHERE frame_id = ?", [value.strip(), frame_id])
                detail = f"{label} -> {value.strip()}"
            elif action == "merge":
                # Frames merged into this one follow it.
                followers = [r[0] for r in self._exec(
                    "SELECT frame_id FROM frame_merges WHERE into_frame = ?", [frame_id]).fetchall()]
                for f in [frame_id, *followers]:
                    self._exec("INSERT INTO frame_edits (frame_id, action, into_frame, edited_at) VALUES (?, 'merge', ?, ?)",
                               [f, final, now])
                other, detail = final, f"{label} merged into frame {final}"
            elif action == "restore":
                self._exec("UPDATE frames SET status = ? WHERE frame_id = ?", [ACTIVE, frame_id])
            if action != "merge":
                self._exec("INSERT INTO frame_edits (frame_id, action, value, edited_at) VALUES (?, ?, ?, ?)",
                           [frame_id, action, value, now])
            self.record_history([frame_id], None, DONE[action], [other], detail)
            self._apply_edits()
        return f"frame {frame_id} {DONE[action]}" + (f" {other}" if other is not None else "")

    def editable_frames(self) -> pd.DataFrame:
        """Active frames and those a user merged or retired, with their counts and merge target."""
        return self._df(
            """SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind, f.status,
                      coalesce(s.articles, 0) AS articles, coalesce(s.outlets, 0) AS outlets, m.into_frame AS merged_into,
                      CASE WHEN f.kind = 'seeded' THEN coalesce(f.match_rule, 'phrases') END AS rule,
                      f.est_precision AS est_precision, r.fitted_passages, r.fitted_at,
                      (SELECT count(*) FROM passages) AS passages_now
               FROM frames f LEFT JOIN frame_summary s USING (frame_id) LEFT JOIN frame_merges m USING (frame_id)
               LEFT JOIN seed_rules r USING (frame_id)
               WHERE f.status IN (SELECT unnest(?::VARCHAR[])) ORDER BY f.status, articles DESC, f.frame_id""",
            [list(EDITABLE)])

    def seed_review(self, frame_id: int) -> pd.DataFrame:
        """The review queue of a seeded frame, nearest the boundary first, with each article's passage shown
        (one article of those whose passage is the same text)."""
        return self._df(
            """SELECT r.article_id, r.passage_id, r.score, r.threshold, r.matched, p.text, a.title, a.url,
                      o.name AS outlet, a.published_at
               FROM seed_review r JOIN passages p USING (passage_id) JOIN articles a ON a.article_id = r.article_id
               JOIN outlets o USING (outlet_id)
               WHERE r.frame_id = ?
               -- a syndicated copy's passage is asked about once
               QUALIFY row_number() OVER (PARTITION BY p.text_hash ORDER BY abs(r.score - r.threshold), r.article_id) = 1
               ORDER BY abs(r.score - r.threshold), r.article_id""", [frame_id])

    def last_edit_id(self) -> int:
        return self._scalar("SELECT coalesce(max(edit_id), 0) FROM frame_edits")

    def frame_history(self, frame_id: int) -> pd.DataFrame:
        return self._df(
            """SELECT happened_at, frame_id, event, other_frame_id, run_id, detail FROM frame_history
               WHERE frame_id = ? OR other_frame_id = ? ORDER BY happened_at, frame_id, event""",
            [frame_id, frame_id])
