-- PostgreSQL twin of Scripts/Sqlite/006_attribution.sql: the same tables and columns (integers bigint, text compared
-- byte-wise with COLLATE "C" as SQLite does; SQLite's WITHOUT ROWID has no equivalent and needs none).

-- Funnels and conversion attribution (issue 4).

-- Funnels read the primary metric rows (seq = 0: one per event, with its type, user, time and fields)
-- through this partial index: a funnel touches only its step types within its time range, and the index
-- is written by the coliseum consumer, so capture does not pay for it. user_id is in the index so a
-- funnel without filters never visits the table rows (position, the key, is in every index entry).
CREATE INDEX ix_metrics_funnel ON coliseum_metrics (metric_type, timestamp, user_id) WHERE seq = 0;

-- Each user's marketing touchpoints, written by the coliseum consumer in the transaction that moves its
-- cursor: session UTMs (metadata.utm, else context.campaign), referrers, shares and accepted invites.
CREATE TABLE coliseum_touchpoints (
    user_id      text COLLATE "C"    NOT NULL,   -- userId, else anonymousId
    occurred_at  bigint NOT NULL,   -- Unix ms, the event's (skew-corrected) time
    position     bigint NOT NULL,   -- the log entry it came from
    touch_type   text COLLATE "C"    NOT NULL,   -- the event type
    source       text COLLATE "C"    NOT NULL,
    medium       text COLLATE "C",
    campaign     text COLLATE "C",
    PRIMARY KEY (user_id, occurred_at, position)
);

-- One row per conversion (concierto.ticket_purchased, treasury.subscription_started, passport.signed_up)
-- per model (first_touch, last_touch): the touchpoint credited, or source '(direct)' when there was none
-- within the lookback window.
CREATE TABLE conversion_attributions (
    position             bigint NOT NULL,   -- the conversion's log entry
    model                text COLLATE "C"    NOT NULL,   -- first_touch | last_touch
    conversion_type      text COLLATE "C"    NOT NULL,
    user_id              text COLLATE "C"    NOT NULL,
    occurred_at          bigint NOT NULL,   -- Unix ms, the conversion's time
    source               text COLLATE "C"    NOT NULL,
    medium               text COLLATE "C",
    campaign             text COLLATE "C",
    touch_position       bigint,            -- the touchpoint's log entry; NULL for (direct)
    touch_occurred_at    bigint,
    value_cents          bigint,            -- amountCents when the conversion carries money
    currency             text COLLATE "C",
    PRIMARY KEY (position, model)
);
CREATE INDEX ix_attributions_report ON conversion_attributions (conversion_type, model, occurred_at);
