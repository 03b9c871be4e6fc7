-- How this app reaches the team's mail server. The password lives here, inside the encrypted
-- store, never in a plain configuration file.
CREATE TABLE smtp_settings (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    host     TEXT NOT NULL,
    port     INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
    security TEXT NOT NULL CHECK (security IN ('start_tls', 'tls')),
    username TEXT NOT NULL,
    password TEXT NOT NULL,
    ca_pem   TEXT            -- an extra certificate authority to trust, if the team has one
) STRICT;
