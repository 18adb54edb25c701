-- Large appends no longer hold the passport_log_head lock while they COPY their rows: each takes its positions in a
-- short transaction of its own (head moved, passport_appends row, and a row here naming the append's transaction),
-- then COPYs and commits, beside other appends. Its row here is deleted by the append's own transaction, so it
-- disappears exactly when the rows appear. A reader reads only below the first position of any row here whose
-- transaction has not aborted (pg_xact_status): a late commit is never skipped, and the positions of an append that
-- failed become a gap the reader steps over. An aborted append's row is swept by the next allocation.
CREATE TABLE passport_log_pending (
    first_position  bigint PRIMARY KEY,
    last_position   bigint NOT NULL,
    xid             xid8 NOT NULL
);
