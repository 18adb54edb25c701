-- Appends claim their message ids before they take the passport_log_head lock, so that one append's claim runs
-- beside another's COPY of rows instead of queuing behind it. Positions are known only under that lock, so an id
-- stored from now on names its append and its place among that append's new rows (ordinal 1, 2, …); the append's
-- first position is stored under the lock, in passport_appends. Ids stored before this migration keep their
-- position. Position of an id = coalesce(position, first_position + ordinal - 1).
CREATE SEQUENCE passport_append_ids;

CREATE TABLE passport_appends (
    append_id       bigint PRIMARY KEY,
    first_position  bigint NOT NULL
);

ALTER TABLE passport_message_ids
    ALTER COLUMN position DROP NOT NULL,
    ADD COLUMN append_id bigint,
    ADD COLUMN ordinal   integer;
