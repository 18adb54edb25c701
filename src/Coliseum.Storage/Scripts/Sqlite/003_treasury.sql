-- Treasury: a money ledger per owner and per currency, in integer cents (invariant 7: money is exact,
-- kept per currency, never summed across currencies: every key below includes the currency).
-- Times are Unix ms taken from the events (occurred_at), never the wall clock, so a replay of the log
-- gives identical tables.
--
-- Which event makes which line (the "user" is the event's userId, else its anonymousId):
--   treasury.money_spent          user    'spent'             counts in balance (-)
--   treasury.money_earned         artist  'earned'            counts in balance (+); the user when there is no artistId
--   treasury.tip_sent             artist  'tip'               counts in balance (+), and in tips_cents as well as earned_cents.
--                                                             The tipping user is NOT debited: the platform also logs the
--                                                             payment as treasury.money_spent (reason 'tip'), which does it,
--                                                             so debiting here would count the tip twice.
--   treasury.refund_issued        user    'refunded'          counts in balance (+)
--   concierto.ticket_refunded     user    'refunded'          counts in balance (+)
--   treasury.payout_requested     artist  'payout_requested'  informational (payout_requested_cents only)
--   treasury.payout_completed     artist  'paid_out'          counts in balance (-)
--   treasury.payment_failed       user    'failed'            informational (failed_cents only)
--   concierto.ticket_purchased    user    'ticket'            informational (tickets_cents only): the payment itself
--                                                             arrives as treasury.money_spent, which is what counts
--   treasury.subscription_started user    'subscription'      informational (subscriptions_cents only), and the
--                                                             subscription row below
-- treasury.subscription_cancelled changes the subscription row only (no money, no line). Every other
-- event type is skipped (the cursor still moves past it).

-- One line per money movement. amount_cents is always positive; the kind says what it does to the
-- balance (see above). seq numbers the lines of one log entry (today each entry makes at most one: 0).
CREATE TABLE treasury_ledger (
    position      INTEGER NOT NULL,   -- the log entry it came from
    seq           INTEGER NOT NULL,
    owner_type    TEXT    NOT NULL,   -- user | artist
    owner_id      TEXT    NOT NULL,
    currency      TEXT    NOT NULL,   -- ISO 4217, lower case
    kind          TEXT    NOT NULL,   -- spent | earned | tip | refunded | payout_requested | paid_out | failed | ticket | subscription
    amount_cents  INTEGER NOT NULL,   -- > 0
    event_type    TEXT    NOT NULL,
    user_id       TEXT,               -- the event's user (for an artist's line: who tipped or paid), NULL when none
    event_id      TEXT,               -- the event's eventId field (a concierto event), when given
    artist_id     TEXT,               -- the event's artistId field, when given
    occurred_at   INTEGER NOT NULL,   -- Unix ms, the event's time
    PRIMARY KEY (position, seq)
) WITHOUT ROWID;
CREATE INDEX ix_treasury_ledger_owner ON treasury_ledger (owner_type, owner_id, currency, position);

-- Per owner and currency, the sums of its lines by kind:
--   balance_cents = earned_cents + refunded_cents - spent_cents - paid_out_cents
-- (tips_cents is the part of earned_cents that came from tips; payout_requested_cents, failed_cents,
-- tickets_cents and subscriptions_cents are informational and not in the balance). A fan's balance is
-- usually negative: what they spent net of refunds; an artist's is what they are owed.
-- first_at/last_at: the earliest and latest occurred_at of its lines; lines: how many lines.
CREATE TABLE treasury_balances (
    owner_type              TEXT    NOT NULL,
    owner_id                TEXT    NOT NULL,
    currency                TEXT    NOT NULL,
    spent_cents             INTEGER NOT NULL,
    earned_cents            INTEGER NOT NULL,
    tips_cents              INTEGER NOT NULL,
    refunded_cents          INTEGER NOT NULL,
    paid_out_cents          INTEGER NOT NULL,
    payout_requested_cents  INTEGER NOT NULL,
    failed_cents            INTEGER NOT NULL,
    tickets_cents           INTEGER NOT NULL,
    subscriptions_cents     INTEGER NOT NULL,
    balance_cents           INTEGER NOT NULL,
    first_at                INTEGER NOT NULL,   -- Unix ms
    last_at                 INTEGER NOT NULL,   -- Unix ms
    lines                   INTEGER NOT NULL,
    PRIMARY KEY (owner_type, owner_id, currency)
) WITHOUT ROWID;

-- Each fan's subscription to each plan, as of the last change in log order. A cancellation with no
-- start before it still makes a row (status 'cancelled', the plan's terms and started_at NULL).
-- billing_interval is the event's `interval` field (a keyword in PostgreSQL, so renamed).
CREATE TABLE treasury_subscriptions (
    user_id           TEXT    NOT NULL,
    plan              TEXT    NOT NULL,
    currency          TEXT,               -- of the last start
    amount_cents      INTEGER,            -- of the last start
    billing_interval  TEXT,               -- month | year, of the last start
    status            TEXT    NOT NULL,   -- active | cancelled
    started_at        INTEGER,            -- Unix ms, the last start
    cancelled_at      INTEGER,            -- Unix ms, the cancellation after the last start; NULL while active
    position          INTEGER NOT NULL,   -- the log entry of the last change
    PRIMARY KEY (user_id, plan)
) WITHOUT ROWID;
