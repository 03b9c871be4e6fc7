-- The yearly evaluation and the team: the ledger's tallies, so counting a year reads a few
-- thousand rows instead of the whole chain; the count files a supervisor read in; the app's role,
-- the supervisor's signing key, the key a member pinned, and the team's members.

-- The ledger's tallies: events per day, partner and kind, and per referral the day of consent
-- and of its first send. Written by the ledger with each event (the store counts the events of an
-- older ledger right after this migration), recounted by the ledger's check.
CREATE TABLE ledger_tally (
    day       TEXT NOT NULL,                 -- YYYY-MM-DD, the local date of the event
    recipient TEXT NOT NULL,
    kind      TEXT NOT NULL,
    n         INTEGER NOT NULL CHECK (n > 0),
    PRIMARY KEY (day, recipient, kind)
) STRICT, WITHOUT ROWID;

CREATE TABLE ledger_span (
    reference     TEXT PRIMARY KEY,
    recipient     TEXT NOT NULL,
    consented_on  TEXT,
    first_sent_on TEXT
) STRICT;
CREATE INDEX ledger_span_sent ON ledger_span (first_sent_on);

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
