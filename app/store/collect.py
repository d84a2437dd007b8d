"""Collection: the log of every fetch (behind the public view ``fetch_log``), the feeds' conditional-request
state, which URLs are settled (stored, or failed for good), outlet groups from the feeds file, and the
collection health the Data page shows."""

from __future__ import annotations

import pandas as pd

from app.store.base import StoreBase
from app.store.db import StoreError

FETCH_COLUMNS = ["run_id", "source", "url", "canonical_url", "kind", "outcome", "status", "reason", "retry",
                 "final_url", "bytes", "attempts", "seconds", "article_id", "fetched_at"]


class CollectStore(StoreBase):
    def settled_urls(self, canonical_urls: list[str]) -> dict[str, str]:
        """canonical URL -> why it is not fetched again: 'stored' (an article with that URL is in the store)
        or the reason it failed for good (robots.txt, 404, too big, not HTML, no text...). URLs that failed
        for a passing reason (timeouts, 429, 5xx after the retries) are not settled: the next run tries
        them again."""
        if not canonical_urls:
            return {}
        urls = [list(dict.fromkeys(canonical_urls))]
        out = dict(self._exec(
            """SELECT canonical_url, arg_max(CASE WHEN outcome = 'failed' THEN reason ELSE outcome END, fetched_at)
               FROM fetches
               WHERE canonical_url IN (SELECT unnest(?::VARCHAR[])) AND kind = 'page'
                 AND (outcome IN ('stored', 'duplicate') OR (outcome = 'failed' AND NOT retry)) GROUP BY ALL""",
            urls).fetchall())
        out.update({u: "stored" for (u,) in self._exec(
            "SELECT canonical_url FROM articles WHERE canonical_url IN (SELECT unnest(?::VARCHAR[]))", urls).fetchall()})
        return out

    def add_fetches(self, rows: list[dict]) -> int:
        if not rows:
            return 0
        frame = pd.DataFrame(rows).reindex(columns=FETCH_COLUMNS)
        for col in ("status", "bytes", "attempts"):
            frame[col] = frame[col].astype("Int64")
        frame["retry"] = frame["retry"].fillna(False).astype(bool)
        return self._insert("fetches", frame)

    def feed_state(self, feed_url: str) -> dict:
        row = self._row("SELECT title, etag, last_modified FROM feed_state WHERE feed_url = ?", [feed_url])
        return dict(zip(("title", "etag", "last_modified"), row)) if row else {}

    def save_feed_state(self, feed_url: str, title: str | None, etag: str | None, last_modified: str | None,
                        checked_at) -> None:
        self._exec(
            """INSERT INTO feed_state VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (feed_url) DO UPDATE SET title = coalesce(excluded.title, feed_state.title),
                   etag = excluded.etag, last_modified = excluded.last_modified, checked_at = excluded.checked_at""",
            [feed_url, title, etag, last_modified, checked_at])

    def add_outlet_groups(self, outlet_id: str, groups: list[str]) -> None:
        """Add groups to an outlet (those it has stay: groups loaded from the outlets CSV are kept)."""
        if groups:
            self._exec("""UPDATE outlets SET groups = list_distinct(list_concat(coalesce(groups, []), ?::VARCHAR[]))
                          WHERE outlet_id = ?""", [list(groups), outlet_id])

    def collect_health(self) -> pd.DataFrame:
        """Per source (feed URL or URL list) of the collection: its last run, articles stored in that run
        and in all, pages that failed in that run, and the failures of that run by reason."""
        return self._df(
            r"""WITH last AS (SELECT source, max(run_id) AS run_id FROM fetches GROUP BY source),
                    lf AS (SELECT f.* FROM fetches f JOIN last USING (source, run_id)),
                    reasons AS (
                        SELECT source, string_agg(reason || ': ' || n, '; ' ORDER BY n DESC, reason) AS failures_by_reason
                        -- a reason without its particulars: 'too big (over 5,000,000 bytes...)' -> 'too big'
                        FROM (SELECT source, split_part(regexp_replace(reason, '^record \d+: ', ''), ' (', 1) AS reason,
                                     count(*) AS n
                              FROM lf WHERE outcome = 'failed' GROUP BY ALL)
                        GROUP BY source)
               SELECT l.source, any_value(r.started_at) AS last_run,
                      bool_or(lf.kind <> 'page' AND lf.outcome = 'failed') AS source_unreadable,
                      count(*) FILTER (WHERE lf.kind = 'page' AND lf.outcome = 'stored') AS new_articles,
                      count(*) FILTER (WHERE lf.kind = 'page' AND lf.outcome = 'failed') AS failed,
                      (SELECT count(*) FROM fetches a WHERE a.source = l.source AND a.outcome = 'stored')
                          AS articles_all_runs,
                      any_value(rs.failures_by_reason) AS failures_by_reason
               FROM last l JOIN lf USING (source) LEFT JOIN runs r ON r.run_id = l.run_id
               LEFT JOIN reasons rs ON rs.source = l.source
               GROUP BY l.source ORDER BY l.source""")

    def has_fetches(self) -> bool:
        try:
            return bool(self._scalar("SELECT count(*) FROM fetches"))
        except StoreError:  # a database from before collection existed (read-only, not migrated)
            return False
