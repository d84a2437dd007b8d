"""Numbered migrations. Each runs in the same transaction as the row that records it: SQL, or a function of
the connection where a migration moves data."""

from __future__ import annotations

from collections.abc import Callable

from app.store.vectors import migrate_table

MIGRATIONS: list[tuple[int, str, str | Callable]] = [
    (
        1,
        "core tables",
        """
        CREATE TABLE outlets (
            outlet_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            domain VARCHAR
        );
        CREATE TABLE articles (
            article_id VARCHAR PRIMARY KEY,
            url VARCHAR,
            canonical_url VARCHAR UNIQUE,
            outlet_id VARCHAR NOT NULL,
            title VARCHAR,
            text VARCHAR,
            published_at TIMESTAMP NOT NULL,
            language VARCHAR,
            content_hash VARCHAR NOT NULL,
            source_file VARCHAR,
            record_no BIGINT,
            ingested_at TIMESTAMP NOT NULL
        );
        CREATE SEQUENCE reject_ids;
        CREATE TABLE rejects (
            reject_id BIGINT PRIMARY KEY DEFAULT nextval('reject_ids'),
            source_file VARCHAR,
            record_no BIGINT,
            raw VARCHAR,
            reason VARCHAR NOT NULL,
            rejected_at TIMESTAMP NOT NULL
        );
        CREATE TABLE passages (
            passage_id VARCHAR PRIMARY KEY,
            article_id VARCHAR NOT NULL,
            seq INTEGER NOT NULL,
            part VARCHAR NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            text VARCHAR NOT NULL,
            text_hash VARCHAR NOT NULL
        );
        CREATE INDEX passages_article ON passages(article_id);
        CREATE TABLE segmented_articles (
            article_id VARCHAR PRIMARY KEY,
            passages INTEGER NOT NULL
        );
        CREATE TABLE embeddings (
            model VARCHAR NOT NULL,
            text_hash VARCHAR NOT NULL,
            vector FLOAT[] NOT NULL,
            PRIMARY KEY (model, text_hash)
        );
        CREATE SEQUENCE frame_ids;
        CREATE TABLE frames (
            frame_id INTEGER PRIMARY KEY,
            kind VARCHAR NOT NULL,
            label VARCHAR NOT NULL,
            user_label VARCHAR,
            phrases VARCHAR[],
            exemplar_passage_id VARCHAR,
            centroid FLOAT[],
            model VARCHAR,
            status VARCHAR NOT NULL,
            created_run BIGINT,
            last_run BIGINT
        );
        CREATE TABLE passage_frames (
            passage_id VARCHAR NOT NULL,
            frame_id INTEGER NOT NULL,
            score FLOAT NOT NULL,
            PRIMARY KEY (passage_id, frame_id)
        );
        CREATE TABLE article_frames (
            article_id VARCHAR NOT NULL,
            frame_id INTEGER NOT NULL,
            score FLOAT NOT NULL,
            passages INTEGER NOT NULL,
            PRIMARY KEY (article_id, frame_id)
        );
        CREATE SEQUENCE run_ids;
        CREATE TABLE runs (
            run_id BIGINT PRIMARY KEY DEFAULT nextval('run_ids'),
            stage VARCHAR NOT NULL,
            started_at TIMESTAMP NOT NULL,
            finished_at TIMESTAMP,
            status VARCHAR NOT NULL,
            parameters JSON,
            counts JSON
        );
        """,
    ),
    (
        2,
        "public views",
        """
        CREATE VIEW frame_articles AS
        SELECT af.frame_id, a.article_id, a.url, o.name AS outlet, a.published_at, af.score,
               af.passages, a.title
        FROM article_frames af
        JOIN frames f USING (frame_id)
        JOIN articles a USING (article_id)
        JOIN outlets o USING (outlet_id)
        WHERE f.status = 'active';

        CREATE VIEW frame_timeline AS
        SELECT frame_id, outlet, CAST(published_at AS DATE) AS day, count(*) AS articles
        FROM frame_articles
        GROUP BY ALL;

        CREATE VIEW frame_passages AS
        SELECT pf.frame_id, p.passage_id, p.article_id, p.part, p.start_char, p.end_char, p.text,
               pf.score, a.url, o.name AS outlet, a.published_at, a.title
        FROM passage_frames pf
        JOIN frames f USING (frame_id)
        JOIN passages p USING (passage_id)
        JOIN articles a USING (article_id)
        JOIN outlets o USING (outlet_id)
        WHERE f.status = 'active';

        CREATE VIEW frame_summary AS
        WITH ranked AS (
            SELECT *, row_number() OVER (PARTITION BY frame_id ORDER BY published_at, article_id) AS rn
            FROM frame_articles
        ), agg AS (
            SELECT frame_id, count(*) AS articles, count(DISTINCT outlet) AS outlets,
                   min(published_at) AS first_seen, max(published_at) AS last_seen
            FROM frame_articles GROUP BY frame_id
        )
        SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind,
               coalesce(agg.articles, 0) AS articles, coalesce(agg.outlets, 0) AS outlets,
               agg.first_seen, r.outlet AS first_outlet, r.article_id AS first_article_id,
               agg.last_seen, f.exemplar_passage_id
        FROM frames f
        LEFT JOIN agg USING (frame_id)
        LEFT JOIN ranked r ON r.frame_id = f.frame_id AND r.rn = 1
        WHERE f.status = 'active';
        """,
    ),
]

MIGRATIONS.append((
    3,
    "seeded frames",
    """
    ALTER TABLE frames ADD COLUMN seed_name VARCHAR;
    ALTER TABLE frames ADD COLUMN threshold FLOAT;
    ALTER TABLE passage_frames ADD COLUMN match VARCHAR DEFAULT 'cluster';
    CREATE OR REPLACE VIEW frame_passages AS
    SELECT pf.frame_id, p.passage_id, p.article_id, p.part, p.start_char, p.end_char, p.text,
           pf.score, a.url, o.name AS outlet, a.published_at, a.title, pf.match
    FROM passage_frames pf
    JOIN frames f USING (frame_id)
    JOIN passages p USING (passage_id)
    JOIN articles a USING (article_id)
    JOIN outlets o USING (outlet_id)
    WHERE f.status = 'active';
    """,
))

MIGRATIONS.append((
    4,
    "copies and spread",
    """
    CREATE TABLE copies (
        article_id VARCHAR PRIMARY KEY,
        original_id VARCHAR NOT NULL,
        similarity FLOAT NOT NULL,
        method VARCHAR NOT NULL
    );
    CREATE VIEW frame_spread AS
    WITH fa AS (
        SELECT fa.frame_id, fa.article_id, fa.outlet, fa.published_at, c.original_id IS NULL AS independent
        FROM frame_articles fa LEFT JOIN copies c USING (article_id)
    ), start AS (
        SELECT frame_id, min(published_at) AS frame_first_seen FROM fa GROUP BY frame_id
    ), per_outlet AS (
        SELECT frame_id, outlet, min(published_at) AS first_seen, count(*) AS articles,
               count(*) FILTER (WHERE independent) AS independent_articles
        FROM fa GROUP BY frame_id, outlet
    )
    SELECT p.frame_id, p.outlet, p.first_seen,
           round(date_diff('second', s.frame_first_seen, p.first_seen) / 3600.0, 1) AS lag_hours,
           p.articles, p.independent_articles,
           row_number() OVER (PARTITION BY p.frame_id ORDER BY p.first_seen, p.outlet) AS adoption_rank
    FROM per_outlet p JOIN start s USING (frame_id);
    """,
))

MIGRATIONS.append((
    5,
    "lineage",
    """
    CREATE TABLE lineage (
        frame_id INTEGER NOT NULL,
        from_article VARCHAR NOT NULL,
        to_article VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        score FLOAT NOT NULL,
        evidence VARCHAR,
        PRIMARY KEY (frame_id, to_article)
    );
    CREATE VIEW frame_edges AS
    SELECT l.frame_id, l.from_article, l.to_article, l.kind, l.score, l.evidence,
           fo.name AS from_outlet, t.name AS to_outlet, fa.published_at AS from_published_at,
           ta.published_at AS to_published_at
    FROM lineage l
    JOIN frames f USING (frame_id)
    JOIN articles fa ON fa.article_id = l.from_article JOIN outlets fo ON fo.outlet_id = fa.outlet_id
    JOIN articles ta ON ta.article_id = l.to_article JOIN outlets t ON t.outlet_id = ta.outlet_id
    WHERE f.status = 'active';
    """,
))

MIGRATIONS.append((
    6,
    "outlet attributes",
    """
    ALTER TABLE outlets ADD COLUMN country VARCHAR;
    ALTER TABLE outlets ADD COLUMN language VARCHAR;
    ALTER TABLE outlets ADD COLUMN kind VARCHAR;
    ALTER TABLE outlets ADD COLUMN lean VARCHAR;
    ALTER TABLE outlets ADD COLUMN groups VARCHAR[] DEFAULT [];
    """,
))

MIGRATIONS.append((
    7,
    "frame articles with their copy status",
    """
    CREATE VIEW frame_articles_copies AS
    SELECT fa.*, c.original_id, c.original_id IS NULL AS independent
    FROM frame_articles fa LEFT JOIN copies c USING (article_id);
    """,
))

MIGRATIONS.append((
    8,
    "evidence cues and ledger",
    """
    CREATE TABLE cues (
        text_hash VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        subtype VARCHAR NOT NULL,
        start_char INTEGER NOT NULL,
        end_char INTEGER NOT NULL,
        span VARCHAR NOT NULL,
        source VARCHAR
    );
    CREATE TABLE cued_texts (text_hash VARCHAR PRIMARY KEY, rules INTEGER NOT NULL);
    CREATE TABLE evidence_items (
        frame_id INTEGER NOT NULL,
        passage_id VARCHAR NOT NULL,
        article_id VARCHAR NOT NULL,
        published_at TIMESTAMP NOT NULL,
        keys VARCHAR[] NOT NULL,
        strength VARCHAR NOT NULL,
        description VARCHAR NOT NULL,
        is_new BOOLEAN NOT NULL,
        repeat_of VARCHAR,
        similarity FLOAT,
        how VARCHAR NOT NULL,
        PRIMARY KEY (frame_id, passage_id)
    );
    CREATE VIEW evidence_cues AS
    SELECT p.passage_id, p.article_id, c.kind, c.subtype, c.span, c.source, c.start_char, c.end_char
    FROM passages p JOIN cues c USING (text_hash)
    UNION ALL
    SELECT p.passage_id, p.article_id, 'attribution', 'none', '', NULL, 0, 0
    FROM passages p JOIN cued_texts t USING (text_hash)
    WHERE NOT EXISTS (SELECT 1 FROM cues c WHERE c.text_hash = p.text_hash AND c.kind = 'attribution');
    CREATE VIEW article_support AS
    SELECT p.article_id,
           bool_or(c.kind = 'attribution' AND c.subtype = 'anonymous') AS anonymous,
           bool_or(c.kind = 'material' OR (c.kind = 'attribution' AND c.subtype IN ('named', 'outlet'))) AS attributed
    FROM passages p JOIN cues c USING (text_hash)
    GROUP BY p.article_id;
    CREATE VIEW frame_evidence AS
    WITH days AS (
        SELECT fa.frame_id, CAST(fa.published_at AS DATE) AS day, count(*) AS articles,
               count(*) FILTER (WHERE s.anonymous AND NOT s.attributed) AS anonymous_only
        FROM frame_articles fa LEFT JOIN article_support s USING (article_id)
        GROUP BY ALL
    ), items AS (
        SELECT frame_id, CAST(published_at AS DATE) AS day,
               count(*) FILTER (WHERE is_new AND strength = 'evidence') AS new_evidence,
               count(*) FILTER (WHERE NOT is_new AND strength = 'evidence') AS repeated_evidence
        FROM evidence_items GROUP BY ALL
    )
    SELECT d.frame_id, d.day, d.articles, coalesce(i.new_evidence, 0) AS new_evidence,
           coalesce(i.repeated_evidence, 0) AS repeated_evidence,
           round(d.anonymous_only / d.articles, 3) AS anonymous_share
    FROM days d LEFT JOIN items i USING (frame_id, day);
    """,
))

MIGRATIONS.append((
    9,
    "hyperlinks from raw HTML",
    """
    CREATE TABLE article_links (
        article_id VARCHAR NOT NULL,
        url VARCHAR NOT NULL,
        canonical_url VARCHAR,
        anchor VARCHAR,
        PRIMARY KEY (article_id, url)
    );
    """,
))

MIGRATIONS.append((
    10,
    "frame edits (rename, merge, retire, restore) and frame history",
    """
    CREATE SEQUENCE frame_edit_ids;
    CREATE TABLE frame_edits (
        edit_id BIGINT PRIMARY KEY DEFAULT nextval('frame_edit_ids'),
        frame_id INTEGER NOT NULL,
        action VARCHAR NOT NULL,
        value VARCHAR,
        into_frame INTEGER,
        edited_at TIMESTAMP NOT NULL
    );
    CREATE TABLE frame_history (
        frame_id INTEGER NOT NULL,
        happened_at TIMESTAMP NOT NULL,
        run_id BIGINT,
        event VARCHAR NOT NULL,
        other_frame_id INTEGER,
        detail VARCHAR
    );
    CREATE VIEW frame_merges AS
    SELECT frame_id, into_frame FROM (
        SELECT frame_id, action, into_frame,
               row_number() OVER (PARTITION BY frame_id ORDER BY edit_id DESC) AS rn
        FROM frame_edits WHERE action IN ('merge', 'restore'))
    WHERE rn = 1 AND action = 'merge';
    CREATE VIEW resolved_passage_frames AS
    SELECT coalesce(m.into_frame, pf.frame_id) AS frame_id, pf.passage_id, max(pf.score) AS score,
           min(pf.match) AS match
    FROM passage_frames pf LEFT JOIN frame_merges m USING (frame_id)
    GROUP BY ALL;
    CREATE VIEW resolved_article_frames AS
    SELECT coalesce(m.into_frame, af.frame_id) AS frame_id, af.article_id, max(af.score) AS score,
           sum(af.passages) AS passages
    FROM article_frames af LEFT JOIN frame_merges m USING (frame_id)
    GROUP BY ALL;
    CREATE OR REPLACE VIEW frame_articles AS
    SELECT af.frame_id, a.article_id, a.url, o.name AS outlet, a.published_at, af.score,
           af.passages, a.title
    FROM resolved_article_frames af
    JOIN frames f USING (frame_id)
    JOIN articles a USING (article_id)
    JOIN outlets o USING (outlet_id)
    WHERE f.status = 'active';
    CREATE OR REPLACE VIEW frame_passages AS
    SELECT pf.frame_id, p.passage_id, p.article_id, p.part, p.start_char, p.end_char, p.text,
           pf.score, a.url, o.name AS outlet, a.published_at, a.title, pf.match
    FROM resolved_passage_frames pf
    JOIN frames f USING (frame_id)
    JOIN passages p USING (passage_id)
    JOIN articles a USING (article_id)
    JOIN outlets o USING (outlet_id)
    WHERE f.status = 'active';
    """,
))

MIGRATIONS.append((
    11,
    "fingerprints of each frame's inputs to lineage and evidence",
    """
    CREATE TABLE frame_inputs (
        stage VARCHAR NOT NULL,
        frame_id INTEGER NOT NULL,
        fingerprint UBIGINT NOT NULL,
        PRIMARY KEY (stage, frame_id)
    );
    """,
))

MIGRATIONS.append((
    12,
    "stories: the event or topic a set of frames belongs to",
    """
    CREATE SEQUENCE story_ids;
    CREATE TABLE stories (
        story_id INTEGER PRIMARY KEY,
        status VARCHAR NOT NULL,
        created_run BIGINT,
        last_run BIGINT
    );
    CREATE TABLE story_frames (
        frame_id INTEGER PRIMARY KEY,
        story_id INTEGER NOT NULL
    );
    CREATE VIEW story_summary AS
    WITH members AS (
        SELECT sf.story_id, f.frame_id, coalesce(f.user_label, f.label) AS label
        FROM frames f JOIN story_frames sf USING (frame_id) JOIN stories s USING (story_id)
        WHERE f.status = 'active' AND s.status = 'active'
    ), frame_size AS (
        SELECT m.story_id, m.frame_id, m.label, count(fa.article_id) AS articles
        FROM members m LEFT JOIN frame_articles fa USING (frame_id) GROUP BY ALL
    ), largest AS (
        SELECT story_id, frame_id, label,
               row_number() OVER (PARTITION BY story_id ORDER BY articles DESC, frame_id) AS rn
        FROM frame_size
    ), agg AS (
        SELECT m.story_id, count(DISTINCT m.frame_id) AS frames, count(DISTINCT fa.article_id) AS articles,
               count(DISTINCT fa.outlet) AS outlets, min(fa.published_at) AS first_seen,
               max(fa.published_at) AS last_seen
        FROM members m LEFT JOIN frame_articles fa USING (frame_id) GROUP BY m.story_id
    )
    SELECT a.story_id, l.label, l.frame_id AS largest_frame_id, a.frames, a.articles, a.outlets,
           a.first_seen, a.last_seen
    FROM agg a JOIN largest l ON l.story_id = a.story_id AND l.rn = 1;
    """,
))

MIGRATIONS.append((
    13,
    "onsets: core and precursor articles, where each date came from, date flags and corrections",
    """
    ALTER TABLE articles ADD COLUMN IF NOT EXISTS date_source VARCHAR DEFAULT 'unknown';
    ALTER TABLE articles ADD COLUMN IF NOT EXISTS original_published_at TIMESTAMP;
    CREATE SEQUENCE date_correction_ids;
    CREATE TABLE date_corrections (
        correction_id BIGINT PRIMARY KEY DEFAULT nextval('date_correction_ids'),
        canonical_url VARCHAR NOT NULL,
        url VARCHAR NOT NULL,
        published_at TIMESTAMP NOT NULL,
        note VARCHAR,
        corrected_by VARCHAR,
        corrected_at TIMESTAMP NOT NULL
    );
    CREATE TABLE date_flags (
        article_id VARCHAR NOT NULL,
        frame_id INTEGER,
        reason VARCHAR NOT NULL,
        detail VARCHAR
    );
    CREATE TABLE frame_onsets (
        frame_id INTEGER PRIMARY KEY,
        onset_article_id VARCHAR,
        onset_at TIMESTAMP,
        onset_outlet VARCHAR,
        basis VARCHAR NOT NULL,
        core_threshold FLOAT,
        core_articles INTEGER NOT NULL,
        precursors INTEGER NOT NULL,
        flagged INTEGER NOT NULL
    );
    CREATE TABLE frame_article_roles (
        frame_id INTEGER NOT NULL,
        article_id VARCHAR NOT NULL,
        role VARCHAR NOT NULL,
        score FLOAT,
        core BOOLEAN NOT NULL,
        date_flagged BOOLEAN NOT NULL,
        counts BOOLEAN NOT NULL,
        PRIMARY KEY (frame_id, article_id)
    );
    CREATE VIEW frame_precursors AS
    SELECT r.frame_id, a.article_id, a.url, o.name AS outlet, a.published_at, r.score, r.core,
           r.date_flagged, a.title, fo.onset_at,
           date_diff('day', a.published_at, fo.onset_at) AS days_before_onset
    FROM frame_article_roles r
    JOIN frames f USING (frame_id)
    JOIN frame_onsets fo USING (frame_id)
    JOIN articles a USING (article_id)
    JOIN outlets o USING (outlet_id)
    WHERE r.role = 'precursor' AND f.status = 'active';
    """,
))

MIGRATIONS.append((
    14,
    "stance of each article toward each frame; spread claims read only articles that carry the frame",
    """
    CREATE TABLE article_stance (
        frame_id INTEGER NOT NULL,
        article_id VARCHAR NOT NULL,
        stance VARCHAR NOT NULL,
        rule VARCHAR NOT NULL,
        passage_id VARCHAR,
        cue_text VARCHAR,
        cue_passage_id VARCHAR,
        cue_start INTEGER,
        cue_end INTEGER,
        speaker VARCHAR,
        PRIMARY KEY (frame_id, article_id)
    );
    CREATE OR REPLACE VIEW frame_articles AS
    SELECT af.frame_id, a.article_id, a.url, o.name AS outlet, a.published_at, af.score,
           af.passages, a.title, s.stance
    FROM resolved_article_frames af
    JOIN frames f USING (frame_id)
    JOIN articles a USING (article_id)
    JOIN outlets o USING (outlet_id)
    LEFT JOIN article_stance s ON s.frame_id = af.frame_id AND s.article_id = af.article_id
    WHERE f.status = 'active';
    -- The one place that says which articles count for a frame's spread claims (first seen, first movers,
    -- adoption order and lag, lineage, counts): those that use or report the frame, not its rebuttals.
    CREATE VIEW frame_claim_articles AS
    SELECT * FROM frame_articles_copies WHERE stance IS DISTINCT FROM 'rebuts';
    CREATE OR REPLACE VIEW frame_timeline AS
    SELECT frame_id, outlet, CAST(published_at AS DATE) AS day,
           count(*) FILTER (WHERE stance IS DISTINCT FROM 'rebuts') AS articles,
           count(*) FILTER (WHERE stance = 'rebuts') AS rebuttals
    FROM frame_articles
    GROUP BY ALL;
    CREATE OR REPLACE VIEW frame_summary AS
    WITH ranked AS (
        SELECT *, row_number() OVER (PARTITION BY frame_id ORDER BY published_at, article_id) AS rn
        FROM frame_claim_articles
    ), agg AS (
        SELECT frame_id, count(*) AS articles, count(DISTINCT outlet) AS outlets,
               min(published_at) AS first_seen, max(published_at) AS last_seen
        FROM frame_claim_articles GROUP BY frame_id
    ), reb AS (
        SELECT frame_id, count(*) AS rebuttals FROM frame_articles WHERE stance = 'rebuts' GROUP BY frame_id
    )
    SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind,
           coalesce(agg.articles, 0) AS articles, coalesce(agg.outlets, 0) AS outlets,
           agg.first_seen, r.outlet AS first_outlet, r.article_id AS first_article_id,
           agg.last_seen, f.exemplar_passage_id, coalesce(reb.rebuttals, 0) AS rebuttals
    FROM frames f
    LEFT JOIN agg USING (frame_id)
    LEFT JOIN ranked r ON r.frame_id = f.frame_id AND r.rn = 1
    LEFT JOIN reb ON reb.frame_id = f.frame_id
    WHERE f.status = 'active';
    CREATE OR REPLACE VIEW frame_spread AS
    WITH start AS (
        SELECT frame_id, min(published_at) AS frame_first_seen FROM frame_claim_articles GROUP BY frame_id
    ), per_outlet AS (
        SELECT frame_id, outlet, min(published_at) AS first_seen, count(*) AS articles,
               count(*) FILTER (WHERE independent) AS independent_articles
        FROM frame_claim_articles GROUP BY frame_id, outlet
    ), adopted AS (
        SELECT p.frame_id, p.outlet, p.first_seen,
               round(date_diff('second', s.frame_first_seen, p.first_seen) / 3600.0, 1) AS lag_hours,
               p.articles, p.independent_articles,
               row_number() OVER (PARTITION BY p.frame_id ORDER BY p.first_seen, p.outlet) AS adoption_rank
        FROM per_outlet p JOIN start s USING (frame_id)
    ), reb AS (
        SELECT frame_id, outlet, count(*) AS rebuttals FROM frame_articles WHERE stance = 'rebuts' GROUP BY ALL
    )
    SELECT frame_id, outlet, a.first_seen, a.lag_hours, coalesce(a.articles, 0) AS articles,
           coalesce(a.independent_articles, 0) AS independent_articles, a.adoption_rank,
           coalesce(r.rebuttals, 0) AS rebuttals
    FROM adopted a FULL OUTER JOIN reb r USING (frame_id, outlet);
    """,
))

MIGRATIONS.append((
    15,
    "why each evidence item counts for its frame",
    """
    ALTER TABLE evidence_items ADD COLUMN IF NOT EXISTS scope VARCHAR;
    """,
))

MIGRATIONS.append((
    16,
    "the sentence shown beside a frame's label",
    """
    ALTER TABLE frames ADD COLUMN IF NOT EXISTS exemplar_sentence VARCHAR;
    """,
))

MIGRATIONS.append((
    17,
    "spread claims rest on the core from each frame's onset on, besides leaving rebuttals out",
    """
    -- The articles that carry a frame (use or report it, not its rebuttals: app.frames.stance) are what
    -- counts count; of those, the one place that says which a frame's spread claims rest on (first seen,
    -- first outlet, first movers, adoption order and lag, lineage) is frame_claim_articles: the frame's core
    -- from its onset on whose dates are not flagged (app.frames.onsets decides ``counts``; articles the
    -- onsets stage has not seen yet count).
    CREATE OR REPLACE VIEW frame_carrying_articles AS
    SELECT * FROM frame_articles_copies WHERE stance IS DISTINCT FROM 'rebuts';
    CREATE OR REPLACE VIEW frame_claim_articles AS
    SELECT fa.*
    FROM frame_carrying_articles fa LEFT JOIN frame_article_roles r USING (frame_id, article_id)
    WHERE coalesce(r.counts, TRUE);
    CREATE OR REPLACE VIEW frame_summary AS
    WITH ranked AS (
        SELECT *, row_number() OVER (PARTITION BY frame_id ORDER BY published_at, article_id) AS rn
        FROM frame_claim_articles
    ), agg AS (
        SELECT frame_id, count(*) AS articles, count(DISTINCT outlet) AS outlets, max(published_at) AS last_seen
        FROM frame_carrying_articles GROUP BY frame_id
    ), firsts AS (
        SELECT frame_id, min(published_at) AS first_seen FROM frame_claim_articles GROUP BY frame_id
    ), reb AS (
        SELECT frame_id, count(*) AS rebuttals FROM frame_articles WHERE stance = 'rebuts' GROUP BY frame_id
    )
    SELECT f.frame_id, coalesce(f.user_label, f.label) AS label, f.kind,
           coalesce(agg.articles, 0) AS articles, coalesce(agg.outlets, 0) AS outlets,
           firsts.first_seen, r.outlet AS first_outlet, r.article_id AS first_article_id,
           agg.last_seen, f.exemplar_passage_id, coalesce(reb.rebuttals, 0) AS rebuttals,
           fo.basis AS onset_basis, fo.precursors, fo.flagged AS flagged_dates, sf.story_id
    FROM frames f
    LEFT JOIN agg USING (frame_id)
    LEFT JOIN firsts USING (frame_id)
    LEFT JOIN ranked r ON r.frame_id = f.frame_id AND r.rn = 1
    LEFT JOIN reb ON reb.frame_id = f.frame_id
    LEFT JOIN frame_onsets fo ON fo.frame_id = f.frame_id
    LEFT JOIN story_frames sf ON sf.frame_id = f.frame_id
    WHERE f.status = 'active';
    -- Stories (migration 12) count, like frames, the articles that carry their frames.
    CREATE OR REPLACE VIEW story_summary AS
    WITH members AS (
        SELECT sf.story_id, f.frame_id, coalesce(f.user_label, f.label) AS label
        FROM frames f JOIN story_frames sf USING (frame_id) JOIN stories s USING (story_id)
        WHERE f.status = 'active' AND s.status = 'active'
    ), frame_size AS (
        SELECT m.story_id, m.frame_id, m.label, count(fa.article_id) AS articles
        FROM members m LEFT JOIN frame_carrying_articles fa USING (frame_id) GROUP BY ALL
    ), largest AS (
        SELECT story_id, frame_id, label,
               row_number() OVER (PARTITION BY story_id ORDER BY articles DESC, frame_id) AS rn
        FROM frame_size
    ), agg AS (
        SELECT m.story_id, count(DISTINCT m.frame_id) AS frames, count(DISTINCT fa.article_id) AS articles,
               count(DISTINCT fa.outlet) AS outlets, min(fa.published_at) AS first_seen,
               max(fa.published_at) AS last_seen
        FROM members m LEFT JOIN frame_carrying_articles fa USING (frame_id) GROUP BY m.story_id
    )
    SELECT a.story_id, l.label, l.frame_id AS largest_frame_id, a.frames, a.articles, a.outlets,
           a.first_seen, a.last_seen
    FROM agg a JOIN largest l ON l.story_id = a.story_id AND l.rn = 1;
    """,
))

MIGRATIONS.append((
    18,
    "frame_evidence counts the articles that carry the frame, as the dashboard does",
    """
    CREATE OR REPLACE VIEW frame_evidence AS
    WITH days AS (
        SELECT fa.frame_id, CAST(fa.published_at AS DATE) AS day, count(*) AS articles,
               count(*) FILTER (WHERE s.anonymous AND NOT s.attributed) AS anonymous_only
        FROM frame_carrying_articles fa LEFT JOIN article_support s USING (article_id)
        GROUP BY ALL
    ), items AS (
        SELECT e.frame_id, CAST(e.published_at AS DATE) AS day,
               count(*) FILTER (WHERE e.is_new AND e.strength = 'evidence') AS new_evidence,
               count(*) FILTER (WHERE NOT e.is_new AND e.strength = 'evidence') AS repeated_evidence
        FROM evidence_items e SEMI JOIN frame_articles fa ON fa.frame_id = e.frame_id AND fa.article_id = e.article_id
        GROUP BY ALL
    )
    SELECT frame_id, day, coalesce(d.articles, 0) AS articles, coalesce(i.new_evidence, 0) AS new_evidence,
           coalesce(i.repeated_evidence, 0) AS repeated_evidence,
           round(coalesce(d.anonymous_only, 0) / greatest(d.articles, 1), 3) AS anonymous_share
    FROM days d FULL OUTER JOIN items i USING (frame_id, day);
    """,
))

PUBLIC_VIEWS = ("frame_summary", "frame_articles", "frame_timeline", "frame_passages", "frame_spread",
                "frame_edges", "evidence_cues", "frame_evidence", "frame_claim_articles", "frame_precursors",
                "story_summary", "fetch_log", "seeded_frame_rules")

MIGRATIONS.append((
    19,
    "collection: every fetch with its outcome, feeds' conditional-request state, articles' authors",
    """
    CREATE SEQUENCE fetch_ids;
    CREATE TABLE fetches (
        fetch_id BIGINT PRIMARY KEY DEFAULT nextval('fetch_ids'),
        run_id BIGINT,
        source VARCHAR,
        url VARCHAR NOT NULL,
        canonical_url VARCHAR,
        kind VARCHAR NOT NULL,
        outcome VARCHAR NOT NULL,
        status INTEGER,
        reason VARCHAR,
        retry BOOLEAN NOT NULL DEFAULT false,
        final_url VARCHAR,
        bytes BIGINT,
        attempts INTEGER,
        seconds DOUBLE,
        article_id VARCHAR,
        fetched_at TIMESTAMP NOT NULL
    );
    CREATE INDEX fetches_canonical ON fetches(canonical_url);
    CREATE TABLE feed_state (
        feed_url VARCHAR PRIMARY KEY,
        title VARCHAR,
        etag VARCHAR,
        last_modified VARCHAR,
        checked_at TIMESTAMP
    );
    ALTER TABLE articles ADD COLUMN IF NOT EXISTS author VARCHAR;
    ALTER TABLE articles ADD COLUMN IF NOT EXISTS published_utc_offset INTEGER;
    """,
))

MIGRATIONS.append((
    20,
    "the public fetch log",
    """
    CREATE VIEW fetch_log AS
    SELECT f.fetch_id, f.run_id, f.source, f.url, f.final_url, f.kind, f.outcome, f.status, f.reason, f.retry,
           f.bytes, f.attempts, f.seconds, f.article_id, f.fetched_at
    FROM fetches f;
    """,
))

MIGRATIONS.append((
    21,
    "seeded frames record how they decide and their precision estimated on their examples",
    """
    ALTER TABLE frames ADD COLUMN match_rule VARCHAR;
    ALTER TABLE frames ADD COLUMN match_combine VARCHAR;
    ALTER TABLE frames ADD COLUMN est_precision FLOAT;
    ALTER TABLE frames ADD COLUMN est_recall FLOAT;
    ALTER TABLE frames ADD COLUMN examples_in INTEGER;
    ALTER TABLE frames ADD COLUMN examples_out INTEGER;
    CREATE VIEW seeded_frame_rules AS
    SELECT frame_id, label, seed_name, status, coalesce(match_rule, 'phrases') AS match_rule,
           match_combine, threshold, est_precision, est_recall, examples_in, examples_out
    FROM frames WHERE kind = 'seeded';
    """,
))

MIGRATIONS.append((
    22,
    "the review queue of each seeded frame: the articles nearest its decision boundary",
    """
    CREATE TABLE seed_review (
        frame_id INTEGER NOT NULL,
        article_id VARCHAR NOT NULL,
        passage_id VARCHAR NOT NULL,
        score FLOAT NOT NULL,
        threshold FLOAT NOT NULL,
        matched BOOLEAN NOT NULL,
        PRIMARY KEY (frame_id, article_id)
    );
    """,
))

MIGRATIONS.append((
    23,
    "where each frame's per-frame rows were written up to, so that a frame that only gained later articles "
    "is extended; which articles' own dates have been checked",
    """
    ALTER TABLE frame_inputs ADD COLUMN IF NOT EXISTS mark VARCHAR;
    CREATE TABLE date_checks (
        article_id VARCHAR PRIMARY KEY,
        fingerprint UBIGINT NOT NULL
    );
    """,
))

MIGRATIONS.append((
    24,
    "each article body's MinHash signature, kept so that a build hashes only bodies it has not seen",
    """
    CREATE TABLE body_signatures (
        article_id VARCHAR PRIMARY KEY,
        scheme VARCHAR NOT NULL,
        shingles INTEGER NOT NULL,
        signature UINTEGER[] NOT NULL
    );
    """,
))

MIGRATIONS.append((
    25,
    "vectors move out of the database into immutable Parquet segments beside it (<db>.vectors), listed in "
    "vector_segments, so that a write no longer copies every vector",
    migrate_table,
))

MIGRATIONS.append((
    26,
    "the copy pairs the copies stage found, and which articles they account for, so that an update compares "
    "only its new articles with the archive",
    """
    CREATE TABLE copy_pairs (
        a VARCHAR NOT NULL,
        b VARCHAR NOT NULL,
        jaccard FLOAT NOT NULL,
        method VARCHAR NOT NULL
    );
    CREATE TABLE copy_accounted (
        article_id VARCHAR NOT NULL
    );
    """,
))

MIGRATIONS.append((
    27,
    "what the frames stage measures of each passage once (its anchoring in its article, its shape for the "
    "template rule) and the sum of each model's passage vectors, so that an update reads only the new passages",
    """
    CREATE TABLE passage_anchoring (
        model VARCHAR NOT NULL,
        passage_id VARCHAR NOT NULL,
        anchoring FLOAT
    );
    CREATE TABLE passage_shapes (
        passage_id VARCHAR NOT NULL,
        shape VARCHAR NOT NULL,
        text_key VARCHAR NOT NULL,
        judged BOOLEAN NOT NULL
    );
    CREATE TABLE vector_sums (
        model VARCHAR NOT NULL,
        passages BIGINT NOT NULL,
        total DOUBLE[] NOT NULL
    );
    """,
))

MIGRATIONS.append((
    28,
    "each seeded frame's learned rule, kept with the key of what it was fitted from (the model, how passages "
    "combine, its examples' labels and vectors), so that a rule is fitted when its seed changes, not on every "
    "build, and an update matches only the new articles",
    """
    CREATE TABLE seed_rules (
        frame_id INTEGER PRIMARY KEY,
        key VARCHAR NOT NULL,
        weights FLOAT[] NOT NULL,
        bias DOUBLE NOT NULL,
        threshold DOUBLE NOT NULL,
        combine VARCHAR NOT NULL,
        est_precision DOUBLE,
        est_recall DOUBLE,
        examples_in INTEGER NOT NULL,
        examples_out INTEGER NOT NULL
    );
    """,
))

MIGRATIONS.append((
    29,
    "when each seeded frame's learned rule was fitted and how many passages the archive held then (its "
    "background was drawn from them), so a build can say when the archive has grown much since",
    """
    ALTER TABLE seed_rules ADD COLUMN IF NOT EXISTS fitted_passages BIGINT;
    ALTER TABLE seed_rules ADD COLUMN IF NOT EXISTS fitted_at TIMESTAMP;
    """,
))

MIGRATIONS.append((
    30,
    "whether a passage's shape is short enough to be judged as page furniture (the template rule's short kind); "
    "NULL for shapes kept before it, which the frames stage makes again once",
    """
    ALTER TABLE passage_shapes ADD COLUMN IF NOT EXISTS short BOOLEAN;
    """,
))

MIGRATIONS.append((
    31,
    "which version of the template rule made each kept passage shape (NULL: before this), so that a shape "
    "made by an earlier rule is made again by the next build; and the keys of a short passage's quotation "
    "shape and of its quotations (stock quotes)",
    """
    ALTER TABLE passage_shapes ADD COLUMN IF NOT EXISTS rule SMALLINT;
    ALTER TABLE passage_shapes ADD COLUMN IF NOT EXISTS quote_shape VARCHAR;
    ALTER TABLE passage_shapes ADD COLUMN IF NOT EXISTS quote_key VARCHAR;
    """,
))

MIGRATIONS.append((
    32,
    "each kept passage shape's outlet (its article's), so that the template rule counts a shape's outlets from "
    "this table alone instead of joining every passage and article (filled here for the shapes kept before)",
    """
    ALTER TABLE passage_shapes ADD COLUMN IF NOT EXISTS outlet_id VARCHAR;
    UPDATE passage_shapes SET outlet_id = o.outlet_id
    FROM (SELECT p.passage_id, a.outlet_id FROM passages p JOIN articles a USING (article_id)) o
    WHERE o.passage_id = passage_shapes.passage_id;
    """,
))

MIGRATIONS.append((
    33,
    "each cued text's signature of its cues (their hashes combined, their number) and whether a cue makes it "
    "evidence the ledger reads, kept when it is cued, so that the stance and evidence stages' plans read one row "
    "a text instead of grouping every cue each week (filled here for the texts cued before)",
    """
    ALTER TABLE cued_texts ADD COLUMN IF NOT EXISTS cue_sum UBIGINT;
    ALTER TABLE cued_texts ADD COLUMN IF NOT EXISTS cue_count BIGINT;
    ALTER TABLE cued_texts ADD COLUMN IF NOT EXISTS ledger BOOLEAN;
    UPDATE cued_texts SET cue_sum = s.cue_sum, cue_count = s.cue_count, ledger = s.ledger
    FROM (SELECT text_hash,
                 bit_xor(hash(kind, subtype, start_char, end_char, span, coalesce(source, ''))) AS cue_sum,
                 count(*) AS cue_count,
                 bool_or(kind = 'material' OR subtype IN ('named', 'anonymous', 'confirms', 'denies')) AS ledger
          FROM cues GROUP BY text_hash) s
    WHERE s.text_hash = cued_texts.text_hash;
    UPDATE cued_texts SET ledger = false WHERE ledger IS NULL;
    """,
))
