-- The Passport log on PostgreSQL: the same columns as SQLite's 001_passport.sql, partitioned by month of
-- occurred_at (Unix ms, UTC months). A unique index on a partitioned table must contain the partition key, so
-- message-id uniqueness lives in passport_message_ids, and positions come from passport_log_head (below).
CREATE TABLE passport_log (
    position        bigint NOT NULL,
    message_id      text   COLLATE "C" NOT NULL,
    event_type      text   COLLATE "C" NOT NULL,
    event_category  text   COLLATE "C" NOT NULL,
    user_id         text   COLLATE "C",
    anonymous_id    text   COLLATE "C",
    session_id      text   COLLATE "C",
    device_id       text   COLLATE "C",
    entity_type     text   COLLATE "C",
    entity_id       text   COLLATE "C",
    metadata        jsonb  NOT NULL,   -- JSON object: catalogue fields and unknown extras
    context         jsonb,             -- JSON object or NULL
    occurred_at     bigint NOT NULL,   -- Unix ms, clock-skew corrected (and clamped)
    client_at       bigint NOT NULL,   -- Unix ms, as the client said
    sent_at         bigint,            -- Unix ms, as the client said
    received_at     bigint NOT NULL,   -- Unix ms, server clock
    source          text   NOT NULL,   -- api | segment | stripe | import
    warnings        text               -- e.g. unknown_type,future_at_clamped
) PARTITION BY RANGE (occurred_at);

-- Readers go by position (ReadAsync merges the partitions' indexes in order).
CREATE INDEX ix_passport_log_position ON passport_log (position);

-- Rows whose month has no partition of its own (see passport_log_make_month and PostgresPassportStore).
CREATE TABLE passport_log_default PARTITION OF passport_log DEFAULT;

-- Idempotent capture, forever: a second delivery of a message id is not stored.
CREATE TABLE passport_message_ids (
    message_id  text   COLLATE "C" PRIMARY KEY,
    position    bigint NOT NULL
);

-- The newest position handed out. An append locks this row (FOR UPDATE) for its whole transaction, so
-- positions become visible in commit order: a reader that reads position > cursor can never skip one that
-- commits later (a sequence would hand out 105 before 104 commits). See docs/postgres.md.
CREATE TABLE passport_log_head (
    id        bigint PRIMARY KEY CHECK (id = 1),
    position  bigint NOT NULL
);
INSERT INTO passport_log_head (id, position) VALUES (1, 0);

-- Makes the partition for the UTC month starting at month_start, unless it exists. Rows of that month
-- already in the DEFAULT partition move into it first (ATTACH refuses while DEFAULT holds rows in range).
-- Callers serialise: the store calls it holding the passport_log_head lock, the migration runs alone.
CREATE FUNCTION passport_log_make_month(month_start date) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    name text := 'passport_log_y' || to_char(month_start, 'YYYY') || 'm' || to_char(month_start, 'MM');
    lo   bigint := (extract(epoch FROM month_start::timestamp AT TIME ZONE 'UTC') * 1000)::bigint;
    hi   bigint := (extract(epoch FROM (month_start + interval '1 month')::timestamp AT TIME ZONE 'UTC') * 1000)::bigint;
BEGIN
    IF date_trunc('month', month_start)::date <> month_start THEN
        RAISE EXCEPTION 'passport_log_make_month: % is not the first day of a month', month_start;
    END IF;
    IF to_regclass(name) IS NOT NULL THEN
        RETURN;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE passport_log INCLUDING DEFAULTS)', name);
    EXECUTE format('WITH moved AS (DELETE FROM passport_log_default WHERE occurred_at >= %s AND occurred_at < %s RETURNING *) INSERT INTO %I SELECT * FROM moved', lo, hi, name);
    EXECUTE format('ALTER TABLE passport_log ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)', name, lo, hi);
END
$$;

-- Ahead of need: this month and the next (the store makes the others when an append meets them).
SELECT passport_log_make_month(date_trunc('month', now() AT TIME ZONE 'UTC')::date);
SELECT passport_log_make_month((date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month')::date);
