-- Mail in the agency. A package the team's mail server took waits for the OCMW's receipt with
-- its archive kept (a bounce an hour later can still be answered by sending it again); the
-- receipt (the worker's tick, a read receipt or a reply) destroys the archive and its password.
-- A failed delivery keeps what kind of problem it was and the server's own words, apart from
-- the Dutch sentence the worker reads.
ALTER TABLE outbox ADD COLUMN received_at TEXT;        -- RFC 3339; NULL while waiting
ALTER TABLE outbox ADD COLUMN received_how TEXT        -- who confirmed it
    CHECK (received_how IS NULL OR received_how IN ('worker', 'read_receipt', 'reply'));
ALTER TABLE outbox ADD COLUMN error_kind TEXT;         -- outbox::smtp::ProblemKind
ALTER TABLE outbox ADD COLUMN error_detail TEXT;       -- the server's reply, for IT
-- Mail sent before this version had its archive deleted at the send: there is nothing left to
-- keep or destroy, so it does not wait for a receipt (how it was received stays unknown).
UPDATE outbox SET received_at = sent_at WHERE state = 'sent' AND sent_at IS NOT NULL;
-- The last bounce already handled for this mail, as "<UIDVALIDITY>:<UID>" in the worker's
-- mailbox: a package sent again after a bounce must not be flagged by the old bounce.
ALTER TABLE outbox ADD COLUMN bounce_seen TEXT;

-- The worker's mailbox, where read receipts, replies and bounces come in; the same sign-in as
-- the mail server. No host: not checked.
ALTER TABLE smtp_settings ADD COLUMN imap_host TEXT;
ALTER TABLE smtp_settings ADD COLUMN imap_port INTEGER;
ALTER TABLE smtp_settings ADD COLUMN imap_security TEXT
    CHECK (imap_security IS NULL OR imap_security IN ('start_tls', 'tls'));

-- Signing in with OAuth 2.0 (Microsoft 365 retires passwords for SMTP): the provider and the
-- app's registration there. 'microsoft365' builds the endpoints from the tenant; 'oauth' takes
-- them as typed.
ALTER TABLE smtp_settings ADD COLUMN sign_in TEXT NOT NULL DEFAULT 'password'
    CHECK (sign_in IN ('password', 'microsoft365', 'oauth'));
ALTER TABLE smtp_settings ADD COLUMN oauth_tenant TEXT;
ALTER TABLE smtp_settings ADD COLUMN oauth_client_id TEXT;
ALTER TABLE smtp_settings ADD COLUMN oauth_authorize_url TEXT;
ALTER TABLE smtp_settings ADD COLUMN oauth_token_url TEXT;
ALTER TABLE smtp_settings ADD COLUMN oauth_device_url TEXT;
ALTER TABLE smtp_settings ADD COLUMN oauth_scopes TEXT;

-- The worker's grant: the refresh token and the current access token, only ever here. A grant
-- belongs to one registration at one provider (`provider`: client id and token URL); the
-- provider ending it (invalid_grant) sets `lost_at` and wipes the tokens.
CREATE TABLE oauth_grant (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    provider      TEXT NOT NULL,
    refresh_token TEXT,
    access_token  TEXT,
    scopes        TEXT,                 -- what the provider granted, asked again on a refresh
    expires_at    TEXT,                 -- RFC 3339, of the access token
    granted_at    TEXT NOT NULL,        -- RFC 3339
    lost_at       TEXT                  -- RFC 3339; NULL while the grant holds
);
