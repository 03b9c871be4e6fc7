-- The home visit: the agreement register, referrals with only the four decretal fields, consent
-- records and anonymous events for the yearly counts.

CREATE TABLE agreement (
    id             INTEGER PRIMARY KEY,
    recipient      TEXT NOT NULL UNIQUE,   -- 'ocmw:<REFNIS>' or 'caw:brussel'
    name           TEXT NOT NULL,
    kbo            TEXT NOT NULL,
    mailbox        TEXT NOT NULL,
    dpo_email      TEXT NOT NULL,
    password_phone TEXT NOT NULL,
    agreement_date TEXT NOT NULL,          -- YYYY-MM-DD
    protocol_from  TEXT NOT NULL,
    protocol_until TEXT,
    demo           INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

-- The demo register: clearly named, mailboxes on the reserved .example domain, so a new user can
-- walk the whole flow and can never mail a real OCMW by accident. Turnhout's protocol has ended,
-- to show what the worker meets then.
INSERT INTO agreement (recipient, name, kbo, mailbox, dpo_email, password_phone, agreement_date,
                       protocol_from, protocol_until, demo) VALUES
  ('ocmw:13049', 'OCMW Westerlo (demo)', '0212.181.956', 'aanmelding@ocmw-westerlo.example',
   'dpo@ocmw-westerlo.example', '+3214000000', '2023-12-18', '2024-01-01', NULL, 1),
  ('ocmw:24020', 'OCMW Diest (demo)', '0212.246.886', 'aanmelding@ocmw-diest.example',
   'dpo@ocmw-diest.example', '+3213000000', '2024-11-01', '2024-11-01', NULL, 1),
  ('caw:brussel', 'CAW Brussel (demo)', '0412.345.614', 'aanmelding@caw-brussel.example',
   'dpo@caw-brussel.example', '+3225000000', '2024-03-01', '2024-03-01', NULL, 1),
  ('ocmw:13040', 'OCMW Turnhout (demo, protocol beëindigd)', '0207.001.166',
   'aanmelding@ocmw-turnhout.example', 'dpo@ocmw-turnhout.example', '+3214000001',
   '2023-01-01', '2023-01-01', '2025-06-30', 1);

CREATE TABLE referral (
    id                INTEGER PRIMARY KEY,
    reference         TEXT NOT NULL UNIQUE,   -- random, carries no personal data
    recipient         TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('draft', 'refused', 'ready')),
    created_at        TEXT NOT NULL,          -- RFC 3339 with offset
    updated_at        TEXT NOT NULL,
    -- The four decretal fields and nothing else. All NULL once purged (refusal, withdrawal,
    -- end of retention); the CHECK keeps a purged row from holding half a client.
    first_name        TEXT,
    last_name         TEXT,
    street            TEXT,
    house_number      TEXT,
    box               TEXT,
    postal_code       TEXT,
    municipality_code TEXT,
    phone             TEXT,
    email             TEXT,
    CHECK ((first_name IS NULL) = (last_name IS NULL)
       AND (first_name IS NULL) = (street IS NULL)
       AND (first_name IS NULL) = (postal_code IS NULL)),
    CHECK (status <> 'refused' OR first_name IS NULL)
) STRICT;

CREATE TABLE consent (
    referral_id   INTEGER PRIMARY KEY REFERENCES referral (id),
    given_at      TEXT NOT NULL,              -- RFC 3339 with offset
    worker        TEXT NOT NULL,
    recipient     TEXT NOT NULL,
    agreement_id  INTEGER NOT NULL,
    text_version  TEXT NOT NULL,
    language      TEXT NOT NULL CHECK (language IN ('nl', 'fr', 'en')),
    text_sha256   TEXT NOT NULL CHECK (length(text_sha256) = 64)
) STRICT;

-- Anonymous events: what happened, when, for which partner. Never a name.
CREATE TABLE event (
    id        INTEGER PRIMARY KEY,
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL,
    recipient TEXT NOT NULL,
    reference TEXT
) STRICT;
