-- Processing: each consumer's lease (one process runs it at a time) and its dead letters.
ALTER TABLE consumer_cursors ADD COLUMN lease_owner TEXT;
ALTER TABLE consumer_cursors ADD COLUMN lease_until INTEGER;

CREATE TABLE consumer_dead_letters (
    consumer     TEXT    NOT NULL,
    position     INTEGER NOT NULL,
    event_type   TEXT    NOT NULL,
    error        TEXT    NOT NULL,
    attempts     INTEGER NOT NULL,
    failed_at    INTEGER NOT NULL,   -- Unix ms
    retried_at   INTEGER,
    resolved_at  INTEGER,            -- set when `coliseum deadletter retry` applied it
    PRIMARY KEY (consumer, position)
);

-- One row per metric contribution: an event's primary row (metric_type = event type; value 1 for counts,
-- cents for money, weight for votes) and derived rows such as player.listening_seconds.
CREATE TABLE coliseum_metrics (
    position      INTEGER NOT NULL,   -- the log entry it came from
    seq           INTEGER NOT NULL,   -- 0 for the primary row, then derived rows
    metric_type   TEXT    NOT NULL,
    metric_value  INTEGER NOT NULL,
    currency      TEXT,               -- money metrics only: never summed across currencies
    user_id       TEXT,
    artist_id     TEXT,
    track_id      TEXT,
    event_id      TEXT,
    city          TEXT,
    playlist_id   TEXT,
    entity_type   TEXT,
    entity_id     TEXT,
    metadata      TEXT,               -- the event's fields on primary rows
    timestamp     INTEGER NOT NULL,   -- Unix ms, the event's (skew-corrected) time
    PRIMARY KEY (position, seq)
) WITHOUT ROWID;

-- Per metric, entity and bucket: how many contributions, their sum, and how many distinct users.
-- entity_type 'all' (entity_id '') is the whole platform; currency '' for non-money metrics.
CREATE TABLE coliseum_rollups (
    metric_type   TEXT    NOT NULL,
    entity_type   TEXT    NOT NULL,
    entity_id     TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    bucket        TEXT    NOT NULL,   -- hour | day
    bucket_start  INTEGER NOT NULL,   -- Unix ms; days start at midnight in the configured time zone
    count         INTEGER NOT NULL,
    sum           INTEGER NOT NULL,
    users         INTEGER NOT NULL,
    PRIMARY KEY (metric_type, entity_type, entity_id, currency, bucket, bucket_start)
) WITHOUT ROWID;

-- Who has been counted in each rollup's distinct users (not kept for user rollups: that is always 1), as
-- 64-bit FNV-1a hashes of the rollup's key and of the user id (StableHash): small rows, cheap inserts.
-- bucket_start leads the key so a batch's inserts land together (events arrive roughly in time order).
CREATE TABLE coliseum_rollup_users (
    bucket_start  INTEGER NOT NULL,
    rollup_hash   INTEGER NOT NULL,
    user_hash     INTEGER NOT NULL,
    PRIMARY KEY (bucket_start, rollup_hash, user_hash)
) WITHOUT ROWID;

-- Every entity's score on every board, window bucket and scope ('' = the whole board).
CREATE TABLE coliseum_leaderboard_scores (
    leaderboard_id  TEXT    NOT NULL,
    time_window     TEXT    NOT NULL,   -- all_time | day | week | month
    bucket_start    INTEGER NOT NULL,   -- 0 for all_time
    scope           TEXT    NOT NULL,
    entity_id       TEXT    NOT NULL,
    score           INTEGER NOT NULL,
    PRIMARY KEY (leaderboard_id, time_window, bucket_start, scope, entity_id)
) WITHOUT ROWID;
CREATE INDEX ix_leaderboard_scores_rank ON coliseum_leaderboard_scores (leaderboard_id, time_window, bucket_start, scope, score DESC, entity_id);

-- When each board bucket last changed (the newest contributing event's receive time).
CREATE TABLE coliseum_leaderboard_windows (
    leaderboard_id  TEXT    NOT NULL,
    time_window     TEXT    NOT NULL,
    bucket_start    INTEGER NOT NULL,
    scope           TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL,
    PRIMARY KEY (leaderboard_id, time_window, bucket_start, scope)
) WITHOUT ROWID;

-- The materialised top N of each board bucket: what useColiseum({leaderboardId}) reads.
CREATE TABLE coliseum_leaderboards (
    leaderboard_id  TEXT    NOT NULL,
    time_window     TEXT    NOT NULL,
    bucket_start    INTEGER NOT NULL,
    scope           TEXT    NOT NULL,
    rank            INTEGER NOT NULL,   -- 1..N; ties broken by entity_id
    entity_type     TEXT    NOT NULL,
    entity_id       TEXT    NOT NULL,
    entity_name     TEXT    NOT NULL,   -- from coliseum_entities, else the id
    score           INTEGER NOT NULL,
    updated_at      INTEGER,
    PRIMARY KEY (leaderboard_id, time_window, bucket_start, scope, rank)
);
CREATE INDEX ix_leaderboards_entity ON coliseum_leaderboards (entity_type, entity_id);

-- The entity directory: names from concierto.event_created, mediaid.artist_profile_updated,
-- player.playlist_created (source 'event'), or PUT /api/coliseum/entities (source 'api', which wins).
CREATE TABLE coliseum_entities (
    entity_type  TEXT    NOT NULL,
    entity_id    TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    source       TEXT    NOT NULL,   -- event | api
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (entity_type, entity_id)
);

-- Which artists play which event (event_created artistIds, artist_booked), to credit attendance.
CREATE TABLE artist_event_participation (
    event_id   TEXT    NOT NULL,
    artist_id  TEXT    NOT NULL,
    role       TEXT,                 -- headliner | support | guest, or NULL when only listed
    position   INTEGER NOT NULL,     -- the log entry that first linked them
    PRIMARY KEY (event_id, artist_id)
);
CREATE INDEX ix_participation_artist ON artist_event_participation (artist_id);

-- Each user's standing vote weight per event and artist, so a retraction subtracts exactly it.
CREATE TABLE coliseum_votes (
    user_id    TEXT    NOT NULL,
    event_id   TEXT    NOT NULL,
    artist_id  TEXT    NOT NULL,
    weight     INTEGER NOT NULL,
    PRIMARY KEY (user_id, event_id, artist_id)
) WITHOUT ROWID;
