-- The yearly evaluation counts what became of each consent, so that the consents of a period add
-- up exactly to those sent, still waiting, failed and withdrawn before sending. The ledger keeps
-- each referral's outcome beside its days of consent and first send; the store counts it anew
-- from the whole chain right after this migration (ledger::UPGRADES).
ALTER TABLE ledger_span ADD COLUMN outcome TEXT;
-- Covering the yearly count, which reads only these columns of a year's consents.
CREATE INDEX ledger_span_consented
    ON ledger_span (consented_on, recipient, outcome, first_sent_on);

-- Count files read in before this version counted differently (packages sent by the day of the
-- send, not what became of each consent): adding them to new ones would mix the two. The
-- supervisor reads in the team's new files; an old file is refused with that message.
DELETE FROM count_import;
