-- The register keeps its history. A partner a consent relied on is ended, never deleted; every
-- save is a new version that consents point to; the fields domain.md lists for the register are
-- added. The recipient is no longer unique: Brussels can have several CAWs, and an OCMW can have
-- an ended protocol beside its new one. The demo partners leave real stores.

CREATE TABLE agreement_new (
    id                INTEGER PRIMARY KEY,
    recipient         TEXT NOT NULL,          -- 'ocmw:<REFNIS>' or 'caw:brussel'
    name              TEXT NOT NULL,
    kbo               TEXT NOT NULL,
    mailbox           TEXT NOT NULL,
    dpo_email         TEXT NOT NULL,
    password_phone    TEXT NOT NULL,
    agreement_date    TEXT NOT NULL,          -- YYYY-MM-DD
    protocol_from     TEXT NOT NULL,
    protocol_until    TEXT,
    demo              INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    delivery          TEXT NOT NULL DEFAULT 'smtp' CHECK (delivery IN ('smtp', 'mail_program')),
    notice_months     INTEGER CHECK (notice_months IS NULL OR notice_months BETWEEN 1 AND 36),
    notice_given_on   TEXT,
    dpo_advice_ours   TEXT,
    dpo_advice_theirs TEXT,
    contacts          TEXT NOT NULL DEFAULT '',
    evaluation_months INTEGER NOT NULL DEFAULT 12 CHECK (evaluation_months IN (6, 12)),
    last_evaluation   TEXT,
    stopped_on        TEXT,                   -- the day the team ended it ("stopzetten")
    version           INTEGER NOT NULL DEFAULT 1
) STRICT;
INSERT INTO agreement_new (id, recipient, name, kbo, mailbox, dpo_email, password_phone,
                           agreement_date, protocol_from, protocol_until, demo, delivery)
  SELECT id, recipient, name, kbo, mailbox, dpo_email, password_phone, agreement_date,
         protocol_from, protocol_until, demo, delivery FROM agreement;
DROP TABLE agreement;
ALTER TABLE agreement_new RENAME TO agreement;
CREATE INDEX agreement_recipient ON agreement (recipient);

-- Demo partners leave real stores: unused ones go, used ones end today (the day of this
-- migration) so that what was done under them keeps its record.
DELETE FROM agreement WHERE demo = 1
  AND id NOT IN (SELECT agreement_id FROM consent);
UPDATE agreement SET
    protocol_until = CASE WHEN protocol_until IS NULL OR protocol_until > date('now', 'localtime')
                          THEN date('now', 'localtime') ELSE protocol_until END,
    stopped_on = date('now', 'localtime')
  WHERE demo = 1;

-- Every saved state of a partner, as the JSON the app wrote. A consent records the version it
-- relied on and the SHA-256 of that text, so a later edit of the version shows.
CREATE TABLE agreement_version (
    agreement_id INTEGER NOT NULL,
    version      INTEGER NOT NULL,
    saved_at     TEXT NOT NULL,               -- RFC 3339, or a date for versions migrated here
    body         TEXT NOT NULL,
    PRIMARY KEY (agreement_id, version)
) STRICT;
INSERT INTO agreement_version (agreement_id, version, saved_at, body)
  SELECT id, 1, date('now', 'localtime'), json_object(
      'recipient_key', recipient, 'name', name, 'kbo', kbo, 'mailbox', mailbox,
      'dpo_email', dpo_email, 'password_phone', password_phone,
      'agreement_date', agreement_date, 'protocol_from', protocol_from,
      'protocol_until', coalesce(protocol_until, ''), 'delivery', delivery)
  FROM agreement;

-- A partner a consent relied on cannot be deleted, whatever code tries.
CREATE TRIGGER agreement_kept BEFORE DELETE ON agreement
  WHEN EXISTS (SELECT 1 FROM consent WHERE agreement_id = OLD.id)
BEGIN
  SELECT RAISE(ABORT, 'agreement_in_use');
END;
CREATE TRIGGER agreement_version_kept BEFORE DELETE ON agreement_version
  WHEN EXISTS (SELECT 1 FROM consent WHERE agreement_id = OLD.agreement_id)
BEGIN
  SELECT RAISE(ABORT, 'agreement_in_use');
END;
CREATE TRIGGER agreement_version_fixed BEFORE UPDATE ON agreement_version
BEGIN
  SELECT RAISE(ABORT, 'agreement_version_fixed');
END;

-- What the consent relied on. NULL for consents recorded before versions existed.
ALTER TABLE consent ADD COLUMN agreement_version INTEGER;
ALTER TABLE consent ADD COLUMN agreement_sha256 TEXT
    CHECK (agreement_sha256 IS NULL OR length(agreement_sha256) = 64);
UPDATE consent SET agreement_version = 1;

-- The partner the worker chose for a referral (Brussels may have several CAWs).
ALTER TABLE referral ADD COLUMN agreement_id INTEGER;
UPDATE referral SET agreement_id =
    coalesce((SELECT agreement_id FROM consent WHERE consent.referral_id = referral.id),
             (SELECT a.id FROM agreement a WHERE a.recipient = referral.recipient));

-- Each member's count-file key, as the supervisor confirmed it by fingerprint.
ALTER TABLE team_member ADD COLUMN public_key BLOB
    CHECK (public_key IS NULL OR length(public_key) = 32);
