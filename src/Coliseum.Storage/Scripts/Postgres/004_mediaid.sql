-- PostgreSQL twin of Scripts/Sqlite/004_mediaid.sql: the same tables and columns (integers bigint, text compared
-- byte-wise with COLLATE "C" as SQLite does; SQLite's WITHOUT ROWID has no equivalent and needs none).

-- The mediaid consumer: a profile per user (identity, traits, consent, preferences), the taste "DNA",
-- and the links from anonymous ids to users.
--
-- Profile keys: a userId as given; an event that carries only an anonymousId (and whose anonymousId is
-- not linked to a user yet) builds the profile 'anon:<anonymousId>'. When a passport.logged_in,
-- passport.identified or passport.signed_up event carries both ids, the anonymous id is linked to the
-- user (the first link wins), the 'anon:' profile (counts, first/last seen, traits, consent, DNA,
-- influence rows) is merged into the user's and deleted, and later anonymous-only events of that id go
-- straight to the user. A userId starting with 'anon:' is refused (dead-lettered): it would collide.

CREATE TABLE mediaid_profiles (
    user_id           text COLLATE "C"    PRIMARY KEY,   -- a userId, or 'anon:<anonymousId>' before a link
    first_seen        bigint NOT NULL,      -- Unix ms: the earliest occurred_at of its events
    last_seen         bigint NOT NULL,      -- Unix ms: the latest occurred_at of its events
    event_count       bigint NOT NULL,
    traits            text COLLATE "C"    NOT NULL,      -- JSON object: passport.identified traits, the later value of each key wins
    consent           text COLLATE "C"    NOT NULL,      -- JSON object: scope -> {"granted": bool, "at": Unix ms}
    preferences       text COLLATE "C"    NOT NULL,      -- JSON object: genres, languages, cities (each the latest given)
    signed_up_at      bigint,               -- Unix ms: the earliest passport.signed_up
    last_login_at     bigint,               -- Unix ms: the latest passport.logged_in
    field_positions   text COLLATE "C"    NOT NULL,      -- JSON {"traits":{key:position},"consent":{scope:position},"preferences":{field:position}}:
                                             -- the log entry that set each value, so a merge keeps the later one
    updated_position  bigint NOT NULL       -- the last log entry applied to this profile
);

-- Events per type per profile.
CREATE TABLE mediaid_profile_events (
    user_id     text COLLATE "C"    NOT NULL,
    event_type  text COLLATE "C"    NOT NULL,
    count       bigint NOT NULL,
    PRIMARY KEY (user_id, event_type)
);

-- Which user each anonymous id belongs to (the first link wins).
CREATE TABLE mediaid_identity_links (
    anonymous_id  text COLLATE "C"    PRIMARY KEY,
    user_id       text COLLATE "C"    NOT NULL,
    linked_at     bigint NOT NULL,   -- Unix ms: the linking event's occurred_at
    position      bigint NOT NULL    -- the linking log entry
);
CREATE INDEX ix_identity_links_user ON mediaid_identity_links (user_id);

-- Each artist's genres as the log last stated them (mediaid.artist_profile_updated genres[]).
CREATE TABLE mediaid_artist_genres (
    artist_id  text COLLATE "C"    NOT NULL,
    genre      text COLLATE "C"    NOT NULL,
    position   bigint NOT NULL,   -- the artist_profile_updated entry that set them
    PRIMARY KEY (artist_id, genre)
);

-- Taste: integer affinity points per profile for each artist and genre. Weights: track_played +1,
-- track_completed +2, track_skipped -1, track_liked +3, track_unliked -3, artist_followed +5,
-- artist_unfollowed -5; the artist and each of its genres (as known at that point of the log) get the
-- full weight. `events` counts the events that touched the row.
CREATE TABLE mediaid_dna (
    user_id  text COLLATE "C"    NOT NULL,
    kind     text COLLATE "C"    NOT NULL,   -- artist | genre
    key      text COLLATE "C"    NOT NULL,
    score    bigint NOT NULL,
    events   bigint NOT NULL,
    PRIMARY KEY (user_id, kind, key)
);

-- What each log entry did to the DNA, e.g. {"artist:a1":2,"genre:rock":2}; only entries that changed it.
CREATE TABLE mediaid_dna_influence (
    position   bigint PRIMARY KEY,
    user_id    text COLLATE "C"    NOT NULL,   -- the profile it now belongs to
    influence  text COLLATE "C"    NOT NULL
);
CREATE INDEX ix_dna_influence_user ON mediaid_dna_influence (user_id);

-- The platform's view of the log (SQLite makes it in 001 and remakes it here): the processed_by_* flags
-- are booleans read from the cursors, created_at and received_at are timestamptz, metadata is jsonb.
CREATE VIEW passport_entries AS
SELECT
    p.position                                                            AS id,
    p.position                                                            AS position,
    p.message_id                                                          AS message_id,
    p.user_id                                                             AS user_id,
    p.anonymous_id                                                        AS anonymous_id,
    p.session_id                                                          AS session_id,
    p.device_id                                                           AS device_id,
    p.event_type                                                          AS event_type,
    p.event_category                                                      AS event_category,
    p.entity_type                                                         AS entity_type,
    p.entity_id                                                           AS entity_id,
    p.metadata                                                            AS metadata,
    p.context                                                             AS context,
    p.position <= (SELECT c.position FROM consumer_cursors c WHERE c.name = 'mediaid')  AS processed_by_mediaid,
    p.position <= (SELECT c.position FROM consumer_cursors c WHERE c.name = 'treasury') AS processed_by_treasury,
    p.position <= (SELECT c.position FROM consumer_cursors c WHERE c.name = 'coliseum') AS processed_by_coliseum,
    i.influence                                                           AS dna_influence,
    to_timestamp(p.occurred_at / 1000.0)                                  AS created_at,
    to_timestamp(p.received_at / 1000.0)                                  AS received_at,
    p.source                                                              AS source,
    p.warnings                                                            AS warnings
FROM passport_log p
LEFT JOIN mediaid_dna_influence i ON i.position = p.position;
