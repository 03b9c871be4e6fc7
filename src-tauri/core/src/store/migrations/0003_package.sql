-- The encrypted package of a referral, its password, and a partner's agreed password.

-- A password agreed once with a partner (instead of a new one per package). Kept only here,
-- inside the encrypted store.
ALTER TABLE agreement ADD COLUMN agreed_password TEXT;

CREATE TABLE package (
    referral_id        INTEGER PRIMARY KEY REFERENCES referral (id),
    file_name          TEXT NOT NULL,        -- aanmelding-<reference>.7z: no client data
    archive            BLOB,                 -- NULL once delivery is confirmed
    password           TEXT NOT NULL,
    password_agreed    INTEGER NOT NULL CHECK (password_agreed IN (0, 1)),
    built_at           TEXT NOT NULL,        -- RFC 3339 with offset
    password_passed_at TEXT,
    password_channel   TEXT CHECK (password_channel IN ('phone', 'sms')),
    CHECK ((password_passed_at IS NULL) = (password_channel IS NULL))
) STRICT;
