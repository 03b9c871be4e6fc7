-- The yearly evaluation and the team: indexes so counting a year of the ledger reads only what it
-- needs, the count files a supervisor read in, the app's role, the supervisor's signing key, the
-- key a member pinned, and the team's members.

-- Counting a period walks this index only, in date order, never the hashes.
CREATE INDEX ledger_period ON ledger (at, kind, recipient);
-- Consent and first send of the same referral, for the days between them.
CREATE INDEX ledger_reference ON ledger (reference, kind, at) WHERE reference IS NOT NULL;

-- A worker's count file as read in by the supervisor: counts only, kept as received.
CREATE TABLE count_import (
    id           INTEGER PRIMARY KEY,
    worker_key   TEXT NOT NULL,              -- the worker's e-mail in lower case, or name|team
    period_from  TEXT NOT NULL,
    period_to    TEXT NOT NULL,
    generated_at TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    body         TEXT NOT NULL,
    UNIQUE (worker_key, period_from, period_to)
) STRICT;

CREATE TABLE team_settings (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    role              TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('member', 'supervisor')),
    -- The supervisor's Ed25519 secret key; only ever in this encrypted store.
    signing_key       BLOB CHECK (signing_key IS NULL OR length(signing_key) = 32),
    -- The supervisor's public key as the member confirmed it by phone.
    pinned_key        BLOB CHECK (pinned_key IS NULL OR length(pinned_key) = 32),
    -- When the last applied team profile was signed: an older one is a replay.
    profile_issued_at TEXT
) STRICT;
INSERT INTO team_settings (id) VALUES (1);

CREATE TABLE team_member (
    id    INTEGER PRIMARY KEY,
    name  TEXT NOT NULL,
    email TEXT NOT NULL
) STRICT;
