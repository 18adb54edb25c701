-- PostgreSQL twin of Scripts/Sqlite/003_treasury.sql: the same tables and columns (integers bigint, text compared
-- byte-wise with COLLATE "C" as SQLite does; SQLite's WITHOUT ROWID has no equivalent and needs none).

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
    position      bigint NOT NULL,   -- the log entry it came from
    seq           bigint NOT NULL,
    owner_type    text COLLATE "C"    NOT NULL,   -- user | artist
    owner_id      text COLLATE "C"    NOT NULL,
    currency      text COLLATE "C"    NOT NULL,   -- ISO 4217, lower case
    kind          text COLLATE "C"    NOT NULL,   -- spent | earned | tip | refunded | payout_requested | paid_out | failed | ticket | subscription
    amount_cents  bigint NOT NULL,   -- > 0
    event_type    text COLLATE "C"    NOT NULL,
    user_id       text COLLATE "C",               -- the event's user (for an artist's line: who tipped or paid), NULL when none
    event_id      text COLLATE "C",               -- the event's eventId field (a concierto event), when given
    artist_id     text COLLATE "C",               -- the event's artistId field, when given
    occurred_at   bigint NOT NULL,   -- Unix ms, the event's time
    PRIMARY KEY (position, seq)
);
CREATE INDEX ix_treasury_ledger_owner ON treasury_ledger (owner_type, owner_id, currency, position);

-- Per owner and currency, the sums of its lines by kind:
--   balance_cents = earned_cents + refunded_cents - spent_cents - paid_out_cents
-- (tips_cents is the part of earned_cents that came from tips; payout_requested_cents, failed_cents,
-- tickets_cents and subscriptions_cents are informational and not in the balance). A fan's balance is
-- usually negative: what they spent net of refunds; an artist's is what they are owed.
-- first_at/last_at: the earliest and latest occurred_at of its lines; lines: how many lines.
CREATE TABLE treasury_balances (
    owner_type              text COLLATE "C"    NOT NULL,
    owner_id                text COLLATE "C"    NOT NULL,
    currency                text COLLATE "C"    NOT NULL,
    spent_cents             bigint NOT NULL,
    earned_cents            bigint NOT NULL,
    tips_cents              bigint NOT NULL,
    refunded_cents          bigint NOT NULL,
    paid_out_cents          bigint NOT NULL,
    payout_requested_cents  bigint NOT NULL,
    failed_cents            bigint NOT NULL,
    tickets_cents           bigint NOT NULL,
    subscriptions_cents     bigint NOT NULL,
    balance_cents           bigint NOT NULL,
    first_at                bigint NOT NULL,   -- Unix ms
    last_at                 bigint NOT NULL,   -- Unix ms
    lines                   bigint NOT NULL,
    PRIMARY KEY (owner_type, owner_id, currency)
);

-- Each fan's subscription to each plan, as of the last change in log order. A cancellation with no
-- start before it still makes a row (status 'cancelled', the plan's terms and started_at NULL).
-- billing_interval is the event's `interval` field (a keyword in PostgreSQL, so renamed).
CREATE TABLE treasury_subscriptions (
    user_id           text COLLATE "C"    NOT NULL,
    plan              text COLLATE "C"    NOT NULL,
    currency          text COLLATE "C",               -- of the last start
    amount_cents      bigint,            -- of the last start
    billing_interval  text COLLATE "C",               -- month | year, of the last start
    status            text COLLATE "C"    NOT NULL,   -- active | cancelled
    started_at        bigint,            -- Unix ms, the last start
    cancelled_at      bigint,            -- Unix ms, the cancellation after the last start; NULL while active
    position          bigint NOT NULL,   -- the log entry of the last change
    PRIMARY KEY (user_id, plan)
);
