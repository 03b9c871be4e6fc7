-- A referral's client data can go in several packages: the referral and, after it has left, its
-- corrections. Until version 17 a send's events named only the referral, so when a correction
-- came back the evaluation counted the consent as failed, though the partner had the referral
-- (and the other way round when the original's bounce came after its correction had gone).
-- Since then the events of a send name their package, and each consent's span keeps the
-- packages that reached the partner and did not come back ("12,15"; "?" for one sent before this
-- version). The store counts the spans anew from the whole chain right after this migration
-- (ledger::UPGRADES); the events before it name no package and keep their links.
ALTER TABLE ledger ADD COLUMN package INTEGER;
ALTER TABLE ledger_span ADD COLUMN reached TEXT NOT NULL DEFAULT '';
