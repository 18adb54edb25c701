-- The Passport log. `position` (the rowid) only grows: rows are appended and never deleted, so the
-- newest position is never handed out twice. (Privacy erasure blanks a row's personal data in place and
-- keeps the row.) AUTOINCREMENT would guard against deletion too but costs ~10% of append throughput.
CREATE TABLE passport_log (
    position        INTEGER PRIMARY KEY,
    message_id      TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    event_category  TEXT    NOT NULL,
    user_id         TEXT,
    anonymous_id    TEXT,
    session_id      TEXT,
    device_id       TEXT,
    entity_type     TEXT,
    entity_id       TEXT,
    metadata        TEXT    NOT NULL,   -- JSON object: catalogue fields and unknown extras
    context         TEXT,               -- JSON object or NULL
    occurred_at     INTEGER NOT NULL,   -- Unix ms, clock-skew corrected (and clamped)
    client_at       INTEGER NOT NULL,   -- Unix ms, as the client said
    sent_at         INTEGER,            -- Unix ms, as the client said
    received_at     INTEGER NOT NULL,   -- Unix ms, server clock
    source          TEXT    NOT NULL,   -- api | segment | stripe | import
    warnings        TEXT                -- e.g. unknown_type,future_at_clamped
);

-- Idempotent capture, forever: a second delivery of a message id is not stored.
CREATE UNIQUE INDEX ux_passport_log_message_id ON passport_log (message_id);

-- Where each consumer has applied the log up to.
CREATE TABLE consumer_cursors (
    name        TEXT    PRIMARY KEY,
    position    INTEGER NOT NULL DEFAULT 0,
    updated_at  INTEGER
);
INSERT INTO consumer_cursors (name, position) VALUES ('coliseum', 0), ('treasury', 0), ('mediaid', 0);

-- The platform's table, as a view: the processed_by_* flags are true answers read from the cursors.
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
    NULL                                                                  AS dna_influence,
    strftime('%Y-%m-%dT%H:%M:%fZ', p.occurred_at / 1000.0, 'unixepoch') AS created_at,
    strftime('%Y-%m-%dT%H:%M:%fZ', p.received_at / 1000.0, 'unixepoch') AS received_at,
    p.source                                                              AS source,
    p.warnings                                                            AS warnings
FROM passport_log p;
