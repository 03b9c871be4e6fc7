-- The worker's own identity, put into every referral package as the contact for the OCMW.
-- One row: this app belongs to one worker.
CREATE TABLE worker_profile (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    name  TEXT NOT NULL,
    team  TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL
) STRICT;
