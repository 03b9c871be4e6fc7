-- Privacy at rest: the copies the app saved outside the store, so the purge can delete them;
-- the idle lock and its PIN; the folder the worker chose for saving.

-- A file the app wrote that names a referral (package, receipt, mail draft). Only its path:
-- the file itself is the worker's.
CREATE TABLE saved_file (
    id            INTEGER PRIMARY KEY,
    reference     TEXT NOT NULL,
    path          TEXT NOT NULL,
    saved_at      TEXT NOT NULL,
    deleted_at    TEXT,                       -- when the purge deleted it (or found it gone)
    delete_failed TEXT                        -- why the purge could not delete it
) STRICT;
CREATE INDEX saved_file_reference ON saved_file (reference);

-- The idle lock: minutes without input before the window locks, and the PIN that unlocks it
-- (Argon2id output and its parameters; never the PIN itself). And the folder the worker chose
-- for saving: NULL until the first save asks for one.
CREATE TABLE privacy_settings (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    idle_minutes INTEGER NOT NULL DEFAULT 5 CHECK (idle_minutes BETWEEN 1 AND 30),
    pin_salt     BLOB CHECK (pin_salt IS NULL OR length(pin_salt) = 16),
    pin_hash     BLOB CHECK (pin_hash IS NULL OR length(pin_hash) = 32),
    pin_m_cost   INTEGER,
    pin_t_cost   INTEGER,
    save_folder  TEXT,
    CHECK ((pin_salt IS NULL) = (pin_hash IS NULL))
) STRICT;
INSERT INTO privacy_settings (id) VALUES (1);


-- "Verwijderen": a referral the worker wiped before it went anywhere, and why (a fixed choice,
-- never free text, so nothing about the client can be typed into it).
CREATE TABLE discard (
    id        INTEGER PRIMARY KEY,
    reference TEXT NOT NULL,
    at        TEXT NOT NULL,
    reason    TEXT NOT NULL
                CHECK (reason IN ('mistake', 'duplicate', 'client_stopped', 'undeliverable'))
) STRICT;

-- One password per package: the passwords once agreed with a partner are wiped (the column
-- stays, empty, for the schema of older packages).
UPDATE agreement SET agreed_password = NULL;
