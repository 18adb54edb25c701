-- Funnels and conversion attribution (issue 4).

-- Funnels read the primary metric rows (seq = 0: one per event, with its type, user, time and fields)
-- through this partial index: a funnel touches only its step types within its time range, and the index
-- is written by the coliseum consumer, so capture does not pay for it. user_id is in the index so a
-- funnel without filters never visits the table rows (position, the key, is in every index entry).
CREATE INDEX ix_metrics_funnel ON coliseum_metrics (metric_type, timestamp, user_id) WHERE seq = 0;

-- Each user's marketing touchpoints, written by the coliseum consumer in the transaction that moves its
-- cursor: session UTMs (metadata.utm, else context.campaign), referrers, shares and accepted invites.
CREATE TABLE coliseum_touchpoints (
    user_id      TEXT    NOT NULL,   -- userId, else anonymousId
    occurred_at  INTEGER NOT NULL,   -- Unix ms, the event's (skew-corrected) time
    position     INTEGER NOT NULL,   -- the log entry it came from
    touch_type   TEXT    NOT NULL,   -- the event type
    source       TEXT    NOT NULL,
    medium       TEXT,
    campaign     TEXT,
    PRIMARY KEY (user_id, occurred_at, position)
);

-- One row per conversion (concierto.ticket_purchased, treasury.subscription_started, passport.signed_up)
-- per model (first_touch, last_touch): the touchpoint credited, or source '(direct)' when there was none
-- within the lookback window.
CREATE TABLE conversion_attributions (
    position             INTEGER NOT NULL,   -- the conversion's log entry
    model                TEXT    NOT NULL,   -- first_touch | last_touch
    conversion_type      TEXT    NOT NULL,
    user_id              TEXT    NOT NULL,
    occurred_at          INTEGER NOT NULL,   -- Unix ms, the conversion's time
    source               TEXT    NOT NULL,
    medium               TEXT,
    campaign             TEXT,
    touch_position       INTEGER,            -- the touchpoint's log entry; NULL for (direct)
    touch_occurred_at    INTEGER,
    value_cents          INTEGER,            -- amountCents when the conversion carries money
    currency             TEXT,
    PRIMARY KEY (position, model)
);
CREATE INDEX ix_attributions_report ON conversion_attributions (conversion_type, model, occurred_at);
