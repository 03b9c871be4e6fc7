-- The outbox: one row per package on its way to the partner's referral mailbox.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    referral_id     INTEGER NOT NULL UNIQUE REFERENCES referral (id),
    message_id      TEXT NOT NULL UNIQUE,     -- stable per package: a resend is recognisable
    state           TEXT NOT NULL CHECK (state IN
                      ('queued', 'sending', 'sent', 'failed', 'attention', 'maybe_sent',
                       'drafted')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,            -- RFC 3339 with offset
    last_error      TEXT,                     -- the server's reason; never client data
    queued_at       TEXT NOT NULL,
    sent_at         TEXT
) STRICT;
