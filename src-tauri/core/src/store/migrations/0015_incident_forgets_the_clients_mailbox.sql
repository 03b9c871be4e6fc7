-- Until version 15 an incident kept the wrong mailbox as the worker typed it, also when the
-- package had gone to the client's own mailbox (as it is now, or was before a correction). The
-- incident table outlives the purge of the client's data, so such a record would keep the
-- client's address for good. Since then the record keeps only whose mailbox it was, in the
-- incident module's words; this brings the older records in line. The comparison is the
-- module's: the address as stored, ASCII letters in any case (SQLite's lower() folds ASCII only,
-- as Rust's eq_ignore_ascii_case does).
--
-- A record of a referral already purged cannot be checked any more (the client's address is
-- gone) and is left as it is.
UPDATE incident SET wrong_to = '(e-mailadres van de cliënt)'
 WHERE EXISTS (
   SELECT 1 FROM outbox JOIN referral ON referral.id = outbox.referral_id
    WHERE outbox.id = incident.outbox_id
      AND (lower(referral.email) = lower(incident.wrong_to)
           OR EXISTS (SELECT 1 FROM correction, json_each(correction.old_values) AS pair
                       WHERE correction.referral_id = referral.id
                         AND json_extract(pair.value, '$[0]') = 'E-mail'
                         AND lower(json_extract(pair.value, '$[1]')) = lower(incident.wrong_to))));
