-- After the send: a tamper-evident ledger, several packages per referral (the referral, its
-- corrections, a withdrawal notice), withdrawal and correction records, retention settings and
-- wrong-mailbox incidents.

-- The ledger replaces the unchained `event` table; the store moves its rows into the chain
-- (in Rust, since each link needs the ledger key) and then drops it.
CREATE TABLE ledger (
    seq       INTEGER PRIMARY KEY,           -- 1, 2, 3, … without gaps
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,                 -- RFC 3339 (older events: a date)
    recipient TEXT NOT NULL,
    reference TEXT,
    hash      BLOB NOT NULL CHECK (length(hash) = 32)
) STRICT;

-- The last link, sealed with the ledger key, so that cutting events off the end shows.
CREATE TABLE ledger_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32),
    mac  BLOB NOT NULL CHECK (length(mac) = 32)
) STRICT;

-- Packages: one per referral and kind ('referral', 'withdrawal'), any number of corrections.
CREATE TABLE package_v7 (
    id                 INTEGER PRIMARY KEY,
    referral_id        INTEGER NOT NULL REFERENCES referral (id),
    kind               TEXT NOT NULL DEFAULT 'referral'
                         CHECK (kind IN ('referral', 'correction', 'withdrawal')),
    file_name          TEXT NOT NULL,
    archive            BLOB,                 -- NULL once delivered, cancelled or purged
    password           TEXT NOT NULL,        -- '' once the package is gone
    password_agreed    INTEGER NOT NULL CHECK (password_agreed IN (0, 1)),
    built_at           TEXT NOT NULL,
    password_passed_at TEXT,
    password_channel   TEXT CHECK (password_channel IN ('phone', 'sms')),
    CHECK ((password_passed_at IS NULL) = (password_channel IS NULL))
) STRICT;
INSERT INTO package_v7 (id, referral_id, kind, file_name, archive, password, password_agreed,
                        built_at, password_passed_at, password_channel)
  SELECT referral_id, referral_id, 'referral', file_name, archive, password, password_agreed,
         built_at, password_passed_at, password_channel FROM package;

CREATE TABLE outbox_v7 (
    id              INTEGER PRIMARY KEY,
    referral_id     INTEGER NOT NULL REFERENCES referral (id),
    package_id      INTEGER NOT NULL UNIQUE REFERENCES package_v7 (id),
    message_id      TEXT NOT NULL UNIQUE,
    state           TEXT NOT NULL CHECK (state IN
                      ('queued', 'sending', 'sent', 'failed', 'attention', 'maybe_sent',
                       'drafted', 'cancelled')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    last_error      TEXT,
    queued_at       TEXT NOT NULL,
    sent_at         TEXT
) STRICT;
INSERT INTO outbox_v7 (id, referral_id, package_id, message_id, state, attempts,
                       next_attempt_at, last_error, queued_at, sent_at)
  SELECT id, referral_id, referral_id, message_id, state, attempts, next_attempt_at,
         last_error, queued_at, sent_at FROM outbox;

DROP TABLE outbox;
DROP TABLE package;
ALTER TABLE package_v7 RENAME TO package;
ALTER TABLE outbox_v7 RENAME TO outbox;
CREATE UNIQUE INDEX package_once ON package (referral_id, kind) WHERE kind <> 'correction';

-- When the four fields were wiped; NULL while they are kept.
ALTER TABLE referral ADD COLUMN purged_at TEXT;

CREATE TABLE withdrawal (
    referral_id INTEGER PRIMARY KEY REFERENCES referral (id),
    said_on     TEXT NOT NULL,               -- YYYY-MM-DD: when the client said it
    how         TEXT NOT NULL CHECK (how IN ('in_person', 'phone', 'mail', 'letter')),
    recorded_at TEXT NOT NULL,
    notice      INTEGER NOT NULL CHECK (notice IN (0, 1))  -- 1: the OCMW had it, so was told
) STRICT;

-- What a correction changed. Holds client data, so it goes with the referral's purge.
CREATE TABLE correction (
    id          INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referral (id),
    at          TEXT NOT NULL,
    worker      TEXT NOT NULL,
    reason      TEXT NOT NULL,
    old_values  TEXT NOT NULL,               -- JSON of the four fields before
    new_values  TEXT NOT NULL                -- and after
) STRICT;

-- How long the client's data stay after a confirmed send, and who the team's DPO is.
CREATE TABLE retention_settings (
    id             INTEGER PRIMARY KEY CHECK (id = 1),
    days_after_send INTEGER NOT NULL CHECK (days_after_send BETWEEN 0 AND 365),
    dpo_email      TEXT NOT NULL DEFAULT ''
) STRICT;
INSERT INTO retention_settings (id, days_after_send) VALUES (1, 30);

-- A package that went to the wrong mailbox (GDPR art. 33): no client data here either.
CREATE TABLE incident (
    id          INTEGER PRIMARY KEY,
    outbox_id   INTEGER NOT NULL REFERENCES outbox (id),
    wrong_to    TEXT NOT NULL,
    noticed_at  TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    note        TEXT NOT NULL
) STRICT;
