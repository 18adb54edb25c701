-- API keys (issue 7), shared by every process on this database. Only the SHA-256 of a key is kept, with
-- its first characters (prefix) so an operator can tell keys apart; the key itself is shown once, when made.
CREATE TABLE coliseum_keys (
    id          INTEGER PRIMARY KEY,
    name        TEXT,
    role        TEXT    NOT NULL CHECK (role IN ('write', 'read', 'admin')),
    sha256      TEXT    NOT NULL UNIQUE CHECK (length(sha256) = 64),
    prefix      TEXT    NOT NULL,
    source      TEXT    NOT NULL,          -- cli | generated | keys.json
    created_at  INTEGER NOT NULL,          -- Unix ms
    revoked_at  INTEGER                    -- Unix ms; null while valid
);

-- One number that moves with every change to coliseum_keys, so each process polls one row (not the table,
-- and not PRAGMA data_version, which moves with every captured event) to notice a new or revoked key.
CREATE TABLE coliseum_keys_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  INTEGER NOT NULL
);
INSERT INTO coliseum_keys_version (id, version) VALUES (1, 0);

CREATE TRIGGER coliseum_keys_inserted AFTER INSERT ON coliseum_keys
BEGIN UPDATE coliseum_keys_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER coliseum_keys_updated AFTER UPDATE ON coliseum_keys
BEGIN UPDATE coliseum_keys_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER coliseum_keys_deleted AFTER DELETE ON coliseum_keys
BEGIN UPDATE coliseum_keys_version SET version = version + 1 WHERE id = 1; END;
