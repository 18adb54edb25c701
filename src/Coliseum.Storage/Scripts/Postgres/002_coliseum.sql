-- PostgreSQL twin of Scripts/Sqlite/002_coliseum.sql: the same tables and columns (integers bigint, text compared
-- byte-wise with COLLATE "C" as SQLite does; SQLite's WITHOUT ROWID has no equivalent and needs none).

-- Processing: where each consumer has applied the log up to (SQLite makes this table in 001), each
-- consumer's lease (one process runs it at a time) and its dead letters.
CREATE TABLE consumer_cursors (
    name         text   COLLATE "C" PRIMARY KEY,
    position     bigint NOT NULL DEFAULT 0,
    updated_at   bigint,
    lease_owner  text   COLLATE "C",
    lease_until  bigint               -- Unix ms on the database server's clock
);
INSERT INTO consumer_cursors (name, position) VALUES ('coliseum', 0), ('treasury', 0), ('mediaid', 0);

CREATE TABLE consumer_dead_letters (
    consumer     text COLLATE "C"    NOT NULL,
    position     bigint NOT NULL,
    event_type   text COLLATE "C"    NOT NULL,
    error        text COLLATE "C"    NOT NULL,
    attempts     bigint NOT NULL,
    failed_at    bigint NOT NULL,   -- Unix ms
    retried_at   bigint,
    resolved_at  bigint,            -- set when `coliseum deadletter retry` applied it
    PRIMARY KEY (consumer, position)
);

-- One row per metric contribution: an event's primary row (metric_type = event type; value 1 for counts,
-- cents for money, weight for votes) and derived rows such as player.listening_seconds.
CREATE TABLE coliseum_metrics (
    position      bigint NOT NULL,   -- the log entry it came from
    seq           bigint NOT NULL,   -- 0 for the primary row, then derived rows
    metric_type   text COLLATE "C"    NOT NULL,
    metric_value  bigint NOT NULL,
    currency      text COLLATE "C",               -- money metrics only: never summed across currencies
    user_id       text COLLATE "C",
    artist_id     text COLLATE "C",
    track_id      text COLLATE "C",
    event_id      text COLLATE "C",
    city          text COLLATE "C",
    playlist_id   text COLLATE "C",
    entity_type   text COLLATE "C",
    entity_id     text COLLATE "C",
    metadata      text COLLATE "C",               -- the event's fields on primary rows
    timestamp     bigint NOT NULL,   -- Unix ms, the event's (skew-corrected) time
    PRIMARY KEY (position, seq)
);

-- Per metric, entity and bucket: how many contributions, their sum, and how many distinct users.
-- entity_type 'all' (entity_id '') is the whole platform; currency '' for non-money metrics.
CREATE TABLE coliseum_rollups (
    metric_type   text COLLATE "C"    NOT NULL,
    entity_type   text COLLATE "C"    NOT NULL,
    entity_id     text COLLATE "C"    NOT NULL,
    currency      text COLLATE "C"    NOT NULL,
    bucket        text COLLATE "C"    NOT NULL,   -- hour | day
    bucket_start  bigint NOT NULL,   -- Unix ms; days start at midnight in the configured time zone
    count         bigint NOT NULL,
    sum           bigint NOT NULL,
    users         bigint NOT NULL,
    PRIMARY KEY (metric_type, entity_type, entity_id, currency, bucket, bucket_start)
);

-- Who has been counted in each rollup's distinct users (not kept for user rollups: that is always 1), as
-- 64-bit FNV-1a hashes of the rollup's key and of the user id (StableHash): small rows, cheap inserts.
-- bucket_start leads the key so a batch's inserts land together (events arrive roughly in time order).
CREATE TABLE coliseum_rollup_users (
    bucket_start  bigint NOT NULL,
    rollup_hash   bigint NOT NULL,
    user_hash     bigint NOT NULL,
    PRIMARY KEY (bucket_start, rollup_hash, user_hash)
);

-- Every entity's score on every board, window bucket and scope ('' = the whole board).
CREATE TABLE coliseum_leaderboard_scores (
    leaderboard_id  text COLLATE "C"    NOT NULL,
    time_window     text COLLATE "C"    NOT NULL,   -- all_time | day | week | month
    bucket_start    bigint NOT NULL,   -- 0 for all_time
    scope           text COLLATE "C"    NOT NULL,
    entity_id       text COLLATE "C"    NOT NULL,
    score           bigint NOT NULL,
    PRIMARY KEY (leaderboard_id, time_window, bucket_start, scope, entity_id)
);
CREATE INDEX ix_leaderboard_scores_rank ON coliseum_leaderboard_scores (leaderboard_id, time_window, bucket_start, scope, score DESC, entity_id);

-- When each board bucket last changed (the newest contributing event's receive time).
CREATE TABLE coliseum_leaderboard_windows (
    leaderboard_id  text COLLATE "C"    NOT NULL,
    time_window     text COLLATE "C"    NOT NULL,
    bucket_start    bigint NOT NULL,
    scope           text COLLATE "C"    NOT NULL,
    updated_at      bigint NOT NULL,
    PRIMARY KEY (leaderboard_id, time_window, bucket_start, scope)
);

-- The materialised top N of each board bucket: what useColiseum({leaderboardId}) reads.
CREATE TABLE coliseum_leaderboards (
    leaderboard_id  text COLLATE "C"    NOT NULL,
    time_window     text COLLATE "C"    NOT NULL,
    bucket_start    bigint NOT NULL,
    scope           text COLLATE "C"    NOT NULL,
    rank            bigint NOT NULL,   -- 1..N; ties broken by entity_id
    entity_type     text COLLATE "C"    NOT NULL,
    entity_id       text COLLATE "C"    NOT NULL,
    entity_name     text COLLATE "C"    NOT NULL,   -- from coliseum_entities, else the id
    score           bigint NOT NULL,
    updated_at      bigint,
    PRIMARY KEY (leaderboard_id, time_window, bucket_start, scope, rank)
);
CREATE INDEX ix_leaderboards_entity ON coliseum_leaderboards (entity_type, entity_id);

-- The entity directory: names from concierto.event_created, mediaid.artist_profile_updated,
-- player.playlist_created (source 'event'), or PUT /api/coliseum/entities (source 'api', which wins).
CREATE TABLE coliseum_entities (
    entity_type  text COLLATE "C"    NOT NULL,
    entity_id    text COLLATE "C"    NOT NULL,
    name         text COLLATE "C"    NOT NULL,
    source       text COLLATE "C"    NOT NULL,   -- event | api
    updated_at   bigint NOT NULL,
    PRIMARY KEY (entity_type, entity_id)
);

-- Which artists play which event (event_created artistIds, artist_booked), to credit attendance.
CREATE TABLE artist_event_participation (
    event_id   text COLLATE "C"    NOT NULL,
    artist_id  text COLLATE "C"    NOT NULL,
    role       text COLLATE "C",                 -- headliner | support | guest, or NULL when only listed
    position   bigint NOT NULL,     -- the log entry that first linked them
    PRIMARY KEY (event_id, artist_id)
);
CREATE INDEX ix_participation_artist ON artist_event_participation (artist_id);

-- Each user's standing vote weight per event and artist, so a retraction subtracts exactly it.
CREATE TABLE coliseum_votes (
    user_id    text COLLATE "C"    NOT NULL,
    event_id   text COLLATE "C"    NOT NULL,
    artist_id  text COLLATE "C"    NOT NULL,
    weight     bigint NOT NULL,
    PRIMARY KEY (user_id, event_id, artist_id)
);
